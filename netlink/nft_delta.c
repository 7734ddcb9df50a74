// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Element deltas. When a table differs from the one programmed before only
 * in the elements of its peer sets (the common event: a peer came or
 * went), a transaction of DELSETELEM and NEWSETELEM messages brings the
 * kernel to exactly the table a full replacement would make: both old and
 * new elements are encoded the way the builder encodes them, and the
 * encodings are compared, so start, end and open-interval elements come
 * and go as the full build would have them. Everything else (chains,
 * rules, comments, log settings, which sets exist, the tiers' verdict
 * maps) must be equal, or the caller replaces the table: the snapshot
 * keeps the digest of the table's shape (the table built with its peer
 * sets empty, nft_digest.c), compared with the shape the new ruleset
 * builds. The rules keep the generation they were built with.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/netfilter/nf_tables.h>

#include "policy/compile.h"
#include "netlink/nft.h"
#include "netlink/nft_int.h"

#define VIEWS 2		/* enforce, audit */
#define KINDS 2		/* address only ("_any"), concatenation */
#define RECS_PER_MSG 512

struct bh_nft_snap {
	uint64_t shape;		/* bh_nft__batch_shape() of the table */
	uint64_t generation;	/* in its log prefixes */
	struct bh_elems e[BH_DIR_MAX][VIEWS][BH_FAM_MAX][KINDS];	/* copies */
};

static const char *const dir_stem[BH_DIR_MAX] = { [BH_INGRESS] = "in", [BH_EGRESS] = "out" };

static const struct bh_view *view_of(const struct bh_dir_rules *d, int v)
{
	return v ? &d->audit : &d->enforce;
}

/* Does the builder make the peer sets of view v (nft_build.c's sets_add)? */
static bool view_on(const struct bh_dir_rules *d, int v)
{
	return v ? d->has_audit && d->audit.isolated : d->enforce.isolated;
}

static const struct bh_elems *elems_of(const struct bh_view *v, int f, int k)
{
	return k ? &v->l4[f] : &v->any[f];
}

void bh_nft_snap_free(struct bh_nft_snap *s)
{
	if (!s)
		return;
	for (int d = 0; d < BH_DIR_MAX; d++)
		for (int v = 0; v < VIEWS; v++)
			for (int f = 0; f < BH_FAM_MAX; f++)
				for (int k = 0; k < KINDS; k++)
					free(s->e[d][v][f][k].v);
	free(s);
}

/* The digest of the table of group g of c built with o, its peer sets left empty. */
static int shape_of(const struct bh_compiled *c, size_t g, const struct bh_emit_opts *o,
		    uint64_t *out)
{
	struct bh_nft_batch *b;
	int ret;

	if ((ret = bh_nft_batch_alloc(&b)))
		return ret;
	b->shape_only = true;
	ret = bh_nft_build_table(b, c, g, o);
	if (!ret)
		ret = bh_nft__batch_shape(b, out);
	bh_nft_batch_free(b);
	return ret;
}

int bh_nft_snap_alloc(const struct bh_compiled *c, size_t g, const struct bh_emit_opts *o,
		      struct bh_nft_snap **out)
{
	const struct bh_ruleset *rs = &c->groups[g];
	struct bh_nft_snap *s = calloc(1, sizeof(*s));

	if (!s)
		return -ENOMEM;
	s->generation = o->generation;
	if (shape_of(c, g, o, &s->shape))
		goto nomem;
	for (int d = 0; d < BH_DIR_MAX; d++)
		for (int v = 0; v < VIEWS; v++) {
			if (!view_on(&rs->dir[d], v))
				continue;
			for (int f = 0; f < BH_FAM_MAX; f++)
				for (int k = 0; k < KINDS; k++) {
					const struct bh_elems *src = elems_of(view_of(&rs->dir[d], v), f, k);
					struct bh_elems *dst = &s->e[d][v][f][k];

					if (!src->n)
						continue;
					dst->v = malloc(src->n * sizeof(*dst->v));
					if (!dst->v)
						goto nomem;
					memcpy(dst->v, src->v, src->n * sizeof(*dst->v));
					dst->n = src->n;
				}
		}
	*out = s;
	return 0;
nomem:
	bh_nft_snap_free(s);
	return -ENOMEM;
}

uint64_t bh_nft_snap_generation(const struct bh_nft_snap *s)
{
	return s->generation;
}

static int rec_cmp(const struct bh_nft__rec *a, const struct bh_nft__rec *b)
{
	int c;

	if (a->len != b->len)
		return a->len < b->len ? -1 : 1;
	if ((c = memcmp(a->key, b->key, a->len)))
		return c;
	if (a->flags != b->flags)
		return a->flags < b->flags ? -1 : 1;
	if (a->has_end != b->has_end)
		return a->has_end ? 1 : -1;
	if (a->has_end && (c = memcmp(a->key_end, b->key_end, a->len)))
		return c;
	return (int)a->open - (int)b->open;
}

/*
 * A unit is what one compiled element became: an interval's start and end
 * records (or the start alone when it reaches the top), one concatenated
 * record, or the end element at 0 in front of a set. Units are kept or
 * replaced whole: a kept start whose end changed would otherwise be left
 * open while the new end is checked against it.
 */
struct unit {
	const struct bh_nft__rec *r;
	size_t first, n;
};

static int unit_cmp(const void *x, const void *y)
{
	const struct unit *a = x, *b = y;
	int c;

	for (size_t i = 0; i < a->n && i < b->n; i++)
		if ((c = rec_cmp(&a->r[a->first + i], &b->r[b->first + i])))
			return c;
	return a->n == b->n ? 0 : a->n < b->n ? -1 : 1;
}

/* The units of r[0..n), sorted; *nu of them. NULL on OOM. */
static struct unit *units(const struct bh_nft__rec *r, size_t n, size_t *nu)
{
	struct unit *u = malloc((n ? n : 1) * sizeof(*u));
	size_t k = 0;

	if (!u)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		if (k && r[i].src != UINT32_MAX && r[i].src == r[u[k - 1].first].src) {
			u[k - 1].n++;
			continue;
		}
		u[k++] = (struct unit){ r, i, 1 };
	}
	qsort(u, k, sizeof(*u), unit_cmp);
	*nu = k;
	return u;
}

/* Keeps the records marked in keep[], in their order. Returns how many. */
static size_t compact(struct bh_nft__rec *r, size_t n, const bool *keep)
{
	size_t k = 0;

	for (size_t i = 0; i < n; i++)
		if (keep[i])
			r[k++] = r[i];
	return k;
}

static void mark(bool *keep, const struct unit *u)
{
	for (size_t i = 0; i < u->n; i++)
		keep[u->first + i] = true;
}

/* Records of one set that leave and that come. */
struct set_diff {
	char name[32];
	struct bh_nft__rec *del, *add;
	size_t n_del, n_add;
};

/*
 * The units only in `from` and only in `to`, each list in the order the
 * builder made it: the kernel checks interval starts and ends as they
 * arrive, so an interval's start must come before its end, as in a full
 * build.
 */
static int set_diff(struct set_diff *sd, const struct bh_elems *from, const struct bh_elems *to,
		    uint8_t fam, bool concat)
{
	struct bh_nft__rec *a = NULL, *b = NULL;
	struct unit *ua = NULL, *ub = NULL;
	size_t na = 0, nb = 0, nua = 0, nub = 0, i = 0, j = 0;
	bool *ka = NULL, *kb = NULL;
	int ret;

	if ((ret = bh_nft__encode(from->v, from->n, fam, concat, &a, &na)) ||
	    (ret = bh_nft__encode(to->v, to->n, fam, concat, &b, &nb)))
		goto out;
	ret = -ENOMEM;
	ua = units(a, na, &nua);
	ub = units(b, nb, &nub);
	ka = calloc(na + 1, sizeof(*ka));
	kb = calloc(nb + 1, sizeof(*kb));
	if (!ua || !ub || !ka || !kb)
		goto out;
	while (i < nua || j < nub) {
		int c = i == nua ? 1 : j == nub ? -1 : unit_cmp(&ua[i], &ub[j]);

		if (c < 0)
			mark(ka, &ua[i++]);
		else if (c > 0)
			mark(kb, &ub[j++]);
		else
			i++, j++;
	}
	sd->n_del = compact(a, na, ka);
	sd->n_add = compact(b, nb, kb);
	sd->del = a;
	sd->add = b;
	a = b = NULL;
	ret = 0;
out:
	free(a);
	free(b);
	free(ua);
	free(ub);
	free(ka);
	free(kb);
	return ret;
}

static int push_recs(struct bh_nft_batch *b, uint16_t type, const char *name,
		     const struct bh_nft__rec *r, size_t n)
{
	int ret = 0;

	for (size_t i = 0; !ret && i < n; i += RECS_PER_MSG)
		ret = bh_nft__elems_push(b, type, name, 0, r, i,
					 n - i > RECS_PER_MSG ? i + RECS_PER_MSG : n, NULL, 0, 0,
					 0, false);
	return ret;
}

#define MAX_SETS (BH_DIR_MAX * VIEWS * BH_FAM_MAX * KINDS)

int bh_nft_build_delta(struct bh_nft_batch *b, const struct bh_nft_snap *from,
		       const struct bh_compiled *c, size_t g, const struct bh_emit_opts *o)
{
	const struct bh_ruleset *rs = &c->groups[g];
	struct bh_emit_opts keep = *o;
	struct set_diff diffs[MAX_SETS];
	uint64_t shape;
	size_t n = 0, i;
	int ret;

	/* the rules stay, with the generation they log */
	keep.generation = from->generation;
	if ((ret = shape_of(c, g, &keep, &shape)))
		return ret;
	if (shape != from->shape)
		return 0;
	memset(diffs, 0, sizeof(diffs));
	for (int d = 0; d < BH_DIR_MAX; d++)
		for (int v = 0; v < VIEWS; v++) {
			if (!view_on(&rs->dir[d], v))
				continue;
			for (int f = 0; f < BH_FAM_MAX; f++)
				for (int k = 0; k < KINDS; k++) {
					struct set_diff *sd = &diffs[n++];

					/* the builder's names: [a]{in,out}{4,6}[_any] */
					snprintf(sd->name, sizeof(sd->name), "%s%s%d%s", v ? "a" : "",
						 dir_stem[d], f == BH_FAM_V4 ? 4 : 6, k ? "" : "_any");
					ret = set_diff(sd, &from->e[d][v][f][k],
						       elems_of(view_of(&rs->dir[d], v), f, k), (uint8_t)f,
						       k == 1);
					if (ret)
						goto out;
				}
		}
	/* every leaver first: an interval may come back reshaped with the same start */
	for (i = 0; i < n && !ret; i++)
		ret = push_recs(b, NFT_MSG_DELSETELEM, diffs[i].name, diffs[i].del, diffs[i].n_del);
	for (i = 0; i < n && !ret; i++) {
		ret = push_recs(b, NFT_MSG_NEWSETELEM, diffs[i].name, diffs[i].add, diffs[i].n_add);
		b->n_elems += diffs[i].n_add;
	}
out:
	for (i = 0; i < n; i++) {
		free(diffs[i].del);
		free(diffs[i].add);
	}
	return ret ? ret : 1;
}
