/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef BH_DIFF_H
#define BH_DIFF_H

/*
 * `diff`: what a change of policies opens and closes, exactly, from the
 * compiled rulesets of both sides (same inventory). A connection is allowed
 * when the sender's egress view and the receiver's ingress view both let it
 * through (bh_view_decide: Admin, NetworkPolicy, Baseline). For every ordered
 * pair of workloads with addresses of one family (the first of IPv4, then
 * IPv6, as `explain` picks them) and for every address range outside
 * peers fall in (the boundaries of the compiled elements of either side),
 * the ports 1-65535 of TCP, UDP and SCTP are split where any element of either
 * side starts or ends, and each piece is decided once on both sides: the
 * answer holds for every port. Audit views (or the enforce view where no
 * audit policy applies) are compared the same way; their changes are
 * listed only where the enforced answer did not change. Pure: no I/O.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "policy/compile.h"

enum bh_diff_kind {
	BH_DIFF_OPENED,		/* enforced: denied before, allowed now */
	BH_DIFF_CLOSED,		/* enforced: allowed before, denied now */
	BH_DIFF_AUDIT_OPENED,	/* only policies in audit mode: no longer would-deny */
	BH_DIFF_AUDIT_CLOSED,	/* only policies in audit mode: would-deny now */
};

/* Who decided one end of a connection. */
enum bh_diff_by_what {
	BH_BY_RULE,		/* `rule` (a rule id of the side's bh_compiled) */
	BH_BY_NOT_ISOLATED,	/* no tier decided: allowed by default */
	BH_BY_NOT_ENFORCED,	/* the end is an outside address */
	BH_BY_DENIED,		/* isolated and no rule allows (denied entries of audit) */
};

struct bh_diff_by {
	uint8_t what;		/* enum bh_diff_by_what */
	uint32_t rule;
};

#define BH_DIFF_OUTSIDE SIZE_MAX

struct bh_diff_entry {
	uint8_t kind;		/* enum bh_diff_kind */
	uint8_t proto;		/* IPPROTO_TCP, UDP or SCTP */
	uint8_t fam;		/* BH_FAM_V4 / BH_FAM_V6 of the outside range */
	size_t from, to;	/* workload indices, or BH_DIFF_OUTSIDE (then lo..hi is the peer) */
	uint16_t port_lo, port_hi;
	uint8_t lo[16], hi[16];	/* the outside address range (inclusive), network byte order */
	bool new_side;		/* `egress_by`/`ingress_by` are rule ids of the new side (else old) */
	struct bh_diff_by egress_by, ingress_by;
};

struct bh_diff {
	struct bh_diff_entry *v;	/* by kind, from, to, family, protocol, ports, rules, range */
	size_t n, cap;
};

/*
 * Computes the difference between old and new, which must be compiled
 * from the same inventory (same workloads in the same order). Returns 0
 * and fills *out (free with bh_diff_free), or -ENOMEM.
 */
int bh_diff_compute(const struct bh_compiled *old, const struct bh_compiled *new,
		    struct bh_diff *out);
void bh_diff_free(struct bh_diff *d);

/* Does the enforced reachability differ (any opened or closed entry)? */
bool bh_diff_changed(const struct bh_diff *d);

/*
 * The smallest list of prefixes covering lo..hi (inclusive) of family fam:
 * calls fn for each in address order; at most 256 calls.
 */
void bh_diff_cidrs(const uint8_t *lo, const uint8_t *hi, int fam,
		   void (*fn)(void *ctx, const struct bh_prefix *p), void *ctx);

#endif
