// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * What the daemon sends back: answer bodies kept up to BH_DOCKER_BODY_MAX (beyond it,
 * scanned as they stream by docker_big.c), and the event stream cut into
 * lines (a line over BH_DOCKER_LINE_MAX is skipped to its newline). These are the
 * libcurl write callbacks that docker.c installs.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "source/docker_int.h"

/* The answer outgrows BH_DOCKER_BODY_MAX: scan what came and what comes instead of keeping it. */
static size_t body_to_big(struct bh_docker__req *r, const char *p, size_t n)
{
	if (bh_docker_big_alloc(r->kind == REQ_LIST ? BH_DOCKER_BIG_LIST : BH_DOCKER_BIG_INSPECT,
				&r->big))
		return 0;
	if (bh_docker_big_feed(r->big, r->buf ? r->buf : "", r->len) ||
	    bh_docker_big_feed(r->big, p, n))
		return 0;
	free(r->buf);
	r->buf = NULL;
	r->len = r->cap = 0;
	return n;
}

size_t bh_docker__body_write(char *p, size_t size, size_t nmemb, void *userdata)
{
	struct bh_docker__req *r = userdata;
	size_t n = size * nmemb;

	if (r->big)
		return bh_docker_big_feed(r->big, p, n) ? 0 : n;
	if (r->len + n + 1 > r->cap) {
		size_t cap = r->cap ? r->cap : 4096;
		char *b;

		while (cap < r->len + n + 1)
			cap *= 2;
		if (cap > BH_DOCKER_BODY_MAX)
			return body_to_big(r, p, n);
		if (!(b = realloc(r->buf, cap)))
			return 0;	/* aborts the transfer: CURLE_WRITE_ERROR */
		r->buf = b;
		r->cap = cap;
	}
	memcpy(r->buf + r->len, p, n);
	r->len += n;
	r->buf[r->len] = '\0';
	return n;
}

static int event_line(struct bh_docker *d, const char *line, size_t len, uint64_t now)
{
	struct bh_docker_event ev;

	if (!len || bh_docker_event_parse_buf(line, len, &ev) || !ev.id[0])
		return 0;
	return bh_docker__entry_want(d, ev.id, now, ev.time_nano, ev.action);
}

/*
 * The end of an event line over BH_DOCKER_LINE_MAX: inspect the container its
 * first bytes name (Docker writes the type, action and actor before the
 * attributes that make a line long), and note it for the loop to report.
 */
static int event_line_cut(struct bh_docker *d, uint64_t now)
{
	struct bh_docker_event ev;
	int err = 0;

	d->lines_cut++;
	if (!bh_docker_big_event(d->line_big, &ev) && ev.id[0]) {
		err = bh_docker__entry_want(d, ev.id, now, ev.time_nano, ev.action);
		snprintf(d->cut_note, sizeof(d->cut_note), "GET /events: an event line over %u bytes "
			 "was skipped; container %.12s is inspected again", BH_DOCKER_LINE_MAX, ev.id);
	} else {
		snprintf(d->cut_note, sizeof(d->cut_note), "GET /events: an event line over %u bytes "
			 "naming no container in its first bytes was skipped", BH_DOCKER_LINE_MAX);
	}
	bh_docker_big_free(d->line_big);
	d->line_big = NULL;
	return err;
}

/* The event stream: newline-delimited JSON objects. */
size_t bh_docker__events_write(char *p, size_t size, size_t nmemb, void *userdata)
{
	struct bh_docker__req *r = userdata;
	struct bh_docker *d = r->d;
	size_t n = size * nmemb;
	uint64_t now = uv_hrtime();

	for (size_t i = 0; i < n; i++) {
		if (p[i] == '\n') {
			if (d->line_big ? event_line_cut(d, now) : event_line(d, d->line, d->line_len, now))
				return 0;
			d->line_len = 0;
			continue;
		}
		if (d->line_big)
			continue;	/* the rest of a line over the bound */
		if (d->line_len + 1 >= d->line_cap) {
			size_t cap = d->line_cap ? 2 * d->line_cap : 4096;
			char *b;

			if (cap > BH_DOCKER_LINE_MAX) {
				if (bh_docker_big_alloc(BH_DOCKER_BIG_EVENT, &d->line_big))
					return 0;
				bh_docker_big_feed(d->line_big, d->line, d->line_len);
				d->line_len = 0;
				continue;
			}
			if (!(b = realloc(d->line, cap)))
				return 0;
			d->line = b;
			d->line_cap = cap;
		}
		d->line[d->line_len++] = p[i];
	}
	return n;
}
