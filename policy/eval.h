/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef BH_EVAL_H
#define BH_EVAL_H

/*
 * The reference evaluator: NetworkPolicy semantics, and the cluster-wide
 * tiers around it (policy/cnp.h), applied directly to one connection,
 * written independently of the compiler. Tests cross-check the compiled
 * rulesets (what the kernel gets, and what `explain` answers from) against
 * it on many generated cases. Enforce-mode policies only.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "policy/cnp.h"
#include "policy/model.h"

struct bh_endpoint {
	const struct bh_workload *wl;	/* NULL for an address outside the inventory */
	struct bh_addr addr;
};

/* Where a tier matched: policy index (into bh_policy_set.cnp) and rule index. */
struct bh_eval_hit {
	size_t policy;
	size_t rule;
};

/*
 * The first rule of tier `tier` (BH_TIER_ADMIN or BH_TIER_BASELINE) that
 * matches, in evaluation order: its action (enum bh_action), with *hit
 * (may be NULL) saying which; -1 when none matches.
 */
int bh_eval_tier(const struct bh_policy_set *ps, const struct bh_inventory *inv,
		 const struct bh_endpoint *self, const struct bh_endpoint *peer, int dir,
		 uint8_t proto, uint16_t port, unsigned int tier, struct bh_eval_hit *hit);

/*
 * Does direction `dir` of `self` let the connection with `peer` through,
 * all tiers considered (Admin, NetworkPolicy, Baseline, allowed)?
 * *isolated tells whether any NetworkPolicy isolates self in that direction.
 * For ingress the destination is self; for egress it is peer.
 */
bool bh_eval_dir(const struct bh_policy_set *ps, const struct bh_inventory *inv,
		 const struct bh_endpoint *self, const struct bh_endpoint *peer, int dir,
		 uint8_t proto, uint16_t port, bool *isolated);

/* Egress of `from` (when it is a workload) and ingress of `to` (likewise). */
bool bh_eval_conn(const struct bh_policy_set *ps, const struct bh_inventory *inv,
		  const struct bh_endpoint *from, const struct bh_endpoint *to,
		  uint8_t proto, uint16_t port);

#endif
