/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef BH_TEST_NFT_FIXTURE_H
#define BH_TEST_NFT_FIXTURE_H

/*
 * A hand-made compiled ruleset for the nftables builder tests: one group,
 * ingress isolated by shop/a and shop/b with IPv4/IPv6 address and
 * concatenated elements (an open interval among them), egress open.
 * Include after cmocka.h.
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "policy/compile.h"
#include "policy/model.h"

/* ---- a hand-made compiled ruleset ------------------------------------------------- */

struct fixture {
	struct bh_policy pol[2];
	struct bh_policy_set pols;
	struct bh_ruleset rs;
	struct bh_compiled c;
	uint32_t isolators[2];
	struct bh_emit_opts o;
};

static inline void v4(uint8_t *a, const char *s)
{
	memset(a, 0, 16);
	assert_int_equal(inet_pton(AF_INET, s, a), 1);
}

static inline void v6(uint8_t *a, const char *s)
{
	assert_int_equal(inet_pton(AF_INET6, s, a), 1);
}

static inline struct bh_elem *elems(size_t n)
{
	struct bh_elem *e = calloc(n, sizeof(*e));

	assert_non_null(e);
	return e;
}

/* ingress isolated by shop/a and shop/b; egress open unless asked */
static inline struct fixture *fixture_new(void)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct bh_view *in;
	struct bh_elem *e;

	assert_non_null(f);
	f->pol[0].namespace = "shop";
	f->pol[0].name = "a";
	f->pol[1].namespace = "shop";
	f->pol[1].name = "b";
	f->pols.v = f->pol;
	f->pols.n = 2;
	f->c.pols = &f->pols;
	f->c.groups = &f->rs;
	f->c.n_groups = 1;
	f->isolators[0] = 0;
	f->isolators[1] = 1;
	in = &f->rs.dir[BH_INGRESS].enforce;
	in->isolated = true;
	in->isolated_by = f->isolators;
	in->n_isolated_by = 2;
	/* 10.0.0.0/24 */
	e = in->any[BH_FAM_V4].v = elems(1);
	in->any[BH_FAM_V4].n = 1;
	v4(e->lo, "10.0.0.0");
	v4(e->hi, "10.0.0.255");
	/* 10.1.0.1 . tcp . 80, 10.2.0.0-10.2.255.255 . udp . 1000-2000 */
	e = in->l4[BH_FAM_V4].v = elems(2);
	in->l4[BH_FAM_V4].n = 2;
	v4(e[0].lo, "10.1.0.1");
	v4(e[0].hi, "10.1.0.1");
	e[0].proto = 6;
	e[0].port_lo = e[0].port_hi = 80;
	v4(e[1].lo, "10.2.0.0");
	v4(e[1].hi, "10.2.255.255");
	e[1].proto = 17;
	e[1].port_lo = 1000;
	e[1].port_hi = 2000;
	/* ::/0 (reaches the top of the address space) */
	e = in->any[BH_FAM_V6].v = elems(1);
	in->any[BH_FAM_V6].n = 1;
	memset(e->hi, 0xff, 16);
	/* fd00::1 . tcp . 443 */
	e = in->l4[BH_FAM_V6].v = elems(1);
	in->l4[BH_FAM_V6].n = 1;
	v6(e->lo, "fd00::1");
	v6(e->hi, "fd00::1");
	e->proto = 6;
	e->port_lo = e->port_hi = 443;
	f->rs.dir[BH_INGRESS].log = BH_LOG_DENIED;
	bh_emit_opts_default(&f->o);
	f->o.generation = 42;
	return f;
}

static inline void view_free(struct bh_view *v)
{
	for (int i = 0; i < BH_FAM_MAX; i++) {
		free(v->any[i].v);
		free(v->l4[i].v);
	}
}

static inline void fixture_free(struct fixture *f)
{
	for (int d = 0; d < BH_DIR_MAX; d++) {
		view_free(&f->rs.dir[d].enforce);
		view_free(&f->rs.dir[d].audit);
	}
	free(f);
}

/* 20,000 elements: split over messages that each stay below 64 KiB */
static inline struct fixture *big_fixture(size_t n)
{
	struct fixture *f = fixture_new();
	struct bh_elems *l4 = &f->rs.dir[BH_INGRESS].enforce.l4[BH_FAM_V6];
	struct bh_elem *e;

	free(l4->v);
	e = l4->v = elems(n);
	l4->n = n;
	for (size_t i = 0; i < n; i++) {
		v6(e[i].lo, "fd00::");
		e[i].lo[12] = (uint8_t)(i >> 8);
		e[i].lo[13] = (uint8_t)i;
		memcpy(e[i].hi, e[i].lo, 16);
		e[i].proto = 6;
		e[i].port_lo = e[i].port_hi = 443;
	}
	return f;
}

#endif
