/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef BH_CNP_H
#define BH_CNP_H

/*
 * Cluster-wide policy tiers: policy.networking.k8s.io/v1alpha2
 * ClusterNetworkPolicy (network-policy-api v0.2.0), and the v1alpha1
 * AdminNetworkPolicy and BaselineAdminNetworkPolicy it supersedes, read
 * into the same model. Validated like NetworkPolicy (see model.h): the
 * compiler never sees an invalid object.
 *
 * Evaluation, per workload and direction (the upstream API's tiers):
 *   1. Admin tier: policies by priority (0-1000, lower first; equal
 *      priorities by name, a deterministic order upstream leaves open),
 *      then rule order within a policy. The first matching rule decides:
 *      Accept and Deny are final, Pass skips the rest of the tier;
 *   2. NetworkPolicy v1: a workload it isolates gets its answer there;
 *   3. Baseline tier, in the same order (Pass: skip to 4);
 *   4. allowed.
 * All strings and arrays are owned by the object that holds them.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "policy/model.h"

enum bh_tier {
	BH_TIER_NP = 0,		/* NetworkPolicy v1, between the two cluster tiers */
	BH_TIER_ADMIN,
	BH_TIER_BASELINE,
};
#define BH_TIER_MAX 3

/* "NetworkPolicy", "Admin", "Baseline" */
const char *bh_tier_name(unsigned int tier);

enum bh_action {
	BH_ACT_ACCEPT = 0,	/* v1alpha1 "Allow" */
	BH_ACT_DENY,
	BH_ACT_PASS,
};

/* "Accept", "Deny", "Pass" */
const char *bh_action_name(unsigned int action);

/* Where an object came from: the API it was written against. */
enum bh_cnp_api {
	BH_CNP_V1ALPHA2 = 0,	/* ClusterNetworkPolicy */
	BH_ANP_V1ALPHA1,	/* AdminNetworkPolicy: tier Admin */
	BH_BANP_V1ALPHA1,	/* BaselineAdminNetworkPolicy "default": tier Baseline, priority 1000 */
};

enum bh_cpeer_kind {
	BH_CPEER_NAMESPACES = 0,	/* every workload of the namespaces ns_sel selects */
	BH_CPEER_PODS,			/* ns_sel AND pod_sel */
	BH_CPEER_NETWORKS,		/* addresses in nets (egress only) */
	BH_CPEER_NODES,			/* experimental, not supported on this host */
	BH_CPEER_DOMAINS,		/* experimental, not supported on this host */
};

struct bh_cnp_peer {
	struct bh_loc loc;
	uint8_t kind;		/* enum bh_cpeer_kind */
	struct bh_selector ns_sel;
	struct bh_selector pod_sel;
	struct bh_prefix *nets;
	size_t n_nets;
};

/* A peer of a kind this host cannot enforce (nodes, domainNames). */
static inline bool bh_cnp_peer_unsupported(const struct bh_cnp_peer *p)
{
	return p->kind == BH_CPEER_NODES || p->kind == BH_CPEER_DOMAINS;
}

/* One `protocols` entry (v1alpha2) or `ports` entry (v1alpha1). */
struct bh_cnp_port {
	struct bh_loc loc;
	uint8_t proto;		/* IPPROTO_TCP/UDP/SCTP; 0 with a named port: the port's own protocol */
	char *name;		/* destinationNamedPort / namedPort, resolved against the destination, or NULL */
	uint16_t lo, hi;	/* numeric port range, lo <= hi */
};

struct bh_cnp_rule {
	struct bh_loc loc;
	char *name;		/* optional, at most 100 characters; NULL when absent */
	uint8_t action;		/* enum bh_action */
	/*
	 * A peer of no supported kind makes the rule fail closed, as upstream
	 * documents it for a peer with no known field: in an Accept rule that
	 * peer matches nothing; a Deny or Pass rule matches every connection.
	 */
	bool fail_closed;
	struct bh_cnp_peer *peers;	/* from / to: at least one */
	size_t n_peers;
	bool has_ports;		/* false: every protocol and port */
	struct bh_cnp_port *ports;
	size_t n_ports;
};

struct bh_cnp {
	struct bh_loc loc;	/* the document */
	char *name;		/* cluster-scoped: no namespace */
	uint8_t tier;		/* BH_TIER_ADMIN or BH_TIER_BASELINE */
	uint8_t api;		/* enum bh_cnp_api */
	int32_t priority;	/* 0..1000 */
	bool subject_pods;	/* subject.pods (ns AND pod selector); else subject.namespaces */
	struct bh_selector subject_ns;
	struct bh_selector subject_pod;
	struct bh_cnp_rule *rules[BH_DIR_MAX];	/* ingress / egress, in precedence order */
	size_t n_rules[BH_DIR_MAX];
	enum bh_log_mode log;		/* annotation bulkhead.io/log */
	enum bh_enforce_mode mode;	/* annotation bulkhead.io/mode */
};

/* Does p's subject select workload w (whose namespace carries ns_labels)? */
bool bh_cnp_selects(const struct bh_cnp *p, const struct bh_labels *ns_labels,
		    const struct bh_workload *w);

/* The kind an operator wrote: "ClusterNetworkPolicy", "AdminNetworkPolicy", ... */
const char *bh_cnp_kind_name(const struct bh_cnp *p);

/*
 * The one rule reference syntax (log, explain, diff): "NS/NAME#DIR[I]" for a
 * NetworkPolicy rule, "NAME#DIR[I]" for a cluster-wide one (no namespace),
 * DIR "ingress" or "egress", I the rule's index in its list. Returns buf.
 */
char *bh_rule_ref_format(const char *ns, const char *name, unsigned int dir, size_t idx,
			 char *buf, size_t len);

#endif
