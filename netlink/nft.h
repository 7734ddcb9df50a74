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

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct bh_compiled;
struct bh_emit_opts;
struct bh_nft_batch;
struct nftnl_batch;

#define BH_NFT_DRY_RUN 0x1	/* no BATCH_END: the kernel validates, then aborts */

/*
 * Table flags (the kernel's NFT_TABLE_F_*; older uapi headers lack PERSIST).
 * OWNER (Linux 5.12): only the netlink socket that created the table may
 * change or delete it, and `nft flush ruleset` skips it. PERSIST (6.9):
 * when that socket closes the table stays in force and only loses its
 * owner flag, so a new process can adopt it (delete and re-add it in one
 * transaction). OWNER alone would take the rules down with the process.
 */
#define BH_NFT_F_OWNER 0x2u
#define BH_NFT_F_PERSIST 0x4u
#define BH_NFT_F_OWNED (BH_NFT_F_OWNER | BH_NFT_F_PERSIST)

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
 * Flags of the table that bh_nft_build_table() creates (default 0; set
 * before building). The replacement works the same either way: the old
 * table, owned by the sending socket or orphaned, is deleted and the new
 * one created with these flags in the same transaction, so ownership is
 * never given up between generations.
 */
void bh_nft_batch_set_table_flags(struct bh_nft_batch *b, uint32_t flags);

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

/* Append "add table" with the batch's table flags (an empty table). 0 or -ENOMEM. */
int bh_nft_build_empty(struct bh_nft_batch *b);

/*
 * What a table was built from, kept by whoever programmed it so that the
 * next change can be sent as element differences (nft_delta.c).
 */
struct bh_nft_snap;

/* Snapshot of group g of c built with o. 0 and *out (free with bh_nft_snap_free), -ENOMEM. */
int bh_nft_snap_alloc(const struct bh_compiled *c, size_t g, const struct bh_emit_opts *o,
		      struct bh_nft_snap **out);
void bh_nft_snap_free(struct bh_nft_snap *s);
/* The generation in the snapshot's log prefixes. */
uint64_t bh_nft_snap_generation(const struct bh_nft_snap *s);

/*
 * Append the set element changes that turn the table built from `from`
 * into the table of group g of c with o, except that the rules, and the
 * generation in their log prefixes, stay those of `from`: every element
 * deletion, then every addition. Returns 1 when the tables differ in peer
 * set elements at most (b may get no message at all: they are equal), 0
 * when they differ in anything else (nothing appended: replace the
 * table), or -ENOMEM.
 */
int bh_nft_build_delta(struct bh_nft_batch *b, const struct bh_nft_snap *from,
		       const struct bh_compiled *c, size_t g, const struct bh_emit_opts *o);

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
	uint32_t flags;			/* NFTA_TABLE_FLAGS: BH_NFT_F_OWNER, BH_NFT_F_PERSIST */
	uint32_t owner;			/* netlink port id of the owning socket (has_owner) */
	bool has_owner;			/* the kernel reports an owner: the owner flag is in force */
};

/*
 * Reads the table's generation and the counters of its "limit rate over"
 * rules, per direction (they reset when the table is replaced).
 * 1 when the table exists, 0 when it does not, or a negative errno.
 */
int bh_nft_table_read(const char *netns, struct bh_nft_state *st);

/*
 * Content digests of table inet bulkhead (nft_digest.c): the same 64-bit
 * value from a batch that builds a table (over the table it leaves in the
 * kernel) and from the kernel's dump of that table, whatever the order of
 * chains, sets and elements; handles, counter values and set ids do not
 * count. cb, when not NULL, sees every canonical line (for tests).
 */
typedef void (*bh_nft_canon_cb)(const char *line, void *arg);

/* 0 or -ENOMEM. */
int bh_nft_batch_digest(const struct bh_nft_batch *b, uint64_t *out, bh_nft_canon_cb cb,
			void *arg);

/*
 * Over the connection (netlink/nft_conn.h): 1 with *out when the table
 * exists, 0 when it does not, or a negative errno.
 */
struct bh_nft_conn;
int bh_nft_conn_digest(struct bh_nft_conn *c, uint64_t *out, bh_nft_canon_cb cb, void *arg);

/*
 * Does this kernel keep owned tables after their owner exits (OWNER and
 * PERSIST both accepted)? Tried in a throwaway network namespace, so the
 * answer is the kernel's, whatever its version string says. 1 yes, 0 no,
 * or a negative errno when the probe could not run (e.g. -EPERM).
 */
int bh_nft_probe_owned(void);

/*
 * --table-mode: owned (owner+persist, refused where the kernel cannot),
 * unowned (plain tables, changes by others are detected and repaired),
 * auto (owned where the kernel keeps owned tables, else unowned).
 */
enum bh_nft_mode {
	BH_NFT_MODE_AUTO,
	BH_NFT_MODE_OWNED,
	BH_NFT_MODE_UNOWNED,
};

/* "auto", "owned", "unowned". 0 or -EINVAL. */
int bh_nft_mode_parse(const char *s, enum bh_nft_mode *out);

/*
 * The table flags mode m means on this kernel (probed, see above), with
 * the reason in why. 0, or -EOPNOTSUPP when owned was asked for and the
 * kernel cannot keep owned tables.
 */
int bh_nft_mode_resolve(enum bh_nft_mode m, uint32_t *flags, char *why, size_t len);

/* "owned" or "unowned" for table flags. */
const char *bh_nft_mode_name(uint32_t table_flags);

struct bh_nft_owner {
	int pid;		/* 0 when no process holds the socket (or it is not visible) */
	char comm[32];		/* its /proc/PID/comm, "" when unknown */
};

/*
 * The process holding the NETLINK_NETFILTER socket with port id portid in
 * the namespace at netns (NULL: the current one): the owner of an owned
 * table, read from /proc/net/netlink and the processes' descriptors.
 * 0 (o->pid 0 when not found) or a negative errno.
 */
int bh_nft_owner_find(const char *netns, uint32_t portid, struct bh_nft_owner *o);

/*
 * For a refusal (-EPERM): when table inet bulkhead in the namespace has a
 * live owner, "table inet bulkhead is owned by process PID (COMM)" into
 * buf and 1; 0 when it has none; a negative errno when it cannot be read.
 */
int bh_nft_owner_describe(const char *netns, char *buf, size_t len);

#endif
