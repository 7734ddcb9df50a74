/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef BH_LIMITS_H
#define BH_LIMITS_H

/*
 * Bounds on what one policy set may ask for, so that a small file cannot
 * make the loader or the compiler spend seconds and hundreds of megabytes,
 * nor send the kernel a million set elements. Going over a limit is an
 * error naming the object (file:line), like any other invalid input.
 *
 * BH_LIMITS(X) is the one table: X(field, name, default, help). The field
 * of struct bh_limits, the command-line flag "--limit-<name>" and the
 * agent's setting "limit-<name>" (or `limits: {<name>: N}`) all come from
 * it. The defaults are far above what real clusters write; the README's
 * "Limits" section gives the measurements behind each.
 */

#include <stdint.h>

#define BH_LIMITS(X)								\
	X(keys_per_mapping, "keys-per-mapping", 1000,				\
	  "keys in one YAML mapping (labels, annotations, selectors, ...)")	\
	X(rules_per_policy, "rules-per-policy", 1000,				\
	  "rules in one policy's ingress or egress list")			\
	X(peers_per_rule, "peers-per-rule", 1000,				\
	  "peers in one rule's from or to list")				\
	X(ports_per_rule, "ports-per-rule", 1000,				\
	  "ports in one rule's ports list")					\
	X(policies, "policies", 10000,						\
	  "policies in the whole policy set")					\
	X(elements_per_set, "elements-per-set", 100000,			\
	  "elements of one nftables set after decomposition")

struct bh_limits {
#define BH_LIMIT_FIELD(field, name, def, help) uint32_t field;
	BH_LIMITS(BH_LIMIT_FIELD)
#undef BH_LIMIT_FIELD
};

/* BH_LIMIT_IDX_<field>: the position of each limit in the table; BH_LIMIT_COUNT of them. */
enum {
#define BH_LIMIT_IDX(field, name, def, help) BH_LIMIT_IDX_##field,
	BH_LIMITS(BH_LIMIT_IDX)
#undef BH_LIMIT_IDX
	BH_LIMIT_COUNT
};

#define BH_LIMIT_INIT(field, name, def, help) .field = (def),
/* An initializer with every default: struct bh_limits l = BH_LIMITS_DEFAULT; */
#define BH_LIMITS_DEFAULT { BH_LIMITS(BH_LIMIT_INIT) }

/* Fills every limit with its default. */
static inline void bh_limits_default(struct bh_limits *l)
{
	*l = (struct bh_limits)BH_LIMITS_DEFAULT;
}

#endif
