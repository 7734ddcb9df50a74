// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/array.h"
#include "agent/state.h"

struct bh_state_pols {
	unsigned int ref;
	struct bh_policy_set *set;
};

static void pols_put(struct bh_state_pols *p)
{
	if (!p || --p->ref)
		return;
	bh_policy_set_free(p->set);
	free(p);
}

static struct bh_state_pols *pols_get(struct bh_state_pols *p)
{
	if (p)
		p->ref++;
	return p;
}

void bh_state_init(struct bh_state *st)
{
	memset(st, 0, sizeof(*st));
	st->next_id = 1;
}

static void iso_free(struct bh_gen_iso *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].container_id);
		free(v[i].claimed);
		free(v[i].held_by);
	}
	free(v);
}

static void gen_clear(struct bh_gen *g)
{
	bh_compiled_free(g->comp);
	bh_inventory_free(g->inv);
	iso_free(g->iso, g->n_iso);
	pols_put(g->pols);
	memset(g, 0, sizeof(*g));
}

void bh_state_deinit(struct bh_state *st)
{
	for (size_t i = 0; i < BH_STATE_GENS; i++)
		gen_clear(&st->gens[i]);
	bh_state_docker_clear(st);
	free(st->dock);
	bh_inventory_free(st->file_inv);
	pols_put(st->pols);
	memset(st, 0, sizeof(*st));
}

int bh_state_policies_set(struct bh_state *st, struct bh_policy_set *set)
{
	struct bh_state_pols *p = NULL;

	if (set) {
		p = calloc(1, sizeof(*p));
		if (!p)
			return -ENOMEM;
		p->ref = 1;
		p->set = set;
	}
	pols_put(st->pols);
	st->pols = p;
	return 0;
}

void bh_state_inventory_set(struct bh_state *st, struct bh_inventory *inv)
{
	bh_inventory_free(st->file_inv);
	st->file_inv = inv;
	st->wl_version++;
}

static long dock_find(const struct bh_state *st, const char *id)
{
	for (size_t i = 0; i < st->n_dock; i++)
		if (!strcmp(st->dock[i].container_id, id))
			return (long)i;
	return -1;
}

bool bh_state_docker_known(const struct bh_state *st, const char *id)
{
	return id && dock_find(st, id) >= 0;
}

int bh_state_docker_upsert(struct bh_state *st, const struct bh_workload *wl)
{
	struct bh_workload copy;
	long i;
	int r;

	if (!wl->container_id || !wl->name)
		return -EINVAL;
	r = bh_workload_copy(&copy, wl);
	if (r < 0)
		return r;
	i = dock_find(st, wl->container_id);
	if (i >= 0) {
		bh_workload_deinit(&st->dock[i]);
		st->dock[i] = copy;
		st->wl_version++;
		return 0;
	}
	if (bh_array_reserve(st->dock, st->cap_dock, st->n_dock + 1, 16)) {
		bh_workload_deinit(&copy);
		return -ENOMEM;
	}
	st->dock[st->n_dock++] = copy;
	st->wl_version++;
	return 0;
}

int bh_state_docker_remove(struct bh_state *st, const struct bh_workload *wl)
{
	long i = wl->container_id ? dock_find(st, wl->container_id) : -1;

	if (i < 0)
		return -ENOENT;
	bh_workload_deinit(&st->dock[i]);
	st->dock[i] = st->dock[--st->n_dock];
	st->wl_version++;
	return 0;
}

void bh_state_docker_clear(struct bh_state *st)
{
	for (size_t i = 0; i < st->n_dock; i++)
		bh_workload_deinit(&st->dock[i]);
	st->n_dock = 0;
	st->wl_version++;
}

static int ns_copy(struct bh_inventory *m, const struct bh_inventory *src)
{
	if (!src || !src->n_ns)
		return 0;
	m->ns = calloc(src->n_ns, sizeof(*m->ns));
	if (!m->ns)
		return -ENOMEM;
	for (size_t i = 0; i < src->n_ns; i++) {
		m->ns[i].name = strdup(src->ns[i].name);
		if (!m->ns[i].name || bh_labels_copy(&m->ns[i].labels, &src->ns[i].labels)) {
			free(m->ns[i].name);
			return -ENOMEM;
		}
		m->n_ns = i + 1;
	}
	return 0;
}

static int files_copy(struct bh_inventory *m, const struct bh_inventory *src)
{
	if (!src || !src->n_files)
		return 0;
	m->files = calloc(src->n_files, sizeof(*m->files));
	if (!m->files)
		return -ENOMEM;
	for (size_t i = 0; i < src->n_files; i++) {
		m->files[i] = strdup(src->files[i]);
		if (!m->files[i])
			return -ENOMEM;
		m->n_files = i + 1;
	}
	return 0;
}

/* Rebase a borrowed location onto the merged table's own copy of the file names. */
static void loc_rebase(struct bh_loc *l, const struct bh_inventory *src, const struct bh_inventory *m)
{
	for (size_t i = 0; src && i < src->n_files && i < m->n_files; i++)
		if (l->file == src->files[i]) {
			l->file = m->files[i];
			return;
		}
	l->file = NULL;
}

struct cand {
	const struct bh_workload *w;
	const struct bh_inventory *src;	/* the inventory file, or NULL (Docker) */
	size_t order;			/* inventory first, then Docker, in source order */
};

static int identity_cmp(const struct bh_workload *a, const struct bh_workload *b)
{
	int c = strcmp(a->namespace ? a->namespace : "default",
		       b->namespace ? b->namespace : "default");

	return c ? c : strcmp(a->name, b->name);
}

/* Claimants of one identity in precedence order (state.h): the owner first. */
static int cand_cmp(const void *a, const void *b)
{
	const struct cand *x = a, *y = b;
	uint64_t cx = (uint64_t)x->w->created_ns - 1, cy = (uint64_t)y->w->created_ns - 1;
	int c = identity_cmp(x->w, y->w);

	if (c)
		return c;
	if (!x->src != !y->src)
		return x->src ? -1 : 1;
	if (!x->w->isolated != !y->w->isolated)
		return x->w->isolated ? 1 : -1;
	if (cx != cy)		/* 0 (unknown) wraps to the largest: last */
		return cx < cy ? -1 : 1;
	if (x->w->container_id && y->w->container_id &&
	    (c = strcmp(x->w->container_id, y->w->container_id)))
		return c;
	return (x->order > y->order) - (x->order < y->order);
}

/*
 * w claims what owner holds: w is kept isolated under "<name>/<container id>"
 * and the conflict recorded in iso[*n_iso]. 0 or -ENOMEM.
 */
static int loser_add(struct bh_workload *w, const struct bh_workload *owner,
		     struct bh_gen_iso *iso, size_t *n_iso)
{
	struct bh_gen_iso *r = &iso[*n_iso];
	char *name;
	int n;

	memset(r, 0, sizeof(*r));
	if (asprintf(&r->claimed, "%s/%s", w->namespace ? w->namespace : "default", w->name) < 0)
		r->claimed = NULL;
	n = owner->container_id ? asprintf(&r->held_by, "container %s", owner->container_id)
				: asprintf(&r->held_by, "inventory");
	if (n < 0)
		r->held_by = NULL;
	r->container_id = strdup(w->container_id);
	if (asprintf(&name, "%s/%s", w->name, w->container_id) < 0)
		name = NULL;
	if (!r->claimed || !r->held_by || !r->container_id || !name) {
		free(name);
		free(r->claimed);
		free(r->held_by);
		free(r->container_id);
		return -ENOMEM;
	}
	free(w->name);
	w->name = name;
	if (!w->isolated)
		w->isolated = "identity-conflict";
	(*n_iso)++;
	return 0;
}

static int merge(struct bh_state *st, struct bh_inventory **out, struct bh_gen_iso **iso_out,
		 size_t *n_iso_out)
{
	const struct bh_inventory *fi = st->file_inv;
	size_t n = (fi ? fi->n_wl : 0) + st->n_dock, k = 0, n_iso = 0, owner = 0;
	struct bh_gen_iso *iso = NULL;
	struct bh_inventory *m;
	struct cand *c;
	int r = -ENOMEM;

	m = calloc(1, sizeof(*m));
	c = calloc(n ? n : 1, sizeof(*c));
	iso = calloc(n ? n : 1, sizeof(*iso));
	if (!m || !c || !iso)
		goto fail;
	m->wl = calloc(n ? n : 1, sizeof(*m->wl));
	if (!m->wl)
		goto fail;
	for (size_t i = 0; fi && i < fi->n_wl; i++, k++)
		c[k] = (struct cand){ &fi->wl[i], fi, k };
	for (size_t i = 0; i < st->n_dock; i++, k++)
		c[k] = (struct cand){ &st->dock[i], NULL, k };
	qsort(c, n, sizeof(*c), cand_cmp);
	st->identity_conflicts = 0;
	r = ns_copy(m, fi);
	if (!r)
		r = files_copy(m, fi);
	for (size_t i = 0; !r && i < n; i++) {
		bool lost = i && !identity_cmp(c[i].w, c[owner].w);

		if (!lost)
			owner = i;
		else if (!c[i].w->container_id)
			continue;	/* two inventory entries: the loader rejects that */
		r = bh_workload_copy(&m->wl[m->n_wl], c[i].w);
		if (!r && lost) {
			r = loser_add(&m->wl[m->n_wl], c[owner].w, iso, &n_iso);
			if (r)
				bh_workload_deinit(&m->wl[m->n_wl]);
			st->identity_conflicts++;
		}
		if (!r) {
			loc_rebase(&m->wl[m->n_wl].loc, c[i].src, m);
			m->n_wl++;
		}
	}
	if (!r)
		r = bh_inventory_finish(m);
	if (r)
		goto fail;
	free(c);
	*out = m;
	*iso_out = iso;
	*n_iso_out = n_iso;
	return 0;
fail:
	free(c);
	iso_free(iso, n_iso);
	bh_inventory_free(m);
	return r;
}

int bh_state_compile(struct bh_state *st)
{
	return bh_state_compile_limited(st, NULL, NULL);
}

bool bh_state_policies_revert(struct bh_state *st)
{
	const struct bh_gen *g = bh_state_current(st);

	if (!g || g->pols == st->pols)
		return false;
	pols_put(st->pols);
	st->pols = pols_get(g->pols);
	return true;
}

bool bh_state_workloads_changed(const struct bh_state *st)
{
	const struct bh_gen *g = bh_state_current(st);

	return !g || g->wl_version != st->wl_version;
}

int bh_state_compile_limited(struct bh_state *st, const struct bh_limits *lim,
			     struct bh_diag *diag)
{
	static const struct bh_policy_set empty;
	struct bh_inventory *inv = NULL;
	struct bh_gen_iso *iso = NULL;
	struct bh_compiled *comp;
	struct bh_gen *g;
	size_t slot, n_iso = 0;
	int r;

	r = merge(st, &inv, &iso, &n_iso);
	if (r < 0)
		return r;
	r = bh_compile_limited(st->pols ? st->pols->set : &empty, inv, lim, diag, &comp);
	if (r < 0) {
		iso_free(iso, n_iso);
		bh_inventory_free(inv);
		return r;
	}
	slot = st->gens[st->cur].id ? (st->cur + 1) % BH_STATE_GENS : st->cur;
	g = &st->gens[slot];
	gen_clear(g);
	g->id = st->next_id++;
	g->pols = pols_get(st->pols);
	g->inv = inv;
	g->comp = comp;
	g->wl_version = st->wl_version;
	g->iso = iso;
	g->n_iso = n_iso;
	st->cur = slot;
	return 0;
}

const struct bh_gen *bh_state_current(const struct bh_state *st)
{
	return st->gens[st->cur].id ? &st->gens[st->cur] : NULL;
}

const struct bh_gen *bh_state_gen_find(const struct bh_state *st, uint64_t id)
{
	for (size_t i = 0; id && i < BH_STATE_GENS; i++)
		if (st->gens[i].id == id)
			return &st->gens[i];
	return NULL;
}

const struct bh_policy_set *bh_gen_policies(const struct bh_gen *g)
{
	static const struct bh_policy_set empty;

	return g && g->pols ? g->pols->set : &empty;
}

const struct bh_gen_iso *bh_gen_iso_find(const struct bh_gen *g, const char *container_id)
{
	for (size_t i = 0; g && container_id && i < g->n_iso; i++)
		if (!strcmp(g->iso[i].container_id, container_id))
			return &g->iso[i];
	return NULL;
}

/* w's fail-closed twin in inv: the same container (or inventory entry) with the same cause. */
static bool isolated_in(const struct bh_inventory *inv, const struct bh_workload *w)
{
	for (size_t i = 0; inv && i < inv->n_wl; i++) {
		const struct bh_workload *x = &inv->wl[i];

		if (!x->isolated || strcmp(x->isolated, w->isolated))
			continue;
		if (w->container_id ? x->container_id && !strcmp(x->container_id, w->container_id)
				    : !x->container_id && !identity_cmp(x, w))
			return true;
	}
	return false;
}

void bh_state_isolated_new(const struct bh_state *st, uint64_t since,
			   void (*fn)(void *arg, const struct bh_workload *w,
				      const struct bh_gen_iso *why),
			   void *arg)
{
	const struct bh_gen *g = bh_state_current(st), *old = bh_state_gen_find(st, since);

	if (!g || old == g)
		return;
	for (size_t i = 0; i < g->inv->n_wl; i++) {
		const struct bh_workload *w = &g->inv->wl[i];

		if (w->isolated && (!old || !isolated_in(old->inv, w)))
			fn(arg, w, bh_gen_iso_find(g, w->container_id));
	}
}
