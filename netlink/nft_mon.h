/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef BH_NFT_MON_H
#define BH_NFT_MON_H

/*
 * nftables change events of one network namespace (NFNLGRP_NFTABLES).
 * For every committed transaction the kernel multicasts one message per
 * object added or deleted, then NFT_MSG_NEWGEN with the new generation id
 * and the pid and name of the process that committed. The monitor gathers
 * a transaction's objects per table and delivers the whole at its NEWGEN,
 * so the caller learns who changed what, and can tell its own
 * transactions (its pid) from anyone else's.
 *
 * The socket is non-blocking: put bh_nft_mon_fd() under uv_poll and call
 * bh_nft_mon_read() when readable. When the socket overflows the kernel
 * drops events: bh_nft_mon_read() says so with -ENOBUFS and the caller
 * must re-read the state it cares about.
 */

#include <stddef.h>
#include <stdint.h>

enum bh_nft_obj {		/* largest first: a deleted table implies its chains, rules, ... */
	BH_NFT_OBJ_TABLE,
	BH_NFT_OBJ_CHAIN,
	BH_NFT_OBJ_SET,
	BH_NFT_OBJ_RULE,
	BH_NFT_OBJ_ELEMENT,
	BH_NFT_OBJ_OTHER,	/* stateful objects, flowtables */
	BH_NFT_OBJ_MAX
};

enum bh_nft_op {
	BH_NFT_OP_ADDED,	/* added or updated */
	BH_NFT_OP_DELETED,
	BH_NFT_OP_MAX
};

/* "table", "chain", "set", "rule", "element", "object" / "added", "deleted" */
const char *bh_nft_obj_name(unsigned int obj);
const char *bh_nft_op_name(unsigned int op);
/* "inet", "ip", "ip6", "arp", "bridge", "netdev" for an NFPROTO_* family, else "?" */
const char *bh_nft_family_name(uint8_t family);

#define BH_NFT_NAME_MAX 256	/* NFT_NAME_MAXLEN */
#define BH_NFT_TXN_CHANGES 8

/* What one transaction did to one table, one way. */
struct bh_nft_change {
	uint8_t object;		/* enum bh_nft_obj: the largest object changed */
	uint8_t op;		/* enum bh_nft_op */
	uint8_t family;		/* NFPROTO_* of the table */
	uint32_t count;		/* objects changed (set elements counted one by one) */
	char table[BH_NFT_NAME_MAX];
};

struct bh_nft_txn {
	uint32_t gen;		/* ruleset generation after the transaction */
	uint32_t pid;		/* the committing process, 0 when the kernel did not say */
	char comm[32];		/* its name, "" when unknown */
	struct bh_nft_change v[BH_NFT_TXN_CHANGES];	/* in the order first seen */
	size_t n;
	uint32_t more;		/* (table, way) pairs beyond v: counted, not listed */
};

/* t is valid during the call only. */
typedef void (*bh_nft_mon_cb)(const struct bh_nft_txn *t, void *arg);

struct bh_nft_mon;

/*
 * Subscribes to the nftables events of the namespace at netns (NULL: the
 * current one). 0 and *out (free with bh_nft_mon_close), or a negative errno.
 */
int bh_nft_mon_open(const char *netns, struct bh_nft_mon **out);

/* A monitor with no socket, for bh_nft_mon_parse(). 0 or -ENOMEM. */
int bh_nft_mon_alloc(struct bh_nft_mon **out);

int bh_nft_mon_fd(const struct bh_nft_mon *m);

/*
 * Reads up to max datagrams without blocking and calls cb for every
 * transaction completed in them. Returns the number of transactions
 * delivered, -ENOBUFS when events were lost (the transaction being
 * gathered is dropped too), or another negative errno.
 */
int bh_nft_mon_read(struct bh_nft_mon *m, bh_nft_mon_cb cb, void *arg, unsigned int max);

/*
 * Feeds len bytes of netlink messages to the monitor (what bh_nft_mon_read
 * does with each datagram). Returns the number of transactions delivered.
 * Messages that do not parse are skipped and counted.
 */
int bh_nft_mon_parse(struct bh_nft_mon *m, const void *buf, size_t len, bh_nft_mon_cb cb,
		     void *arg);

/* Messages skipped because they did not parse. */
uint64_t bh_nft_mon_malformed(const struct bh_nft_mon *m);

/* Closes the socket (through bh_nl_close) and frees. Accepts NULL. */
void bh_nft_mon_close(struct bh_nft_mon *m);

#endif
