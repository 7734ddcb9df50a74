/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef BH_NFT_H
#define BH_NFT_H

/*
 * nftables over netlink: the table of one group, built as libnftnl objects
 * exactly as compile.h's layout contract describes (the same kernel objects
 * `nft -f` makes of bh_render_nft()'s text), and sent as ONE transaction:
 *
 *   BATCH_BEGIN, add table, delete table, add table, sets, elements,
 *   chains, rules, BATCH_END
 *
 * so a namespace always has either the complete old table or the complete
 * new one, and a batch the kernel rejects leaves the old table in place.
 * Every message carries its own sequence number and NLM_F_ACK; every ack is
 * read and a failure is described by the object it concerns, e.g.
 * "set in4: element 10.0.0.1 . tcp . 80: File exists". Nothing here prints
 * on its own (bh_nft_batch_fprint writes where its caller says).
 */

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct bh_compiled;
struct bh_emit_opts;
struct bh_nft_batch;
struct nftnl_batch;

#define BH_NFT_DRY_RUN 0x1	/* no BATCH_END: the kernel validates, then aborts */

/* A new, empty batch. 0 and *out (free with bh_nft_batch_free), or -ENOMEM. */
int bh_nft_batch_alloc(struct bh_nft_batch **out);
/* Frees the batch and every object in it. Accepts NULL. */
void bh_nft_batch_free(struct bh_nft_batch *b);

/*
 * The stamp bulkhead leaves in its table (as table userdata, which nft
 * neither shows nor changes): what was built and under which generation.
 * A namespace whose stamp carries the digest of the desired table is up to
 * date; the generation is the counter in the table's log prefixes.
 */
struct bh_nft_stamp {
	uint64_t generation;
	uint64_t digest;	/* bh_nft_digest() of the table, 0 when unknown */
};

/*
 * Digest of the table bh_nft_build_table(c, g, o) builds: the compiler's
 * ruleset hash of group g, the names of the isolating policies (they are in
 * the comments), the log group, rate and burst and the layout version; not
 * the generation. Never 0.
 */
uint64_t bh_nft_digest(const struct bh_compiled *c, size_t g, const struct bh_emit_opts *o);

/*
 * Append the atomic replacement of table inet bulkhead by the table of
 * group g of c (add table, delete table, then the whole new table). The
 * new table carries the stamp { o->generation, bh_nft_digest(c, g, o) }.
 * Comments are made from c->pols; c is not referenced after return.
 * A group isolated in neither direction still gets a table (only the
 * base chains); callers that want it gone use bh_nft_build_delete().
 * Returns 0 or -ENOMEM (the batch may then hold part of the table:
 * free it).
 */
int bh_nft_build_table(struct bh_nft_batch *b, const struct bh_compiled *c, size_t g,
		       const struct bh_emit_opts *o);

/* Append "add table; delete table": removes the table, present or not. 0 or -ENOMEM. */
int bh_nft_build_delete(struct bh_nft_batch *b);

/* Number of messages (BATCH_BEGIN/END excluded) and of set elements in b. */
size_t bh_nft_batch_msgs(const struct bh_nft_batch *b);
size_t bh_nft_batch_elems(const struct bh_nft_batch *b);

/*
 * Serialise b into a libnftnl batch: BATCH_BEGIN with seq0, then the
 * messages with seq0+1, seq0+2, ..., then BATCH_END (left out with
 * BH_NFT_DRY_RUN). Returns the batch (free with nftnl_batch_free) or NULL
 * with errno set. Used by bh_nft_batch_send() and by tests.
 */
struct nftnl_batch *bh_nft_batch_serialize(const struct bh_nft_batch *b, unsigned int flags,
					   uint32_t seq0);

/*
 * Write b to f message by message, as the kernel will get it (libmnl's
 * dump, as nft --debug=mnl): for a debug flag. 0 or -ENOMEM.
 */
int bh_nft_batch_fprint(const struct bh_nft_batch *b, FILE *f);

/*
 * Send b over fd, a NETLINK_NETFILTER socket (it may belong to another
 * namespace), and read every ack. Returns 0 when the kernel accepted and
 * committed everything (with BH_NFT_DRY_RUN: validated everything), or a
 * negative errno with a one-line description in err (when errlen > 0)
 * naming the first object the kernel rejected.
 */
int bh_nft_batch_send(const struct bh_nft_batch *b, int fd, unsigned int flags,
		      char *err, size_t errlen);

/*
 * bh_nft_batch_send() inside the namespace at netns (NULL: the current
 * one). Errors entering the namespace are described in err too.
 */
int bh_nft_apply(const char *netns, const struct bh_nft_batch *b, unsigned int flags,
		 char *err, size_t errlen);

/* Remove table inet bulkhead from the namespace, touching nothing else. 0 or -errno. */
int bh_nft_delete(const char *netns, char *err, size_t errlen);

/*
 * The stamp of table inet bulkhead in the namespace (one GETTABLE, no rule
 * dump): 1 when the table exists (*st zeroed when it carries no stamp:
 * made by something else or an older version), 0 when it does not, or a
 * negative errno.
 */
int bh_nft_table_stamp(const char *netns, struct bh_nft_stamp *st);

/*
 * Does table inet bulkhead exist in the namespace? 1 yes, 0 no, or a
 * negative errno. When it exists and gen is not NULL, *gen gets its
 * generation (the stamp's, else that of its first log statement
 * "bh/G/...", else 0).
 */
int bh_nft_table_get(const char *netns, uint64_t *gen);

struct bh_nft_state {
	uint64_t generation;		/* the stamp's, else the first log statement's, 0 when none */
	uint64_t digest;		/* the stamp's, 0 when none */
	uint64_t unlogged[2];		/* [enum bh_dir]: packets over the log limit, verdict taken, not logged */
};

/*
 * Reads the table's generation and the counters of its "limit rate over"
 * rules, per direction (they reset when the table is replaced).
 * 1 when the table exists, 0 when it does not, or a negative errno.
 */
int bh_nft_table_read(const char *netns, struct bh_nft_state *st);

#endif
