/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef BH_AGENT_RECONCILE_H
#define BH_AGENT_RECONCILE_H

/*
 * Desired vs programmed: the one path from a compiled generation to the
 * kernel, for the agent and for the one-shot `apply`. For every workload
 * with a network namespace the reconciler remembers the digest of the
 * table it programmed there (bh_nft_digest: the compiler's ruleset hash
 * plus the log options) and the generation in that table's log prefixes.
 * A run programs only the namespaces whose digest changed, each in one
 * atomic batch (the old table stays in force until the new one replaces
 * it), and removes the table of workloads that left the desired set.
 *
 * Up to date means one thing everywhere: the digest. The agent compares it
 * with what it programmed itself; bh_reconcile_adopt() (a fresh process,
 * `apply`) reads it back from the table's stamp in the kernel and confirms
 * it against the table's content. A verify run (the periodic resync)
 * compares content: nothing committed in the namespace since our last
 * transaction, or else the kernel's dump equal to what was sent.
 *
 * Each namespace has one long-lived connection for all of this (the kernel
 * side, bh_rec_ops_nft), so a table can be owned (table_flags) and no
 * socket is closed per transaction. When only peer sets change, the
 * transaction carries set element differences instead of a new table.
 *
 * Generations: g->id numbers what a run programs and goes into the log
 * prefixes (bh/<gen>/...). A table whose digest is unchanged keeps the
 * number it has, also when it is programmed again by force.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "policy/compile.h"

struct bh_gen;
struct bh_nft_conn;
struct bh_nft_snap;
struct bh_nft_stamp;
struct bh_reconcile;

enum {
	BH_REC_FORCE = 1 << 0,	/* program every namespace, up to date or not */
	BH_REC_VERIFY = 1 << 1,	/* check each up-to-date namespace's content; rebuild what differs */
	BH_REC_DRY_RUN = 1 << 2,	/* the kernel validates every batch and commits none;
					   tables are not removed and nothing is remembered */
};

/* What the last run did in a workload's namespace. */
enum bh_rec_did {
	BH_REC_SKIPPED,		/* no netns: nothing to program */
	BH_REC_UNCHANGED,	/* up to date, left alone */
	BH_REC_PROGRAMMED,	/* table replaced (with BH_REC_DRY_RUN: validated) */
	BH_REC_REMOVED,		/* no table wanted (no_empty_table): removed (dry run: would be) */
	BH_REC_FAILED,		/* see last_error */
};

/* bh_rec_wl.digest of a namespace that is to have no table (bh_nft_digest is never 0). */
#define BH_REC_NO_TABLE 0

struct bh_rec_wl {
	char *ns;
	char *name;
	char *netns;		/* NULL: nothing to program */
	uint64_t digest;	/* of the table in force (valid when programmed) */
	uint64_t gen;		/* generation in the table's log prefixes (valid when programmed) */
	bool programmed;
	bool present;		/* in the last desired set */
	uint8_t did;		/* enum bh_rec_did, of the last run */
	char *last_error;	/* of the last attempt, NULL when it succeeded */
	bool repeated;		/* the last failure repeats the one before */
	uint64_t enforced_ns;	/* uv_hrtime() of the last successful program */
	/* the kernel side's (bh_rec_ops_nft), let go of when the workload leaves */
	struct bh_nft_conn *conn;	/* the namespace's long-lived connection */
	struct bh_nft_snap *snap;	/* what the table in force was built from */
	uint32_t kgen;		/* the namespace's ruleset generation after our last transaction */
	bool kgen_valid;
};

/* One table to program. */
struct bh_rec_prog {
	const struct bh_compiled *c;
	size_t group;
	const struct bh_emit_opts *o;	/* generation included */
	bool dry_run;
	FILE *dump;			/* hexdump the batch here, or NULL */
	bool full;			/* replace the table even when only set elements differ */
};

/* Kernel operations, replaceable for tests. */
struct bh_rec_ops {
	/*
	 * Bring w's namespace to the table p builds: 0 when the table was
	 * replaced (p->o->generation now in its log prefixes), 1 when only set
	 * elements were sent (the rules, and the generation they log, stayed),
	 * or a negative errno with err filled.
	 */
	int (*program)(struct bh_reconcile *r, struct bh_rec_wl *w, const struct bh_rec_prog *p,
		       char *err, size_t errlen);
	/* Remove the table (absent is fine). 0 or a negative errno with err filled. */
	int (*remove)(struct bh_reconcile *r, struct bh_rec_wl *w, char *err, size_t errlen);
	/* 1 present (*st its stamp, zeroed when it has none), 0 absent, <0 error */
	int (*stamp)(struct bh_reconcile *r, struct bh_rec_wl *w, struct bh_nft_stamp *st);
	/*
	 * Does the namespace hold exactly the table p builds? 1 yes, 0 no
	 * (missing, changed, or the path names another namespace now), or a
	 * negative errno. Unless deep, "nothing was committed there since our
	 * last transaction" is enough.
	 */
	int (*verify)(struct bh_reconcile *r, struct bh_rec_wl *w, const struct bh_rec_prog *p,
		      bool deep);
	/* The workload left: let go of what w holds (may be NULL). */
	void (*release)(struct bh_reconcile *r, struct bh_rec_wl *w);
};

struct bh_rec_stats {
	unsigned int touched;	/* namespaces programmed (or validated) */
	unsigned int failed;	/* namespaces whose programming failed */
	unsigned int removed;	/* tables removed (workload left, or unisolated) */
	unsigned int recreated;	/* tables found missing or changed by a verify run */
	unsigned int unchanged;	/* namespaces left alone (same digest) */
	unsigned int deltas;	/* of the touched, those sent set elements only */
};

/* Called after each namespace is attempted: err 0 or negative; w borrowed. */
typedef void (*bh_rec_cb)(void *arg, const struct bh_rec_wl *w, int err, bool removed);

struct bh_reconcile {
	struct bh_rec_wl *v;	/* sorted by (ns, name) */
	size_t n, cap;
	struct bh_emit_opts opts;	/* log group/rate/burst; generation set per run */
	uint32_t table_flags;	/* of the tables programmed: 0, or BH_NFT_F_OWNED */
	const struct bh_rec_ops *ops;
	bh_rec_cb cb;
	void *cb_arg;
	/*
	 * A workload no policy isolates gets no table (apply: nothing of
	 * bulkhead where nothing is enforced) instead of one holding only the
	 * base chains (agent: every namespace it manages has its table).
	 */
	bool no_empty_table;
	FILE *dump;		/* every batch hexdumped here (--debug-netlink), or NULL */
	/* totals since start */
	uint64_t runs;
	uint64_t ns_programmed;
	uint64_t ns_failed;
	uint64_t ns_removed;
	uint64_t ns_recreated;
	uint64_t ns_deltas;
};

/* The libnftnl implementation of bh_rec_ops (netlink/nft.h). */
extern const struct bh_rec_ops bh_rec_ops_nft;

/* ops NULL: bh_rec_ops_nft. */
void bh_reconcile_init(struct bh_reconcile *r, const struct bh_emit_opts *o,
		       const struct bh_rec_ops *ops);
/* Forgets everything; the tables stay, the namespaces' connections are closed. */
void bh_reconcile_deinit(struct bh_reconcile *r);

/*
 * Learn what the namespaces of g already hold, before the first run of a
 * fresh reconciler (the one-shot apply): every namespace's stamp is read,
 * and one whose table has the digest g wants (or, with no_empty_table and
 * nothing to isolate, has no table) is recorded as up to date with the
 * generation it carries, so the run leaves it alone. *max_gen gets the
 * highest generation stamped in any of those tables (0: none), to number
 * what the run programs. Namespaces that cannot be read are left to the
 * run, which reports them. Returns 0 or -ENOMEM.
 */
int bh_reconcile_adopt(struct bh_reconcile *r, const struct bh_gen *g, uint64_t *max_gen);

/*
 * Bring every namespace to generation g. When first ("ns/name", may be
 * NULL) names a workload it is programmed before the others. Returns 0
 * when every namespace is enforced, -EIO when at least one failed (see
 * each entry's last_error; the others are enforced), -ENOMEM.
 */
int bh_reconcile_run(struct bh_reconcile *r, const struct bh_gen *g, unsigned int flags,
		     const char *first, struct bh_rec_stats *st);

/*
 * Remove every table we programmed (--remove-on-exit, the operator's reset)
 * and let go of the namespaces. Returns the number of tables removed, or
 * the first error (every namespace is attempted).
 */
int bh_reconcile_remove_all(struct bh_reconcile *r);

/*
 * Check workload ns/name of generation g against the kernel now (its
 * content, not only its stamp or generation) and replace its table when it
 * differs: the repair after a change by another process. 1 repaired, 0
 * intact, -ENOENT not a workload of g programmed from g's ruleset, or
 * another negative errno (reported through the callback like a run's).
 */
int bh_reconcile_check(struct bh_reconcile *r, const struct bh_gen *g, const char *ns,
		       const char *name);

/* Lookup by namespace and name; NULL when unknown. Borrowed. */
const struct bh_rec_wl *bh_reconcile_find(const struct bh_reconcile *r, const char *ns,
					  const char *name);

#endif
