// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The nftables builder, round trip without a kernel (libnftnl's habit):
 * build a group's table into a serialised batch, parse every message back
 * with libnftnl and compare fields (test_nft_kernel.c sends the same
 * tables to a kernel).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <libmnl/libmnl.h>
#include <libnftnl/batch.h>
#include <libnftnl/chain.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>
#include <libnftnl/udata.h>
#include <cmocka.h>

#include "policy/compile.h"
#include "policy/model.h"
#include "netlink/nft.h"
#include "netlink/nft_int.h"

#include "nft_fixture.h"

/* ---- reading a serialised batch back ------------------------------------------------ */

struct parsed {
	struct nftnl_batch *nb;
	const struct nlmsghdr *h[4096];
	size_t n;
	const struct nlmsghdr *begin, *end;
};

static void parse_batch(struct parsed *p, const struct bh_nft_batch *b, unsigned int flags)
{
	struct iovec iov[64];
	int iovlen;

	memset(p, 0, sizeof(*p));
	p->nb = bh_nft_batch_serialize(b, flags, 100);
	assert_non_null(p->nb);
	iovlen = nftnl_batch_iovec_len(p->nb);
	assert_true(iovlen > 0 && iovlen <= 64);
	nftnl_batch_iovec(p->nb, iov, iovlen);
	for (int i = 0; i < iovlen; i++) {
		const struct nlmsghdr *nlh = iov[i].iov_base;
		int len = iov[i].iov_len;

		for (; mnl_nlmsg_ok(nlh, len); nlh = mnl_nlmsg_next(nlh, &len)) {
			if (nlh->nlmsg_type == NFNL_MSG_BATCH_BEGIN)
				p->begin = nlh;
			else if (nlh->nlmsg_type == NFNL_MSG_BATCH_END)
				p->end = nlh;
			else {
				assert_true(p->n < 4096);
				p->h[p->n++] = nlh;
			}
		}
	}
	assert_int_equal(p->n, bh_nft_batch_msgs(b));
}

static int msg_type(const struct nlmsghdr *nlh)
{
	return nlh->nlmsg_type & 0xff;
}

/*
 * libnftnl numbers the elements of a list 1, 2, 3... when building (the
 * kernel ignores the type) but accepts only NFTA_LIST_ELEM when parsing,
 * like in the kernel's dumps: a copy with every element renumbered.
 */
static struct nlmsghdr *elems_normalised(const struct nlmsghdr *nlh)
{
	struct nlmsghdr *copy = malloc(nlh->nlmsg_len);
	struct nlattr *attr, *el;

	assert_non_null(copy);
	memcpy(copy, nlh, nlh->nlmsg_len);
	mnl_attr_for_each(attr, copy, sizeof(struct nfgenmsg)) {
		if (mnl_attr_get_type(attr) != NFTA_SET_ELEM_LIST_ELEMENTS)
			continue;
		mnl_attr_for_each_nested(el, attr)
			el->nla_type = (el->nla_type & ~NLA_TYPE_MASK) | NFTA_LIST_ELEM;
	}
	return copy;
}

static int set_elems_parse(const struct nlmsghdr *nlh, struct nftnl_set *s)
{
	struct nlmsghdr *copy = elems_normalised(nlh);
	int ret = nftnl_set_elems_nlmsg_parse(copy, s);

	free(copy);
	return ret;
}

/* Index of the n-th (0-based) message of type t whose name (set/chain) is name, or -1. */
static long find_msg(const struct parsed *p, int t, const char *name, int nth)
{
	for (size_t i = 0; i < p->n; i++) {
		const char *got = NULL;

		if (msg_type(p->h[i]) != t)
			continue;
		if (t == NFT_MSG_NEWSET || t == NFT_MSG_NEWSETELEM) {
			struct nftnl_set *s = nftnl_set_alloc();

			if (t == NFT_MSG_NEWSET)
				nftnl_set_nlmsg_parse(p->h[i], s);
			else
				assert_int_equal(set_elems_parse(p->h[i], s), 0);
			got = nftnl_set_get_str(s, NFTNL_SET_NAME);
			if (got && !strcmp(got, name) && nth-- == 0) {
				nftnl_set_free(s);
				return (long)i;
			}
			nftnl_set_free(s);
		} else if (t == NFT_MSG_NEWCHAIN) {
			struct nftnl_chain *c = nftnl_chain_alloc();

			nftnl_chain_nlmsg_parse(p->h[i], c);
			got = nftnl_chain_get_str(c, NFTNL_CHAIN_NAME);
			if (got && !strcmp(got, name) && nth-- == 0) {
				nftnl_chain_free(c);
				return (long)i;
			}
			nftnl_chain_free(c);
		}
	}
	return -1;
}

struct rule_view {
	char chain[32];
	char exprs[256];	/* "meta,cmp,payload,lookup,immediate" */
	char lookup_set[32];
	uint32_t verdict;
	char target[32];
	char comment[160];
	char log_prefix[64];
};

static int expr_cb(struct nftnl_expr *e, void *data)
{
	struct rule_view *v = data;
	const char *name = nftnl_expr_get_str(e, NFTNL_EXPR_NAME);

	if (*v->exprs)
		strcat(v->exprs, ",");
	strcat(v->exprs, name);
	if (!strcmp(name, "lookup"))
		snprintf(v->lookup_set, sizeof(v->lookup_set), "%s",
			 nftnl_expr_get_str(e, NFTNL_EXPR_LOOKUP_SET));
	if (!strcmp(name, "immediate")) {
		v->verdict = nftnl_expr_get_u32(e, NFTNL_EXPR_IMM_VERDICT);
		if (nftnl_expr_is_set(e, NFTNL_EXPR_IMM_CHAIN))
			snprintf(v->target, sizeof(v->target), "%s",
				 nftnl_expr_get_str(e, NFTNL_EXPR_IMM_CHAIN));
	}
	if (!strcmp(name, "log"))
		snprintf(v->log_prefix, sizeof(v->log_prefix), "%s",
			 nftnl_expr_get_str(e, NFTNL_EXPR_LOG_PREFIX));
	return 0;
}

static int comment_cb(const struct nftnl_udata *attr, void *data)
{
	struct rule_view *v = data;

	if (nftnl_udata_type(attr) == NFTNL_UDATA_RULE_COMMENT)
		snprintf(v->comment, sizeof(v->comment), "%s", (const char *)nftnl_udata_get(attr));
	return 0;
}

static void rule_view(const struct nlmsghdr *nlh, struct rule_view *v)
{
	struct nftnl_rule *r = nftnl_rule_alloc();
	uint32_t len;
	const void *ud;

	memset(v, 0, sizeof(*v));
	assert_int_equal(nftnl_rule_nlmsg_parse(nlh, r), 0);
	snprintf(v->chain, sizeof(v->chain), "%s", nftnl_rule_get_str(r, NFTNL_RULE_CHAIN));
	nftnl_expr_foreach(r, expr_cb, v);
	ud = nftnl_rule_get_data(r, NFTNL_RULE_USERDATA, &len);
	if (ud)
		nftnl_udata_parse(ud, len, comment_cb, v);
	nftnl_rule_free(r);
}

/* The n-th rule (0-based) of chain. */
static void nth_rule(const struct parsed *p, const char *chain, int n, struct rule_view *v)
{
	for (size_t i = 0; i < p->n; i++) {
		if (msg_type(p->h[i]) != NFT_MSG_NEWRULE)
			continue;
		rule_view(p->h[i], v);
		if (!strcmp(v->chain, chain) && n-- == 0)
			return;
	}
	fail_msg("chain %s has no rule %d", chain, n);
}

static size_t count_rules(const struct parsed *p, const char *chain)
{
	struct rule_view v;
	size_t n = 0;

	for (size_t i = 0; i < p->n; i++)
		if (msg_type(p->h[i]) == NFT_MSG_NEWRULE) {
			rule_view(p->h[i], &v);
			n += !strcmp(v.chain, chain);
		}
	return n;
}

/* ---- tests ---------------------------------------------------------------------------- */

static void test_batch_framing(void **state)
{
	struct fixture *f = fixture_new();
	struct bh_nft_batch *b;
	struct parsed *p = malloc(sizeof(*p));

	assert_int_equal(bh_nft_batch_alloc(&b), 0);
	assert_int_equal(bh_nft_build_table(b, &f->c, 0, &f->o), 0);
	parse_batch(p, b, 0);
	assert_non_null(p->begin);
	assert_non_null(p->end);
	assert_int_equal(p->begin->nlmsg_seq, 100);
	for (size_t i = 0; i < p->n; i++) {
		assert_int_equal(p->h[i]->nlmsg_seq, 101 + i);
		assert_true(p->h[i]->nlmsg_flags & NLM_F_ACK);
		assert_int_equal(p->h[i]->nlmsg_type >> 8, NFNL_SUBSYS_NFTABLES);
	}
	assert_int_equal(p->end->nlmsg_seq, 101 + p->n);
	/* replacement: add, delete, add the table, then its contents */
	assert_int_equal(msg_type(p->h[0]), NFT_MSG_NEWTABLE);
	assert_int_equal(msg_type(p->h[1]), NFT_MSG_DELTABLE);
	assert_int_equal(msg_type(p->h[2]), NFT_MSG_NEWTABLE);
	for (size_t i = 3; i < p->n; i++)
		assert_true(msg_type(p->h[i]) != NFT_MSG_NEWTABLE && msg_type(p->h[i]) != NFT_MSG_DELTABLE);
	nftnl_batch_free(p->nb);

	/* a dry run has no BATCH_END: the kernel validates and aborts */
	parse_batch(p, b, BH_NFT_DRY_RUN);
	assert_non_null(p->begin);
	assert_null(p->end);
	nftnl_batch_free(p->nb);
	bh_nft_batch_free(b);

	/* deletion alone: add + delete, nothing else */
	assert_int_equal(bh_nft_batch_alloc(&b), 0);
	assert_int_equal(bh_nft_build_delete(b), 0);
	parse_batch(p, b, 0);
	assert_int_equal(p->n, 2);
	assert_int_equal(msg_type(p->h[0]), NFT_MSG_NEWTABLE);
	assert_int_equal(msg_type(p->h[1]), NFT_MSG_DELTABLE);
	nftnl_batch_free(p->nb);
	bh_nft_batch_free(b);
	free(p);
	fixture_free(f);
}

static void test_chains_and_sets_present(void **state)
{
	static const char *const sets[] = { "in4_any", "in4", "in6_any", "in6" };
	struct fixture *f = fixture_new();
	struct bh_nft_batch *b;
	struct parsed *p = malloc(sizeof(*p));
	struct nftnl_chain *c = nftnl_chain_alloc();
	long i, prev = -1;

	assert_int_equal(bh_nft_batch_alloc(&b), 0);
	assert_int_equal(bh_nft_build_table(b, &f->c, 0, &f->o), 0);
	parse_batch(p, b, 0);
	/* sets in contract order, only for the isolated direction */
	for (size_t k = 0; k < 4; k++) {
		i = find_msg(p, NFT_MSG_NEWSET, sets[k], 0);
		assert_true(i > prev);
		prev = i;
	}
	assert_int_equal(find_msg(p, NFT_MSG_NEWSET, "out4_any", 0), -1);
	assert_int_equal(find_msg(p, NFT_MSG_NEWCHAIN, "egress", 0), -1);
	assert_int_equal(find_msg(p, NFT_MSG_NEWCHAIN, "ingress_audit", 0), -1);
	/* base chains: filter hook, priority 0, policy accept */
	i = find_msg(p, NFT_MSG_NEWCHAIN, "output", 0);
	assert_true(i > find_msg(p, NFT_MSG_NEWCHAIN, "input", 0));
	assert_int_equal(nftnl_chain_nlmsg_parse(p->h[i], c), 0);
	assert_string_equal(nftnl_chain_get_str(c, NFTNL_CHAIN_TYPE), "filter");
	assert_int_equal(nftnl_chain_get_u32(c, NFTNL_CHAIN_HOOKNUM), NF_INET_LOCAL_OUT);
	assert_int_equal(nftnl_chain_get_s32(c, NFTNL_CHAIN_PRIO), 0);
	assert_int_equal(nftnl_chain_get_u32(c, NFTNL_CHAIN_POLICY), NF_ACCEPT);
	i = find_msg(p, NFT_MSG_NEWCHAIN, "ingress", 0);
	assert_true(i > 0);
	nftnl_chain_free(c);
	c = nftnl_chain_alloc();
	assert_int_equal(nftnl_chain_nlmsg_parse(p->h[i], c), 0);
	assert_false(nftnl_chain_is_set(c, NFTNL_CHAIN_HOOKNUM));
	nftnl_chain_free(c);
	nftnl_batch_free(p->nb);
	bh_nft_batch_free(b);
	free(p);
	fixture_free(f);
}

static void test_set_attributes(void **state)
{
	static const uint8_t concat_ud[] = { 0x00, 0x04, 0x00, 0x00, 0x00, 0x00, 0x03, 0x08,
					     0x00, 0x04, 0x0d, 0x00, 0x00, 0x00, 0x01, 0x00 };
	static const uint8_t addr_ud[] = { 0x00, 0x04, 0x02, 0x00, 0x00, 0x00 };
	struct fixture *f = fixture_new();
	struct bh_nft_batch *b;
	struct parsed *p = malloc(sizeof(*p));
	struct nftnl_set *s;
	const void *ud;
	uint32_t len;

	assert_int_equal(bh_nft_batch_alloc(&b), 0);
	assert_int_equal(bh_nft_build_table(b, &f->c, 0, &f->o), 0);
	parse_batch(p, b, 0);

	s = nftnl_set_alloc();
	assert_int_equal(nftnl_set_nlmsg_parse(p->h[find_msg(p, NFT_MSG_NEWSET, "in4", 0)], s), 0);
	assert_int_equal(nftnl_set_get_u32(s, NFTNL_SET_FLAGS), NFT_SET_INTERVAL | NFT_SET_CONCAT);
	/* ipv4_addr . inet_proto . inet_service in nft's type encoding */
	assert_int_equal(nftnl_set_get_u32(s, NFTNL_SET_KEY_TYPE), (7 << 12) | (12 << 6) | 13);
	assert_int_equal(nftnl_set_get_u32(s, NFTNL_SET_KEY_LEN), 12);
	ud = nftnl_set_get_data(s, NFTNL_SET_USERDATA, &len);
	assert_int_equal(len, sizeof(concat_ud));
	assert_memory_equal(ud, concat_ud, len);
	nftnl_set_free(s);

	s = nftnl_set_alloc();
	assert_int_equal(nftnl_set_nlmsg_parse(p->h[find_msg(p, NFT_MSG_NEWSET, "in6", 0)], s), 0);
	assert_int_equal(nftnl_set_get_u32(s, NFTNL_SET_KEY_TYPE), (8 << 12) | (12 << 6) | 13);
	assert_int_equal(nftnl_set_get_u32(s, NFTNL_SET_KEY_LEN), 24);
	nftnl_set_free(s);

	s = nftnl_set_alloc();
	assert_int_equal(nftnl_set_nlmsg_parse(p->h[find_msg(p, NFT_MSG_NEWSET, "in6_any", 0)], s), 0);
	assert_int_equal(nftnl_set_get_u32(s, NFTNL_SET_FLAGS), NFT_SET_INTERVAL);
	assert_int_equal(nftnl_set_get_u32(s, NFTNL_SET_KEY_TYPE), 8);
	assert_int_equal(nftnl_set_get_u32(s, NFTNL_SET_KEY_LEN), 16);
	ud = nftnl_set_get_data(s, NFTNL_SET_USERDATA, &len);
	assert_int_equal(len, sizeof(addr_ud));
	assert_memory_equal(ud, addr_ud, len);
	nftnl_set_free(s);

	/* the anonymous set of ND and MLD types: anonymous, constant, 8 elements */
	s = nftnl_set_alloc();
	assert_int_equal(nftnl_set_nlmsg_parse(p->h[find_msg(p, NFT_MSG_NEWSET, "__set%d", 0)], s), 0);
	assert_int_equal(nftnl_set_get_u32(s, NFTNL_SET_FLAGS), NFT_SET_ANONYMOUS | NFT_SET_CONSTANT);
	assert_int_equal(nftnl_set_get_u32(s, NFTNL_SET_DESC_SIZE), 8);
	nftnl_set_free(s);
	nftnl_batch_free(p->nb);
	bh_nft_batch_free(b);
	free(p);
	fixture_free(f);
}

/* Elements of the n-th NEWSETELEM of set name: keys (and key ends) with flags. */
struct elem_view {
	uint8_t key[24], key_end[24];
	uint32_t klen, kelen, flags;
	bool open;
};

static size_t read_elems(const struct parsed *p, const char *name, int nth, struct elem_view *out,
			 size_t max)
{
	long i = find_msg(p, NFT_MSG_NEWSETELEM, name, nth);
	struct nftnl_set *s = nftnl_set_alloc();
	struct nftnl_set_elems_iter *it;
	struct nftnl_set_elem *e;
	size_t n = 0;

	assert_true(i >= 0);
	assert_int_equal(set_elems_parse(p->h[i], s), 0);
	it = nftnl_set_elems_iter_create(s);
	while ((e = nftnl_set_elems_iter_next(it)) && n < max) {
		const void *k;
		uint32_t len = 0;

		memset(&out[n], 0, sizeof(out[n]));
		k = nftnl_set_elem_get(e, NFTNL_SET_ELEM_KEY, &len);
		memcpy(out[n].key, k, len);
		out[n].klen = len;
		if (nftnl_set_elem_is_set(e, NFTNL_SET_ELEM_KEY_END)) {
			k = nftnl_set_elem_get(e, NFTNL_SET_ELEM_KEY_END, &len);
			memcpy(out[n].key_end, k, len);
			out[n].kelen = len;
		}
		if (nftnl_set_elem_is_set(e, NFTNL_SET_ELEM_FLAGS))
			out[n].flags = nftnl_set_elem_get_u32(e, NFTNL_SET_ELEM_FLAGS);
		out[n].open = nftnl_set_elem_is_set(e, NFTNL_SET_ELEM_USERDATA);
		n++;
	}
	nftnl_set_elems_iter_destroy(it);
	nftnl_set_free(s);
	return n;
}

static void test_interval_elements(void **state)
{
	static const uint8_t k80[12] = { 10, 1, 0, 1, 6, 0, 0, 0, 0, 80, 0, 0 };
	static const uint8_t k1000[12] = { 10, 2, 0, 0, 17, 0, 0, 0, 0x03, 0xe8, 0, 0 };
	static const uint8_t k2000[12] = { 10, 2, 255, 255, 17, 0, 0, 0, 0x07, 0xd0, 0, 0 };
	static const uint8_t zero4[4], start[4] = { 10, 0, 0, 0 }, end[4] = { 10, 0, 1, 0 };
	struct fixture *f = fixture_new();
	struct bh_nft_batch *b;
	struct parsed *p = malloc(sizeof(*p));
	struct elem_view ev[8];
	size_t n;

	assert_int_equal(bh_nft_batch_alloc(&b), 0);
	assert_int_equal(bh_nft_build_table(b, &f->c, 0, &f->o), 0);
	parse_batch(p, b, 0);
	assert_int_equal(bh_nft_batch_elems(b), 5);

	/* 10.0.0.0/24: end marker at 0, start, end at hi + 1 */
	n = read_elems(p, "in4_any", 0, ev, 8);
	assert_int_equal(n, 3);
	assert_memory_equal(ev[0].key, zero4, 4);
	assert_int_equal(ev[0].flags, NFT_SET_ELEM_INTERVAL_END);
	assert_memory_equal(ev[1].key, start, 4);
	assert_int_equal(ev[1].flags, 0);
	assert_memory_equal(ev[2].key, end, 4);
	assert_int_equal(ev[2].flags, NFT_SET_ELEM_INTERVAL_END);

	/* ::/0 reaches the top: one open start element, no end */
	n = read_elems(p, "in6_any", 0, ev, 8);
	assert_int_equal(n, 1);
	assert_int_equal(ev[0].flags, 0);
	assert_true(ev[0].open);

	/* concatenations: key and key end, 32-bit fields, port in network order */
	n = read_elems(p, "in4", 0, ev, 8);
	assert_int_equal(n, 2);
	assert_int_equal(ev[0].klen, 12);
	assert_memory_equal(ev[0].key, k80, 12);
	assert_memory_equal(ev[0].key_end, k80, 12);
	assert_memory_equal(ev[1].key, k1000, 12);
	assert_memory_equal(ev[1].key_end, k2000, 12);
	assert_int_equal(ev[1].flags, 0);
	nftnl_batch_free(p->nb);
	bh_nft_batch_free(b);
	free(p);
	fixture_free(f);
}

static void test_rules(void **state)
{
	struct fixture *f = fixture_new();
	struct bh_nft_batch *b;
	struct parsed *p = malloc(sizeof(*p));
	struct rule_view v;

	assert_int_equal(bh_nft_batch_alloc(&b), 0);
	assert_int_equal(bh_nft_build_table(b, &f->c, 0, &f->o), 0);
	parse_batch(p, b, 0);

	nth_rule(p, "input", 0, &v);
	assert_string_equal(v.exprs, "ct,bitwise,cmp,immediate");
	assert_int_equal(v.verdict, NF_ACCEPT);
	nth_rule(p, "input", 1, &v);
	assert_int_equal(v.verdict, NF_DROP);
	nth_rule(p, "input", 2, &v);
	assert_string_equal(v.exprs, "meta,cmp,immediate");
	nth_rule(p, "input", 3, &v);
	assert_string_equal(v.exprs, "meta,cmp,meta,cmp,payload,lookup,immediate");
	assert_string_equal(v.lookup_set, "__set%d");
	nth_rule(p, "input", 4, &v);
	assert_int_equal(v.verdict, (uint32_t)NFT_JUMP);
	assert_string_equal(v.target, "ingress");
	assert_string_equal(v.comment, "isolated by shop/a, shop/b");
	assert_int_equal(count_rules(p, "input"), 5);
	/* egress is open: no jump */
	assert_int_equal(count_rules(p, "output"), 4);

	nth_rule(p, "ingress", 0, &v);
	assert_string_equal(v.exprs, "meta,cmp,payload,lookup,immediate");
	assert_string_equal(v.lookup_set, "in4_any");
	assert_int_equal(v.verdict, NF_ACCEPT);
	nth_rule(p, "ingress", 1, &v);
	assert_string_equal(v.exprs, "meta,cmp,payload,meta,byteorder,payload,lookup,immediate");
	assert_string_equal(v.lookup_set, "in4");
	nth_rule(p, "ingress", 3, &v);
	assert_string_equal(v.lookup_set, "in6");
	/* over the log limit: counted and dropped without a log */
	nth_rule(p, "ingress", 4, &v);
	assert_string_equal(v.exprs, "limit,counter,immediate");
	assert_int_equal(v.verdict, NF_DROP);
	nth_rule(p, "ingress", 5, &v);
	assert_string_equal(v.exprs, "log");
	assert_string_equal(v.log_prefix, "bh/42/i/d");
	nth_rule(p, "ingress", 6, &v);
	assert_string_equal(v.exprs, "counter,immediate");
	assert_int_equal(v.verdict, NF_DROP);
	assert_int_equal(count_rules(p, "ingress"), 7);
	nftnl_batch_free(p->nb);
	bh_nft_batch_free(b);
	free(p);
	fixture_free(f);
}

static void test_audit_and_log_all(void **state)
{
	struct fixture *f = fixture_new();
	struct bh_dir_rules *eg = &f->rs.dir[BH_EGRESS];
	struct bh_nft_batch *b;
	struct parsed *p = malloc(sizeof(*p));
	struct rule_view v;

	/* egress: audit only, log all; ingress: no log and no rate limit */
	eg->has_audit = true;
	eg->audit.isolated = true;
	eg->audit.isolated_by = f->isolators + 1;
	eg->audit.n_isolated_by = 1;
	eg->log = BH_LOG_ALL;
	f->rs.dir[BH_INGRESS].log = BH_LOG_NONE;
	assert_int_equal(bh_nft_batch_alloc(&b), 0);
	assert_int_equal(bh_nft_build_table(b, &f->c, 0, &f->o), 0);
	parse_batch(p, b, 0);
	assert_true(find_msg(p, NFT_MSG_NEWSET, "aout4_any", 0) > find_msg(p, NFT_MSG_NEWSET, "in6", 0));
	assert_true(find_msg(p, NFT_MSG_NEWCHAIN, "egress_audit", 0) > 0);
	assert_true(find_msg(p, NFT_MSG_NEWCHAIN, "egress_allow", 0) >
		    find_msg(p, NFT_MSG_NEWCHAIN, "egress_audit", 0));
	nth_rule(p, "output", 4, &v);
	assert_string_equal(v.comment, "audit: isolated by shop/b");
	assert_int_equal(count_rules(p, "egress"), 1);
	nth_rule(p, "egress", 0, &v);
	assert_int_equal(v.verdict, (uint32_t)NFT_GOTO);
	assert_string_equal(v.target, "egress_audit");
	nth_rule(p, "egress_audit", 0, &v);
	assert_string_equal(v.lookup_set, "aout4_any");
	assert_string_equal(v.target, "egress_allow");
	/* over the limit an audited or allowed packet still passes */
	nth_rule(p, "egress_audit", 4, &v);
	assert_string_equal(v.exprs, "limit,counter,immediate");
	assert_int_equal(v.verdict, NF_ACCEPT);
	nth_rule(p, "egress_audit", 5, &v);
	assert_string_equal(v.log_prefix, "bh/42/e/w");
	nth_rule(p, "egress_allow", 0, &v);
	assert_int_equal(v.verdict, NF_ACCEPT);
	nth_rule(p, "egress_allow", 1, &v);
	assert_string_equal(v.log_prefix, "bh/42/e/a");
	/* log none: no log rule in ingress */
	assert_int_equal(count_rules(p, "ingress"), 5);
	nftnl_batch_free(p->nb);
	bh_nft_batch_free(b);
	free(p);
	fixture_free(f);
}

static void test_long_comment_cut(void **state)
{
	struct fixture *f = fixture_new();
	struct bh_nft_batch *b;
	struct parsed *p = malloc(sizeof(*p));
	struct rule_view v;
	char name[80];

	memset(name, 'n', 79);
	name[79] = 0;
	f->pol[0].name = name;
	f->pol[1].name = name;
	assert_int_equal(bh_nft_batch_alloc(&b), 0);
	assert_int_equal(bh_nft_build_table(b, &f->c, 0, &f->o), 0);
	parse_batch(p, b, 0);
	nth_rule(p, "input", 4, &v);
	assert_int_equal(strlen(v.comment), BH_COMMENT_MAX - 1);
	assert_string_equal(v.comment + BH_COMMENT_MAX - 4, "...");
	nftnl_batch_free(p->nb);
	bh_nft_batch_free(b);
	free(p);
	fixture_free(f);
}

static void test_large_set_split(void **state)
{
	struct fixture *f = big_fixture(20000);
	struct bh_nft_batch *b;
	struct parsed *p = malloc(sizeof(*p));
	size_t msgs = 0, total = 0;
	struct elem_view *ev = malloc(1024 * sizeof(*ev));

	assert_int_equal(bh_nft_batch_alloc(&b), 0);
	assert_int_equal(bh_nft_build_table(b, &f->c, 0, &f->o), 0);
	parse_batch(p, b, 0);
	for (int k = 0; find_msg(p, NFT_MSG_NEWSETELEM, "in6", k) >= 0; k++) {
		long i = find_msg(p, NFT_MSG_NEWSETELEM, "in6", k);

		assert_true(p->h[i]->nlmsg_len < 65536);
		total += read_elems(p, "in6", k, ev, 1024);
		msgs++;
	}
	assert_int_equal(total, 20000);
	assert_true(msgs >= 20000 / 1024);
	nftnl_batch_free(p->nb);
	bh_nft_batch_free(b);
	free(ev);
	free(p);
	fixture_free(f);
}

/* The replacing table carries the stamp { generation, digest }; nothing else does. */
static void test_table_stamp(void **state)
{
	struct fixture *f = fixture_new();
	struct bh_nft_batch *b;
	struct parsed *p = malloc(sizeof(*p));
	struct nftnl_table *t;
	struct bh_nft_stamp st;
	uint64_t d0;

	assert_int_equal(bh_nft_batch_alloc(&b), 0);
	assert_int_equal(bh_nft_build_table(b, &f->c, 0, &f->o), 0);
	parse_batch(p, b, 0);
	for (size_t i = 0; i < 3; i++) {
		t = nftnl_table_alloc();
		assert_int_equal(nftnl_table_nlmsg_parse(p->h[i], t), 0);
		/* the add and delete that clear the way carry none */
		assert_int_equal(bh_nft__stamp_get(t, &st), i == 2);
		nftnl_table_free(t);
	}
	assert_int_equal(st.generation, 42);
	d0 = bh_nft_digest(&f->c, 0, &f->o);
	assert_int_equal(st.digest, d0);
	assert_true(d0 != 0);
	nftnl_batch_free(p->nb);
	bh_nft_batch_free(b);

	/* the generation does not count; what changes the table does */
	f->o.generation = 43;
	assert_int_equal(bh_nft_digest(&f->c, 0, &f->o), d0);
	f->o.log_group = 0;
	assert_true(bh_nft_digest(&f->c, 0, &f->o) != d0);
	f->o.log_group = BH_LOG_GROUP;
	f->o.log_rate = 5;
	assert_true(bh_nft_digest(&f->c, 0, &f->o) != d0);
	f->o.log_rate = BH_LOG_RATE;
	f->o.log_burst = 7;
	assert_true(bh_nft_digest(&f->c, 0, &f->o) != d0);
	f->o.log_burst = BH_LOG_BURST;
	assert_int_equal(bh_nft_digest(&f->c, 0, &f->o), d0);
	f->rs.hash ^= 1;
	assert_true(bh_nft_digest(&f->c, 0, &f->o) != d0);
	f->rs.hash ^= 1;
	/* a renamed isolating policy changes the jump comment */
	f->pol[1].name = "c";
	assert_true(bh_nft_digest(&f->c, 0, &f->o) != d0);
	f->pol[1].name = "b";
	assert_int_equal(bh_nft_digest(&f->c, 0, &f->o), d0);

	/* read back next to a comment nft wrote; a table without userdata has no stamp */
	t = nftnl_table_alloc();
	assert_int_equal(bh_nft__stamp_get(t, &st), false);
	st = (struct bh_nft_stamp){ 7, d0 };
	assert_int_equal(bh_nft__stamp_set(t, &st), 0);
	{
		struct nftnl_udata_buf *u = nftnl_udata_buf_alloc(128);
		uint32_t len;
		const void *old = nftnl_table_get_data(t, NFTNL_TABLE_USERDATA, &len);

		assert_true(nftnl_udata_put_strz(u, NFTNL_UDATA_TABLE_COMMENT, "by hand"));
		assert_true(nftnl_udata_put(u, 0xb1, 3, "abc"));	/* wrong size: skipped */
		memcpy((char *)nftnl_udata_buf_data(u) + nftnl_udata_buf_len(u), old, len);
		assert_int_equal(nftnl_table_set_data(t, NFTNL_TABLE_USERDATA, nftnl_udata_buf_data(u),
						      nftnl_udata_buf_len(u) + len), 0);
		nftnl_udata_buf_free(u);
	}
	memset(&st, 0, sizeof(st));
	assert_true(bh_nft__stamp_get(t, &st));
	assert_int_equal(st.generation, 7);
	assert_int_equal(st.digest, d0);
	nftnl_table_free(t);
	free(p);
	fixture_free(f);
}

/* --debug-netlink: the batch as the kernel gets it, every message */
static void test_batch_fprint(void **state)
{
	struct fixture *f = fixture_new();
	struct bh_nft_batch *b;
	char *text = NULL;
	size_t len = 0, n = 0;
	FILE *m = open_memstream(&text, &len);

	assert_non_null(m);
	assert_int_equal(bh_nft_batch_alloc(&b), 0);
	assert_int_equal(bh_nft_build_table(b, &f->c, 0, &f->o), 0);
	assert_int_equal(bh_nft_batch_fprint(b, m), 0);
	fclose(m);
	/* mnl_nlmsg_fprintf frames each message with a header box */
	for (const char *s = text; (s = strstr(s, "----------------\t------------------")); s++)
		n++;
	assert_true(n >= bh_nft_batch_msgs(b));
	free(text);
	bh_nft_batch_free(b);
	fixture_free(f);
}

static void test_elem_format(void **state)
{
	struct bh_elem e = { 0 };
	char buf[160];

	v4(e.lo, "10.2.0.0");
	v4(e.hi, "10.2.255.255");
	e.proto = 17;
	e.port_lo = 1000;
	e.port_hi = 2000;
	bh_nft__elem_format(&e, BH_FAM_V4, true, buf, sizeof(buf));
	assert_string_equal(buf, "10.2.0.0/16 . udp . 1000-2000");
	v4(e.hi, "10.2.0.7");
	bh_nft__elem_format(&e, BH_FAM_V4, false, buf, sizeof(buf));
	assert_string_equal(buf, "10.2.0.0/29");
	v4(e.hi, "10.2.0.9");
	bh_nft__elem_format(&e, BH_FAM_V4, false, buf, sizeof(buf));
	assert_string_equal(buf, "10.2.0.0-10.2.0.9");
	v6(e.lo, "fd00::1");
	v6(e.hi, "fd00::1");
	e.proto = 6;
	e.port_lo = e.port_hi = 80;
	bh_nft__elem_format(&e, BH_FAM_V6, true, buf, sizeof(buf));
	assert_string_equal(buf, "fd00::1 . tcp . 80");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_batch_framing),
		cmocka_unit_test(test_chains_and_sets_present),
		cmocka_unit_test(test_set_attributes),
		cmocka_unit_test(test_interval_elements),
		cmocka_unit_test(test_rules),
		cmocka_unit_test(test_audit_and_log_all),
		cmocka_unit_test(test_long_comment_cut),
		cmocka_unit_test(test_large_set_split),
		cmocka_unit_test(test_elem_format),
		cmocka_unit_test(test_table_stamp),
		cmocka_unit_test(test_batch_fprint),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
