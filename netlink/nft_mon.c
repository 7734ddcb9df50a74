// SPDX-License-Identifier: GPL-2.0-or-later
/* nftables change events, gathered per transaction. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>
#include <libmnl/libmnl.h>

#include "netlink/netns.h"
#include "netlink/nl_close.h"
#include "netlink/nft_mon.h"

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

/*
 * Our own transaction of a 20,000-element table is about 2 MB of events;
 * the socket must hold them until the loop reads them. Past this the
 * kernel drops events and the caller re-reads the table instead.
 */
#define MON_RCVBUF (4 << 20)
#define MON_RXBUF (64 << 10)

struct bh_nft_mon {
	int fd;
	char *rx;
	struct bh_nft_txn cur;	/* the transaction being gathered */
	uint64_t malformed;
};

/* Every object message names its table in attribute 1 (NFTA_*_TABLE, NFTA_TABLE_NAME). */
#define ATTR_TABLE 1
#define ATTR_ELEM_LIST_ELEMENTS 3	/* NFTA_SET_ELEM_LIST_ELEMENTS */

static const struct {
	bool change;
	uint8_t obj, op;
} kinds[NFT_MSG_MAX] = {
	[NFT_MSG_NEWTABLE] = { true, BH_NFT_OBJ_TABLE, BH_NFT_OP_ADDED },
	[NFT_MSG_DELTABLE] = { true, BH_NFT_OBJ_TABLE, BH_NFT_OP_DELETED },
	[NFT_MSG_NEWCHAIN] = { true, BH_NFT_OBJ_CHAIN, BH_NFT_OP_ADDED },
	[NFT_MSG_DELCHAIN] = { true, BH_NFT_OBJ_CHAIN, BH_NFT_OP_DELETED },
	[NFT_MSG_NEWRULE] = { true, BH_NFT_OBJ_RULE, BH_NFT_OP_ADDED },
	[NFT_MSG_DELRULE] = { true, BH_NFT_OBJ_RULE, BH_NFT_OP_DELETED },
	[NFT_MSG_NEWSET] = { true, BH_NFT_OBJ_SET, BH_NFT_OP_ADDED },
	[NFT_MSG_DELSET] = { true, BH_NFT_OBJ_SET, BH_NFT_OP_DELETED },
	[NFT_MSG_NEWSETELEM] = { true, BH_NFT_OBJ_ELEMENT, BH_NFT_OP_ADDED },
	[NFT_MSG_DELSETELEM] = { true, BH_NFT_OBJ_ELEMENT, BH_NFT_OP_DELETED },
	[NFT_MSG_NEWOBJ] = { true, BH_NFT_OBJ_OTHER, BH_NFT_OP_ADDED },
	[NFT_MSG_DELOBJ] = { true, BH_NFT_OBJ_OTHER, BH_NFT_OP_DELETED },
	[NFT_MSG_NEWFLOWTABLE] = { true, BH_NFT_OBJ_OTHER, BH_NFT_OP_ADDED },
	[NFT_MSG_DELFLOWTABLE] = { true, BH_NFT_OBJ_OTHER, BH_NFT_OP_DELETED },
};

static const char *const obj_names[BH_NFT_OBJ_MAX] = {
	"table", "chain", "set", "rule", "element", "object",
};
static const char *const op_names[BH_NFT_OP_MAX] = { "added", "deleted" };

const char *bh_nft_obj_name(unsigned int obj)
{
	return obj < BH_NFT_OBJ_MAX ? obj_names[obj] : "?";
}

const char *bh_nft_op_name(unsigned int op)
{
	return op < BH_NFT_OP_MAX ? op_names[op] : "?";
}

const char *bh_nft_family_name(uint8_t family)
{
	static const struct {
		uint8_t f;
		const char *name;
	} names[] = {
		{ NFPROTO_INET, "inet" }, { NFPROTO_IPV4, "ip" }, { NFPROTO_IPV6, "ip6" },
		{ NFPROTO_ARP, "arp" }, { NFPROTO_BRIDGE, "bridge" }, { NFPROTO_NETDEV, "netdev" },
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].f == family)
			return names[i].name;
	return "?";
}

int bh_nft_mon_alloc(struct bh_nft_mon **out)
{
	struct bh_nft_mon *m = calloc(1, sizeof(*m));

	if (!m)
		return -ENOMEM;
	m->fd = -1;
	*out = m;
	return 0;
}

int bh_nft_mon_open(const char *netns, struct bh_nft_mon **out)
{
	struct sockaddr_nl snl = { .nl_family = AF_NETLINK };
	int group = NFNLGRP_NFTABLES, rcvbuf = MON_RCVBUF;
	struct bh_nft_mon *m;
	int ret;

	if ((ret = bh_nft_mon_alloc(&m)))
		return ret;
	m->rx = malloc(MON_RXBUF);
	if (!m->rx) {
		ret = -ENOMEM;
		goto fail;
	}
	m->fd = bh_netns_socket(netns, AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK, NETLINK_NETFILTER);
	if (m->fd < 0) {
		ret = m->fd;
		goto fail;
	}
	if (bind(m->fd, (struct sockaddr *)&snl, sizeof(snl)) < 0 ||
	    setsockopt(m->fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &group, sizeof(group)) < 0) {
		ret = -errno;
		goto fail;
	}
	/* FORCE needs CAP_NET_ADMIN and ignores rmem_max; fall back without it */
	if (setsockopt(m->fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)) < 0)
		(void)setsockopt(m->fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	*out = m;
	return 0;
fail:
	bh_nft_mon_close(m);
	return ret;
}

int bh_nft_mon_fd(const struct bh_nft_mon *m)
{
	return m->fd;
}

uint64_t bh_nft_mon_malformed(const struct bh_nft_mon *m)
{
	return m->malformed;
}

void bh_nft_mon_close(struct bh_nft_mon *m)
{
	if (!m)
		return;
	if (m->fd >= 0)
		bh_nl_close(m->fd);
	free(m->rx);
	free(m);
}

/* Adds n objects of kind obj, done op, in table name, to the transaction. */
static void note(struct bh_nft_txn *t, uint8_t fam, const char *name, uint8_t obj, uint8_t op,
		 uint32_t n)
{
	struct bh_nft_change *c;

	for (size_t i = 0; i < t->n; i++) {
		c = &t->v[i];
		if (c->op == op && c->family == fam && !strcmp(c->table, name)) {
			if (obj < c->object)
				c->object = obj;
			c->count += n;
			return;
		}
	}
	if (t->n == BH_NFT_TXN_CHANGES) {
		t->more++;
		return;
	}
	c = &t->v[t->n++];
	c->object = obj;
	c->op = op;
	c->family = fam;
	c->count = n;
	snprintf(c->table, sizeof(c->table), "%s", name);
}

static int gen_parse(struct bh_nft_txn *t, const struct nlmsghdr *nlh)
{
	const struct nlattr *a;

	mnl_attr_for_each(a, nlh, sizeof(struct nfgenmsg)) {
		switch (mnl_attr_get_type(a)) {
		case NFTA_GEN_ID:
			if (mnl_attr_validate(a, MNL_TYPE_U32) < 0)
				return -EINVAL;
			t->gen = ntohl(mnl_attr_get_u32(a));
			break;
		case NFTA_GEN_PROC_PID:
			if (mnl_attr_validate(a, MNL_TYPE_U32) < 0)
				return -EINVAL;
			t->pid = ntohl(mnl_attr_get_u32(a));
			break;
		case NFTA_GEN_PROC_NAME:
			if (mnl_attr_validate(a, MNL_TYPE_NUL_STRING) < 0)
				return -EINVAL;
			snprintf(t->comm, sizeof(t->comm), "%s", mnl_attr_get_str(a));
			break;
		}
	}
	return 0;
}

/* One object message: its table and, for element lists, how many elements. */
static int obj_parse(struct bh_nft_txn *t, const struct nlmsghdr *nlh, uint8_t obj, uint8_t op)
{
	const struct nfgenmsg *g = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *a, *e;
	const char *table = NULL;
	uint32_t n = 1;

	mnl_attr_for_each(a, nlh, sizeof(*g)) {
		if (mnl_attr_get_type(a) == ATTR_TABLE) {
			if (mnl_attr_validate(a, MNL_TYPE_NUL_STRING) < 0)
				return -EINVAL;
			table = mnl_attr_get_str(a);
		} else if (obj == BH_NFT_OBJ_ELEMENT &&
			   mnl_attr_get_type(a) == ATTR_ELEM_LIST_ELEMENTS) {
			n = 0;
			mnl_attr_for_each_nested(e, a)
				n++;
		}
	}
	if (!table)
		return -EINVAL;
	note(t, g->nfgen_family, table, obj, op, n);
	return 0;
}

int bh_nft_mon_parse(struct bh_nft_mon *m, const void *buf, size_t len, bh_nft_mon_cb cb,
		     void *arg)
{
	const struct nlmsghdr *nlh = buf;
	int left = (int)len, done = 0;

	for (; mnl_nlmsg_ok(nlh, left); nlh = mnl_nlmsg_next(nlh, &left)) {
		uint16_t type = nlh->nlmsg_type;
		uint8_t msg = type & 0xff;

		if (type >> 8 != NFNL_SUBSYS_NFTABLES)
			continue;
		if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(struct nfgenmsg))) {
			m->malformed++;
			continue;
		}
		if (msg == NFT_MSG_NEWGEN) {
			if (gen_parse(&m->cur, nlh) < 0)
				m->malformed++;
			cb(&m->cur, arg);
			done++;
			memset(&m->cur, 0, sizeof(m->cur));
			continue;
		}
		/* TRACE and requests' echoes are not changes; newer kinds are skipped */
		if (msg >= NFT_MSG_MAX || !kinds[msg].change)
			continue;
		if (obj_parse(&m->cur, nlh, kinds[msg].obj, kinds[msg].op) < 0)
			m->malformed++;
	}
	return done;
}

int bh_nft_mon_read(struct bh_nft_mon *m, bh_nft_mon_cb cb, void *arg, unsigned int max)
{
	int done = 0;

	for (unsigned int i = 0; i < max; i++) {
		ssize_t n = recv(m->fd, m->rx, MON_RXBUF, MSG_DONTWAIT);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n < 0 && errno == ENOBUFS) {
			/* what was gathered may miss part of its transaction */
			memset(&m->cur, 0, sizeof(m->cur));
			return -ENOBUFS;
		}
		if (n < 0)
			return -errno;
		done += bh_nft_mon_parse(m, m->rx, (size_t)n, cb, arg);
	}
	return done;
}
