// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Lookups in a compiled view, as the kernel does them: one bisection in the
 * sorted, disjoint elements of each kind, and the tiers walked in the
 * order of the table layout. `explain` and the log's rule attribution
 * answer from here.
 */
#include <string.h>
#include <sys/socket.h>

#include "lib/array.h"
#include "policy/compile_int.h"

struct elem_key {
	uint8_t proto;
	int fam;
	bh_u128 a;
};

/* Orders (proto, address) against an element's (proto, start). */
static int elem_key_cmp(const void *key, const void *elem)
{
	const struct elem_key *k = key;
	const struct bh_elem *e = elem;
	bh_u128 lo;

	if (k->proto != e->proto)
		return k->proto < e->proto ? -1 : 1;
	lo = bh__addr_to_u128(e->lo, k->fam);
	return k->a < lo ? -1 : k->a > lo;
}

size_t bh__elems_upper(const struct bh_elems *es, int fam, uint8_t proto, bh_u128 a)
{
	const struct elem_key k = { .proto = proto, .fam = fam, .a = a };

	return bh_sorted_upper(&k, es->v, es->n, sizeof(*es->v), elem_key_cmp);
}

static const struct bh_elem *elem_find(const struct bh_elems *es, int fam, uint8_t proto,
				       bh_u128 a, uint16_t port)
{
	/* the first element whose (proto, start) is after (proto, a) */
	size_t lo = bh__elems_upper(es, fam, proto, a);

	/* all pieces of the one segment that may hold a sit right before it */
	for (size_t i = lo; i-- > 0;) {
		const struct bh_elem *e = &es->v[i];

		if (e->proto != proto || memcmp(e->lo, es->v[lo - 1].lo, 16))
			break;
		if (a > bh__addr_to_u128(e->hi, fam))
			break;
		if (port >= e->port_lo && port <= e->port_hi)
			return e;
	}
	return NULL;
}

static bool elems_find(const struct bh_elems *es, int fam, uint8_t proto, bh_u128 a,
		       uint16_t port, uint32_t *rule)
{
	const struct bh_elem *e = elem_find(es, fam, proto, a, port);

	if (e)
		*rule = e->rule;
	return e != NULL;
}

bool bh_view_allows(const struct bh_view *v, const struct bh_addr *peer,
		    uint8_t proto, uint16_t port, uint32_t *rule)
{
	int fam = bh__fam_of(peer);
	bh_u128 a = bh__addr_to_u128(peer->a, fam);
	uint32_t r1 = BH_RULE_NONE, r2 = BH_RULE_NONE;
	bool ok1, ok2 = false;

	ok1 = elems_find(&v->any[fam], fam, 0, a, 0, &r1);
	if (proto)
		ok2 = elems_find(&v->l4[fam], fam, proto, a, port, &r2);
	if (rule)
		*rule = r1 < r2 ? r1 : r2;
	return ok1 || ok2;
}

const struct bh_elem *bh_stage_lookup(const struct bh_stage *s, const struct bh_addr *peer,
				      uint8_t proto, uint16_t port)
{
	int fam = bh__fam_of(peer);
	bh_u128 a = bh__addr_to_u128(peer->a, fam);
	const struct bh_elem *e = NULL;

	if (!s->present)
		return NULL;
	/* addr . l4proto . th dport first: l4 holds every rule that can match TCP, UDP, SCTP */
	if (proto)
		e = elem_find(&s->l4[fam], fam, proto, a, port);
	return e ? e : elem_find(&s->any[fam], fam, 0, a, 0);
}

/* A cluster tier's stage: true when it decided (*out filled), false to go on. */
static bool stage_decide(const struct bh_stage *s, unsigned int tier, const struct bh_addr *peer,
			 uint8_t proto, uint16_t port, struct bh_decision *out)
{
	const struct bh_elem *e = bh_stage_lookup(s, peer, proto, port);

	if (!e)
		return false;
	if (e->action == BH_ACT_PASS) {
		out->pass[tier] = e->rule;
		return false;
	}
	out->allowed = e->action == BH_ACT_ACCEPT;
	out->tier = (uint8_t)tier;
	out->rule = e->rule;
	return true;
}

void bh_view_decide(const struct bh_view *v, const struct bh_addr *peer, uint8_t proto,
		    uint16_t port, struct bh_decision *out)
{
	out->allowed = true;
	out->tier = BH_TIER_MAX;
	out->rule = BH_RULE_NONE;
	for (int t = 0; t < BH_TIER_MAX; t++)
		out->pass[t] = BH_RULE_NONE;
	if (stage_decide(&v->admin, BH_TIER_ADMIN, peer, proto, port, out))
		return;
	if (v->isolated) {
		out->tier = BH_TIER_NP;
		out->allowed = bh_view_allows(v, peer, proto, port, &out->rule);
		if (!out->allowed)
			out->rule = BH_RULE_NONE;
		return;
	}
	stage_decide(&v->baseline, BH_TIER_BASELINE, peer, proto, port, out);
}
