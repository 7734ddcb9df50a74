// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "log/event.h"
#include "log/out.h"
#include "log/sink.h"

int bh_out_open(struct bh_out *o, uv_loop_t *loop, char *const *specs, size_t n,
		const char *hostname, const char **bad)
{
	int r = -ENOMEM;

	memset(o, 0, sizeof(*o));
	o->hostname = strdup(hostname);
	o->v = calloc(n ? n : 1, sizeof(*o->v));
	if (!o->hostname || !o->v)
		goto fail;
	for (size_t i = 0; i < n; i++) {
		r = bh_sink_open_from_spec(loop, specs[i], &o->v[i]);
		if (r < 0) {
			if (bad)
				*bad = specs[i];
			goto fail;
		}
		o->n = i + 1;
	}
	return 0;
fail:
	bh_out_close(o);
	return r;
}

/* A failed reopen is reported on stderr and as a lifecycle line (through every sink). */
int bh_out_reopen(struct bh_out *o)
{
	int res = 0;

	for (size_t i = 0; i < o->n; i++) {
		const char *spec = bh_sink_spec(o->v[i]);
		char msg[512];
		int r = bh_sink_reopen(o->v[i]);

		if (r >= 0)
			continue;
		if (!res)
			res = r;
		snprintf(msg, sizeof(msg), "reopening %s: %s; lines go on to the file open before",
			 spec, strerror(-r));
		fprintf(stderr, "bulkhead: log %s\n", msg);
		bh_out_lifecycle(o, "log-reopen-failed", "failure",
				 json_pack("{s:s, s:s}", "sink", spec, "error", strerror(-r)), msg);
	}
	return res;
}

/* The sum over the sinks of one counter of struct bh_sink_stats, at offset off. */
static uint64_t sinks_sum(const struct bh_out *o, size_t off)
{
	uint64_t n = 0;

	for (size_t i = 0; i < o->n; i++) {
		struct bh_sink_stats st;

		bh_sink_stats(o->v[i], &st);
		n += *(const uint64_t *)((const char *)&st + off);
	}
	return n;
}

uint64_t bh_out_dropped(const struct bh_out *o)
{
	return sinks_sum(o, offsetof(struct bh_sink_stats, dropped));
}

uint64_t bh_out_reopen_errors(const struct bh_out *o)
{
	return sinks_sum(o, offsetof(struct bh_sink_stats, reopen_errors));
}

static void sink_closed(void *arg)
{
	struct bh_out *o = arg;

	o->closing--;
}

void bh_out_close(struct bh_out *o)
{
	for (size_t i = 0; i < o->n; i++) {
		o->closing++;
		bh_sink_close(o->v[i], sink_closed, o);
	}
	free(o->v);
	free(o->hostname);
	o->v = NULL;
	o->hostname = NULL;
	o->n = 0;
}

void bh_out_line(struct bh_out *o, const char *line, size_t len)
{
	bool any = false;

	for (size_t i = 0; i < o->n; i++) {
		if (!bh_sink_write(o->v[i], line, len))
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
	bh_out_lifecycle_ecs(o, action, outcome, extra, NULL, message);
}

void bh_out_lifecycle_ecs(struct bh_out *o, const char *action, const char *outcome,
			  json_t *extra, json_t *ecs, const char *message)
{
	json_t *line, *ev;
	char *text;

	if (!o->n) {
		json_decref(extra);
		json_decref(ecs);
		return;
	}
	line = json_object();
	ev = json_pack("{s:s, s:[s], s:[s], s:s}", "kind", "state", "category", "configuration",
		       "type", "change", "action", action);
	if (!line || !ev)
		goto out;
	if (outcome)
		json_object_set_new(ev, "outcome", json_string(outcome));
	json_object_set_new(line, "@timestamp", timestamp());
	json_object_set_new(line, "ecs", json_pack("{s:s}", "version", BH_ECS_VERSION));
	json_object_set_new(line, "event", ev);
	ev = NULL;
	json_object_set_new(line, "host", json_pack("{s:s}", "hostname", o->hostname));
	if (message)
		json_object_set_new(line, "message", json_string(message));
	if (extra) {
		json_object_set_new(extra, "schema_version", json_string(BH_LOG_SCHEMA_VERSION));
		json_object_set(line, "bulkhead", extra);
	}
	if (ecs)
		json_object_update_missing(line, ecs);
	text = json_dumps(line, JSON_COMPACT | JSON_REAL_PRECISION(9));
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
	json_decref(ecs);
}
