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
 *       log prefix "bh/G/k/kind" group N     ("bh/G/k/kind/t" for tier t, 'a' or 'b')
 * (over the limit a packet takes the verdict V at once and is counted:
 * the log is cut, never the verdict, and the agent reports the count).
 *
 * A direction walks up to two pipelines of stages, each a chain: the
 * enforce view's (V = "", chains CH...) and, when has_audit, the audit
 * view's (V = "a", chains CH_audit...). A view's stages, in order, are
 *   T = admin:    present when view.admin.present;
 *   T = np:       present when view.isolated (its chain is CH or CH_audit);
 *   T = baseline: present when view.baseline.present (never with np).
 * NEXT(T) is "goto <chain of the view's next present stage>", else OK(V);
 * ENTRY(V) is the chain of the view's first present stage.
 *   OK2   = "goto CH_allow" when log == all, else "accept"
 *   OK("") = "goto ENTRY(a)" when has_audit and the audit view has a stage, else OK2
 *   OK(a) = OK2
 *
 * table inet bulkhead {
 *   for view V in ("", "a"), D in (in, out), F in (4, 6):
 *     present when the view is isolated (enforce.isolated / audit.isolated):
 *     set {V}{D}{F}_any { type ipv{F}_addr; flags interval; elements = <any[F]> }
 *     set {V}{D}{F}     { type ipv{F}_addr . inet_proto . inet_service;
 *                         flags interval; elements = <l4[F]> }
 *     (sets are listed enforce-in4_any, in4, in6_any, in6, out4_any, ...,
 *      then audit ones; empty sets are still created)
 *   then the tier maps, for V in ("", "a"), D, T in (admin, baseline) when
 *   present, F in (4, 6):
 *     map {V}{D}{F}_{T}_any { type ipv{F}_addr : verdict; flags interval;
 *                             elements = <stage.any[F] : VERDICT> }
 *     map {V}{D}{F}_{T}     { type ipv{F}_addr . inet_proto . inet_service : verdict;
 *                             flags interval; elements = <stage.l4[F] : VERDICT> }
 *     VERDICT of an element: Accept -> OK(V); Deny -> "goto CH{_audit}_{T}_deny";
 *     Pass -> NEXT(T) (admin) or OK(V) (baseline). Empty maps are created.
 *   chain input {
 *     type filter hook input priority filter; policy accept;
 *     ct state established,related accept
 *     ct state invalid drop
 *     iif "lo" accept
 *     icmpv6 type { mld-listener-query, mld-listener-report, mld-listener-done,
 *                   nd-router-solicit, nd-router-advert, nd-neighbor-solicit,
 *                   nd-neighbor-advert, mld2-listener-report } accept
 *     jump ENTRY comment "isolated by ns/p1, ns/p2"  <- only when bh_dir_active(); ENTRY is
 *   }                                                   ENTRY(""), or CH when the enforce view has
 *                                                       no stage (see bh_jump_comment for the text;
 *                                                       "isolated: CAUSE" for a fail-closed workload)
 *   chain output { same with oif "lo" }
 *   chains of a direction, in this order (those present):
 *   chain CH_admin {                      <- enforce admin stage
 *       ip  Xaddr . meta l4proto . th dport vmap @{D}4_admin
 *       ip  Xaddr vmap @{D}4_admin_any
 *       ip6 Xaddr . meta l4proto . th dport vmap @{D}6_admin
 *       ip6 Xaddr vmap @{D}6_admin_any
 *       NEXT(admin)
 *   }
 *   chain CH_admin_deny {                 <- with the admin stage
 *       LOG(d/a, drop)   <- not when log == none
 *       counter drop
 *   }
 *   chain CH {                            <- enforce np stage, or (no enforce stage, has_audit) a
 *     np stage:                              trampoline: "goto ENTRY(a)"
 *       ip  Xaddr @{D}4_any OK("")
 *       ip  Xaddr . meta l4proto . th dport @{D}4 OK("")
 *       ip6 Xaddr @{D}6_any OK("")
 *       ip6 Xaddr . meta l4proto . th dport @{D}6 OK("")
 *       LOG(d, drop)   <- not when log == none
 *       counter drop
 *   }
 *   chain CH_baseline { the four vmap lookups on {D}{F}_baseline; OK("") }
 *   chain CH_baseline_deny { LOG(d/b, drop); counter drop }
 *   chain CH_audit_admin { the vmap lookups on a{D}{F}_admin; NEXT(admin) }
 *   chain CH_audit_admin_deny { LOG(w/a, accept); accept }
 *   chain CH_audit { the four set lookups on the a{D}... sets, verdict OK2;
 *                    LOG(w, accept); accept }
 *   chain CH_audit_baseline { vmap lookups on a{D}{F}_baseline; OK2 }
 *   chain CH_audit_baseline_deny { LOG(w/b, accept); accept }
 *   chain CH_allow {                      <- only when log == all
 *       LOG(a, accept)
 *       accept
 *   }
 * }
 * Chains are listed input, output, then the ingress chains, then the
 * egress ones. A NetworkPolicy-only table is exactly what it was before
 * the tiers: CH, CH_audit, CH_allow.
 */

/* A verdict of the layout: accept, or goto chain. */
struct bh_verdict {
	bool go;
	char chain[32];
};

/* One view's pipeline in the layout. */
struct bh_layout_view {
	bool stage[BH_TIER_MAX];	/* [BH_TIER_ADMIN], [BH_TIER_NP], [BH_TIER_BASELINE] present */
	char chain[BH_TIER_MAX][32];	/* each stage's chain */
	char deny[BH_TIER_MAX][32];	/* the deny chains of the cluster tiers */
	struct bh_verdict ok;		/* OK(V) */
	struct bh_verdict next[BH_TIER_MAX];	/* NEXT(T) */
	const char *entry;		/* ENTRY(V), NULL when the view has no stage */
};

/* One direction of the layout: which chains, and what jumps where. */
struct bh_layout_dir {
	bool active;			/* bh_dir_active(): the base chain jumps */
	const char *entry;		/* where it jumps */
	bool trampoline;		/* CH only leads to the audit pipeline */
	bool has_audit;
	struct bh_layout_view view[2];	/* enforce, audit */
	struct bh_verdict ok2;
	bool allow;			/* CH_allow exists */
	const char *set_prefix[2];	/* "", "a" */
};

/* Fills *out for direction d of dr. Pointers in *out point into *out. */
void bh_layout_dir(const struct bh_dir_rules *dr, int d, struct bh_layout_dir *out);

/* The verdict of a stage element of view (0 enforce, 1 audit) and tier whose rule has `action`. */
struct bh_verdict bh_layout_verdict(const struct bh_layout_dir *l, int view, unsigned int tier,
				   unsigned int action);

/* The stage of a view by tier (BH_TIER_ADMIN or BH_TIER_BASELINE). */
static inline const struct bh_stage *bh_view_stage(const struct bh_view *v, unsigned int tier)
{
	return tier == BH_TIER_ADMIN ? &v->admin : &v->baseline;
}

/*
 * The comment of the base chain's jump, at most len - 1 bytes (cut with
 * "..." when longer): "isolated by ns/p1, ns/p2" as before the tiers, with
 * "admin: c1, c2; " before it and "; baseline: c3" after it when those
 * tiers apply; "audit: " and the audit view's when the enforce view has no
 * stage. Returns buf.
 */
char *bh_jump_comment(const struct bh_compiled *c, const struct bh_dir_rules *dr, char *buf,
		      size_t len);

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
 * NFLOG prefix: "bh/<generation>/<i|e>/<d|w|a>" (denied, would-deny, allowed)
 * for NetworkPolicy decisions, "bh/<generation>/<i|e>/<d|w>/<a|b>" for a
 * Deny of the Admin or Baseline tier. Writes at most 64 bytes into buf.
 * Parsing returns 0 or -EINVAL.
 */
struct bh_log_tag {
	uint64_t generation;
	uint8_t dir;		/* enum bh_dir */
	char kind;		/* 'd', 'w' or 'a' */
	char tier;		/* 0: NetworkPolicy (or no tier), 'a' Admin, 'b' Baseline */
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
