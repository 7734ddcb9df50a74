/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef BH_AGENT_LOGRX_H
#define BH_AGENT_LOGRX_H

/*
 * Denied-connection log reception: one NFLOG reader per enforced
 * namespace (NFLOG is per network namespace), each socket opened inside
 * its namespace and served by a uv_poll with a bounded batch per wake-up.
 * Readers follow the reconciler: a namespace gets one once its table is
 * programmed and loses it when its workload leaves. Each event is decoded,
 * deduplicated (one line per attempt, not per retransmission), enriched
 * with the generation named in its prefix and written to every sink.
 * Overruns and sequence gaps become lifecycle lines, and duplicates are
 * summarised periodically as "suppressed N similar in T".
 */

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

struct bh_compiled;
struct bh_inventory;
struct bh_logrx;
struct bh_out;

/* The policy model of one generation: what explains a line. Borrowed. */
struct bh_logrx_gen {
	const struct bh_inventory *inv;
	const struct bh_compiled *comp;
};

/*
 * What the reader uses of its owner, copied at alloc; every pointer is
 * borrowed and must outlive the reader.
 */
struct bh_logrx_deps {
	struct bh_out *out;	/* denied-connection and lifecycle lines */
	const char *hostname;	/* host.hostname of every line */
	uint16_t log_group;	/* the NFLOG group the tables log to */
	bool community_id;	/* network.community_id in every line */
	uint16_t community_id_seed;
	/* Generation id if still kept: true and *g, else false. */
	bool (*gen_find)(void *arg, uint64_t id, struct bh_logrx_gen *g);
	/* The current generation: true and *g, else false (nothing compiled yet). */
	bool (*gen_current)(void *arg, struct bh_logrx_gen *g);
	void *arg;		/* of gen_find and gen_current */
};

/* What a connection line says happened (the NFLOG prefix kind). */
enum bh_logrx_action {
	BH_LOGRX_DENIED,
	BH_LOGRX_WOULD_DENY,
	BH_LOGRX_ALLOWED,
	BH_LOGRX_ACTIONS
};

struct bh_logrx_stats {
	uint64_t readers;	/* open now */
	uint64_t events;	/* NFLOG events received */
	uint64_t lines;		/* denied (and audit) lines written */
	uint64_t lines_by[BH_LOGRX_ACTIONS][2];	/* the same by action and direction (0 ingress) */
	uint64_t suppressed;	/* duplicates folded into summaries */
	uint64_t unlogged;	/* attempts over the kernel's log limit (counted, not logged) */
	uint64_t overruns;	/* socket overruns (ENOBUFS) */
	uint64_t gaps;		/* events lost, from sequence numbers */
	uint64_t malformed;	/* events that did not decode */
	uint64_t write_errors;	/* lines no sink took */
	uint64_t open_errors;	/* readers that could not be opened */
};

/* Allocate (nothing is started until a sync). 0 or -ENOMEM. deps is copied. */
int bh_logrx_alloc(uv_loop_t *loop, const struct bh_logrx_deps *deps, struct bh_logrx **out);

/*
 * A sync follows the reconciler: between begin and end, want() every
 * namespace whose table is programmed. want opens a reader for a new one
 * (or one whose netns path changed: a restarted container); end closes the
 * readers not wanted since begin. Strings are copied. No-ops once closed.
 */
void bh_logrx_sync_begin(struct bh_logrx *x);
void bh_logrx_sync_want(struct bh_logrx *x, const char *ns, const char *name, const char *netns);
void bh_logrx_sync_end(struct bh_logrx *x);

void bh_logrx_stats_get(const struct bh_logrx *x, struct bh_logrx_stats *st);

/* Close every handle (asynchronously). No callback runs afterwards. */
void bh_logrx_close(struct bh_logrx *x);
/* Free after the loop has run the close callbacks. Accepts NULL. */
void bh_logrx_free(struct bh_logrx *x);

#endif
