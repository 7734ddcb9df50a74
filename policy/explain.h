/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef BH_EXPLAIN_H
#define BH_EXPLAIN_H

/*
 * `explain`: answers "can A reach B on port/proto?" from the compiled
 * rulesets, the same data the kernel gets.
 */

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "policy/compile.h"
#include "policy/eval.h"

struct bh_explain_dir {
	bool applies;		/* the endpoint is a workload with a ruleset */
	bool isolated;		/* by NetworkPolicy */
	bool allowed;
	uint32_t rule;		/* allowing NetworkPolicy rule id, BH_RULE_NONE if none/not isolated */
	const struct bh_view *view;
	struct bh_decision dec;	/* the walk through the tiers */
};

struct bh_explain {
	bool allowed;
	bool loopback;		/* from and to are the same workload */
	struct bh_explain_dir egress;	/* of `from` */
	struct bh_explain_dir ingress;	/* of `to` */
};

/* Fills *out. proto is IPPROTO_TCP/UDP/SCTP (port used) or another protocol (port ignored). */
void bh_explain_conn(const struct bh_compiled *c, const struct bh_endpoint *from,
		     const struct bh_endpoint *to, uint8_t proto, uint16_t port,
		     struct bh_explain *out);

/* Human-readable explanation, several lines. */
void bh_explain_print(FILE *f, const struct bh_compiled *c, const struct bh_endpoint *from,
		      const struct bh_endpoint *to, uint8_t proto, uint16_t port,
		      const struct bh_explain *e);

/*
 * The rule reference of rule id `rule` in the log's syntax (see
 * bh_rule_ref_format): "ns/policy#ingress[0]", "cluster-policy#egress[2]".
 * Returns buf ("" for an unknown id).
 */
char *bh_rule_id_format(const struct bh_compiled *c, uint32_t rule, char *buf, size_t len);

/* The rule behind a rule id: its tier, policy name ("ns/name" or "name") and rule name (may be NULL). */
struct bh_rule_info {
	unsigned int tier;	/* enum bh_tier */
	char policy[320];
	const char *name;	/* a cluster-wide rule's name, NULL when it has none */
	unsigned int action;	/* enum bh_action (NetworkPolicy rules: BH_ACT_ACCEPT) */
	int priority;		/* cluster-wide policies */
	const struct bh_loc *loc;
};
/* false for an unknown id. */
bool bh_rule_id_info(const struct bh_compiled *c, uint32_t rule, struct bh_rule_info *out);

/* "ns/name" of a workload, or the address; into buf. */
const char *bh_endpoint_name(const struct bh_endpoint *ep, char *buf, size_t len);

/* Parses "80/tcp", "53/udp", "80" (tcp). 0 or -EINVAL. */
int bh_port_spec_parse(const char *s, uint8_t *proto, uint16_t *port);
const char *bh_proto_name(uint8_t proto);

#endif
