/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef BH_COMPILE_INT_H
#define BH_COMPILE_INT_H

/* Internals shared by the compiler's files (compile.c, segment.c). */

#include <stdint.h>
#include <stddef.h>
#include <sys/socket.h>

#include "policy/compile.h"

typedef unsigned __int128 bh_u128;	/* a 128-bit unsigned integer (IPv4 in the low bits) */

/* One allowed (peer interval, protocol, port interval) before decomposition. */
struct bh__ent {
	bh_u128 lo, hi;
	uint32_t rule;
	uint16_t plo, phi;
	uint8_t proto;		/* 0: any protocol and port */
	uint8_t fam;		/* BH_FAM_V4 / BH_FAM_V6 */
};

struct bh__ents {
	struct bh__ent *v;
	size_t n, cap;
};

int bh__ents_push(struct bh__ents *e, const struct bh__ent *x);

bh_u128 bh__addr_to_u128(const uint8_t *a, int fam);
void bh__u128_to_addr(bh_u128 v, int fam, uint8_t *out);
static inline int bh__fam_of(const struct bh_addr *a)
{
	return a->family == AF_INET6 ? BH_FAM_V6 : BH_FAM_V4;
}

static inline bh_u128 bh__fam_max(int fam)
{
	return fam == BH_FAM_V4 ? (bh_u128)0xffffffffu : ~(bh_u128)0;
}

/*
 * Decompose the entries of one family into disjoint, sorted elements:
 * proto-0 entries into *any, the others into *l4. Each element carries the
 * lowest rule id that allows it. The input array is reordered.
 * 0 or -ENOMEM.
 */
int bh__segment(struct bh__ents *in, int fam, struct bh_elems *any, struct bh_elems *l4);

#endif
