// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Lookups in a compiled view, as the kernel does them: one bisection in the
 * sorted, disjoint elements of each kind. `explain` and the log's rule
 * attribution answer from here.
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

static bool elems_find(const struct bh_elems *es, int fam, uint8_t proto, bh_u128 a,
		       uint16_t port, uint32_t *rule)
{
	const struct elem_key k = { .proto = proto, .fam = fam, .a = a };
	/* the first element whose (proto, start) is after (proto, a) */
	size_t lo = bh_sorted_upper(&k, es->v, es->n, sizeof(*es->v), elem_key_cmp);

	/* all pieces of the one segment that may hold a sit right before it */
	for (size_t i = lo; i-- > 0;) {
		const struct bh_elem *e = &es->v[i];

		if (e->proto != proto || memcmp(e->lo, es->v[lo - 1].lo, 16))
			break;
		if (a > bh__addr_to_u128(e->hi, fam))
			break;
		if (port >= e->port_lo && port <= e->port_hi) {
			*rule = e->rule;
			return true;
		}
	}
	return false;
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
