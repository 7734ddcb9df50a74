// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Docker answers too big to hold (source/docker.h, "Answers too big to
 * hold"). The scanner keeps the values at a few paths; each is put into a
 * small JSON document of the same shape, which the ordinary mapping
 * (docker_parse.c) then reads: one mapping, whatever the answer's size.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "source/docker.h"
#include "source/jscan.h"

struct bh_docker_big {
	enum bh_docker_big_kind kind;
	json_t *root;		/* what was kept, in the shape of the answer */
	size_t n_any;		/* values kept under a "*" so far */
	int err;		/* -ENOMEM once a value could not be kept */
	struct bh_jscan scan;
};

/* The fields the mapping reads (docker_parse.c), and no more. */
static const struct bh_jscan_path inspect_paths[] = {
	{ { "Id" } },
	{ { "Name" } },
	{ { "Created" } },
	{ { "State", "Running" } },
	{ { "HostConfig", "NetworkMode" } },
	{ { "Config", "Image" } },
	{ { "Config", "Labels", BH_DOCKER_LABEL_NAMESPACE } },
	{ { "Config", "Labels", BH_DOCKER_LABEL_NAME } },
	{ { "Config", "Labels", "com.docker.compose.project" } },
	{ { "Config", "Labels", "com.docker.compose.service" } },
	{ { "Config", "Labels", "com.docker.compose.container-number" } },
	{ { "NetworkSettings", "SandboxKey" } },
	{ { "NetworkSettings", "IPAddress" } },
	{ { "NetworkSettings", "GlobalIPv6Address" } },
	{ { "NetworkSettings", "Networks", "*", "IPAddress" } },
	{ { "NetworkSettings", "Networks", "*", "GlobalIPv6Address" } },
};

static const struct bh_jscan_path list_paths[] = {
	{ { "*", "Id" } },
};

static const struct bh_jscan_path event_paths[] = {
	{ { "Type" } },
	{ { "Action" } },
	{ { "status" } },
	{ { "id" } },
	{ { "timeNano" } },
	{ { "Actor", "ID" } },
	{ { "Actor", "Attributes", "container" } },
};

static const struct {
	const struct bh_jscan_path *paths;
	size_t n;
} kinds[] = {
	[BH_DOCKER_BIG_INSPECT] = { inspect_paths, sizeof(inspect_paths) / sizeof(inspect_paths[0]) },
	[BH_DOCKER_BIG_LIST] = { list_paths, sizeof(list_paths) / sizeof(list_paths[0]) },
	[BH_DOCKER_BIG_EVENT] = { event_paths, sizeof(event_paths) / sizeof(event_paths[0]) },
};

static json_t *value_json(const char *val, size_t len, bool is_string)
{
	char *end;
	long long n;

	if (is_string)
		return json_stringn(val, len);	/* NULL for invalid UTF-8: not kept */
	if (!strcmp(val, "true") || !strcmp(val, "false"))
		return json_boolean(val[0] == 't');
	n = strtoll(val, &end, 10);
	return *end ? NULL : json_integer(n);
}

/* Keep a value: at its path in the document, a "*" becoming a key of its own. */
static void on_value(void *arg, size_t slot, const char *val, size_t len, bool is_string,
		     bool truncated)
{
	struct bh_docker_big *b = arg;
	const char *const *k = kinds[b->kind].paths[slot].k;
	json_t *v = value_json(val, len, is_string), *o = b->root;
	char any[32];

	if (!v)
		return;
	if (b->kind == BH_DOCKER_BIG_LIST) {	/* { "*", "Id" }: one element per id */
		json_t *e;

		if (!is_string || !len) {
			json_decref(v);
			return;
		}
		e = json_object();
		if (!e || json_object_set_new(e, "Id", v) || json_array_append_new(o, e))
			b->err = -ENOMEM;
		return;
	}
	for (; k[1]; k++) {
		const char *key = k[0];
		json_t *next;

		if (!strcmp(key, "*")) {
			snprintf(any, sizeof(any), "%zu", b->n_any++);
			key = any;
		}
		next = json_object_get(o, key);
		if (!json_is_object(next)) {
			next = json_object();
			if (!next || json_object_set_new(o, key, next)) {
				json_decref(v);
				b->err = -ENOMEM;
				return;
			}
		}
		o = next;
	}
	if (json_object_set_new(o, k[0], v))
		b->err = -ENOMEM;
	(void)truncated;	/* a cut value maps like any other: ids and paths are short */
}

int bh_docker_big_alloc(enum bh_docker_big_kind kind, struct bh_docker_big **out)
{
	struct bh_docker_big *b = calloc(1, sizeof(*b));

	*out = NULL;
	if (!b)
		return -ENOMEM;
	b->kind = kind;
	b->root = kind == BH_DOCKER_BIG_LIST ? json_array() : json_object();
	if (!b->root) {
		free(b);
		return -ENOMEM;
	}
	bh_jscan_init(&b->scan, kinds[kind].paths, kinds[kind].n, on_value, b);
	*out = b;
	return 0;
}

void bh_docker_big_free(struct bh_docker_big *b)
{
	if (!b)
		return;
	json_decref(b->root);
	free(b);
}

int bh_docker_big_feed(struct bh_docker_big *b, const char *buf, size_t len)
{
	int r = bh_jscan_feed(&b->scan, buf, len);

	return r ? r : b->err;
}

int bh_docker_big_inspect(struct bh_docker_big *b, struct bh_workload *wl, char *why,
			  size_t whylen)
{
	int map;

	memset(wl, 0, sizeof(*wl));
	if (b->err)
		return b->err;
	if (bh_jscan_end(&b->scan))
		return -EINVAL;
	map = bh_docker_inspect_parse(b->root, wl, why, whylen);
	if (map == BH_DOCKER_MAP_OK || (map == BH_DOCKER_MAP_ERROR && wl->netns)) {
		snprintf(why, whylen, "the inspect answer is too big to hold (%llu bytes): only the "
			 "fields that place and name the container were read",
			 (unsigned long long)b->scan.bytes);
		wl->isolated = BH_DOCKER_CAUSE_INSPECT;
		map = BH_DOCKER_MAP_ERROR;
	}
	return map;
}

int bh_docker_big_list(struct bh_docker_big *b, char ***ids, size_t *n)
{
	size_t cnt = json_array_size(b->root), i;
	json_t *e;
	char **v;

	*ids = NULL;
	*n = 0;
	if (b->err)
		return b->err;
	if (bh_jscan_end(&b->scan))
		return -EINVAL;
	v = calloc(cnt + 1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	json_array_foreach(b->root, i, e) {
		v[i] = strdup(json_string_value(json_object_get(e, "Id")));
		if (!v[i]) {
			while (i--)
				free(v[i]);
			free(v);
			return -ENOMEM;
		}
	}
	*ids = v;
	*n = cnt;
	return 0;
}

int bh_docker_big_event(struct bh_docker_big *b, struct bh_docker_event *ev)
{
	return bh_docker_event_parse(b->root, ev);
}
