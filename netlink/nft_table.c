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

#include "compile.h"
#include "netns.h"
#include "nft.h"

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

struct gen_ctx {
	uint64_t gen;
	bool found;
};

static int expr_cb(struct nftnl_expr *e, void *data)
{
	struct gen_ctx *g = data;
	struct bh_log_tag t;
	const char *prefix;

	if (g->found || strcmp(nftnl_expr_get_str(e, NFTNL_EXPR_NAME), "log") ||
	    !nftnl_expr_is_set(e, NFTNL_EXPR_LOG_PREFIX))
		return MNL_CB_OK;
	prefix = nftnl_expr_get_str(e, NFTNL_EXPR_LOG_PREFIX);
	if (prefix && bh_log_tag_parse(prefix, &t) == 0) {
		g->gen = t.generation;
		g->found = true;
	}
	return MNL_CB_OK;
}

static int rule_cb(const struct nlmsghdr *nlh, void *data)
{
	struct nftnl_rule *r = nftnl_rule_alloc();

	if (!r)
		return MNL_CB_ERROR;
	if (nftnl_rule_nlmsg_parse(nlh, r) == 0)
		nftnl_expr_foreach(r, expr_cb, data);
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

int bh_nft_table_get(const char *netns, uint64_t *gen)
{
	char buf[MNL_SOCKET_BUFFER_SIZE], err[128];
	struct gen_ctx g = { 0 };
	struct nftnl_table *t;
	struct nftnl_rule *r;
	struct mnl_socket *nl;
	struct nlmsghdr *nlh;
	uint32_t seq = (uint32_t)time(NULL);
	int ret;

	memset(buf, 0, sizeof(buf));	/* no uninitialised padding reaches the kernel */
	nl = nft_socket(netns, err, sizeof(err));
	if (!nl)
		return -errno;
	t = nftnl_table_alloc();
	if (!t) {
		ret = -ENOMEM;
		goto out;
	}
	nftnl_table_set_str(t, NFTNL_TABLE_NAME, BH_TABLE);
	nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETTABLE, NFPROTO_INET, NLM_F_ACK, seq);
	nftnl_table_nlmsg_build_payload(nlh, t);
	nftnl_table_free(t);
	ret = request(nl, nlh, NULL, NULL);
	if (ret == -ENOENT) {
		ret = 0;
		goto out;
	}
	if (ret)
		goto out;
	ret = 1;
	if (!gen)
		goto out;
	r = nftnl_rule_alloc();
	if (!r) {
		ret = -ENOMEM;
		goto out;
	}
	nftnl_rule_set_str(r, NFTNL_RULE_TABLE, BH_TABLE);
	nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETRULE, NFPROTO_INET, NLM_F_DUMP, seq + 1);
	nftnl_rule_nlmsg_build_payload(nlh, r);
	nftnl_rule_free(r);
	ret = request(nl, nlh, rule_cb, &g);
	if (!ret)
		ret = 1;
	*gen = g.gen;
out:
	mnl_socket_close(nl);
	return ret;
}
