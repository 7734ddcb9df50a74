/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef BH_COMPILE_INT_H
#define BH_COMPILE_INT_H

/* Internals shared by the compiler's files (compile.c, segment.c, cnp_compile.c). */

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/socket.h>

#include "policy/compile.h"

typedef unsigned __int128 bh_u128;	/* a 128-bit unsigned integer (IPv4 in the low bits) */

/* One allowed (peer interval, protocol, port interval) before decomposition. */
struct bh__ent {
	bh_u128 lo, hi;
	uint32_t rule;
	uint16_t plo, phi;
	uint8_t proto;		/* 0: any protocol and port */
	uint8_t fam;		/* BH_FAM_V4 / BH_FAM_V6 */
};

struct bh__ents {
	struct bh__ent *v;
	size_t n, cap;
};

int bh__ents_push(struct bh__ents *e, const struct bh__ent *x);

bh_u128 bh__addr_to_u128(const uint8_t *a, int fam);
void bh__u128_to_addr(bh_u128 v, int fam, uint8_t *out);
static inline int bh__fam_of(const struct bh_addr *a)
{
	return a->family == AF_INET6 ? BH_FAM_V6 : BH_FAM_V4;
}

static inline bh_u128 bh__fam_max(int fam)
{
	return fam == BH_FAM_V4 ? (bh_u128)0xffffffffu : ~(bh_u128)0;
}

/* Bounds of one decomposition, and which one stopped it. */
struct bh__seg_limit {
	size_t max_elems;	/* elements in each of *any and *l4 */
	size_t max_work;	/* entries active per address segment, summed */
	enum {
		BH_SEG_OVER_NONE,
		BH_SEG_OVER_ELEMS,	/* an output would pass max_elems */
		BH_SEG_OVER_WORK,	/* the sweep would pass max_work */
		BH_SEG_OVER_ENTS,	/* (the compiler's) too many entries to decompose */
	} over;			/* set by bh__segment */
	bool l4;		/* ELEMS, WORK: in *l4 (else in *any) */
};

/*
 * Decompose the entries of one family into disjoint, sorted elements:
 * proto-0 entries into *any, the others into *l4. Each element carries the
 * lowest rule id that allows it. The input array is reordered.
 * 0, -ENOMEM, or -E2BIG when a bound of lim was passed (lim->over says
 * which; nothing is returned in *any and *l4 then).
 */
int bh__segment(struct bh__ents *in, int fam, struct bh__seg_limit *lim, struct bh_elems *any,
		struct bh_elems *l4);

/*
 * Records in diag (may be NULL) why the set made from the entries `in` (of
 * one family, for workload w, direction d, audit view or not) could not be
 * built: lim->over as in bh__seg_limit. Names the policy that gave the most
 * entries, at its location, and the set as nft lists it (in4, aout6_any...).
 */
void bh__seg_report(const struct bh_compiled *c, const struct bh__ents *in,
		    const struct bh__seg_limit *lim, const struct bh_workload *w, int d, bool audit,
		    struct bh_diag *diag);

/* ---- the cluster-wide tiers (cnp_compile.c) ---- */

/*
 * In the sorted, disjoint elements es (family fam), the index of the first
 * element whose (proto, start) is after (proto, a): the pieces of the one
 * segment that may hold a sit right before it (view.c).
 */
size_t bh__elems_upper(const struct bh_elems *es, int fam, uint8_t proto, bh_u128 a);

/* The compiler's working state (compile.c), shared with the rule translation. */
struct bh__peer_res {		/* workloads matched by one selector peer */
	uint32_t *wl;
	size_t n;
};

struct bh__cctx {
	const struct bh_policy_set *pols;
	const struct bh_inventory *inv;
	struct bh_compiled *c;
	/* per policy, dir, rule: index of its first rule id; peers resolved */
	uint32_t **rule_base;		/* [policy][dir] -> first rule id */
	struct bh__peer_res **peers;	/* [rule id][peer] */
	struct bh__ents ents[BH_FAM_MAX];
	size_t *wl_ns;			/* [workload] -> index into inv->ns */
	bool *ns_ok;			/* scratch: [namespace] qualifies for a peer */
	struct bh_limits lim;
	size_t max_ents;		/* entries of one family before decomposition */
	struct bh_diag *diag;		/* may be NULL */
	struct bh__tiers *tiers;	/* the cluster-wide tiers */
};

/*
 * Appends the entries (peer interval x protocol x port interval) that rule
 * `id` (direction d) of a policy selecting w allows, to x->ents. 0, -ENOMEM,
 * or -E2BIG past x->max_ents (compile_entries.c).
 */
int bh__rule_entries(struct bh__cctx *x, const struct bh_rule *rule, uint32_t id, int d,
		     const struct bh_workload *w);

struct bh__tiers;

/* What the tier policies applying to one workload and direction say. */
struct bh__tier_scan {
	bool any;		/* some policy applies (selects it, with rules this way) */
	bool any_audit;		/* one of them is in audit mode */
	bool any_log_all;	/* one of them says bulkhead.io/log: all */
	bool all_none;		/* all of them say bulkhead.io/log: none (true when none applies) */
};

/*
 * Numbers the cluster-wide rules after c's NetworkPolicy rules (appending
 * to c->rules) and resolves their peers. Each stage map is held to the
 * bounds of lim (a template: max_elems, max_work) and to max_ents entries
 * per family; a map over them is recorded in diag (may be NULL) and its
 * build fails with -E2BIG. *out is to be freed with bh__tiers_free()
 * whatever the result. 0 or -ENOMEM.
 */
int bh__tiers_prepare(struct bh_compiled *c, const struct bh__seg_limit *lim, size_t max_ents,
		      struct bh_diag *diag, struct bh__tiers **out);
void bh__tiers_free(struct bh__tiers *t);
/* w must point into the inventory's wl[]. */
void bh__tiers_scan(const struct bh__tiers *t, const struct bh_workload *w, int d,
		    struct bh__tier_scan *out);
/*
 * The Admin and (unless v->isolated) Baseline stages of view v for w in
 * direction d, from the enforce-mode policies or, for the audit view,
 * all of them. 0, -ENOMEM or -E2BIG (v's stages may then hold parts: deinit).
 */
int bh__tiers_build(struct bh__tiers *t, const struct bh_workload *w, int d, bool audit,
		    struct bh_view *v);
void bh__stages_deinit(struct bh_view *v);
uint64_t bh__stages_hash(uint64_t h, const struct bh_view *v);

/* ---- the text renderer (render_nft.c, render_tier.c) ---- */

/* One element: "10.0.0.1", "10.0.0.0/8", "10.0.0.1-10.0.0.7"; with l4, " . tcp . 80-90" after it. */
void bh__put_elem(FILE *f, int fam, const struct bh_elem *e, bool l4);
/* LOG(kind, V) of the layout, with the tier letter (0 for none). */
void bh__put_log(FILE *f, const struct bh_emit_opts *o, int d, char kind, char tier);
/* "accept" or "goto CHAIN" into buf; returns buf. */
char *bh__verdict_text(const struct bh_verdict *v, char *buf, size_t len);
/* Every tier map of the table, in the layout's order. */
void bh__put_tier_maps(FILE *f, const struct bh_ruleset *rs);
/* The chain of a view's cluster tier and its deny chain, when the stage is present. */
void bh__put_tier_chains(FILE *f, const struct bh_layout_dir *l, const struct bh_dir_rules *dr, int d,
			 int view, unsigned int tier, const struct bh_emit_opts *o);

#endif
