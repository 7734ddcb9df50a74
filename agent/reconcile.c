// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "netlink/nft.h"
#include "agent/reconcile.h"
#include "agent/state.h"

#define ERR_LEN 256

static int nft_program(const char *netns, const struct bh_compiled *c, size_t g,
		       const struct bh_emit_opts *o, char *err, size_t errlen)
{
	struct bh_nft_batch *b;
	int r;

	r = bh_nft_batch_alloc(&b);
	if (r < 0)
		return r;
	r = bh_nft_build_table(b, c, g, o);
	if (!r)
		r = bh_nft_apply(netns, b, 0, err, errlen);
	else
		snprintf(err, errlen, "building the table: %s", strerror(-r));
	bh_nft_batch_free(b);
	return r;
}

const struct bh_rec_ops bh_rec_ops_nft = {
	.program = nft_program,
	.remove = bh_nft_delete,
	.exists = bh_nft_table_get,
};

void bh_reconcile_init(struct bh_reconcile *r, const struct bh_emit_opts *o,
		       const struct bh_rec_ops *ops)
{
	memset(r, 0, sizeof(*r));
	r->opts = *o;
	r->ops = ops ? ops : &bh_rec_ops_nft;
}

static void wl_free(struct bh_rec_wl *w)
{
	free(w->ns);
	free(w->name);
	free(w->netns);
	free(w->last_error);
}

void bh_reconcile_deinit(struct bh_reconcile *r)
{
	for (size_t i = 0; i < r->n; i++)
		wl_free(&r->v[i]);
	free(r->v);
	r->v = NULL;
	r->n = r->cap = 0;
}

static int key_cmp(const char *ns1, const char *n1, const char *ns2, const char *n2)
{
	int c = strcmp(ns1, ns2);

	return c ? c : strcmp(n1, n2);
}

static long find(const struct bh_reconcile *r, const char *ns, const char *name, size_t *ins)
{
	size_t lo = 0, hi = r->n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = key_cmp(r->v[mid].ns, r->v[mid].name, ns, name);

		if (!c)
			return (long)mid;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (ins)
		*ins = lo;
	return -1;
}

const struct bh_rec_wl *bh_reconcile_find(const struct bh_reconcile *r, const char *ns,
					  const char *name)
{
	long i = find(r, ns, name, NULL);

	return i < 0 ? NULL : &r->v[i];
}

static struct bh_rec_wl *entry_get(struct bh_reconcile *r, const char *ns, const char *name)
{
	struct bh_rec_wl w = { 0 };
	size_t at;
	long i = find(r, ns, name, &at);

	if (i >= 0)
		return &r->v[i];
	if (r->n == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 32;
		struct bh_rec_wl *v = realloc(r->v, cap * sizeof(*v));

		if (!v)
			return NULL;
		r->v = v;
		r->cap = cap;
	}
	w.ns = strdup(ns);
	w.name = strdup(name);
	if (!w.ns || !w.name) {
		wl_free(&w);
		return NULL;
	}
	memmove(&r->v[at + 1], &r->v[at], (r->n - at) * sizeof(*r->v));
	r->v[at] = w;
	r->n++;
	return &r->v[at];
}

static int set_str(char **dst, const char *s)
{
	char *d = NULL;

	if (s && !(d = strdup(s)))
		return -ENOMEM;
	free(*dst);
	*dst = d;
	return 0;
}

static bool same_str(const char *a, const char *b)
{
	return a == b || (a && b && !strcmp(a, b));
}

/* Program one workload's namespace if needed. Returns 1 when touched, 0 when not, <0 failure. */
static int do_one(struct bh_reconcile *r, const struct bh_gen *g, size_t i, unsigned int flags,
		  struct bh_rec_stats *st)
{
	const struct bh_workload *wl = &g->inv->wl[i];
	const char *ns = wl->namespace ? wl->namespace : "default";
	size_t grp = g->comp->wl_group[i];
	uint64_t hash = g->comp->groups[grp].hash;
	struct bh_emit_opts o = r->opts;
	char err[ERR_LEN] = "";
	struct bh_rec_wl *w;
	bool recreate = false;
	int rc;

	w = entry_get(r, ns, wl->name);
	if (!w)
		return -ENOMEM;
	w->present = true;
	if (!same_str(w->netns, wl->netns)) {
		if (set_str(&w->netns, wl->netns) < 0)
			return -ENOMEM;
		w->programmed = false;
	}
	if (!w->netns)
		return 0;
	if (w->programmed && w->hash == hash && !(flags & BH_REC_FORCE)) {
		uint64_t kgen = 0;

		if (!(flags & BH_REC_VERIFY)) {
			st->unchanged++;
			return 0;
		}
		rc = r->ops->exists(w->netns, &kgen);
		if (rc == 1 && (kgen == w->gen || !kgen)) {
			st->unchanged++;
			return 0;
		}
		recreate = true;
	}
	o.generation = g->id;
	rc = r->ops->program(w->netns, g->comp, grp, &o, err, sizeof(err));
	if (rc < 0) {
		if (!err[0])
			snprintf(err, sizeof(err), "%s", strerror(-rc));
		/* The same failure again (a retry) is counted but not reported again. */
		w->repeated = w->last_error && !strcmp(w->last_error, err);
		set_str(&w->last_error, err);
		st->failed++;
		r->ns_failed++;
		if (r->cb)
			r->cb(r->cb_arg, w, rc, false);
		return rc;
	}
	w->programmed = true;
	w->hash = hash;
	w->gen = g->id;
	w->enforced_ns = uv_hrtime();
	set_str(&w->last_error, NULL);
	st->touched++;
	r->ns_programmed++;
	if (recreate) {
		st->recreated++;
		r->ns_recreated++;
	}
	if (r->cb)
		r->cb(r->cb_arg, w, 0, false);
	return 1;
}

/* Drop entries of workloads no longer desired, removing their tables. */
static void sweep(struct bh_reconcile *r, struct bh_rec_stats *st)
{
	size_t k = 0;

	for (size_t i = 0; i < r->n; i++) {
		struct bh_rec_wl *w = &r->v[i];

		if (w->present) {
			r->v[k++] = *w;
			continue;
		}
		if (w->programmed && w->netns) {
			char err[ERR_LEN] = "";
			/* The namespace is often gone already (container stopped): fine. */
			int rc = r->ops->remove(w->netns, err, sizeof(err));

			if (!rc) {
				st->removed++;
				r->ns_removed++;
			}
			if (r->cb)
				r->cb(r->cb_arg, w, rc, true);
		}
		wl_free(w);
	}
	r->n = k;
}

int bh_reconcile_run(struct bh_reconcile *r, const struct bh_gen *g, unsigned int flags,
		     const char *first, struct bh_rec_stats *st)
{
	struct bh_rec_stats local;
	long first_i = -1;
	int rc, res = 0;

	if (!st)
		st = &local;
	memset(st, 0, sizeof(*st));
	r->runs++;
	for (size_t i = 0; i < r->n; i++)
		r->v[i].present = false;
	if (first) {
		const char *slash = strchr(first, '/');

		for (size_t i = 0; slash && i < g->inv->n_wl; i++) {
			const struct bh_workload *wl = &g->inv->wl[i];
			const char *ns = wl->namespace ? wl->namespace : "default";

			if (strlen(ns) == (size_t)(slash - first) && !strncmp(ns, first, slash - first) &&
			    !strcmp(wl->name, slash + 1))
				first_i = (long)i;
		}
		if (first_i >= 0) {
			rc = do_one(r, g, first_i, flags, st);
			if (rc == -ENOMEM)
				return rc;
			if (rc < 0)
				res = -EIO;
		}
	}
	for (size_t i = 0; i < g->inv->n_wl; i++) {
		if ((long)i == first_i)
			continue;
		rc = do_one(r, g, i, flags, st);
		if (rc == -ENOMEM)
			return rc;
		if (rc < 0)
			res = -EIO;
	}
	sweep(r, st);
	return res;
}

int bh_reconcile_remove_all(struct bh_reconcile *r)
{
	int res = 0;

	for (size_t i = 0; i < r->n; i++) {
		struct bh_rec_wl *w = &r->v[i];
		char err[ERR_LEN];
		int rc;

		if (!w->programmed || !w->netns)
			continue;
		rc = r->ops->remove(w->netns, err, sizeof(err));
		if (rc < 0 && !res)
			res = rc;
		if (!rc)
			w->programmed = false;
	}
	return res;
}
