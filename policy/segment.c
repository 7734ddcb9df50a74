// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Decomposition of overlapping allow entries into disjoint elements.
 *
 * The kernel rejects overlapping elements in a concatenated interval set
 * (EEXIST), and an exact rule attribution needs to know, for every point,
 * the lowest rule that allows it. So the address axis is cut at every entry
 * boundary (a sweep over sorted entries with an active list); inside each
 * address segment the port axis is cut the same way; neighbouring pieces
 * with the same rule are merged again, and neighbouring address segments
 * with identical port pieces are merged too. The output size is linear in
 * the number of distinct boundaries in the common cases (single addresses,
 * nested CIDRs); the worst case is quadratic in the input (n overlapping
 * entries with distinct excepts and ports give n^2 elements), so the sweep
 * stops as soon as either output passes its element limit, or its work
 * (entries active per address segment, summed) passes a budget.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/array.h"
#include "policy/compile_int.h"

int bh__ents_push(struct bh__ents *e, const struct bh__ent *x)
{
	if (bh_array_reserve(e->v, e->cap, e->n + 1, 16))
		return -ENOMEM;
	e->v[e->n++] = *x;
	return 0;
}

bh_u128 bh__addr_to_u128(const uint8_t *a, int fam)
{
	int len = fam == BH_FAM_V4 ? 4 : 16;
	bh_u128 v = 0;

	for (int i = 0; i < len; i++)
		v = (v << 8) | a[i];
	return v;
}

void bh__u128_to_addr(bh_u128 v, int fam, uint8_t *out)
{
	int len = fam == BH_FAM_V4 ? 4 : 16;

	memset(out, 0, 16);
	for (int i = len - 1; i >= 0; i--) {
		out[i] = (uint8_t)(v & 0xff);
		v >>= 8;
	}
}

struct piece {
	uint32_t plo, phi;	/* 32 bits so that phi + 1 never wraps */
	uint32_t rule;
};

struct pieces {
	struct piece *v;
	size_t n, cap;
};

static int pieces_push(struct pieces *p, uint32_t lo, uint32_t hi, uint32_t rule)
{
	if (p->n && p->v[p->n - 1].rule == rule && p->v[p->n - 1].phi + 1 == lo) {
		p->v[p->n - 1].phi = hi;
		return 0;
	}
	if (bh_array_reserve(p->v, p->cap, p->n + 1, 8))
		return -ENOMEM;
	p->v[p->n++] = (struct piece){ lo, hi, rule };
	return 0;
}

static int elems_push(struct bh_elems *e, size_t *cap, const struct bh_elem *x)
{
	if (bh_array_reserve(e->v, *cap, e->n + 1, 16))
		return -ENOMEM;
	e->v[e->n++] = *x;
	return 0;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static int cmp_piece_lo(const void *a, const void *b)
{
	const struct piece *x = a, *y = b;

	return x->plo < y->plo ? -1 : x->plo > y->plo;
}

/* Scratch space of port_pieces, kept across address segments. */
struct port_scratch {
	struct piece *iv;	/* active entries' port intervals, by start */
	uint32_t *bounds;	/* every start and end + 1, sorted */
	uint32_t *heap;		/* indices into iv, min-heap on rule */
	size_t cap;		/* of iv and heap; bounds has 2 * cap */
};

static void heap_push(struct port_scratch *ps, size_t *n, uint32_t i)
{
	size_t k = (*n)++;

	while (k && ps->iv[ps->heap[(k - 1) / 2]].rule > ps->iv[i].rule) {
		ps->heap[k] = ps->heap[(k - 1) / 2];
		k = (k - 1) / 2;
	}
	ps->heap[k] = i;
}

static void heap_pop(struct port_scratch *ps, size_t *n)
{
	uint32_t last = ps->heap[--(*n)];
	size_t k = 0;

	for (;;) {
		size_t c = 2 * k + 1;

		if (c >= *n)
			break;
		if (c + 1 < *n && ps->iv[ps->heap[c + 1]].rule < ps->iv[ps->heap[c]].rule)
			c++;
		if (ps->iv[ps->heap[c]].rule >= ps->iv[last].rule)
			break;
		ps->heap[k] = ps->heap[c];
		k = c;
	}
	if (*n)
		ps->heap[k] = last;
}

/* Few values: insertion sort beats qsort's call per comparison. */
static void sort_bounds(uint32_t *b, size_t n)
{
	if (n > 32) {
		qsort(b, n, sizeof(*b), cmp_u32);
		return;
	}
	for (size_t i = 1; i < n; i++) {
		uint32_t x = b[i];
		size_t j = i;

		for (; j && b[j - 1] > x; j--)
			b[j] = b[j - 1];
		b[j] = x;
	}
}

/* Up to this many active entries, scanning them all for each piece is cheapest. */
#define FEW_ACTIVE 16

/*
 * Port pieces of the active entries: disjoint, sorted, each with the lowest
 * rule of the entries covering it. Past FEW_ACTIVE entries, a sweep over the
 * port boundaries with the covering entries in a heap on rule id (an entry
 * that ended leaves the heap when it reaches the top): O(n log n) for n
 * active entries, where scanning them all for each piece is O(n^2).
 */
static int port_pieces(const struct bh__ent *v, const size_t *act, size_t n_act,
		       struct pieces *out, struct port_scratch *ps)
{
	size_t nb = 0, nh = 0, next = 0;

	out->n = 0;
	if (ps->cap < n_act) {
		struct piece *iv = realloc(ps->iv, n_act * sizeof(*iv));
		uint32_t *b = iv ? realloc(ps->bounds, 2 * n_act * sizeof(*b)) : NULL;
		uint32_t *h = b ? realloc(ps->heap, n_act * sizeof(*h)) : NULL;

		if (iv)
			ps->iv = iv;
		if (b)
			ps->bounds = b;
		if (!h)
			return -ENOMEM;
		ps->heap = h;
		ps->cap = n_act;
	}
	for (size_t i = 0; i < n_act; i++) {
		const struct bh__ent *e = &v[act[i]];

		ps->iv[i] = (struct piece){ e->plo, e->phi, e->rule };
		ps->bounds[nb++] = e->plo;
		ps->bounds[nb++] = (uint32_t)e->phi + 1;
	}
	sort_bounds(ps->bounds, nb);
	if (n_act <= FEW_ACTIVE) {
		for (size_t j = 0; j + 1 < nb; j++) {
			uint32_t lo = ps->bounds[j], hi = ps->bounds[j + 1] - 1, best = BH_RULE_NONE;

			if (ps->bounds[j + 1] == lo)
				continue;
			for (size_t i = 0; i < n_act; i++)
				if (ps->iv[i].plo <= lo && ps->iv[i].phi >= hi && ps->iv[i].rule < best)
					best = ps->iv[i].rule;
			if (best != BH_RULE_NONE && pieces_push(out, lo, hi, best))
				return -ENOMEM;
		}
		return 0;
	}
	qsort(ps->iv, n_act, sizeof(*ps->iv), cmp_piece_lo);
	for (size_t j = 0; j + 1 < nb; j++) {
		uint32_t lo = ps->bounds[j];

		if (ps->bounds[j + 1] == lo)
			continue;
		while (next < n_act && ps->iv[next].plo <= lo)
			heap_push(ps, &nh, (uint32_t)next++);
		while (nh && ps->iv[ps->heap[0]].phi < lo)
			heap_pop(ps, &nh);
		if (nh && pieces_push(out, lo, ps->bounds[j + 1] - 1, ps->iv[ps->heap[0]].rule))
			return -ENOMEM;
	}
	return 0;
}

static bool pieces_equal(const struct pieces *a, const struct pieces *b)
{
	return a->n == b->n && !memcmp(a->v, b->v, a->n * sizeof(*a->v));
}

static int cmp_ent(const void *a, const void *b)
{
	const struct bh__ent *x = a, *y = b;

	if (x->proto != y->proto)
		return x->proto < y->proto ? -1 : 1;
	if (x->lo != y->lo)
		return x->lo < y->lo ? -1 : 1;
	return 0;
}

struct sweep {
	struct pieces cur, prev;
	struct port_scratch ps;
	size_t *act;
	size_t n_act;
	bh_u128 *pts;
	struct bh__seg_limit *lim;
	size_t work;		/* active entries summed over address segments */
};

static int flush(struct sweep *s, struct bh_elems *out, size_t *cap, int fam, uint8_t proto,
		 bh_u128 lo, bh_u128 hi, const struct pieces *p)
{
	struct bh_elem e;

	if (out->n + p->n > s->lim->max_elems) {
		s->lim->over = BH_SEG_OVER_ELEMS;
		s->lim->l4 = proto != 0;
		return -E2BIG;
	}
	memset(&e, 0, sizeof(e));
	bh__u128_to_addr(lo, fam, e.lo);
	bh__u128_to_addr(hi, fam, e.hi);
	e.proto = proto;
	for (size_t i = 0; i < p->n; i++) {
		e.port_lo = (uint16_t)p->v[i].plo;
		e.port_hi = (uint16_t)p->v[i].phi;
		e.rule = p->v[i].rule;
		if (elems_push(out, cap, &e))
			return -ENOMEM;
	}
	return 0;
}

static int cmp_u128(const void *a, const void *b)
{
	bh_u128 x = *(const bh_u128 *)a, y = *(const bh_u128 *)b;

	return x < y ? -1 : x > y;
}

/* Sweep the entries v[0..n) (one protocol, sorted by lo) into out. */
static int sweep_proto(struct sweep *s, const struct bh__ent *v, size_t n, int fam,
		       struct bh_elems *out, size_t *cap)
{
	bh_u128 max = bh__fam_max(fam), seg_lo = 0, seg_hi = 0;
	size_t np = 0, next = 0;
	bool open = false;
	int ret;

	for (size_t i = 0; i < n; i++) {
		s->pts[np++] = v[i].lo;
		if (v[i].hi != max)
			s->pts[np++] = v[i].hi + 1;
	}
	qsort(s->pts, np, sizeof(*s->pts), cmp_u128);
	s->n_act = 0;
	for (size_t k = 0; k < np; k++) {
		bh_u128 lo = s->pts[k], hi;
		size_t w = 0;

		if (k && s->pts[k - 1] == lo)
			continue;
		hi = max;
		for (size_t j = k + 1; j < np; j++)
			if (s->pts[j] != lo) {
				hi = s->pts[j] - 1;
				break;
			}
		/* drop entries that ended, add those starting here */
		for (size_t i = 0; i < s->n_act; i++)
			if (v[s->act[i]].hi >= lo)
				s->act[w++] = s->act[i];
		s->n_act = w;
		while (next < n && v[next].lo <= lo)
			s->act[s->n_act++] = next++;
		if (!s->n_act) {
			if (open && (ret = flush(s, out, cap, fam, v[0].proto, seg_lo, seg_hi, &s->prev)))
				return ret;
			open = false;
			continue;
		}
		s->work += s->n_act;
		if (s->work > s->lim->max_work) {
			s->lim->over = BH_SEG_OVER_WORK;
			s->lim->l4 = v[0].proto != 0;
			return -E2BIG;
		}
		if ((ret = port_pieces(v, s->act, s->n_act, &s->cur, &s->ps)))
			return ret;
		if (open && seg_hi + 1 == lo && pieces_equal(&s->cur, &s->prev)) {
			seg_hi = hi;
			continue;
		}
		if (open && (ret = flush(s, out, cap, fam, v[0].proto, seg_lo, seg_hi, &s->prev)))
			return ret;
		{
			struct pieces t = s->prev;

			s->prev = s->cur;
			s->cur = t;
		}
		seg_lo = lo;
		seg_hi = hi;
		open = true;
	}
	if (open)
		return flush(s, out, cap, fam, v[0].proto, seg_lo, seg_hi, &s->prev);
	return 0;
}

int bh__segment(struct bh__ents *in, int fam, struct bh__seg_limit *lim, struct bh_elems *any,
		struct bh_elems *l4)
{
	size_t cap_any = 0, cap_l4 = 0;
	struct sweep s;
	int ret = 0;

	memset(&s, 0, sizeof(s));
	s.lim = lim;
	lim->over = BH_SEG_OVER_NONE;
	any->v = NULL;
	any->n = 0;
	l4->v = NULL;
	l4->n = 0;
	if (!in->n)
		return 0;
	/* any-protocol entries carry the whole port range so one sweep serves both kinds */
	for (size_t i = 0; i < in->n; i++)
		if (!in->v[i].proto) {
			in->v[i].plo = 0;
			in->v[i].phi = 65535;
		}
	qsort(in->v, in->n, sizeof(*in->v), cmp_ent);
	s.act = malloc(in->n * sizeof(*s.act));
	s.pts = malloc(2 * in->n * sizeof(*s.pts));
	if (!s.act || !s.pts) {
		ret = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < in->n;) {
		size_t j = i;

		while (j < in->n && in->v[j].proto == in->v[i].proto)
			j++;
		if (in->v[i].proto)
			ret = sweep_proto(&s, in->v + i, j - i, fam, l4, &cap_l4);
		else
			ret = sweep_proto(&s, in->v + i, j - i, fam, any, &cap_any);
		if (ret)
			goto out;
		i = j;
	}
out:
	free(s.act);
	free(s.pts);
	free(s.ps.iv);
	free(s.ps.bounds);
	free(s.ps.heap);
	free(s.cur.v);
	free(s.prev.v);
	if (ret) {
		free(any->v);
		free(l4->v);
		any->v = l4->v = NULL;
		any->n = l4->n = 0;
	}
	return ret;
}

void bh__seg_report(const struct bh_compiled *c, const struct bh__ents *in,
		    const struct bh__seg_limit *lim, const struct bh_workload *w, int d, bool audit,
		    struct bh_diag *diag)
{
	static const char *const why[] = {
		[BH_SEG_OVER_ELEMS] = "would hold more than",
		[BH_SEG_OVER_WORK] = "has more overlapping ranges than can be merged in time into",
		[BH_SEG_OVER_ENTS] = "have more address and port ranges than can be merged into",
	};
	const struct bh_policy *pol = NULL;
	size_t *tally, best = 0;
	char base[8], set[32];

	if (!diag)
		return;
	snprintf(base, sizeof(base), "%s%s%d", audit ? "a" : "", d == BH_INGRESS ? "in" : "out",
		 in->n && in->v[0].fam == BH_FAM_V6 ? 6 : 4);
	snprintf(set, sizeof(set), "%s%s%s%s", base, lim->over == BH_SEG_OVER_ENTS ? " and " : "",
		 lim->over == BH_SEG_OVER_ENTS ? base : "",
		 lim->over == BH_SEG_OVER_ENTS || !lim->l4 ? "_any" : "");
	tally = calloc(c->pols->n ? c->pols->n : 1, sizeof(*tally));
	for (size_t i = 0; tally && i < in->n; i++) {
		size_t p = c->rules[in->v[i].rule].policy;

		if (++tally[p] > best) {
			best = tally[p];
			pol = &c->pols->v[p];
		}
	}
	free(tally);
	bh_diag_add(diag, pol ? &pol->loc : NULL, "%s%s%s%s%sworkload %s/%s: set%s %s %s %zu elements, "
		    "the limit (--limit-elements-per-set)", pol ? "policy " : "",
		    pol ? pol->namespace : "", pol ? "/" : "", pol ? pol->name : "", pol ? ": " : "",
		    w->namespace, w->name, lim->over == BH_SEG_OVER_ENTS ? "s" : "", set,
		    why[lim->over], lim->max_elems);
}
