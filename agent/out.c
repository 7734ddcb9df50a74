// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "out.h"

static int dst_open(struct bh_out_dst *d)
{
	if (!d->path) {
		d->fd = STDOUT_FILENO;
		return 0;
	}
	d->fd = open(d->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
	return d->fd < 0 ? -errno : 0;
}

int bh_out_open(struct bh_out *o, char *const *specs, size_t n, const char *hostname,
		const char **bad)
{
	int r = -ENOMEM;

	memset(o, 0, sizeof(*o));
	o->hostname = strdup(hostname);
	o->v = calloc(n ? n : 1, sizeof(*o->v));
	if (!o->hostname || !o->v)
		goto fail;
	for (size_t i = 0; i < n; i++) {
		struct bh_out_dst *d = &o->v[i];

		d->fd = -1;
		if (strcmp(specs[i], "-")) {
			/* "file:PATH" is accepted as an explicit spelling of PATH. */
			d->path = strdup(!strncmp(specs[i], "file:", 5) ? specs[i] + 5 : specs[i]);
			if (!d->path)
				goto fail;
		}
		o->n = i + 1;
		r = dst_open(d);
		if (r < 0) {
			if (bad)
				*bad = specs[i];
			goto fail;
		}
	}
	return 0;
fail:
	bh_out_close(o);
	return r;
}

int bh_out_reopen(struct bh_out *o)
{
	int res = 0;

	for (size_t i = 0; i < o->n; i++) {
		struct bh_out_dst *d = &o->v[i];
		int r;

		if (!d->path)
			continue;
		if (d->fd >= 0)
			close(d->fd);
		r = dst_open(d);
		if (r < 0 && !res)
			res = r;
	}
	return res;
}

void bh_out_close(struct bh_out *o)
{
	for (size_t i = 0; i < o->n; i++) {
		if (o->v[i].path && o->v[i].fd >= 0)
			close(o->v[i].fd);
		free(o->v[i].path);
	}
	free(o->v);
	free(o->hostname);
	memset(o, 0, sizeof(*o));
}

void bh_out_line(struct bh_out *o, const char *line, size_t len)
{
	bool any = false;

	for (size_t i = 0; i < o->n; i++) {
		ssize_t w;

		if (o->v[i].fd < 0)
			continue;
		w = write(o->v[i].fd, line, len);
		if (w == (ssize_t)len)
			any = true;
		else
			o->errors++;
	}
	if (any)
		o->lines++;
}

static json_t *timestamp(void)
{
	struct timeval tv;
	struct tm tm;
	char buf[40];

	gettimeofday(&tv, NULL);
	gmtime_r(&tv.tv_sec, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), ".%06ldZ", (long)tv.tv_usec);
	return json_string(buf);
}

void bh_out_lifecycle(struct bh_out *o, const char *action, const char *outcome,
		      json_t *extra, const char *message)
{
	json_t *line, *ev;
	char *text;

	line = json_object();
	ev = json_pack("{s:s, s:[s], s:[s], s:s}", "kind", "state", "category", "configuration",
		       "type", "change", "action", action);
	if (!line || !ev)
		goto out;
	if (outcome)
		json_object_set_new(ev, "outcome", json_string(outcome));
	json_object_set_new(line, "@timestamp", timestamp());
	json_object_set_new(line, "event", ev);
	ev = NULL;
	json_object_set_new(line, "host", json_pack("{s:s}", "hostname", o->hostname));
	if (message)
		json_object_set_new(line, "message", json_string(message));
	if (extra) {
		json_object_set(line, "bulkhead", extra);
	}
	text = json_dumps(line, JSON_COMPACT | JSON_PRESERVE_ORDER);
	if (text) {
		size_t len = strlen(text);
		char *nl = realloc(text, len + 2);

		if (nl) {
			nl[len] = '\n';
			nl[len + 1] = 0;
			bh_out_line(o, nl, len + 1);
			text = nl;
		}
		free(text);
	}
out:
	json_decref(ev);
	json_decref(line);
	json_decref(extra);
}
