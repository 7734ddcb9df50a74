/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef BH_NFT_CONN_H
#define BH_NFT_CONN_H

/*
 * A long-lived nftables connection: one NETLINK_NETFILTER socket opened
 * inside a network namespace and kept for as long as bulkhead enforces
 * there. Every transaction and every read for that namespace goes over
 * it, so
 *  - an owned table (NFT_TABLE_F_OWNER) stays changeable by us, because
 *    the kernel ties the table to the socket that created it;
 *  - no socket is opened and closed per transaction: closing one after a
 *    deletion waits for an RCU grace period (netlink/nl_close.h).
 * The socket holds a reference on its namespace: a namespace removed from
 * its path (`ip netns del`, a container gone) lives on until the
 * connection is closed; bh_nft_conn_same_netns() tells when the path now
 * names another namespace or none.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct bh_nft_batch;
struct bh_nft_conn;
struct bh_nft_state;

/*
 * Opens and binds the socket inside the namespace at netns (NULL: the
 * current one). 0 and *out (close with bh_nft_conn_close), or a negative
 * errno with a one-line description in err (-EINVAL: not a network
 * namespace; -ENOENT: no such path).
 */
int bh_nft_conn_open(const char *netns, struct bh_nft_conn **out, char *err, size_t errlen);

/* Closes through bh_nl_close() (deferred when the closer runs) and frees. Accepts NULL. */
void bh_nft_conn_close(struct bh_nft_conn *c);

int bh_nft_conn_fd(const struct bh_nft_conn *c);
/* The socket's netlink port id: the owner id the kernel records for tables we own. */
uint32_t bh_nft_conn_portid(const struct bh_nft_conn *c);

/*
 * 1 when path still names the namespace the connection lives in, 0 when
 * it names another one, or a negative errno (-ENOENT: the path is gone).
 */
int bh_nft_conn_same_netns(const struct bh_nft_conn *c, const char *path);

/*
 * Sends b as one transaction and reads every acknowledgement, like
 * bh_nft_batch_send(). Sequence numbers are the connection's own, and
 * anything left in the socket by an earlier exchange is drained first.
 */
int bh_nft_conn_send(struct bh_nft_conn *c, const struct bh_nft_batch *b, unsigned int flags,
		     char *err, size_t errlen);

/*
 * Reads table inet bulkhead: stamp, generation, "limit over" counters,
 * flags and owner (struct bh_nft_state in netlink/nft.h). 1 present, 0 absent, or a
 * negative errno.
 */
int bh_nft_conn_table_read(struct bh_nft_conn *c, struct bh_nft_state *st);

/* The table's stamp only (one GETTABLE): 1 present, 0 absent, or a negative errno. */
struct bh_nft_stamp;
int bh_nft_conn_table_stamp(struct bh_nft_conn *c, struct bh_nft_stamp *st);

/*
 * The namespace's ruleset generation (NFT_MSG_GETGEN): it moves with every
 * committed transaction, anyone's. Unchanged since our last transaction
 * means nobody changed anything there since. 0 or a negative errno.
 */
int bh_nft_conn_genid(struct bh_nft_conn *c, uint32_t *gen);

#endif
