// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Lookups in a compiled view, as the kernel does them: one bisection in the
 * sorted, disjoint elements of each kind. `explain` and the log's rule
 * attribution answer from here.
 */
#include <string.h>
#include <sys/socket.h>

#include "policy/compile_int.h"

static int cmp_key(uint8_t proto, bh_u128 a, const struct bh_elem *e, int fam)
{
	bh_u128 lo = bh__addr_to_u128(e->lo, fam);

	if (proto != e->proto)
		return proto < e->proto ? -1 : 1;
	return a < lo ? -1 : a > lo;
}

static bool elems_find(const struct bh_elems *es, int fam, uint8_t proto, bh_u128 a,
		       uint16_t port, uint32_t *rule)
{
	size_t lo = 0, hi = es->n;

	/* upper bound: first element whose (proto, lo) is greater than (proto, a) */
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (cmp_key(proto, a, &es->v[mid], fam) >= 0)
			lo = mid + 1;
		else
			hi = mid;
	}
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
