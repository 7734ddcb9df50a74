/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef BH_EVAL_H
#define BH_EVAL_H

/*
 * The reference evaluator: NetworkPolicy semantics applied directly to one
 * connection, written independently of the compiler. Tests cross-check the
 * compiled rulesets (what the kernel gets, and what `explain` answers from)
 * against it on many generated cases. Enforce-mode policies only.
 */

#include <stdbool.h>
#include <stdint.h>

#include "policy/model.h"

struct bh_endpoint {
	const struct bh_workload *wl;	/* NULL for an address outside the inventory */
	struct bh_addr addr;
};

/*
 * Does direction `dir` of `self` let the connection with `peer` through?
 * *isolated tells whether any policy isolates self in that direction.
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
