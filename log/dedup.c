// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Open addressing with a short linear probe: a lookup touches at most
 * BH_DEDUP_PROBE consecutive entries (one or two cache lines' worth), and
 * an insert into a full neighbourhood evicts the oldest one there instead
 * of growing. The hash is keyed with a per-process seed so a peer cannot
 * aim its flows at one bucket to flush other entries.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log/dedup.h"
#include "log/pkt.h"

#define BH_DEDUP_PROBE 8

static uint32_t pow2(uint32_t v, uint32_t def)
{
	uint32_t p = 1;

	if (!v)
		v = def;
	if (v > (1u << 24))
		v = 1u << 24;
	while (p < v)
		p <<= 1;
	return p;
}

static inline uint64_t mix(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 33;
	return h;
}

static uint64_t key_hash(const struct bh_dedup_key *k, uint64_t seed)
{
	uint64_t w[5], h = seed;
	size_t i;

	_Static_assert(sizeof(*k) == 44, "bh_dedup_key has no hidden padding");
	memcpy(w, k, 40);
	for (i = 0; i < 5; i++)
		h = mix(h ^ w[i]) + i;
	uint32_t tail;

	memcpy(&tail, (const char *)k + 40, 4);
	return mix(h ^ tail);
}

int bh_dedup_init(struct bh_dedup *d, uint32_t slots, uint32_t wl_slots, uint32_t window_ms)
{
	struct timespec ts;

	memset(d, 0, sizeof(*d));
	slots = pow2(slots, BH_DEDUP_SLOTS);
	wl_slots = pow2(wl_slots, BH_DEDUP_WL_SLOTS);
	d->tab = calloc(slots, sizeof(*d->tab));
	if (!d->tab)
		return -ENOMEM;
	d->wl = calloc(wl_slots, sizeof(*d->wl));
	if (!d->wl) {
		free(d->tab);
		d->tab = NULL;
		return -ENOMEM;
	}
	d->mask = slots - 1;
	d->wl_mask = wl_slots - 1;
	d->window_ms = window_ms ? window_ms : BH_DEDUP_WINDOW_MS;
	d->other.wl = BH_DEDUP_WL_OTHER;
	clock_gettime(CLOCK_REALTIME, &ts);
	d->seed = mix((uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 20) ^ (uint64_t)(uintptr_t)d);
	return 0;
}

void bh_dedup_deinit(struct bh_dedup *d)
{
	free(d->tab);
	free(d->wl);
	memset(d, 0, sizeof(*d));
}

void bh_dedup_key_from_pkt(struct bh_dedup_key *k, uint32_t wl, uint8_t dir, const struct bh_pkt *p)
{
	memset(k, 0, sizeof(*k));
	k->wl = wl;
	k->dir = dir;
	k->family = p->family;
	k->proto = p->proto;
	if (p->has_ports) {
		k->sport = p->sport;
		k->dport = p->dport;
	} else if (p->has_icmp) {
		/* echo requests of one ping run share type/code: one line per run */
		k->sport = p->icmp_type;
		k->dport = p->icmp_code;
	}
	memcpy(k->src, p->src.a, sizeof(k->src));
	memcpy(k->dst, p->dst.a, sizeof(k->dst));
}

static void count_suppressed(struct bh_dedup *d, uint32_t wl, uint64_t now_ms)
{
	uint32_t h = (uint32_t)mix(wl ^ d->seed) & d->wl_mask, i;
	struct bh_dedup_wl *c = &d->other;

	/* a bounded probe: a full table sends the rest to the "other" bucket */
	for (i = 0; i <= d->wl_mask && i < 4 * BH_DEDUP_PROBE; i++) {
		struct bh_dedup_wl *e = &d->wl[(h + i) & d->wl_mask];

		if (e->used && e->wl == wl) {
			c = e;
			break;
		}
		if (!e->used) {
			e->used = 1;
			e->wl = wl;
			e->suppressed = 0;
			c = e;
			break;
		}
	}
	if (!c->suppressed)
		c->first_ms = now_ms;
	c->suppressed++;
}

/* Replacement preference: empty, then expired, then live; older first. */
static inline int rank(const struct bh_dedup_entry *e, uint64_t stamp, uint32_t window)
{
	if (!e->stamp)
		return 0;
	return stamp - e->stamp >= window ? 1 : 2;
}

bool bh_dedup_check(struct bh_dedup *d, const struct bh_dedup_key *k, uint64_t now_ms)
{
	uint64_t h = key_hash(k, d->seed), stamp = now_ms + 1;
	struct bh_dedup_entry *victim = NULL;
	int vrank = 3;
	uint32_t i;

	/* Slots are never emptied, so every probe slot is looked at. */
	for (i = 0; i < BH_DEDUP_PROBE; i++) {
		struct bh_dedup_entry *e = &d->tab[(h + i) & d->mask];
		int r = rank(e, stamp, d->window_ms);

		if (r && !memcmp(&e->key, k, sizeof(*k))) {
			if (r == 2) {
				d->st.suppressed++;
				count_suppressed(d, k->wl, now_ms);
				return false;
			}
			victim = e;	/* same key, window over: log again */
			vrank = 0;
			break;
		}
		if (r < vrank || (r == vrank && e->stamp < victim->stamp)) {
			victim = e;
			vrank = r;
		}
	}
	if (vrank == 2)
		d->st.evicted++;
	victim->key = *k;
	victim->stamp = stamp;
	d->st.logged++;
	return true;
}

void bh_dedup_summary(struct bh_dedup *d, bh_dedup_summary_cb cb, void *arg)
{
	uint32_t i;

	for (i = 0; i <= d->wl_mask; i++) {
		struct bh_dedup_wl *e = &d->wl[i];

		if (e->used && e->suppressed)
			cb(e->wl, e->suppressed, e->first_ms, arg);
		/* Clearing the whole table keeps probe chains short for the next period. */
		e->used = 0;
		e->suppressed = 0;
	}
	if (d->other.suppressed)
		cb(d->other.wl, d->other.suppressed, d->other.first_ms, arg);
	d->other.suppressed = 0;
}
