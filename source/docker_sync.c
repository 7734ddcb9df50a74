// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Docker workload source: the containers it knows and what it reports about
 * them. Every event or listing only marks a container for a fresh inspect;
 * the inspect's answer alone decides UPSERT / REMOVE / SKIP / ERROR, so the
 * order in which events and answers arrive never matters.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "source/docker_int.h"

/* ---- reporting ------------------------------------------------------------------- */

void bh_docker__emit(struct bh_docker *d, struct bh_docker__entry *e, enum bh_docker_ev ev,
		 const struct bh_workload *wl, const char *msg)
{
	if (d->closing)
		return;
	if (e && e->has_stamp) {
		d->stamp = e->stamp;
		d->stamp.action = e->action;
	} else {
		d->stamp.recv_ns = d->state == ST_SYNCING ? d->list_ns : uv_hrtime();
		d->stamp.time_nano = 0;
		d->stamp.action = d->state == ST_SYNCING ? "list" : "";
	}
	d->cb(d->arg, ev, wl, msg);
}

/* ---- known containers -------------------------------------------------------------- */

struct bh_docker__entry *bh_docker__entry_find(struct bh_docker *d, const char *id, size_t *idx)
{
	for (size_t i = 0; i < d->n_ents; i++) {
		if (!strcmp(d->ents[i]->id, id)) {
			if (idx)
				*idx = i;
			return d->ents[i];
		}
	}
	return NULL;
}

static struct bh_docker__entry *entry_get(struct bh_docker *d, const char *id)
{
	struct bh_docker__entry *e = bh_docker__entry_find(d, id, NULL), **v;

	if (e)
		return e;
	if (d->n_ents == d->cap_ents) {
		size_t cap = d->cap_ents ? 2 * d->cap_ents : 16;

		v = realloc(d->ents, cap * sizeof(*v));
		if (!v)
			return NULL;
		d->ents = v;
		d->cap_ents = cap;
	}
	e = calloc(1, sizeof(*e));
	if (!e || !(e->id = strdup(id))) {
		free(e);
		return NULL;
	}
	d->ents[d->n_ents++] = e;
	return e;
}

void bh_docker__entry_free(struct bh_docker__entry *e)
{
	bh_workload_deinit(&e->wl);
	free(e->id);
	free(e);
}

/* Forget e when nothing refers to it any more. */
void bh_docker__entry_maybe_drop(struct bh_docker *d, struct bh_docker__entry *e)
{
	size_t i;

	if (e->reported || e->noted || e->inflight || e->need || e->sync_wait ||
	    !bh_docker__entry_find(d, e->id, &i))
		return;
	d->ents[i] = d->ents[--d->n_ents];
	bh_docker__entry_free(e);
}

/* Ask for a fresh inspect of id; the stamp says what caused it. 0 or -ENOMEM. */
int bh_docker__entry_want(struct bh_docker *d, const char *id, uint64_t recv_ns, int64_t tn,
		      const char *action)
{
	struct bh_docker__entry *e = entry_get(d, id);
	bool first;

	if (!e)
		return -ENOMEM;
	/*
	 * recv_ns keeps the first event's arrival (event-to-enforced latency);
	 * the cause is the first event too, except that a "start" replaces
	 * an earlier create/connect: the window that matters is the one in
	 * which the container's process runs without its rules.
	 */
	first = !e->has_stamp;
	if (first) {
		e->has_stamp = true;
		e->stamp.recv_ns = recv_ns;
	}
	if (first || (!strcmp(action, "start") && strcmp(e->action, "start"))) {
		e->stamp.time_nano = tn;
		snprintf(e->action, sizeof(e->action), "%s", action);
	}
	if (!e->need) {
		e->need = true;
		d->n_need++;
	}
	return 0;
}

/* ---- the cycle ----------------------------------------------------------------------- */

static void sync_finish(struct bh_docker *d)
{
	for (size_t i = 0; i < d->n_ents && !d->closing; i++) {
		struct bh_docker__entry *e = d->ents[i];

		if (e->reported && e->seen_gen != d->gen && !e->inflight && !e->need) {
			e->reported = false;
			e->has_stamp = false;
			bh_docker__emit(d, e, BH_DOCKER_REMOVE, &e->wl, "gone while the daemon was away");
			bh_workload_deinit(&e->wl);
		}
	}
	for (size_t i = d->n_ents; i-- > 0;) {
		if (d->ents[i]->seen_gen != d->gen)
			d->ents[i]->noted = false;
		bh_docker__entry_maybe_drop(d, d->ents[i]);
	}
	d->state = ST_LIVE;
	d->lost_reported = false;
	d->backoff = d->backoff_min;
	bh_docker__emit(d, NULL, BH_DOCKER_SYNCED, NULL, NULL);
}

int bh_docker__list_done(struct bh_docker *d, struct bh_docker__req *r)
{
	char **ids = NULL;
	size_t n = 0;
	int err = r->big ? bh_docker_big_list(r->big, &ids, &n)
			 : bh_docker_list_parse_buf(r->buf ? r->buf : "", r->len, &ids, &n);

	d->list_ns = uv_hrtime();
	for (size_t i = 0; !err && i < n; i++) {
		struct bh_docker__entry *e;

		err = bh_docker__entry_want(d, ids[i], d->list_ns, 0, "list");
		if (!err && (e = bh_docker__entry_find(d, ids[i], NULL))) {
			e->seen_gen = d->gen;
			if (!e->sync_wait) {
				e->sync_wait = true;
				d->sync_pending++;
			}
		}
	}
	for (size_t i = 0; i < n; i++)
		free(ids[i]);
	free(ids);
	if (err)
		return err == -ENOMEM ? -ENOMEM : -EBADMSG;
	d->state = ST_SYNCING;
	if (!d->sync_pending)
		sync_finish(d);
	return 0;
}

static bool same_identity(const struct bh_workload *a, const struct bh_workload *b)
{
	return !strcmp(a->namespace, b->namespace) && !strcmp(a->name, b->name);
}

/*
 * Report what an inspect found about e; wl is consumed. A container that
 * maps (OK), or that does not but has a netns to isolate (ERROR with
 * wl->isolated), becomes e's reported workload: UPSERT or ERROR tell the
 * consumer, a REMOVE of the old identity first when it changed.
 */
static void inspect_report(struct bh_docker *d, struct bh_docker__entry *e, int map, struct bh_workload *wl,
			   const char *why)
{
	/* a resync reports every running container, changed or not */
	bool force = e->sync_wait;
	bool isolate = map == BH_DOCKER_MAP_ERROR && wl->netns && wl->isolated;

	if (map == BH_DOCKER_MAP_OK || isolate) {
		bool changed = !e->reported || !bh_docker_workload_equal(&e->wl, wl);

		if (e->reported && !same_identity(&e->wl, wl))
			bh_docker__emit(d, e, BH_DOCKER_REMOVE, &e->wl, "renamed");
		e->seen_gen = d->gen;
		if (!isolate && (force || changed))
			bh_docker__emit(d, e, BH_DOCKER_UPSERT, wl, NULL);
		if (isolate && (force || changed || !e->noted || strcmp(e->note, why)))
			bh_docker__emit(d, e, BH_DOCKER_ERROR, wl, why);
		bh_workload_deinit(&e->wl);
		e->wl = *wl;
		memset(wl, 0, sizeof(*wl));
		e->reported = true;
		e->noted = isolate;
		if (isolate)
			snprintf(e->note, sizeof(e->note), "%s", why);
		e->has_stamp = false;
		return;
	}
	if (e->reported) {
		bh_docker__emit(d, e, BH_DOCKER_REMOVE, &e->wl, map == BH_DOCKER_MAP_STOPPED ? "stopped" : why);
		bh_workload_deinit(&e->wl);
		e->reported = false;
		e->noted = false;
	}
	/* the same SKIP or ERROR once per container (and again on a resync) */
	if ((map == BH_DOCKER_MAP_SKIP || map == BH_DOCKER_MAP_ERROR) &&
	    (force || !e->noted || strcmp(e->note, why))) {
		bh_docker__emit(d, e, map == BH_DOCKER_MAP_SKIP ? BH_DOCKER_SKIP : BH_DOCKER_ERROR, wl, why);
		snprintf(e->note, sizeof(e->note), "%s", why);
		e->noted = true;
	} else if (map == BH_DOCKER_MAP_STOPPED) {
		e->noted = false;
	}
	e->has_stamp = false;
	bh_workload_deinit(wl);
}

int bh_docker__inspect_done(struct bh_docker *d, struct bh_docker__req *r, long code)
{
	struct bh_docker__entry *e = bh_docker__entry_find(d, r->id, NULL);
	struct bh_workload wl = { 0 };
	char why[256] = "", msg[320];
	bool finish = false;
	int map;

	d->n_inflight--;
	if (!e)
		return 0;
	e->inflight = false;
	if (code == 404) {
		inspect_report(d, e, BH_DOCKER_MAP_STOPPED, &wl, "removed");
	} else if (code != 200) {
		if (code < 0)
			snprintf(msg, sizeof(msg), "GET /containers/%.12s/json: %s", r->id,
				 r->err[0] ? r->err : "timed out");
		else
			snprintf(msg, sizeof(msg), "GET /containers/%.12s/json: HTTP %ld", r->id, code);
		bh_docker__emit(d, e, BH_DOCKER_ERROR, NULL, msg);
	} else {
		map = r->big ? bh_docker_big_inspect(r->big, &wl, why, sizeof(why))
			     : bh_docker_inspect_parse_buf(r->buf ? r->buf : "", r->len, &wl, why,
							   sizeof(why));
		if (map == -ENOMEM)
			return -ENOMEM;
		if (map < 0) {
			snprintf(msg, sizeof(msg), "GET /containers/%.12s/json: invalid JSON", r->id);
			bh_docker__emit(d, e, BH_DOCKER_ERROR, NULL, msg);
		} else {
			inspect_report(d, e, map, &wl, why);
		}
	}
	if (e->sync_wait && !e->need) {
		e->sync_wait = false;
		finish = --d->sync_pending == 0 && d->state == ST_SYNCING;
	}
	bh_docker__entry_maybe_drop(d, e);	/* e may be gone from here on */
	if (finish)
		sync_finish(d);
	return 0;
}

