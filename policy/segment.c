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
 * nested CIDRs); the worst case is quadratic and bounded by the input.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "policy/compile_int.h"

int bh__ents_push(struct bh__ents *e, const struct bh__ent *x)
{
	if (e->n == e->cap) {
		size_t cap = e->cap ? e->cap * 2 : 16;
		struct bh__ent *v = realloc(e->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		e->v = v;
		e->cap = cap;
	}
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
	if (p->n == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 8;
		struct piece *v = realloc(p->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		p->v = v;
		p->cap = cap;
	}
	p->v[p->n++] = (struct piece){ lo, hi, rule };
	return 0;
}

static int elems_push(struct bh_elems *e, size_t *cap, const struct bh_elem *x)
{
	if (e->n == *cap) {
		size_t c = *cap ? *cap * 2 : 16;
		struct bh_elem *v = realloc(e->v, c * sizeof(*v));

		if (!v)
			return -ENOMEM;
		e->v = v;
		*cap = c;
	}
	e->v[e->n++] = *x;
	return 0;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* Port pieces of the active entries: disjoint, sorted, each with its lowest rule. */
static int port_pieces(const struct bh__ent *v, const size_t *act, size_t n_act,
		       struct pieces *out, uint32_t **bounds, size_t *bounds_cap)
{
	size_t nb = 0;

	out->n = 0;
	if (*bounds_cap < 2 * n_act) {
		uint32_t *b = realloc(*bounds, 2 * n_act * sizeof(*b));

		if (!b)
			return -ENOMEM;
		*bounds = b;
		*bounds_cap = 2 * n_act;
	}
	for (size_t i = 0; i < n_act; i++) {
		(*bounds)[nb++] = v[act[i]].plo;
		(*bounds)[nb++] = (uint32_t)v[act[i]].phi + 1;
	}
	qsort(*bounds, nb, sizeof(**bounds), cmp_u32);
	for (size_t j = 0; j + 1 < nb; j++) {
		uint32_t lo = (*bounds)[j], hi = (*bounds)[j + 1] - 1, best = BH_RULE_NONE;

		if ((*bounds)[j + 1] == lo)
			continue;
		for (size_t i = 0; i < n_act; i++) {
			const struct bh__ent *e = &v[act[i]];

			if (e->plo <= lo && e->phi >= hi && e->rule < best)
				best = e->rule;
		}
		if (best != BH_RULE_NONE && pieces_push(out, lo, hi, best))
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
	uint32_t *bounds;
	size_t bounds_cap;
	size_t *act;
	size_t n_act;
	bh_u128 *pts;
};

static int flush(struct bh_elems *out, size_t *cap, int fam, uint8_t proto,
		 bh_u128 lo, bh_u128 hi, const struct pieces *p)
{
	struct bh_elem e;

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
			if (open && (ret = flush(out, cap, fam, v[0].proto, seg_lo, seg_hi, &s->prev)))
				return ret;
			open = false;
			continue;
		}
		if ((ret = port_pieces(v, s->act, s->n_act, &s->cur, &s->bounds, &s->bounds_cap)))
			return ret;
		if (open && seg_hi + 1 == lo && pieces_equal(&s->cur, &s->prev)) {
			seg_hi = hi;
			continue;
		}
		if (open && (ret = flush(out, cap, fam, v[0].proto, seg_lo, seg_hi, &s->prev)))
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
		return flush(out, cap, fam, v[0].proto, seg_lo, seg_hi, &s->prev);
	return 0;
}

int bh__segment(struct bh__ents *in, int fam, struct bh_elems *any, struct bh_elems *l4)
{
	size_t cap_any = 0, cap_l4 = 0;
	struct sweep s;
	int ret = 0;

	memset(&s, 0, sizeof(s));
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
	free(s.bounds);
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
