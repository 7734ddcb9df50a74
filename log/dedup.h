/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef BH_DEDUP_H
#define BH_DEDUP_H

/*
 * Suppression of repeated log lines for one connection attempt: a
 * retransmitted SYN or a repeated datagram of the same flow within the
 * window produces one line only. Fixed-size tables, allocated by
 * bh_dedup_init() and never again; when the table is full the oldest entry
 * in the probe range is evicted (that attempt may then be logged twice,
 * which is the safe direction). Suppressed duplicates are counted per
 * workload for a periodic "N similar in T" summary.
 */

#include <stdbool.h>
#include <stdint.h>

struct bh_pkt;

#define BH_DEDUP_WINDOW_MS 30000
#define BH_DEDUP_SLOTS 16384
#define BH_DEDUP_WL_SLOTS 1024
#define BH_DEDUP_WL_OTHER UINT32_MAX	/* summary bucket when the workload table is full */

struct bh_dedup_key {
	uint32_t wl;		/* the caller's id of the workload / namespace that logged */
	uint8_t family;
	uint8_t proto;
	uint8_t dir;		/* direction (and kind) so ingress and egress never merge */
	uint8_t pad;		/* zero */
	uint16_t sport;
	uint16_t dport;
	uint8_t src[16];
	uint8_t dst[16];
};

struct bh_dedup_entry {
	struct bh_dedup_key key;
	uint64_t stamp;		/* ms of the last logged line for this key + 1; 0 = empty */
};

struct bh_dedup_wl {
	uint32_t wl;
	uint32_t used;
	uint64_t suppressed;	/* since the last summary */
	uint64_t first_ms;	/* time of the first suppression since the last summary */
};

struct bh_dedup_stats {
	uint64_t logged;	/* attempts that passed */
	uint64_t suppressed;	/* duplicates within the window */
	uint64_t evicted;	/* live entries pushed out by a full table */
};

struct bh_dedup {
	struct bh_dedup_entry *tab;
	uint32_t mask;		/* slots - 1 */
	uint32_t window_ms;
	struct bh_dedup_wl *wl;
	uint32_t wl_mask;
	struct bh_dedup_wl other;
	uint64_t seed;
	struct bh_dedup_stats st;
};

/*
 * Allocates the tables: slots and wl_slots are rounded up to powers of two
 * (0 = the defaults), window_ms 0 = BH_DEDUP_WINDOW_MS. 0 or -ENOMEM.
 */
int bh_dedup_init(struct bh_dedup *d, uint32_t slots, uint32_t wl_slots, uint32_t window_ms);
void bh_dedup_deinit(struct bh_dedup *d);

/* Fills k (padding zeroed) from a decoded packet. */
void bh_dedup_key_from_pkt(struct bh_dedup_key *k, uint32_t wl, uint8_t dir, const struct bh_pkt *p);

/*
 * Records an attempt seen at now_ms (a monotonic clock). Returns true when
 * a line should be written (first time, or the window has passed since the
 * last line for this key), false when it is a duplicate (counted).
 */
bool bh_dedup_check(struct bh_dedup *d, const struct bh_dedup_key *k, uint64_t now_ms);

/*
 * Calls cb once per workload with suppressed duplicates since the last
 * call (first_ms is when the first of them was seen), then clears those
 * counters. cb must not call back into d.
 */
typedef void (*bh_dedup_summary_cb)(uint32_t wl, uint64_t suppressed, uint64_t first_ms, void *arg);
void bh_dedup_summary(struct bh_dedup *d, bh_dedup_summary_cb cb, void *arg);

#endif
