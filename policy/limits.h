/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef BH_LIMITS_H
#define BH_LIMITS_H

/*
 * Bounds on what one policy set may ask for, so that a small file cannot
 * make the loader or the compiler spend seconds and hundreds of megabytes,
 * nor send the kernel a million set elements. Going over a limit is an
 * error naming the object (file:line), like any other invalid input.
 *
 * BH_LIMITS(X) is the one table: X(field, ID, name, default, help). The
 * field of struct bh_limits, the flag --limit-<name> (BH_O_LIMIT_<ID> in
 * agent/config.h, for every command that loads policies) and the agent's
 * setting limit-<name> (or `limits: {<name>: N}`) all come from it. The
 * defaults are far above what real clusters write; the README's "Limits"
 * section gives the measurements behind each.
 */

#include <stdint.h>

#define BH_LIMITS(X)									\
	X(keys_per_mapping, KEYS_PER_MAPPING, "keys-per-mapping", 1000,			\
	  "keys in one YAML mapping")							\
	X(rules_per_policy, RULES_PER_POLICY, "rules-per-policy", 1000,			\
	  "rules in one ingress or egress list")					\
	X(peers_per_rule, PEERS_PER_RULE, "peers-per-rule", 1000,			\
	  "peers in one from or to list")						\
	X(ports_per_rule, PORTS_PER_RULE, "ports-per-rule", 1000,			\
	  "ports in one rule")								\
	X(policies, POLICIES, "policies", 10000,					\
	  "policies in the policy set")							\
	X(elements_per_set, ELEMENTS_PER_SET, "elements-per-set", 100000,		\
	  "elements in one nftables set")

struct bh_limits {
#define BH_LIMIT_FIELD(field, id, name, def, help) uint32_t field;
	BH_LIMITS(BH_LIMIT_FIELD)
#undef BH_LIMIT_FIELD
};

#define BH_LIMIT_INIT(field, id, name, def, help) .field = (def),
/* An initializer with every default: struct bh_limits l = BH_LIMITS_DEFAULT; */
#define BH_LIMITS_DEFAULT { BH_LIMITS(BH_LIMIT_INIT) }

/* Fills every limit with its default. */
static inline void bh_limits_default(struct bh_limits *l)
{
	*l = (struct bh_limits)BH_LIMITS_DEFAULT;
}

#endif
