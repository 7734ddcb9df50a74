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

void bh_reconcile_init(struct bh_reconcile *r, const struct bh_emit_opts *o,
		       const struct bh_rec_ops *ops)
{
	memset(r, 0, sizeof(*r));
	r->opts = *o;
	r->ops = ops ? ops : &bh_rec_ops_nft;
}

static void wl_free(struct bh_reconcile *r, struct bh_rec_wl *w)
{
	if (r->ops->release)
		r->ops->release(r, w);
	free(w->ns);
	free(w->name);
	free(w->netns);
	free(w->last_error);
}

void bh_reconcile_deinit(struct bh_reconcile *r)
{
	for (size_t i = 0; i < r->n; i++)
		wl_free(r, &r->v[i]);
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
		wl_free(r, &w);
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

static bool isolated(const struct bh_ruleset *rs)
{
	for (int d = 0; d < BH_DIR_MAX; d++)
		if (bh_dir_active(&rs->dir[d]))
			return true;
	return false;
}

/* The digest of what group grp wants in a namespace, BH_REC_NO_TABLE for no table. */
static uint64_t want_digest(const struct bh_reconcile *r, const struct bh_compiled *c, size_t grp)
{
	if (r->no_empty_table && !isolated(&c->groups[grp]))
		return BH_REC_NO_TABLE;
	return bh_nft_digest(c, grp, &r->opts);
}

/* Does what the kernel said (rc and stamp of bh_rec_ops.stamp) match want? */
static bool kernel_has(int rc, const struct bh_nft_stamp *ks, uint64_t want)
{
	return want == BH_REC_NO_TABLE ? rc == 0 : rc == 1 && ks->digest == want;
}

/* The entry of workload i, its netns brought up to date. NULL on OOM. */
/*
 * A workload renamed in place (docker rename, an inventory edit) arrives
 * under a new name with the namespace an entry of the old name programmed.
 * The table there is the one the new name needs: w takes over that entry's
 * kernel state (the table, its digest and generation), and the old entry,
 * left with nothing programmed, is dropped by the sweep without deleting
 * the table the new name now stands on. Only entries not (yet) desired in
 * this run are taken from.
 */
static void take_over_renamed(struct bh_reconcile *r, struct bh_rec_wl *w)
{
	for (size_t i = 0; i < r->n; i++) {
		struct bh_rec_wl *e = &r->v[i], t;

		if (e == w || e->present || !e->programmed || !same_str(e->netns, w->netns))
			continue;
		/* swap everything but the identity and this run's mark */
		t = *w;
		*w = *e;
		*e = t;
		t.ns = w->ns, w->ns = e->ns, e->ns = t.ns;
		t.name = w->name, w->name = e->name, e->name = t.name;
		t.present = w->present, w->present = e->present, e->present = t.present;
		return;
	}
}

static struct bh_rec_wl *entry_of(struct bh_reconcile *r, const struct bh_workload *wl)
{
	struct bh_rec_wl *w = entry_get(r, wl->namespace ? wl->namespace : "default", wl->name);

	if (!w)
		return NULL;
	if (!same_str(w->netns, wl->netns)) {
		if (set_str(&w->netns, wl->netns) < 0)
			return NULL;
		w->programmed = false;
	}
	if (!w->programmed && w->netns)
		take_over_renamed(r, w);
	return w;
}

int bh_reconcile_adopt(struct bh_reconcile *r, const struct bh_gen *g, uint64_t *max_gen)
{
	*max_gen = 0;
	for (size_t i = 0; i < g->inv->n_wl; i++) {
		size_t grp = g->comp->wl_group[i];
		struct bh_nft_stamp ks;
		struct bh_rec_wl *w;
		uint64_t want;
		int rc;

		if (!g->inv->wl[i].netns)
			continue;
		w = entry_of(r, &g->inv->wl[i]);
		if (!w)
			return -ENOMEM;
		if (w->programmed)
			continue;
		rc = r->ops->stamp(r, w, &ks);
		if (rc == 1 && ks.generation > *max_gen)
			*max_gen = ks.generation;
		want = want_digest(r, g->comp, grp);
		if (!kernel_has(rc, &ks, want))
			continue;
		/*
		 * The stamp names the table as it was built; element deltas (an
		 * agent's) change the content and not the stamp: confirm it.
		 */
		if (want != BH_REC_NO_TABLE) {
			struct bh_emit_opts o = r->opts;
			struct bh_rec_prog p = { g->comp, grp, &o, false, NULL, false };

			o.generation = ks.generation;
			if (r->ops->verify(r, w, &p, true) != 1)
				continue;
		}
		w->programmed = true;
		w->digest = want;
		w->gen = want == BH_REC_NO_TABLE ? 0 : ks.generation;
	}
	return 0;
}

static void failed(struct bh_reconcile *r, struct bh_rec_wl *w, int rc, const char *err,
		   struct bh_rec_stats *st)
{
	if (!err[0])
		err = strerror(-rc);
	/* The same failure again (a retry) is counted but not reported again. */
	w->repeated = w->last_error && !strcmp(w->last_error, err);
	set_str(&w->last_error, err);
	w->did = BH_REC_FAILED;
	st->failed++;
	r->ns_failed++;
	if (r->cb)
		r->cb(r->cb_arg, w, rc, false);
}

/* Does w still hold the table of group grp of g, as programmed (its generation)? 1, 0, <0 */
static int verify(struct bh_reconcile *r, struct bh_rec_wl *w, const struct bh_gen *g, size_t grp,
		  bool deep)
{
	struct bh_emit_opts o = r->opts;
	struct bh_rec_prog p = { g->comp, grp, &o, false, NULL, false };

	o.generation = w->gen;
	return r->ops->verify(r, w, &p, deep);
}

/*
 * Programs (or removes, want == BH_REC_NO_TABLE) w's namespace for group
 * grp of g. full: no element delta. Returns 1 (touched) or a failure.
 */
static int program(struct bh_reconcile *r, struct bh_rec_wl *w, const struct bh_gen *g,
		   size_t grp, uint64_t want, unsigned int flags, bool recreate,
		   struct bh_rec_stats *st)
{
	bool dry = flags & BH_REC_DRY_RUN;
	struct bh_emit_opts o = r->opts;
	char err[ERR_LEN] = "";
	uint64_t gen;
	int rc;

	/* the same table keeps its number, also when programmed again by force */
	gen = w->programmed && w->digest == want && !recreate ? w->gen : g->id;
	if (want == BH_REC_NO_TABLE) {
		gen = 0;
		rc = dry ? 0 : r->ops->remove(r, w, err, sizeof(err));
	} else {
		struct bh_rec_prog p = { g->comp, grp, &o, dry, r->dump,
					 recreate || (flags & BH_REC_FORCE) || !w->programmed };

		o.generation = gen;
		rc = r->ops->program(r, w, &p, err, sizeof(err));
	}
	if (rc < 0) {
		failed(r, w, rc, err, st);
		return rc;
	}
	w->did = want == BH_REC_NO_TABLE ? BH_REC_REMOVED : BH_REC_PROGRAMMED;
	set_str(&w->last_error, NULL);
	if (want == BH_REC_NO_TABLE) {
		st->removed++;
		r->ns_removed += !dry;
	} else {
		st->touched++;
		r->ns_programmed += !dry;
	}
	if (rc == 1) {
		/* only set elements moved: the rules log the generation they had */
		gen = w->gen;
		st->deltas++;
		r->ns_deltas++;
	}
	if (!dry) {
		w->programmed = true;
		w->digest = want;
		w->gen = gen;
		w->enforced_ns = uv_hrtime();
	}
	if (recreate) {
		st->recreated++;
		r->ns_recreated++;
	}
	if (r->cb)
		r->cb(r->cb_arg, w, 0, false);
	return 1;
}

/* Program one workload's namespace if needed. Returns 1 when touched, 0 when not, <0 failure. */
static int do_one(struct bh_reconcile *r, const struct bh_gen *g, size_t i, unsigned int flags,
		  struct bh_rec_stats *st)
{
	size_t grp = g->comp->wl_group[i];
	bool recreate = false;
	struct bh_rec_wl *w;
	uint64_t want;

	w = entry_of(r, &g->inv->wl[i]);
	if (!w)
		return -ENOMEM;
	w->present = true;
	w->did = BH_REC_SKIPPED;
	if (!w->netns)
		return 0;
	want = want_digest(r, g->comp, grp);
	if (w->programmed && w->digest == want && !(flags & BH_REC_FORCE)) {
		if (flags & BH_REC_VERIFY)
			recreate = want == BH_REC_NO_TABLE ? false : verify(r, w, g, grp, false) != 1;
		if (!recreate) {
			w->did = BH_REC_UNCHANGED;
			st->unchanged++;
			return 0;
		}
	}
	return program(r, w, g, grp, want, flags, recreate, st);
}

int bh_reconcile_check(struct bh_reconcile *r, const struct bh_gen *g, const char *ns,
		       const char *name)
{
	long e = find(r, ns, name, NULL);
	struct bh_rec_stats st;
	struct bh_rec_wl *w;

	if (e < 0)
		return -ENOENT;
	w = &r->v[e];
	if (!w->programmed || !w->netns || w->digest == BH_REC_NO_TABLE)
		return -ENOENT;
	for (size_t i = 0; i < g->inv->n_wl; i++) {
		const struct bh_workload *wl = &g->inv->wl[i];
		size_t grp = g->comp->wl_group[i];
		int rc;

		if (strcmp(wl->namespace ? wl->namespace : "default", ns) || strcmp(wl->name, name))
			continue;
		/* programmed from another ruleset: the next run reprograms it anyway */
		if (w->digest != want_digest(r, g->comp, grp))
			return -ENOENT;
		rc = verify(r, w, g, grp, true);
		if (rc == 1)
			return 0;
		memset(&st, 0, sizeof(st));
		rc = program(r, w, g, grp, w->digest, 0, true, &st);
		return rc < 0 ? rc : 1;
	}
	return -ENOENT;
}

/* Drop entries of workloads no longer desired, removing their tables. */
static void sweep(struct bh_reconcile *r, unsigned int flags, struct bh_rec_stats *st)
{
	size_t k = 0;

	for (size_t i = 0; i < r->n; i++) {
		struct bh_rec_wl *w = &r->v[i];

		if (w->present || (flags & BH_REC_DRY_RUN)) {
			r->v[k++] = *w;
			continue;
		}
		if (w->programmed && w->netns && w->digest != BH_REC_NO_TABLE) {
			char err[ERR_LEN] = "";
			/* The namespace is often gone already (container stopped): fine. */
			int rc = r->ops->remove(r, w, err, sizeof(err));

			if (!rc) {
				st->removed++;
				r->ns_removed++;
			}
			if (r->cb)
				r->cb(r->cb_arg, w, rc, true);
		}
		wl_free(r, w);
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
	sweep(r, flags, st);
	return res;
}

int bh_reconcile_remove_all(struct bh_reconcile *r)
{
	int res = 0, removed = 0;

	for (size_t i = 0; i < r->n; i++) {
		struct bh_rec_wl *w = &r->v[i];
		char err[ERR_LEN];
		int rc;

		if (!w->programmed || !w->netns || w->digest == BH_REC_NO_TABLE)
			continue;
		rc = r->ops->remove(r, w, err, sizeof(err));
		if (rc < 0 && !res)
			res = rc;
		if (!rc) {
			w->programmed = false;
			removed++;
		}
		if (r->ops->release)
			r->ops->release(r, w);
	}
	return res < 0 ? res : removed;
}
