// SPDX-License-Identifier: GPL-2.0-or-later
/* Applying, deleting and inspecting table inet bulkhead in a namespace. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <libmnl/libmnl.h>
#include <libnftnl/common.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <libnftnl/table.h>

#include "policy/compile.h"
#include "netlink/nft.h"
#include "netlink/nft_conn.h"
#include "netlink/nft_int.h"

int bh_nft_apply(const char *netns, const struct bh_nft_batch *b, unsigned int flags,
		 char *err, size_t errlen)
{
	char dummy[1];
	struct bh_nft_conn *c;
	int ret;

	if (!errlen) {
		err = dummy;
		errlen = sizeof(dummy);
	}
	ret = bh_nft_conn_open(netns, &c, err, errlen);
	if (ret)
		return ret;
	ret = bh_nft_conn_send(c, b, flags, err, errlen);
	bh_nft_conn_close(c);
	return ret;
}

int bh_nft_delete(const char *netns, char *err, size_t errlen)
{
	struct bh_nft_batch *b;
	int ret;

	if ((ret = bh_nft_batch_alloc(&b)))
		return ret;
	ret = bh_nft_build_delete(b);
	if (!ret)
		ret = bh_nft_apply(netns, b, 0, err, errlen);
	else if (errlen)
		snprintf(err, errlen, "%s", strerror(-ret));
	bh_nft_batch_free(b);
	return ret;
}

struct read_ctx {
	struct bh_nft_state *st;
	bool have_gen;
	int dir;		/* of the rule being parsed; -1 outside ingress/egress chains */
	bool over_limit;	/* the rule has a "limit rate over" */
	uint64_t packets;	/* its counter */
};

static int expr_cb(struct nftnl_expr *e, void *data)
{
	struct read_ctx *x = data;
	const char *name = nftnl_expr_get_str(e, NFTNL_EXPR_NAME);
	struct bh_log_tag t;
	const char *prefix;

	if (!strcmp(name, "limit")) {
		x->over_limit = nftnl_expr_get_u32(e, NFTNL_EXPR_LIMIT_FLAGS) & NFT_LIMIT_F_INV;
	} else if (!strcmp(name, "counter")) {
		x->packets = nftnl_expr_get_u64(e, NFTNL_EXPR_CTR_PACKETS);
	} else if (!strcmp(name, "log") && !x->have_gen &&
		   nftnl_expr_is_set(e, NFTNL_EXPR_LOG_PREFIX)) {
		prefix = nftnl_expr_get_str(e, NFTNL_EXPR_LOG_PREFIX);
		if (prefix && bh_log_tag_parse(prefix, &t) == 0) {
			x->st->generation = t.generation;
			x->have_gen = true;
		}
	}
	return MNL_CB_OK;
}

static int rule_cb(const struct nlmsghdr *nlh, void *data)
{
	struct read_ctx *x = data;
	struct nftnl_rule *r = nftnl_rule_alloc();
	const char *chain;

	if (!r)
		return MNL_CB_ERROR;
	if (nftnl_rule_nlmsg_parse(nlh, r) == 0) {
		chain = nftnl_rule_get_str(r, NFTNL_RULE_CHAIN);
		/* ingress, ingress_audit, ingress_allow; egress likewise */
		x->dir = !chain ? -1 : !strncmp(chain, "ingress", 7) ? BH_INGRESS :
			 !strncmp(chain, "egress", 6) ? BH_EGRESS : -1;
		x->over_limit = false;
		x->packets = 0;
		nftnl_expr_foreach(r, expr_cb, x);
		if (x->dir >= 0 && x->over_limit)
			x->st->unlogged[x->dir] += x->packets;
	}
	nftnl_rule_free(r);
	return MNL_CB_OK;
}

struct table_ctx {
	struct bh_nft_stamp *stamp;
	struct bh_nft_state *st;	/* NULL: the stamp only */
};

static int table_cb(const struct nlmsghdr *nlh, void *data)
{
	struct table_ctx *x = data;
	struct nftnl_table *t = nftnl_table_alloc();

	if (!t)
		return MNL_CB_ERROR;
	if (nftnl_table_nlmsg_parse(nlh, t) == 0) {
		bh_nft__stamp_get(t, x->stamp);
		if (x->st && nftnl_table_is_set(t, NFTNL_TABLE_FLAGS))
			x->st->flags = nftnl_table_get_u32(t, NFTNL_TABLE_FLAGS);
		/* the kernel reports an owner only while the owner flag is set */
		if (x->st && nftnl_table_is_set(t, NFTNL_TABLE_OWNER)) {
			x->st->owner = nftnl_table_get_u32(t, NFTNL_TABLE_OWNER);
			x->st->has_owner = true;
		}
	}
	nftnl_table_free(t);
	return MNL_CB_OK;
}

/* GETTABLE inet bulkhead: 1 and *stamp (and st's flags) when it exists, 0 when not, or -errno. */
static int table_request(struct bh_nft_conn *c, struct bh_nft_stamp *stamp,
			 struct bh_nft_state *st)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct table_ctx x = { stamp, st };
	struct nftnl_table *t;
	struct nlmsghdr *nlh;
	int ret;

	memset(stamp, 0, sizeof(*stamp));
	memset(buf, 0, sizeof(buf));	/* no uninitialised padding reaches the kernel */
	t = nftnl_table_alloc();
	if (!t)
		return -ENOMEM;
	nftnl_table_set_str(t, NFTNL_TABLE_NAME, BH_TABLE);
	nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETTABLE, NFPROTO_INET, NLM_F_ACK,
				    bh_nft__conn_seq(c, 1));
	nftnl_table_nlmsg_build_payload(nlh, t);
	nftnl_table_free(t);
	ret = bh_nft__conn_request(c, nlh, table_cb, &x);
	if (ret == -ENOENT)
		return 0;
	return ret ? ret : 1;
}

int bh_nft_conn_table_stamp(struct bh_nft_conn *c, struct bh_nft_stamp *st)
{
	return table_request(c, st, NULL);
}

int bh_nft_table_stamp(const char *netns, struct bh_nft_stamp *st)
{
	struct bh_nft_conn *c;
	char err[128];
	int ret;

	memset(st, 0, sizeof(*st));
	ret = bh_nft_conn_open(netns, &c, err, sizeof(err));
	if (ret)
		return ret;
	ret = table_request(c, st, NULL);
	bh_nft_conn_close(c);
	return ret;
}

int bh_nft_conn_table_read(struct bh_nft_conn *c, struct bh_nft_state *st)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct read_ctx x = { .st = st };
	struct bh_nft_stamp stamp;
	struct nftnl_rule *r;
	struct nlmsghdr *nlh;
	int ret;

	memset(st, 0, sizeof(*st));
	ret = table_request(c, &stamp, st);
	if (ret <= 0)
		return ret;
	if (stamp.digest) {
		st->generation = stamp.generation;
		st->digest = stamp.digest;
		x.have_gen = true;	/* the stamp's generation wins over the log prefixes */
	}
	memset(buf, 0, sizeof(buf));
	r = nftnl_rule_alloc();
	if (!r)
		return -ENOMEM;
	nftnl_rule_set_str(r, NFTNL_RULE_TABLE, BH_TABLE);
	nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETRULE, NFPROTO_INET, NLM_F_DUMP,
				    bh_nft__conn_seq(c, 1));
	nftnl_rule_nlmsg_build_payload(nlh, r);
	nftnl_rule_free(r);
	ret = bh_nft__conn_request(c, nlh, rule_cb, &x);
	return ret ? ret : 1;
}

int bh_nft_table_read(const char *netns, struct bh_nft_state *st)
{
	struct bh_nft_conn *c;
	char err[128];
	int ret;

	memset(st, 0, sizeof(*st));
	ret = bh_nft_conn_open(netns, &c, err, sizeof(err));
	if (ret)
		return ret;
	ret = bh_nft_conn_table_read(c, st);
	bh_nft_conn_close(c);
	return ret;
}

int bh_nft_table_get(const char *netns, uint64_t *gen)
{
	struct bh_nft_state st;
	int ret = bh_nft_table_read(netns, &st);

	if (ret > 0 && gen)
		*gen = st.generation;
	return ret;
}
