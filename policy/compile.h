/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef BH_COMPILE_H
#define BH_COMPILE_H

/*
 * The compiler: (inventory, policies) -> one ruleset per container group.
 * Pure: no I/O. The result is what the kernel gets (rendered as nft text by
 * render_nft.c, built as libnftnl objects by netlink/) and what `explain`
 * and the log enrichment answer from.
 *
 * Layout of a ruleset, per direction (ingress = packets delivered to the
 * workload, nft hook input; egress = packets it sends, hook output):
 *   - `enforce` view: isolation and allowed peers from policies in enforce mode;
 *   - `audit` view (has_audit): the same computed from every policy, audit
 *     ones included; a packet the enforce view allows but the audit view
 *     does not is logged as would-deny and accepted.
 * Allowed peers are two kinds of disjoint elements per address family:
 * proto == 0 (any protocol, any port: an address interval) and
 * proto != 0 (address interval . protocol . port interval). Elements of
 * one kind never overlap (the kernel rejects overlapping concatenated
 * interval elements with EEXIST), and they are sorted.
 *
 * Each view also carries the cluster-wide tiers (policy/cnp.h) around its
 * NetworkPolicy part: an Admin stage before it and a Baseline stage after
 * it (only where no NetworkPolicy isolates: then NetworkPolicy decides).
 * A stage flattens the rules of every policy of its tier that selects the
 * workload into the same two kinds of disjoint elements, each carrying
 * the first rule in precedence order (priority, name, rule order) that
 * matches it and that rule's action: the sweep of segment.c resolves the
 * precedence at compile time because rule ids are numbered in that order.
 * In a stage the l4 elements include the any-protocol rules for TCP, UDP
 * and SCTP, so that for those protocols one lookup in l4 gives the first
 * match, and the any elements answer the other protocols: the datapath
 * needs one lookup per kind, family and stage whatever the number of
 * policies.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "policy/cnp.h"
#include "policy/limits.h"
#include "policy/model.h"

#define BH_FAM_V4 0
#define BH_FAM_V6 1
#define BH_FAM_MAX 2

#define BH_RULE_NONE UINT32_MAX

struct bh_elem {
	uint8_t lo[16];		/* peer address interval, network byte order; */
	uint8_t hi[16];		/* IPv4 uses the first 4 bytes */
	uint8_t proto;		/* 0: any protocol and port */
	uint16_t port_lo;	/* host byte order, inclusive */
	uint16_t port_hi;
	uint8_t action;		/* stage elements: enum bh_action of `rule`; 0 in NetworkPolicy views */
	uint32_t rule;		/* lowest rule id (index into bh_compiled.rules) allowing it */
};

struct bh_elems {
	struct bh_elem *v;
	size_t n;
};

/* One cluster-wide tier of a view, for one workload and direction. */
struct bh_stage {
	bool present;		/* a policy of the tier selects the workload with rules this way */
	uint32_t *selected_by;	/* its policies (indices into bh_policy_set.cnp), in precedence order */
	size_t n_selected_by;
	struct bh_elems any[BH_FAM_MAX];	/* every protocol: the element's action decides */
	struct bh_elems l4[BH_FAM_MAX];		/* TCP, UDP, SCTP: looked up first */
};

struct bh_view {
	bool isolated;		/* a NetworkPolicy isolates, or the workload fails closed: it decides */
	const char *cause;	/* the workload's own fail-closed cause (bh_workload.isolated,
				 * borrowed): isolated by no policy, nothing allowed, no tiers */
	uint32_t *isolated_by;	/* policy indices (into bh_policy_set.v), ascending */
	size_t n_isolated_by;
	struct bh_elems any[BH_FAM_MAX];	/* proto == 0 elements */
	struct bh_elems l4[BH_FAM_MAX];		/* proto != 0 elements */
	struct bh_stage admin;		/* before the NetworkPolicy part */
	struct bh_stage baseline;	/* after it; never present when isolated */
};

struct bh_dir_rules {
	struct bh_view enforce;
	bool has_audit;		/* a policy in audit mode (of any tier) applies here */
	struct bh_view audit;
	enum bh_log_mode log;	/* all if any selecting policy says all; none if all say none */
};

/* Does anything decide in this direction (so it gets a chain)? */
static inline bool bh_dir_active(const struct bh_dir_rules *d)
{
	return d->enforce.isolated || d->has_audit || d->enforce.admin.present ||
	       d->enforce.baseline.present;
}

struct bh_ruleset {
	struct bh_dir_rules dir[BH_DIR_MAX];
	uint64_t hash;		/* of the content, for sharing and change detection */
};

/* A rule id names one rule of one policy in one direction. */
struct bh_rule_ref {
	uint32_t policy;	/* index into bh_policy_set.v, or .cnp when tier is not BH_TIER_NP */
	uint32_t rule;		/* index into policy->rules[dir] */
	uint8_t dir;		/* enum bh_dir */
	uint8_t tier;		/* enum bh_tier (policy/cnp.h): 0, BH_TIER_NP, for NetworkPolicy */
};

struct bh_compiled {
	const struct bh_policy_set *pols;	/* borrowed: must outlive this */
	const struct bh_inventory *inv;		/* borrowed: must outlive this */
	struct bh_ruleset *groups;
	size_t n_groups;
	size_t *wl_group;			/* inv->n_wl entries: group of each workload */
	struct bh_rule_ref *rules;
	size_t n_rules;
};

/*
 * Compile. Returns 0 and *out (free with bh_compiled_free), -ENOMEM, or
 * -E2BIG when a set would pass the element limit (policy/limits.h; the
 * decomposition stops there, and bounds its work to get there too).
 * Inputs are validated already; workloads without IPs simply match nothing.
 * bh_compile applies the default limits and records nothing;
 * bh_compile_limited takes lim (NULL: the defaults) and, on -E2BIG, records
 * in diag (may be NULL) the policy (at its location), the workload and the set.
 */
int bh_compile(const struct bh_policy_set *pols, const struct bh_inventory *inv,
	       struct bh_compiled **out);
int bh_compile_limited(const struct bh_policy_set *pols, const struct bh_inventory *inv,
		       const struct bh_limits *lim, struct bh_diag *diag, struct bh_compiled **out);
void bh_compiled_free(struct bh_compiled *c);

/* True when the view lets (peer, proto, port) through; *rule gets the allowing rule id. */
bool bh_view_allows(const struct bh_view *v, const struct bh_addr *peer,
		    uint8_t proto, uint16_t port, uint32_t *rule);

/*
 * The stage's element for (peer, proto, port) as the kernel finds it (l4
 * first, then any), or NULL when no rule of the tier matches. Borrowed.
 */
const struct bh_elem *bh_stage_lookup(const struct bh_stage *s, const struct bh_addr *peer,
				      uint8_t proto, uint16_t port);

/* Who decided a connection in one direction, walking a view's tiers as the kernel does. */
struct bh_decision {
	bool allowed;
	uint8_t tier;		/* enum bh_tier that decided; BH_TIER_MAX: none, allowed by default */
	uint32_t rule;		/* the deciding rule id; BH_RULE_NONE for an isolation with no allowing rule */
	uint32_t pass[BH_TIER_MAX];	/* [tier]: the Pass rule that skipped the rest of that tier, or BH_RULE_NONE */
};

/* Decides (peer, proto, port) in view v: Admin, then NetworkPolicy, then Baseline, then allowed. */
void bh_view_decide(const struct bh_view *v, const struct bh_addr *peer, uint8_t proto,
		    uint16_t port, struct bh_decision *out);

/*
 * THE TABLE LAYOUT (contract shared by bh_render_nft() and the libnftnl
 * builder in netlink/: both must produce exactly these kernel objects, in
 * this order; tests compare `nft -j list table inet bulkhead` of both).
 * Let D be "in" (ingress: hook input, peer = saddr, iface check iif) or
 * "out" (egress: hook output, peer = daddr, iface check oif); X is "s" or
 * "d" accordingly; CH is "ingress"/"egress"; HK is "input"/"output";
 * k is 'i' or 'e'; G the generation; N the log group; R/B the log rate
 * and burst. LOG(kind, V) stands for two rules:
 *       limit rate over R/second burst B packets counter V   <- left out when R == 0
 *       log prefix "bh/G/k/kind" group N
 * (over the limit a packet takes the verdict V at once and is counted:
 * the log is cut, never the verdict, and the agent reports the count).
 *
 * table inet bulkhead {
 *   for view V in ("" = enforce, "a" = audit), D in (in, out), F in (4, 6):
 *     present when the view is isolated (enforce.isolated / has_audit):
 *     set {V}{D}{F}_any { type ipv{F}_addr; flags interval; elements = <any[F]> }
 *     set {V}{D}{F}     { type ipv{F}_addr . inet_proto . inet_service;
 *                         flags interval; elements = <l4[F]> }
 *     (sets are listed enforce-in4_any, in4, in6_any, in6, out4_any, ...,
 *      then audit ones; empty sets are still created)
 *   chain input {
 *     type filter hook input priority filter; policy accept;
 *     ct state established,related accept
 *     ct state invalid drop
 *     iif "lo" accept
 *     icmpv6 type { mld-listener-query, mld-listener-report, mld-listener-done,
 *                   nd-router-solicit, nd-router-advert, nd-neighbor-solicit,
 *                   nd-neighbor-advert, mld2-listener-report } accept
 *     jump ingress comment "isolated by ns/p1, ns/p2"    <- only when enforce.isolated or has_audit;
 *   }                                                       comment lists enforce isolators (or
 *                                                           "audit: ..." when only audit), cut to 120 bytes;
 *                                                           "isolated: CAUSE" for a fail-closed workload
 *   chain output { same with oif "lo" and "jump egress" }
 *   chain CH {                          <- only when enforce.isolated or has_audit
 *     when enforce.isolated:
 *       ip  Xaddr @{D}4_any OK
 *       ip  Xaddr . meta l4proto . th dport @{D}4 OK
 *       ip6 Xaddr @{D}6_any OK
 *       ip6 Xaddr . meta l4proto . th dport @{D}6 OK
 *       LOG(d, drop)   <- not when log == none
 *       counter drop
 *     otherwise (audit only):
 *       goto CH_audit
 *   }
 *   chain CH_audit {                    <- only when has_audit
 *       the same four lookups on the a{D}... sets, verdict OK2
 *       LOG(w, accept)   <- not when log == none
 *       accept
 *   }
 *   chain CH_allow {                    <- only when log == all
 *       LOG(a, accept)
 *       accept
 *   }
 *   OK  = "goto CH_audit" when has_audit, else OK2
 *   OK2 = "goto CH_allow" when log == all, else "accept"
 * }
 * Chains are listed input, output, ingress, ingress_audit, ingress_allow,
 * egress, egress_audit, egress_allow (those present).
 */

/* ---- rendering ---------------------------------------------------------------- */

struct bh_emit_opts {
	uint16_t log_group;	/* NFLOG group, default BH_LOG_GROUP */
	uint32_t log_rate;	/* log messages per second per workload and direction, 0 = no limit */
	uint32_t log_burst;
	uint64_t generation;	/* written into the NFLOG prefix */
};

#define BH_LOG_GROUP 100
#define BH_LOG_RATE 100
#define BH_LOG_BURST 200
#define BH_TABLE "bulkhead"
#define BH_COMMENT_MAX 121	/* jump comment: at most 120 bytes */

void bh_emit_opts_default(struct bh_emit_opts *o);

/*
 * NFLOG prefix: "bh/<generation>/<i|e>/<d|w|a>" (denied, would-deny, allowed).
 * Writes at most 64 bytes into buf. Parsing returns 0 or -EINVAL.
 */
struct bh_log_tag {
	uint64_t generation;
	uint8_t dir;		/* enum bh_dir */
	char kind;		/* 'd', 'w' or 'a' */
};
void bh_log_tag_format(const struct bh_log_tag *t, char *buf, size_t len);
int bh_log_tag_parse(const char *s, struct bh_log_tag *t);

/*
 * Render the nft text of the table for group g: "table inet bulkhead {...}",
 * with comments naming the policies. wl_name is used in comments (may be NULL).
 * Returns a malloc'd string, or NULL on OOM.
 */
char *bh_render_nft(const struct bh_compiled *c, size_t g, const char *wl_name,
		    const struct bh_emit_opts *o);

#endif
