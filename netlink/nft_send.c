// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Sending a batch and reading every acknowledgement. The kernel handles
 * the whole batch inside our sendmsg() and queues one ack per message
 * (NLM_F_ACK) before sendmsg() returns, so after sending we drain the
 * socket until it is empty and check that every sequence number was
 * answered. Errors carry the sequence number of the message that failed
 * and, with NETLINK_EXT_ACK, the offset of the attribute it choked on:
 * for an element list that names the element.
 */
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>
#include <libmnl/libmnl.h>
#include <libnftnl/batch.h>

#include "policy/compile.h"
#include "netlink/nft.h"
#include "netlink/nft_int.h"

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

struct acks {
	uint32_t seq0;
	size_t n;		/* messages that want an ack */
	bool *got;
	size_t n_got;
	size_t n_err;
	long first;		/* index of the first failing message, -1: commit, -2: none */
	int first_err;		/* negative errno */
	uint32_t first_off;	/* NLMSGERR_ATTR_OFFS, 0 when absent */
	char first_msg[128];	/* NLMSGERR_ATTR_MSG */
};

static void ack_parse(struct acks *a, const struct nlmsghdr *nlh)
{
	const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *attr;
	long idx;
	uint32_t off = 0;
	const char *msg = NULL;

	if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*e)))
		return;
	idx = (long)(e->msg.nlmsg_seq - a->seq0) - 1;
	if (idx >= 0 && (size_t)idx < a->n && !a->got[idx]) {
		a->got[idx] = true;
		a->n_got++;
	}
	if (!e->error)
		return;
	a->n_err++;
	if (nlh->nlmsg_flags & NLM_F_ACK_TLVS) {
		/* with NETLINK_CAP_ACK only the original header is echoed */
		mnl_attr_for_each(attr, nlh, sizeof(*e)) {
			if (mnl_attr_get_type(attr) == NLMSGERR_ATTR_MSG &&
			    mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) == 0)
				msg = mnl_attr_get_str(attr);
			else if (mnl_attr_get_type(attr) == NLMSGERR_ATTR_OFFS &&
				 mnl_attr_validate(attr, MNL_TYPE_U32) == 0)
				off = mnl_attr_get_u32(attr);
		}
	}
	/* report the earliest message in the batch: later ones often fail because of it */
	if (a->first != -2 && idx >= a->first)
		return;
	if (idx < 0 || (size_t)idx >= a->n)
		idx = -1;
	a->first = idx;
	a->first_err = e->error;
	a->first_off = off;
	snprintf(a->first_msg, sizeof(a->first_msg), "%s", msg ? msg : "");
}

/* Index of the element (in the message's element list) that contains offset off. */
static long elem_at(const struct nlmsghdr *nlh, uint32_t off)
{
	const struct nlattr *attr, *el;
	long i;

	mnl_attr_for_each(attr, nlh, sizeof(struct nfgenmsg)) {
		if (mnl_attr_get_type(attr) != NFTA_SET_ELEM_LIST_ELEMENTS)
			continue;
		i = 0;
		mnl_attr_for_each_nested(el, attr) {
			uint32_t start = (const char *)el - (const char *)nlh;

			if (off >= start && off < start + el->nla_len)
				return i;
			i++;
		}
	}
	return -1;
}

static void describe(const struct bh_nft_batch *b, const struct nlmsghdr **hdrs,
		     const struct acks *a, char *err, size_t len)
{
	const struct bh_nft__msg *m;
	char elem[160] = "";
	char more[48] = "";
	long i;

	if (!len)
		return;
	if (a->n_err > 1)
		snprintf(more, sizeof(more), " (and %zu more errors)", a->n_err - 1);
	if (a->first < 0) {
		snprintf(err, len, "transaction: %s%s%s%s", strerror(-a->first_err),
			 *a->first_msg ? " (" : "", a->first_msg, *a->first_msg ? ")" : "");
		return;
	}
	m = &b->v[a->first];
	if (m->es && a->first_off && (i = elem_at(hdrs[a->first], a->first_off)) >= 0 &&
	    (size_t)i < m->es->n_map) {
		uint32_t src = m->es->map[i];

		if (src == UINT32_MAX)
			snprintf(elem, sizeof(elem), ": interval end at 0");
		else {
			memcpy(elem, ": element ", 11);
			bh_nft__elem_format(&m->es->src[src], m->es->fam, m->es->concat,
					    elem + 10, sizeof(elem) - 10);
		}
	}
	snprintf(err, len, "%s%s: %s%s%s%s%s", m->what, elem, strerror(-a->first_err),
		 *a->first_msg ? " (" : "", a->first_msg, *a->first_msg ? ")" : "", more);
}

static int setsockopt_int(int fd, int level, int name, int val)
{
	return setsockopt(fd, level, name, &val, sizeof(val)) < 0 ? -errno : 0;
}

/* Reads acks until the socket is empty and nothing more is expected. */
static int acks_read(int fd, struct acks *a)
{
	static const size_t buflen = 1 << 16;
	char *buf = malloc(buflen);
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	int waited = 0, ret = 0;

	if (!buf)
		return -ENOMEM;
	for (;;) {
		ssize_t n = recv(fd, buf, buflen, MSG_DONTWAIT);
		const struct nlmsghdr *nlh;
		int left;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN) {
			if (a->n_got == a->n)
				break;
			/* the kernel answers within sendmsg(); wait briefly in case it did not */
			if (waited++ >= 2 || poll(&pfd, 1, 500) <= 0) {
				if (!a->n_err)
					ret = -ETIMEDOUT;
				break;
			}
			continue;
		}
		if (n < 0) {
			/* ENOBUFS: acks were dropped; the outcome is unknown */
			ret = -errno;
			break;
		}
		left = n;
		for (nlh = (const struct nlmsghdr *)buf; mnl_nlmsg_ok(nlh, left);
		     nlh = mnl_nlmsg_next(nlh, &left))
			if (nlh->nlmsg_type == NLMSG_ERROR)
				ack_parse(a, nlh);
	}
	free(buf);
	return ret;
}

int bh_nft_batch_send(const struct bh_nft_batch *b, int fd, unsigned int flags,
		      char *err, size_t errlen)
{
	return bh_nft__batch_send(b, fd, flags, (uint32_t)time(NULL) << 8, err, errlen);
}

int bh_nft__batch_send(const struct bh_nft_batch *b, int fd, unsigned int flags, uint32_t seq0,
		       char *err, size_t errlen)
{
	struct sockaddr_nl snl = { .nl_family = AF_NETLINK };
	struct acks a = { .first = -2 };
	const struct nlmsghdr **hdrs = NULL;
	struct nftnl_batch *nb;
	struct iovec *iov = NULL;
	struct msghdr msg = { 0 };
	size_t total = 0;
	int iovlen, ret;
	ssize_t sent;

	if (errlen)
		*err = 0;
	a.seq0 = seq0;
	a.n = b->n;
	nb = bh_nft_batch_serialize(b, flags, a.seq0);
	if (!nb) {
		ret = errno ? -errno : -ENOMEM;
		snprintf(err, errlen, "building the batch: %s", strerror(-ret));
		return ret;
	}
	a.got = calloc(b->n + 1, sizeof(*a.got));
	hdrs = calloc(b->n + 1, sizeof(*hdrs));
	iovlen = nftnl_batch_iovec_len(nb);
	iov = calloc(iovlen, sizeof(*iov));
	ret = -ENOMEM;
	if (!a.got || !hdrs || !iov)
		goto out;
	if ((ret = bh_nft__batch_headers(nb, hdrs, b->n)))
		goto out;
	nftnl_batch_iovec(nb, iov, iovlen);
	for (int i = 0; i < iovlen; i++)
		total += iov[i].iov_len;

	/*
	 * The batch must fit the send buffer in one piece; every ack is a
	 * separate skb (about 1 KiB of truesize each) that must fit the
	 * receive buffer until we read it. *FORCE needs CAP_NET_ADMIN, which
	 * programming nftables needs anyway; fall back for the error text.
	 */
	if (setsockopt_int(fd, SOL_SOCKET, SO_SNDBUFFORCE, total + 65536) < 0)
		setsockopt_int(fd, SOL_SOCKET, SO_SNDBUF, total + 65536);
	if (setsockopt_int(fd, SOL_SOCKET, SO_RCVBUFFORCE, (b->n + 16) * 2048) < 0)
		setsockopt_int(fd, SOL_SOCKET, SO_RCVBUF, (b->n + 16) * 2048);
	setsockopt_int(fd, SOL_NETLINK, NETLINK_EXT_ACK, 1);
	setsockopt_int(fd, SOL_NETLINK, NETLINK_CAP_ACK, 1);

	msg.msg_name = &snl;
	msg.msg_namelen = sizeof(snl);
	msg.msg_iov = iov;
	msg.msg_iovlen = iovlen;
	do
		sent = sendmsg(fd, &msg, 0);
	while (sent < 0 && errno == EINTR);
	if (sent < 0) {
		ret = -errno;
		snprintf(err, errlen, "sending %zu bytes: %s", total, strerror(errno));
		goto out;
	}
	ret = acks_read(fd, &a);
	if (a.n_err) {
		describe(b, hdrs, &a, err, errlen);
		ret = a.first_err;
	} else if (ret) {
		snprintf(err, errlen, "reading acknowledgements (%zu of %zu): %s", a.n_got, a.n,
			 strerror(-ret));
	}
out:
	if (ret == -ENOMEM && errlen && !*err)
		snprintf(err, errlen, "%s", strerror(ENOMEM));
	free(iov);
	free(hdrs);
	free(a.got);
	nftnl_batch_free(nb);
	return ret;
}
