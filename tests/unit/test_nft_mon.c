// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * nftables change events: the parser on hand-built messages (no kernel),
 * then a kernel in a child's own namespace: our own transaction carries
 * our pid, another process's (nft) carries its pid and name, a deleted
 * table is one change (its chains and rules folded in), and an overflowed
 * socket says so.
 */
#include <errno.h>
#include <poll.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/wait.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <libmnl/libmnl.h>
#include <cmocka.h>

#include "netlink/nft.h"
#include "netlink/nft_conn.h"
#include "netlink/nft_mon.h"
#include "nft_fixture.h"

#define CHECK(cond, code)                                                                  \
	do {                                                                               \
		if (!(cond)) {                                                             \
			fprintf(stderr, "%s:%d: %s\n", __FILE__, __LINE__, #cond);         \
			return code;                                                       \
		}                                                                          \
	} while (0)

struct got {
	struct bh_nft_txn t[16];
	size_t n;
};

static void keep(const struct bh_nft_txn *t, void *arg)
{
	struct got *g = arg;

	if (g->n < 16)
		g->t[g->n++] = *t;
}

/* ---- the parser ------------------------------------------------------------------------ */

static struct nlmsghdr *put(char *buf, size_t *off, uint8_t msg, uint8_t fam)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf + *off);
	struct nfgenmsg *g;

	nlh->nlmsg_type = NFNL_SUBSYS_NFTABLES << 8 | msg;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->nfgen_family = fam;
	return nlh;
}

static void done(size_t *off, struct nlmsghdr *nlh)
{
	*off += NLMSG_ALIGN(nlh->nlmsg_len);
}

static void test_parse(void **state)
{
	static char buf[8192];
	struct bh_nft_mon *m;
	struct nlmsghdr *nlh;
	struct nlattr *nest;
	struct got g = { 0 };
	size_t off = 0;

	memset(buf, 0, sizeof(buf));
	assert_int_equal(bh_nft_mon_alloc(&m), 0);
	/* "nft delete table inet bulkhead": rules, a set, chains, the table */
	nlh = put(buf, &off, NFT_MSG_DELRULE, NFPROTO_INET);
	mnl_attr_put_strz(nlh, NFTA_RULE_TABLE, "bulkhead");
	mnl_attr_put_strz(nlh, NFTA_RULE_CHAIN, "input");
	done(&off, nlh);
	nlh = put(buf, &off, NFT_MSG_DELSET, NFPROTO_INET);
	mnl_attr_put_strz(nlh, NFTA_SET_TABLE, "bulkhead");
	done(&off, nlh);
	nlh = put(buf, &off, NFT_MSG_DELTABLE, NFPROTO_INET);
	mnl_attr_put_strz(nlh, NFTA_TABLE_NAME, "bulkhead");
	done(&off, nlh);
	/* and, in the same transaction, three elements into another table */
	nlh = put(buf, &off, NFT_MSG_NEWSETELEM, NFPROTO_IPV4);
	mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_TABLE, "filter");
	nest = mnl_attr_nest_start(nlh, NFTA_SET_ELEM_LIST_ELEMENTS);
	for (int i = 0; i < 3; i++) {
		struct nlattr *e = mnl_attr_nest_start(nlh, 1);

		mnl_attr_put_u32(nlh, NFTA_SET_ELEM_FLAGS, 0);
		mnl_attr_nest_end(nlh, e);
	}
	mnl_attr_nest_end(nlh, nest);
	done(&off, nlh);
	/* a trace message and one from the future: not changes */
	nlh = put(buf, &off, NFT_MSG_TRACE, NFPROTO_INET);
	done(&off, nlh);
	nlh = put(buf, &off, NFT_MSG_MAX + 5, NFPROTO_INET);
	done(&off, nlh);
	/* nothing is delivered before the generation message */
	assert_int_equal(bh_nft_mon_parse(m, buf, off, keep, &g), 0);
	assert_int_equal(g.n, 0);
	off = 0;
	nlh = put(buf, &off, NFT_MSG_NEWGEN, NFPROTO_UNSPEC);
	mnl_attr_put_u32(nlh, NFTA_GEN_ID, htonl(77));
	mnl_attr_put_u32(nlh, NFTA_GEN_PROC_PID, htonl(4242));
	mnl_attr_put_strz(nlh, NFTA_GEN_PROC_NAME, "nft");
	mnl_attr_put_u32(nlh, 99, 0);	/* an attribute from the future */
	done(&off, nlh);
	assert_int_equal(bh_nft_mon_parse(m, buf, off, keep, &g), 1);
	assert_int_equal(g.n, 1);
	assert_int_equal(g.t[0].gen, 77);
	assert_int_equal(g.t[0].pid, 4242);
	assert_string_equal(g.t[0].comm, "nft");
	assert_int_equal(g.t[0].n, 2);
	assert_string_equal(g.t[0].v[0].table, "bulkhead");
	assert_int_equal(g.t[0].v[0].object, BH_NFT_OBJ_TABLE);
	assert_int_equal(g.t[0].v[0].op, BH_NFT_OP_DELETED);
	assert_int_equal(g.t[0].v[0].count, 3);
	assert_int_equal(g.t[0].v[0].family, NFPROTO_INET);
	assert_string_equal(g.t[0].v[1].table, "filter");
	assert_int_equal(g.t[0].v[1].object, BH_NFT_OBJ_ELEMENT);
	assert_int_equal(g.t[0].v[1].op, BH_NFT_OP_ADDED);
	assert_int_equal(g.t[0].v[1].count, 3);
	assert_string_equal(bh_nft_obj_name(g.t[0].v[1].object), "element");
	assert_string_equal(bh_nft_op_name(g.t[0].v[0].op), "deleted");
	assert_int_equal(bh_nft_mon_malformed(m), 0);
	/* the next transaction starts empty; a message without its table is malformed */
	off = 0;
	nlh = put(buf, &off, NFT_MSG_NEWCHAIN, NFPROTO_INET);
	done(&off, nlh);
	for (int i = 0; i < BH_NFT_TXN_CHANGES + 2; i++) {
		char name[16];

		snprintf(name, sizeof(name), "t%d", i);
		nlh = put(buf, &off, NFT_MSG_NEWTABLE, NFPROTO_INET);
		mnl_attr_put_strz(nlh, NFTA_TABLE_NAME, name);
		done(&off, nlh);
	}
	nlh = put(buf, &off, NFT_MSG_NEWGEN, NFPROTO_UNSPEC);
	done(&off, nlh);
	assert_int_equal(bh_nft_mon_parse(m, buf, off, keep, &g), 1);
	assert_int_equal(g.t[1].n, BH_NFT_TXN_CHANGES);
	assert_int_equal(g.t[1].more, 2);
	assert_int_equal(g.t[1].pid, 0);
	assert_int_equal(bh_nft_mon_malformed(m), 1);
	bh_nft_mon_close(m);
}

/* ---- against a kernel ------------------------------------------------------------------- */

static void in_netns(void **state, int (*fn)(void))
{
	pid_t pid = fork();
	int st;

	assert_true(pid >= 0);
	if (pid == 0) {
		if (unshare(CLONE_NEWNET) < 0)
			_exit(77);
		_exit(fn());
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	if (WEXITSTATUS(st) == 77)
		skip();
	assert_int_equal(WEXITSTATUS(st), 0);
}

/* Reads events for up to ms until want transactions have come. */
static void wait_txns(struct bh_nft_mon *m, struct got *g, size_t want, int ms)
{
	struct pollfd p = { .fd = bh_nft_mon_fd(m), .events = POLLIN };

	while (g->n < want && poll(&p, 1, ms) > 0)
		bh_nft_mon_read(m, keep, g, 16);
}

static int events(void)
{
	struct fixture *f = fixture_new();
	struct bh_nft_batch *b;
	struct bh_nft_conn *c;
	struct bh_nft_mon *m;
	struct got g = { 0 };
	char err[256];

	CHECK(!bh_nft_mon_open(NULL, &m), 2);
	CHECK(!bh_nft_conn_open(NULL, &c, err, sizeof(err)), 2);
	CHECK(!bh_nft_batch_alloc(&b) && !bh_nft_build_table(b, &f->c, 0, &f->o), 2);
	CHECK(!bh_nft_conn_send(c, b, 0, err, sizeof(err)), 3);
	wait_txns(m, &g, 1, 2000);
	CHECK(g.n == 1 && g.t[0].pid == (uint32_t)getpid(), 4);
	CHECK(!strcmp(g.t[0].v[0].table, "bulkhead") && g.t[0].v[0].object == BH_NFT_OBJ_TABLE, 4);
	/* another process: its pid and name, one change per table and way */
	CHECK(system("nft add table inet foo && nft delete table inet bulkhead") == 0, 5);
	wait_txns(m, &g, 3, 2000);
	CHECK(g.n == 3, 6);
	CHECK(g.t[1].pid && g.t[1].pid != (uint32_t)getpid() && !strcmp(g.t[1].comm, "nft"), 6);
	CHECK(g.t[1].n == 1 && !strcmp(g.t[1].v[0].table, "foo") &&
	      g.t[1].v[0].op == BH_NFT_OP_ADDED && g.t[1].v[0].object == BH_NFT_OBJ_TABLE, 6);
	CHECK(g.t[2].n == 1 && !strcmp(g.t[2].v[0].table, "bulkhead") &&
	      g.t[2].v[0].op == BH_NFT_OP_DELETED && g.t[2].v[0].object == BH_NFT_OBJ_TABLE &&
	      g.t[2].v[0].count > 10, 7);
	CHECK(g.t[2].gen == g.t[1].gen + 1, 7);
	bh_nft_batch_free(b);
	bh_nft_conn_close(c);
	bh_nft_mon_close(m);
	fixture_free(f);
	return 0;
}

static void test_kernel_events(void **state)
{
	in_netns(state, events);
}

static int overflow(void)
{
	struct fixture *f = big_fixture(20000);
	struct bh_nft_batch *b;
	struct bh_nft_conn *c;
	struct bh_nft_mon *m;
	struct got g = { 0 };
	char err[256];
	int ret = 0;

	CHECK(!bh_nft_mon_open(NULL, &m), 2);
	CHECK(!bh_nft_conn_open(NULL, &c, err, sizeof(err)), 2);
	CHECK(!bh_nft_batch_alloc(&b) && !bh_nft_build_table(b, &f->c, 0, &f->o), 2);
	/* 20,000 elements, sent six times without reading: more than the socket holds */
	for (int i = 0; i < 6; i++)
		CHECK(!bh_nft_conn_send(c, b, 0, err, sizeof(err)), 3);
	for (int i = 0; i < 10000 && ret >= 0; i++)
		ret = bh_nft_mon_read(m, keep, &g, 64);
	CHECK(ret == -ENOBUFS, 4);
	bh_nft_batch_free(b);
	bh_nft_conn_close(c);
	bh_nft_mon_close(m);
	fixture_free(f);
	return 0;
}

static void test_kernel_overflow(void **state)
{
	in_netns(state, overflow);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_kernel_events),
		cmocka_unit_test(test_kernel_overflow),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
