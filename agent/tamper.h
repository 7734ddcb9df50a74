/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef BH_AGENT_TAMPER_H
#define BH_AGENT_TAMPER_H

/*
 * Tamper detection: one nftables event monitor (netlink/nft_mon.h) per
 * enforced namespace, under uv_poll, following the reconciler like the
 * NFLOG readers do: a namespace gets one once its table is programmed and
 * loses it when its workload leaves. Every transaction committed there by
 * another process (any table, not only ours: a foreign table is reported
 * too) reaches the callback with the workload it concerns; our own
 * transactions (our pid) are dropped here. When the kernel dropped events
 * (the socket overflowed) the callback gets t == NULL: what happened is
 * unknown and the workload's table must be checked.
 */

#include <stdint.h>
#include <uv.h>

#include "netlink/nft_mon.h"

struct bh_reconcile;
struct bh_tamper;

/* t borrowed (NULL: events were lost); ns and name borrowed. */
typedef void (*bh_tamper_cb)(void *arg, const char *ns, const char *name,
			     const struct bh_nft_txn *t);

struct bh_tamper_stats {
	uint64_t monitors;	/* open now */
	uint64_t foreign;	/* transactions by other processes */
	uint64_t own;		/* our own, dropped */
	uint64_t lost;		/* overflows (events lost) */
	uint64_t open_errors;	/* monitors that could not be opened */
};

/* Allocate (nothing is watched until bh_tamper_sync). 0 or -ENOMEM. */
int bh_tamper_alloc(uv_loop_t *loop, bh_tamper_cb cb, void *arg, struct bh_tamper **out);

/* Watch newly programmed namespaces, stop watching those whose workload left. */
void bh_tamper_sync(struct bh_tamper *x, const struct bh_reconcile *rec);

void bh_tamper_stats_get(const struct bh_tamper *x, struct bh_tamper_stats *st);

/* Close every handle (asynchronously); no callback runs afterwards. */
void bh_tamper_close(struct bh_tamper *x);
/* Free after the loop has run the close callbacks. Accepts NULL. */
void bh_tamper_free(struct bh_tamper *x);

#endif
