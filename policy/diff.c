// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The difference of two compiled rule sets over the same inventory: every
 * (pair, protocol) has its ports cut where an element of either side
 * starts or ends, each piece is decided on both sides as the kernel
 * decides it, and the pieces that changed are merged into port ranges.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "lib/array.h"
#include "policy/compile_int.h"
#include "policy/diff.h"

enum { OLD, NEW };
enum { ENF, AUD };

static const uint8_t protos[] = { IPPROTO_TCP, IPPROTO_UDP, IPPROTO_SCTP };

/* One end of a connection: its views on both sides, or none (an outside address). */
struct end {
	const struct bh_view *v[2][2];	/* [side][enforce, audit] */
	struct bh_addr peer;		/* the other end's address, as this end's rules see it */
};

struct ctx {
	const struct bh_compiled *c[2];
	struct bh_diff *out;
	uint32_t *brk;			/* port boundaries of the current (pair, protocol) */
	size_t n_brk, cap_brk;
	bh_u128 *abrk;			/* address boundaries of the current outside scan */
	size_t n_abrk, cap_abrk;
	bool *same;			/* [wl * BH_DIR_MAX + dir]: end_same() */
	bool have;			/* a run of pending */
	struct bh_diff_entry pending;
};

static const struct bh_view *side_view(const struct bh_compiled *c, size_t wl, int dir, int mode)
{
	const struct bh_dir_rules *dr = &c->groups[c->wl_group[wl]].dir[dir];

	return mode == AUD && dr->has_audit ? &dr->audit : &dr->enforce;
}

static void end_of(struct ctx *x, size_t wl, int dir, const struct bh_addr *peer, struct end *e)
{
	for (int s = 0; s < 2; s++)
		for (int m = 0; m < 2; m++)
			e->v[s][m] = side_view(x->c[s], wl, dir, m);
	e->peer = *peer;
}

static int push_brk(struct ctx *x, uint32_t p)
{
	if (bh_array_reserve(x->brk, x->cap_brk, x->n_brk + 1, 64))
		return -ENOMEM;
	x->brk[x->n_brk++] = p;
	return 0;
}

/* The port boundaries of the pieces of es's segment holding (proto, a), as in view.c. */
static int elems_breaks(struct ctx *x, const struct bh_elems *es, int fam, uint8_t proto, bh_u128 a)
{
	size_t lo = bh__elems_upper(es, fam, proto, a);

	for (size_t i = lo; i-- > 0;) {
		const struct bh_elem *e = &es->v[i];

		if (e->proto != proto || memcmp(e->lo, es->v[lo - 1].lo, 16))
			break;
		if (a > bh__addr_to_u128(e->hi, fam))
			break;
		if (push_brk(x, e->port_lo) || push_brk(x, (uint32_t)e->port_hi + 1))
			return -ENOMEM;
	}
	return 0;
}

static int end_breaks(struct ctx *x, const struct end *e, uint8_t proto)
{
	int fam = bh__fam_of(&e->peer);
	bh_u128 a = bh__addr_to_u128(e->peer.a, fam);

	for (int s = 0; s < 2; s++)
		for (int m = 0; m < 2; m++) {
			const struct bh_view *v = e->v[s][m];

			if (elems_breaks(x, &v->l4[fam], fam, proto, a) ||
			    elems_breaks(x, &v->admin.l4[fam], fam, proto, a) ||
			    elems_breaks(x, &v->baseline.l4[fam], fam, proto, a))
				return -ENOMEM;
		}
	return 0;
}

static int u32_cmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* One end's decision; an outside end allows and is not enforced. */
static bool end_decide(const struct end *e, int s, int m, uint8_t proto, uint16_t port,
		       struct bh_diff_by *by)
{
	struct bh_decision d;

	if (!e) {
		by->what = BH_BY_NOT_ENFORCED;
		by->rule = BH_RULE_NONE;
		return true;
	}
	bh_view_decide(e->v[s][m], &e->peer, proto, port, &d);
	by->rule = d.rule;
	if (d.tier == BH_TIER_MAX)
		by->what = BH_BY_NOT_ISOLATED;
	else
		by->what = d.rule == BH_RULE_NONE ? BH_BY_DENIED : BH_BY_RULE;
	return d.allowed;
}

static bool by_eq(const struct bh_diff_by *a, const struct bh_diff_by *b)
{
	return a->what == b->what && a->rule == b->rule;
}

static int flush(struct ctx *x)
{
	struct bh_diff *d = x->out;

	if (!x->have)
		return 0;
	if (bh_array_reserve(d->v, d->cap, d->n + 1, 64))
		return -ENOMEM;
	d->v[d->n++] = x->pending;
	x->have = false;
	return 0;
}

/* Adds the piece [port, hi] of kind k to the pending run, or starts a new run. */
static int add_piece(struct ctx *x, const struct bh_diff_entry *t)
{
	struct bh_diff_entry *p = &x->pending;

	if (x->have && p->kind == t->kind && p->proto == t->proto && p->from == t->from &&
	    p->to == t->to && (uint32_t)p->port_hi + 1 == t->port_lo &&
	    by_eq(&p->egress_by, &t->egress_by) && by_eq(&p->ingress_by, &t->ingress_by) &&
	    !memcmp(p->lo, t->lo, 16)) {
		p->port_hi = t->port_hi;
		return 0;
	}
	if (flush(x))
		return -ENOMEM;
	*p = *t;
	x->have = true;
	return 0;
}

/*
 * Every port of proto between eg (the sender's egress) and in (the
 * receiver's ingress); either may be NULL (outside). *tmpl gives the ends.
 */
static int scan_ports(struct ctx *x, const struct end *eg, const struct end *in, uint8_t proto,
		      const struct bh_diff_entry *tmpl)
{
	size_t n;

	x->n_brk = 0;
	if (push_brk(x, 1) || push_brk(x, 65536) || (eg && end_breaks(x, eg, proto)) ||
	    (in && end_breaks(x, in, proto)))
		return -ENOMEM;
	qsort(x->brk, x->n_brk, sizeof(*x->brk), u32_cmp);
	n = 0;
	for (size_t i = 0; i < x->n_brk; i++)
		if (!n || x->brk[n - 1] != x->brk[i])
			x->brk[n++] = x->brk[i];
	for (size_t i = 0; i + 1 < n; i++) {
		struct bh_diff_by eby[2][2], iby[2][2];
		bool ok[2][2];
		struct bh_diff_entry t = *tmpl;
		uint16_t port = (uint16_t)x->brk[i];
		int s, m;

		for (s = 0; s < 2; s++)
			for (m = 0; m < 2; m++) {
				bool a = end_decide(eg, s, m, proto, port, &eby[s][m]);
				bool b = end_decide(in, s, m, proto, port, &iby[s][m]);

				ok[s][m] = a && b;
			}
		if (ok[OLD][ENF] != ok[NEW][ENF])
			m = ENF;
		else if (ok[OLD][AUD] != ok[NEW][AUD])
			m = AUD;
		else {
			if (flush(x))
				return -ENOMEM;
			continue;
		}
		s = ok[NEW][m] ? NEW : OLD;
		t.kind = m == ENF ? (s == NEW ? BH_DIFF_OPENED : BH_DIFF_CLOSED)
				  : (s == NEW ? BH_DIFF_AUDIT_OPENED : BH_DIFF_AUDIT_CLOSED);
		t.proto = proto;
		t.port_lo = port;
		t.port_hi = (uint16_t)(x->brk[i + 1] - 1);
		t.new_side = s == NEW;
		t.egress_by = eby[s][m];
		t.ingress_by = iby[s][m];
		if (add_piece(x, &t))
			return -ENOMEM;
	}
	return flush(x);
}

/* The first addresses of one family both workloads have (IPv4 first). */
static bool pick_pair(const struct bh_workload *a, const struct bh_workload *b,
		      const struct bh_addr **pa, const struct bh_addr **pb)
{
	static const int fams[] = { AF_INET, AF_INET6 };

	for (size_t f = 0; f < 2; f++) {
		*pa = *pb = NULL;
		for (size_t i = 0; i < a->n_ips && !*pa; i++)
			if (a->ips[i].family == fams[f])
				*pa = &a->ips[i];
		for (size_t i = 0; i < b->n_ips && !*pb; i++)
			if (b->ips[i].family == fams[f])
				*pb = &b->ips[i];
		if (*pa && *pb)
			return true;
	}
	return false;
}

static bool elems_same(const struct bh_elems *a, const struct bh_elems *b)
{
	if (a->n != b->n)
		return false;
	for (size_t i = 0; i < a->n; i++) {
		const struct bh_elem *p = &a->v[i], *q = &b->v[i];

		if (memcmp(p->lo, q->lo, 16) || memcmp(p->hi, q->hi, 16) || p->proto != q->proto ||
		    p->port_lo != q->port_lo || p->port_hi != q->port_hi || p->action != q->action)
			return false;
	}
	return true;
}

static bool stage_same(const struct bh_stage *a, const struct bh_stage *b)
{
	if (a->present != b->present)
		return false;
	for (int f = 0; f < BH_FAM_MAX; f++)
		if (!elems_same(&a->any[f], &b->any[f]) || !elems_same(&a->l4[f], &b->l4[f]))
			return false;
	return true;
}

/* Do two views decide every connection alike (whichever rules decide)? */
static bool view_same(const struct bh_view *a, const struct bh_view *b)
{
	if (a->isolated != b->isolated || !stage_same(&a->admin, &b->admin) ||
	    !stage_same(&a->baseline, &b->baseline))
		return false;
	for (int f = 0; f < BH_FAM_MAX; f++)
		if (!elems_same(&a->any[f], &b->any[f]) || !elems_same(&a->l4[f], &b->l4[f]))
			return false;
	return true;
}

/* Workload wl decides alike on both sides in direction dir, enforced and audited. */
static bool end_same(const struct ctx *x, size_t wl, int dir)
{
	for (int m = 0; m < 2; m++)
		if (!view_same(side_view(x->c[OLD], wl, dir, m), side_view(x->c[NEW], wl, dir, m)))
			return false;
	return true;
}

static int scan_pair(struct ctx *x, size_t i, size_t j)
{
	const struct bh_inventory *inv = x->c[OLD]->inv;
	const struct bh_addr *ai, *aj;
	struct bh_diff_entry t = { .from = i, .to = j };
	struct end eg, in;

	/* both ends decide alike on both sides: nothing of the pair changed */
	if (x->same[i * BH_DIR_MAX + BH_EGRESS] && x->same[j * BH_DIR_MAX + BH_INGRESS])
		return 0;
	if (!pick_pair(&inv->wl[i], &inv->wl[j], &ai, &aj))
		return 0;
	end_of(x, i, BH_EGRESS, aj, &eg);
	end_of(x, j, BH_INGRESS, ai, &in);
	for (size_t p = 0; p < sizeof(protos); p++)
		if (scan_ports(x, &eg, &in, protos[p], &t))
			return -ENOMEM;
	return 0;
}

static int push_abrk(struct ctx *x, bh_u128 a)
{
	if (bh_array_reserve(x->abrk, x->cap_abrk, x->n_abrk + 1, 64))
		return -ENOMEM;
	x->abrk[x->n_abrk++] = a;
	return 0;
}

static int elems_abreaks(struct ctx *x, const struct bh_elems *es, int fam)
{
	for (size_t i = 0; i < es->n; i++) {
		bh_u128 hi = bh__addr_to_u128(es->v[i].hi, fam);

		if (push_abrk(x, bh__addr_to_u128(es->v[i].lo, fam)) ||
		    (hi < bh__fam_max(fam) && push_abrk(x, hi + 1)))
			return -ENOMEM;
	}
	return 0;
}

static int view_abreaks(struct ctx *x, const struct bh_view *v, int fam)
{
	if (elems_abreaks(x, &v->any[fam], fam) || elems_abreaks(x, &v->l4[fam], fam) ||
	    elems_abreaks(x, &v->admin.any[fam], fam) || elems_abreaks(x, &v->admin.l4[fam], fam) ||
	    elems_abreaks(x, &v->baseline.any[fam], fam) || elems_abreaks(x, &v->baseline.l4[fam], fam))
		return -ENOMEM;
	return 0;
}

static int u128_cmp(const void *a, const void *b)
{
	bh_u128 x = *(const bh_u128 *)a, y = *(const bh_u128 *)b;

	return x < y ? -1 : x > y;
}

/* Is every address of a..b (family fam) an inventory workload's? */
static bool gap_is_inventory(const struct bh_inventory *inv, int fam, bh_u128 a, bh_u128 b)
{
	struct bh_addr x = { .family = (uint8_t)(fam == BH_FAM_V4 ? AF_INET : AF_INET6) };

	if (b - a >= inv->n_by_ip)
		return false;
	for (bh_u128 i = a; i <= b; i++) {
		bh__u128_to_addr(i, fam, x.a);
		if (!bh_inventory_find_ip(inv, &x))
			return false;
	}
	return true;
}

/* Outside addresses of family fam to (dir egress) or from (ingress) workload wl. */
static int scan_outside(struct ctx *x, size_t wl, int dir, int fam)
{
	const struct bh_inventory *inv = x->c[OLD]->inv;
	int af = fam == BH_FAM_V4 ? AF_INET : AF_INET6;
	struct bh_diff_entry t = { .fam = (uint8_t)fam };
	struct end e;
	size_t n;

	if (x->same[wl * BH_DIR_MAX + dir])
		return 0;
	e.peer.family = (uint8_t)af;
	memset(e.peer.a, 0, sizeof(e.peer.a));
	end_of(x, wl, dir, &e.peer, &e);
	x->n_abrk = 0;
	if (push_abrk(x, 0))
		return -ENOMEM;
	for (int s = 0; s < 2; s++)
		for (int m = 0; m < 2; m++)
			if (view_abreaks(x, e.v[s][m], fam))
				return -ENOMEM;
	qsort(x->abrk, x->n_abrk, sizeof(*x->abrk), u128_cmp);
	n = 0;
	for (size_t i = 0; i < x->n_abrk; i++)
		if (!n || x->abrk[n - 1] != x->abrk[i])
			x->abrk[n++] = x->abrk[i];
	t.from = dir == BH_EGRESS ? wl : BH_DIFF_OUTSIDE;
	t.to = dir == BH_EGRESS ? BH_DIFF_OUTSIDE : wl;
	for (size_t i = 0; i < n; i++) {
		bh_u128 lo = x->abrk[i], hi = i + 1 < n ? x->abrk[i + 1] - 1 : bh__fam_max(fam);

		/* inventory addresses are workloads: their pairs say it */
		if (gap_is_inventory(inv, fam, lo, hi))
			continue;
		bh__u128_to_addr(lo, fam, e.peer.a);
		memcpy(t.lo, e.peer.a, 16);
		bh__u128_to_addr(hi, fam, t.hi);
		for (size_t p = 0; p < sizeof(protos); p++)
			if (scan_ports(x, dir == BH_EGRESS ? &e : NULL, dir == BH_EGRESS ? NULL : &e,
				       protos[p], &t))
				return -ENOMEM;
	}
	return 0;
}

static int by_cmp(const struct bh_diff_by *a, const struct bh_diff_by *b)
{
	if (a->what != b->what)
		return a->what < b->what ? -1 : 1;
	return a->rule < b->rule ? -1 : a->rule > b->rule;
}

/* Everything but the outside range, then the range. */
static int entry_cmp_key(const struct bh_diff_entry *a, const struct bh_diff_entry *b)
{
	int r;

	if (a->kind != b->kind)
		return a->kind < b->kind ? -1 : 1;
	if (a->from != b->from)
		return a->from < b->from ? -1 : 1;
	if (a->to != b->to)
		return a->to < b->to ? -1 : 1;
	if (a->fam != b->fam)
		return a->fam < b->fam ? -1 : 1;
	if (a->proto != b->proto)
		return a->proto < b->proto ? -1 : 1;
	if (a->port_lo != b->port_lo)
		return a->port_lo < b->port_lo ? -1 : 1;
	if (a->port_hi != b->port_hi)
		return a->port_hi < b->port_hi ? -1 : 1;
	if ((r = by_cmp(&a->egress_by, &b->egress_by)))
		return r;
	return by_cmp(&a->ingress_by, &b->ingress_by);
}

static int entry_cmp(const void *x, const void *y)
{
	const struct bh_diff_entry *a = x, *b = y;
	int r = entry_cmp_key(a, b);

	return r ? r : memcmp(a->lo, b->lo, 16);
}

/*
 * Merges outside entries that differ only by address ranges next to each
 * other, or apart by inventory addresses only (those are workloads, whose
 * connections are listed as pairs).
 */
static void merge_ranges(const struct bh_inventory *inv, struct bh_diff *d)
{
	size_t n = 0;

	if (!d->n)
		return;
	qsort(d->v, d->n, sizeof(*d->v), entry_cmp);
	for (size_t i = 0; i < d->n; i++) {
		struct bh_diff_entry *p = n ? &d->v[n - 1] : NULL;
		const struct bh_diff_entry *e = &d->v[i];

		if (p && (p->from == BH_DIFF_OUTSIDE || p->to == BH_DIFF_OUTSIDE) &&
		    !entry_cmp_key(p, e) &&
		    (bh__addr_to_u128(p->hi, e->fam) + 1 == bh__addr_to_u128(e->lo, e->fam) ||
		     gap_is_inventory(inv, e->fam, bh__addr_to_u128(p->hi, e->fam) + 1,
				      bh__addr_to_u128(e->lo, e->fam) - 1))) {
			memcpy(p->hi, e->hi, 16);
			continue;
		}
		d->v[n++] = *e;
	}
	d->n = n;
}

static bool has_family(const struct bh_workload *w, int af)
{
	for (size_t i = 0; i < w->n_ips; i++)
		if (w->ips[i].family == af)
			return true;
	return false;
}

int bh_diff_compute(const struct bh_compiled *old, const struct bh_compiled *new,
		    struct bh_diff *out)
{
	const struct bh_inventory *inv = old->inv;
	struct ctx x = { .c = { old, new }, .out = out };
	int ret = -ENOMEM;

	memset(out, 0, sizeof(*out));
	x.same = calloc(inv->n_wl * BH_DIR_MAX + 1, sizeof(*x.same));
	if (!x.same)
		return -ENOMEM;
	for (size_t i = 0; i < inv->n_wl; i++)
		for (int dir = 0; dir < BH_DIR_MAX; dir++)
			x.same[i * BH_DIR_MAX + dir] = end_same(&x, i, dir);
	for (size_t i = 0; i < inv->n_wl; i++)
		for (size_t j = 0; j < inv->n_wl; j++)
			if (i != j && scan_pair(&x, i, j))
				goto fail;
	for (size_t i = 0; i < inv->n_wl; i++)
		for (int dir = 0; dir < BH_DIR_MAX; dir++)
			for (int fam = 0; fam < BH_FAM_MAX; fam++)
				if (has_family(&inv->wl[i], fam == BH_FAM_V4 ? AF_INET : AF_INET6) &&
				    scan_outside(&x, i, dir, fam))
					goto fail;
	merge_ranges(inv, out);
	ret = 0;
	goto done;
fail:
	bh_diff_free(out);
done:
	free(x.same);
	free(x.brk);
	free(x.abrk);
	return ret;
}

void bh_diff_free(struct bh_diff *d)
{
	free(d->v);
	memset(d, 0, sizeof(*d));
}

bool bh_diff_changed(const struct bh_diff *d)
{
	for (size_t i = 0; i < d->n; i++)
		if (d->v[i].kind == BH_DIFF_OPENED || d->v[i].kind == BH_DIFF_CLOSED)
			return true;
	return false;
}

static bh_u128 low_mask(unsigned int n)
{
	return n >= 128 ? ~(bh_u128)0 : ((bh_u128)1 << n) - 1;
}

void bh_diff_cidrs(const uint8_t *lo, const uint8_t *hi, int fam,
		   void (*fn)(void *ctx, const struct bh_prefix *p), void *ctx)
{
	unsigned int bits = fam == BH_FAM_V4 ? 32 : 128;
	bh_u128 a = bh__addr_to_u128(lo, fam), b = bh__addr_to_u128(hi, fam);

	for (unsigned int guard = 0; a <= b && guard < 256; guard++) {
		unsigned int host = 0;
		struct bh_prefix p;
		bh_u128 end;

		/* the widest aligned block at a that stays within b */
		while (host < bits && !(a & low_mask(host + 1)) && (a | low_mask(host + 1)) <= b)
			host++;
		end = a | low_mask(host);
		memset(&p, 0, sizeof(p));
		p.addr.family = (uint8_t)(fam == BH_FAM_V4 ? AF_INET : AF_INET6);
		bh__u128_to_addr(a, fam, p.addr.a);
		p.len = (uint8_t)(bits - host);
		fn(ctx, &p);
		if (end >= b)
			break;
		a = end + 1;
	}
}
