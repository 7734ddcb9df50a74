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

#include <stdint.h>
#include <uv.h>

struct bh_agent;
struct bh_logrx;
struct bh_reconcile;

struct bh_logrx_stats {
	uint64_t readers;	/* open now */
	uint64_t events;	/* NFLOG events received */
	uint64_t lines;		/* denied (and audit) lines written */
	uint64_t suppressed;	/* duplicates folded into summaries */
	uint64_t unlogged;	/* attempts over the kernel's log limit (counted, not logged) */
	uint64_t overruns;	/* socket overruns (ENOBUFS) */
	uint64_t gaps;		/* events lost, from sequence numbers */
	uint64_t malformed;	/* events that did not decode */
	uint64_t write_errors;	/* lines no sink took */
	uint64_t open_errors;	/* readers that could not be opened */
};

/* Allocate (nothing is started until bh_logrx_sync). 0 or -ENOMEM. a is borrowed. */
int bh_logrx_alloc(uv_loop_t *loop, struct bh_agent *a, struct bh_logrx **out);

/* Open readers for newly programmed namespaces, close those whose workload left. */
void bh_logrx_sync(struct bh_logrx *x, const struct bh_reconcile *rec);

void bh_logrx_stats_get(const struct bh_logrx *x, struct bh_logrx_stats *st);

/* Close every handle (asynchronously). No callback runs afterwards. */
void bh_logrx_close(struct bh_logrx *x);
/* Free after the loop has run the close callbacks. Accepts NULL. */
void bh_logrx_free(struct bh_logrx *x);

#endif
