// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The reference evaluator's cluster-wide tiers: the upstream semantics
 * applied to one connection straight from the model (policy/cnp.h), with
 * none of the compiler's machinery (no rule ids, no intervals, no stages).
 */
#include <string.h>

#include "policy/eval.h"

static const struct bh_labels *ns_labels(const struct bh_inventory *inv, const struct bh_workload *w)
{
	const struct bh_namespace *ns = w ? bh_inventory_ns(inv, w->namespace) : NULL;

	return ns ? &ns->labels : NULL;
}

static bool peer_matches(const struct bh_inventory *inv, const struct bh_cnp_peer *p,
			 const struct bh_endpoint *peer)
{
	const struct bh_labels *nsl;

	switch (p->kind) {
	case BH_CPEER_NETWORKS:
		for (size_t i = 0; i < p->n_nets; i++)
			if (bh_prefix_contains(&p->nets[i], &peer->addr))
				return true;
		return false;
	case BH_CPEER_NAMESPACES:
	case BH_CPEER_PODS:
		nsl = ns_labels(inv, peer->wl);
		if (!nsl || !bh_selector_matches(&p->ns_sel, nsl))
			return false;
		return p->kind == BH_CPEER_NAMESPACES || bh_selector_matches(&p->pod_sel, &peer->wl->labels);
	}
	return false;	/* nodes, domainNames: not here */
}

static bool port_matches(const struct bh_cnp_port *p, const struct bh_workload *dst, uint8_t proto,
			 uint16_t port)
{
	if (!p->name)
		return p->proto == proto && port >= p->lo && port <= p->hi;
	for (size_t i = 0; dst && i < dst->n_ports; i++)
		if (!strcmp(dst->ports[i].name, p->name) && dst->ports[i].proto == proto &&
		    dst->ports[i].port == port)
			return true;
	return false;
}

static bool rule_matches(const struct bh_inventory *inv, const struct bh_cnp_rule *r,
			 const struct bh_endpoint *peer, const struct bh_workload *dst, uint8_t proto,
			 uint16_t port)
{
	bool peer_ok = false, port_ok = !r->has_ports;

	/* upstream's fail closed: a Deny or Pass rule with a peer we cannot read denies all */
	if (r->fail_closed && r->action != BH_ACT_ACCEPT)
		return true;
	for (size_t i = 0; i < r->n_peers && !peer_ok; i++)
		peer_ok = peer_matches(inv, &r->peers[i], peer);
	for (size_t i = 0; i < r->n_ports && !port_ok; i++)
		port_ok = port_matches(&r->ports[i], dst, proto, port);
	return peer_ok && port_ok;
}

int bh_eval_tier(const struct bh_policy_set *ps, const struct bh_inventory *inv,
		 const struct bh_endpoint *self, const struct bh_endpoint *peer, int dir,
		 uint8_t proto, uint16_t port, unsigned int tier, struct bh_eval_hit *hit)
{
	const struct bh_workload *dst = dir == BH_INGRESS ? self->wl : peer->wl;
	const struct bh_labels *nsl = ns_labels(inv, self->wl);

	/* the set is in evaluation order: tier, priority, name */
	for (size_t i = 0; i < ps->n_cnp; i++) {
		const struct bh_cnp *p = &ps->cnp[i];

		if (p->tier != tier || p->mode != BH_MODE_ENFORCE || !bh_cnp_selects(p, nsl, self->wl))
			continue;
		for (size_t r = 0; r < p->n_rules[dir]; r++) {
			if (!rule_matches(inv, &p->rules[dir][r], peer, dst, proto, port))
				continue;
			if (hit) {
				hit->policy = i;
				hit->rule = r;
			}
			return p->rules[dir][r].action;
		}
	}
	return -1;
}
