// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Who decided a logged attempt, across the tiers: the Admin or Baseline
 * rule (from the NFLOG prefix's tier and the compiled stage of the
 * generation named in it), the NetworkPolicy isolation, the Pass hops on
 * the way, and whether the other end's direction was accepted by a
 * cluster-wide rule before this end denied it. Rules are named in the one
 * reference syntax the log, explain and diff share.
 */
#include <stdio.h>
#include <string.h>

#include "log/event_int.h"
#include "log/jsonw.h"
#include "log/pkt.h"
#include "policy/explain.h"

const struct bh_dir_rules *bh__event_dir_rules(const struct bh_compiled *c, const struct bh_workload *w,
					       unsigned int dir)
{
	const struct bh_inventory *inv;
	size_t idx;

	if (!c || !w || !c->inv || dir >= BH_DIR_MAX)
		return NULL;
	inv = c->inv;
	if (w >= inv->wl && w < inv->wl + inv->n_wl) {
		idx = (size_t)(w - inv->wl);
	} else {
		const struct bh_workload *x = bh_inventory_find(inv, w->namespace, w->name);

		if (!x)
			return NULL;
		idx = (size_t)(x - inv->wl);
	}
	if (!c->wl_group || c->wl_group[idx] >= c->n_groups)
		return NULL;
	return &c->groups[c->wl_group[idx]].dir[dir];
}

static const char *tier_of_tag(char t)
{
	return t == 'a' ? bh_tier_name(BH_TIER_ADMIN) : t == 'b' ? bh_tier_name(BH_TIER_BASELINE) : NULL;
}

/* Fills the deciding rule's names from rule id `rule`. */
static void rule_names(const struct bh_compiled *c, uint32_t rule, struct bh__ev_decision *out)
{
	struct bh_rule_info ri;

	if (!bh_rule_id_info(c, rule, &ri))
		return;
	bh_rule_id_format(c, rule, out->rule, sizeof(out->rule));
	snprintf(out->policy, sizeof(out->policy), "%s", ri.policy);
	out->rule_name = ri.name;
	out->priority = ri.priority;
	out->cluster = ri.tier != BH_TIER_NP;
	out->tier = bh_tier_name(ri.tier);
}

/* The other end's direction, when it is a workload of this generation and a cluster tier accepted it. */
static void peer_accept(const struct bh_compiled *c, const struct bh_workload *peer, unsigned int dir,
			const struct bh_addr *self_addr, const struct bh_pkt *p, struct bh__ev_decision *out)
{
	const struct bh_dir_rules *dr = bh__event_dir_rules(c, peer, dir);
	struct bh_decision dec;
	struct bh_rule_info ri;

	if (!dr)
		return;
	bh_view_decide(&dr->enforce, self_addr, p->proto, p->has_ports ? p->dport : 0, &dec);
	if (!dec.allowed || (dec.tier != BH_TIER_ADMIN && dec.tier != BH_TIER_BASELINE) ||
	    !bh_rule_id_info(c, dec.rule, &ri))
		return;
	out->peer_accepted = true;
	out->peer_dir = dir == BH_EGRESS ? "egress" : "ingress";
	out->peer_tier = bh_tier_name(dec.tier);
	bh_rule_id_format(c, dec.rule, out->peer_rule, sizeof(out->peer_rule));
	snprintf(out->peer_policy, sizeof(out->peer_policy), "%s", ri.policy);
}

void bh__event_decide(const struct bh_event *ev, const struct bh_dir_rules *dr, const struct bh_workload *peer,
		      struct bh__ev_decision *out)
{
	const struct bh_pkt *p = ev->pkt;
	unsigned int dir = ev->tag->dir < BH_DIR_MAX ? ev->tag->dir : BH_INGRESS;
	const struct bh_addr *peer_addr = dir == BH_INGRESS ? &p->src : &p->dst;
	const struct bh_addr *self_addr = dir == BH_INGRESS ? &p->dst : &p->src;
	const struct bh_view *v;
	struct bh_decision dec;

	memset(out, 0, sizeof(*out));
	out->tier = tier_of_tag(ev->tag->tier);
	if (!dr)
		return;
	v = ev->tag->kind == 'w' && dr->has_audit ? &dr->audit : &dr->enforce;
	bh_view_decide(v, peer_addr, p->proto, p->has_ports ? p->dport : 0, &dec);
	for (int t = BH_TIER_ADMIN; t < BH_TIER_MAX; t++)
		if (dec.pass[t] != BH_RULE_NONE)
			bh_rule_id_format(ev->comp, dec.pass[t], out->passed[out->n_passed++],
					  sizeof(out->passed[0]));
	if (ev->tag->tier) {
		/* the kernel's word on the tier; the rule from the same lookup */
		unsigned int t = ev->tag->tier == 'a' ? BH_TIER_ADMIN : BH_TIER_BASELINE;
		const struct bh_elem *e = bh_stage_lookup(bh_view_stage(v, t), peer_addr, p->proto,
							  p->has_ports ? p->dport : 0);

		if (e)
			rule_names(ev->comp, e->rule, out);
	} else if (ev->tag->kind == 'a') {
		if (dec.rule != BH_RULE_NONE)
			rule_names(ev->comp, dec.rule, out);
		else if (dec.tier < BH_TIER_MAX)
			out->tier = bh_tier_name(dec.tier);
	} else {
		/* a NetworkPolicy isolation: no rule, the isolating policies */
		size_t n = 0;

		out->tier = bh_tier_name(BH_TIER_NP);
		snprintf(out->rule, sizeof(out->rule), "default-deny");
		for (size_t i = 0; i < v->n_isolated_by && n < sizeof(out->policy); i++) {
			const struct bh_policy *pol = &ev->comp->pols->v[v->isolated_by[i]];

			n += (size_t)snprintf(out->policy + n, sizeof(out->policy) - n, "%s%s/%s", i ? "," : "",
					      pol->namespace, pol->name);
		}
	}
	/* accepted by a cluster tier on the other end, then denied here */
	if (ev->tag->kind != 'a' && peer)
		peer_accept(ev->comp, peer, dir == BH_INGRESS ? BH_EGRESS : BH_INGRESS, self_addr, p, out);
}

void bh__event_put_decision(struct bh_jsonw *w, const struct bh__ev_decision *d)
{
	if (d->tier)
		bh_jsonw_kv_str(w, "tier", d->tier);
	if (d->policy[0])
		bh_jsonw_kv_str(w, "policy", d->policy);
	if (d->rule[0])
		bh_jsonw_kv_str(w, "rule", d->rule);
	if (d->rule_name)
		bh_jsonw_kv_str(w, "rule_name", d->rule_name);
	if (d->n_passed) {
		bh_jsonw_kv_arr_begin(w, "passed_by");
		for (size_t i = 0; i < d->n_passed; i++)
			bh_jsonw_str(w, d->passed[i]);
		bh_jsonw_arr_end(w);
	}
	if (d->peer_accepted) {
		bh_jsonw_kv_obj_begin(w, "accepted_by");
		bh_jsonw_kv_str(w, "direction", d->peer_dir);
		bh_jsonw_kv_str(w, "tier", d->peer_tier);
		bh_jsonw_kv_str(w, "policy", d->peer_policy);
		bh_jsonw_kv_str(w, "rule", d->peer_rule);
		bh_jsonw_obj_end(w);
	}
}
