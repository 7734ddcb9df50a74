/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef BH_AGENT_RECONCILE_H
#define BH_AGENT_RECONCILE_H

/*
 * Desired vs programmed. For every workload with a network namespace the
 * reconciler remembers the hash of the ruleset it programmed there (and the
 * generation in that table's log prefix). A run after a change programs
 * only the namespaces whose ruleset hash changed, each in one atomic batch
 * (the old table stays in force until the new one replaces it), and
 * removes the table of workloads that left the desired set. A verify run
 * (the periodic resync) also asks each namespace whether the table is still
 * there and re-creates it when it was deleted by hand or replaced.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "policy/compile.h"

struct bh_gen;

enum {
	BH_REC_FORCE = 1 << 0,	/* program every namespace (start: adopt what is there) */
	BH_REC_VERIFY = 1 << 1,	/* check that each table exists and is ours */
};

struct bh_rec_wl {
	char *ns;
	char *name;
	char *netns;		/* NULL: nothing to program */
	uint64_t hash;		/* ruleset hash programmed (valid when programmed) */
	uint64_t gen;		/* generation in the programmed table's log prefix */
	bool programmed;
	bool present;		/* in the last desired set */
	char *last_error;	/* of the last attempt, NULL when it succeeded */
	bool repeated;		/* the last failure repeats the one before */
	uint64_t enforced_ns;	/* uv_hrtime() of the last successful program */
};

/* Kernel operations, replaceable for tests. Each returns 0 or a negative errno. */
struct bh_rec_ops {
	int (*program)(const char *netns, const struct bh_compiled *c, size_t g,
		       const struct bh_emit_opts *o, char *err, size_t errlen);
	int (*remove)(const char *netns, char *err, size_t errlen);
	/* 1 present, 0 absent, <0 error; *gen the generation in its log prefix */
	int (*exists)(const char *netns, uint64_t *gen);
};

struct bh_rec_stats {
	unsigned int touched;	/* namespaces programmed */
	unsigned int failed;	/* namespaces whose programming failed */
	unsigned int removed;	/* tables removed (workload left) */
	unsigned int recreated;	/* tables found missing by a verify run */
	unsigned int unchanged;	/* namespaces left alone (same hash) */
};

/* Called after each namespace is attempted: err 0 or negative; w borrowed. */
typedef void (*bh_rec_cb)(void *arg, const struct bh_rec_wl *w, int err, bool removed);

struct bh_reconcile {
	struct bh_rec_wl *v;	/* sorted by (ns, name) */
	size_t n, cap;
	struct bh_emit_opts opts;	/* log group/rate/burst; generation set per run */
	const struct bh_rec_ops *ops;
	bh_rec_cb cb;
	void *cb_arg;
	/* totals since start */
	uint64_t runs;
	uint64_t ns_programmed;
	uint64_t ns_failed;
	uint64_t ns_removed;
	uint64_t ns_recreated;
};

/* The libnftnl implementation of bh_rec_ops (netlink/nft.h). */
extern const struct bh_rec_ops bh_rec_ops_nft;

/* ops NULL: bh_rec_ops_nft. */
void bh_reconcile_init(struct bh_reconcile *r, const struct bh_emit_opts *o,
		       const struct bh_rec_ops *ops);
/* Forgets everything (the kernel is not touched). */
void bh_reconcile_deinit(struct bh_reconcile *r);

/*
 * Bring every namespace to generation g. When first ("ns/name", may be
 * NULL) names a workload it is programmed before the others. Returns 0
 * when every namespace is enforced, -EIO when at least one failed (see
 * each entry's last_error; the others are enforced), -ENOMEM.
 */
int bh_reconcile_run(struct bh_reconcile *r, const struct bh_gen *g, unsigned int flags,
		     const char *first, struct bh_rec_stats *st);

/*
 * Remove every table we programmed (--remove-on-exit). Returns 0 or the
 * first error; every namespace is attempted.
 */
int bh_reconcile_remove_all(struct bh_reconcile *r);

/* Lookup by namespace and name; NULL when unknown. Borrowed. */
const struct bh_rec_wl *bh_reconcile_find(const struct bh_reconcile *r, const char *ns,
					  const char *name);

#endif
