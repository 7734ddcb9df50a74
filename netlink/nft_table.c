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
#include "netlink/netns.h"
#include "netlink/nft.h"
#include "netlink/nft_int.h"

/* A NETLINK_NETFILTER socket inside netns, bound. Negative errno on failure. */
static struct mnl_socket *nft_socket(const char *netns, char *err, size_t errlen)
{
	struct mnl_socket *nl;
	int fd, e;

	fd = bh_netns_socket(netns, AF_NETLINK, SOCK_RAW, NETLINK_NETFILTER);
	if (fd < 0) {
		snprintf(err, errlen, "%s %s: %s", fd == -EINVAL ? "not a network namespace:" :
			 "cannot enter namespace", netns ? netns : "(current)", strerror(-fd));
		errno = -fd;
		return NULL;
	}
	nl = mnl_socket_fdopen(fd);
	if (!nl || mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		e = errno;
		snprintf(err, errlen, "netlink socket: %s", strerror(e));
		if (nl)
			mnl_socket_close(nl);
		else
			close(fd);
		errno = e;
		return NULL;
	}
	return nl;
}

int bh_nft_apply(const char *netns, const struct bh_nft_batch *b, unsigned int flags,
		 char *err, size_t errlen)
{
	char dummy[1];
	struct mnl_socket *nl;
	int ret;

	if (!errlen) {
		err = dummy;
		errlen = sizeof(dummy);
	}
	*err = 0;
	nl = nft_socket(netns, err, errlen);
	if (!nl)
		return -errno;
	ret = bh_nft_batch_send(b, mnl_socket_get_fd(nl), flags, err, errlen);
	mnl_socket_close(nl);
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

/* Sends one request and runs cb over the answer. 0 or negative errno. */
static int request(struct mnl_socket *nl, struct nlmsghdr *nlh, mnl_cb_t cb, void *data)
{
	uint32_t portid = mnl_socket_get_portid(nl), seq = nlh->nlmsg_seq;
	char *buf = malloc(1 << 16);
	ssize_t n;
	int ret = 0;

	if (!buf)
		return -ENOMEM;
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0) {
		ret = -errno;
		goto out;
	}
	for (;;) {
		n = mnl_socket_recvfrom(nl, buf, 1 << 16);
		if (n < 0) {
			ret = -errno;
			break;
		}
		ret = mnl_cb_run(buf, n, seq, portid, cb, data);
		if (ret <= MNL_CB_STOP) {
			ret = ret < 0 ? -errno : 0;
			break;
		}
	}
out:
	free(buf);
	return ret;
}

static int table_cb(const struct nlmsghdr *nlh, void *data)
{
	struct nftnl_table *t = nftnl_table_alloc();

	if (!t)
		return MNL_CB_ERROR;
	if (nftnl_table_nlmsg_parse(nlh, t) == 0)
		bh_nft__stamp_get(t, data);
	nftnl_table_free(t);
	return MNL_CB_OK;
}

/* GETTABLE inet bulkhead: 1 and *st when it exists, 0 when not, or -errno. */
static int table_request(struct mnl_socket *nl, char *buf, uint32_t seq, struct bh_nft_stamp *st)
{
	struct nftnl_table *t;
	struct nlmsghdr *nlh;
	int ret;

	memset(st, 0, sizeof(*st));
	t = nftnl_table_alloc();
	if (!t)
		return -ENOMEM;
	nftnl_table_set_str(t, NFTNL_TABLE_NAME, BH_TABLE);
	nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETTABLE, NFPROTO_INET, NLM_F_ACK, seq);
	nftnl_table_nlmsg_build_payload(nlh, t);
	nftnl_table_free(t);
	ret = request(nl, nlh, table_cb, st);
	if (ret == -ENOENT)
		return 0;
	return ret ? ret : 1;
}

int bh_nft_table_stamp(const char *netns, struct bh_nft_stamp *st)
{
	char buf[MNL_SOCKET_BUFFER_SIZE], err[128];
	struct mnl_socket *nl;
	int ret;

	memset(st, 0, sizeof(*st));
	memset(buf, 0, sizeof(buf));	/* no uninitialised padding reaches the kernel */
	nl = nft_socket(netns, err, sizeof(err));
	if (!nl)
		return -errno;
	ret = table_request(nl, buf, (uint32_t)time(NULL), st);
	mnl_socket_close(nl);
	return ret;
}

int bh_nft_table_read(const char *netns, struct bh_nft_state *st)
{
	char buf[MNL_SOCKET_BUFFER_SIZE], err[128];
	struct read_ctx x = { .st = st };
	struct bh_nft_stamp stamp;
	struct nftnl_rule *r;
	struct mnl_socket *nl;
	struct nlmsghdr *nlh;
	uint32_t seq = (uint32_t)time(NULL);
	int ret;

	memset(st, 0, sizeof(*st));
	memset(buf, 0, sizeof(buf));	/* no uninitialised padding reaches the kernel */
	nl = nft_socket(netns, err, sizeof(err));
	if (!nl)
		return -errno;
	ret = table_request(nl, buf, seq, &stamp);
	if (ret <= 0)
		goto out;
	if (stamp.digest) {
		st->generation = stamp.generation;
		st->digest = stamp.digest;
		x.have_gen = true;	/* the stamp's generation wins over the log prefixes */
	}
	r = nftnl_rule_alloc();
	if (!r) {
		ret = -ENOMEM;
		goto out;
	}
	nftnl_rule_set_str(r, NFTNL_RULE_TABLE, BH_TABLE);
	nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETRULE, NFPROTO_INET, NLM_F_DUMP, seq + 1);
	nftnl_rule_nlmsg_build_payload(nlh, r);
	nftnl_rule_free(r);
	ret = request(nl, nlh, rule_cb, &x);
	if (!ret)
		ret = 1;
out:
	mnl_socket_close(nl);
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
