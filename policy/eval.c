// SPDX-License-Identifier: GPL-2.0-or-later
#include <string.h>

#include "policy/eval.h"

static bool peer_matches(const struct bh_inventory *inv, const struct bh_policy *pol,
			 const struct bh_peer *p, const struct bh_endpoint *peer)
{
	if (p->has_ipblock)
		return bh_ipblock_contains(&p->ipblock, &peer->addr);
	if (!peer->wl)
		return false;
	if (p->has_ns_sel) {
		const struct bh_namespace *ns = bh_inventory_ns(inv, peer->wl->namespace);

		if (!ns || !bh_selector_matches(&p->ns_sel, &ns->labels))
			return false;
	} else if (strcmp(peer->wl->namespace, pol->namespace)) {
		return false;
	}
	return !p->has_pod_sel || bh_selector_matches(&p->pod_sel, &peer->wl->labels);
}

static bool port_matches(const struct bh_port *p, const struct bh_workload *dst,
			 uint8_t proto, uint16_t port)
{
	if (p->proto != proto)
		return false;
	if (!p->has_port)
		return true;
	if (!p->name)
		return port >= p->port && port <= (p->end_port ? p->end_port : p->port);
	if (!dst)
		return false;
	for (size_t i = 0; i < dst->n_ports; i++)
		if (dst->ports[i].proto == proto && !strcmp(dst->ports[i].name, p->name))
			return dst->ports[i].port == port;
	return false;
}

static bool rule_matches(const struct bh_inventory *inv, const struct bh_policy *pol,
			 const struct bh_rule *r, const struct bh_endpoint *peer,
			 const struct bh_workload *dst, uint8_t proto, uint16_t port)
{
	bool peer_ok = !r->has_peers, port_ok = !r->has_ports;

	for (size_t i = 0; i < r->n_peers && !peer_ok; i++)
		peer_ok = peer_matches(inv, pol, &r->peers[i], peer);
	for (size_t i = 0; i < r->n_ports && !port_ok; i++)
		port_ok = port_matches(&r->ports[i], dst, proto, port);
	return peer_ok && port_ok;
}

bool bh_eval_dir(const struct bh_policy_set *ps, const struct bh_inventory *inv,
		 const struct bh_endpoint *self, const struct bh_endpoint *peer, int dir,
		 uint8_t proto, uint16_t port, bool *isolated)
{
	const struct bh_workload *w = self->wl;
	const struct bh_workload *dst = dir == BH_INGRESS ? w : peer->wl;
	bool iso = false, allowed = false;
	int admin = bh_eval_tier(ps, inv, self, peer, dir, proto, port, BH_TIER_ADMIN, NULL), base;

	for (size_t i = 0; i < ps->n && !allowed; i++) {
		const struct bh_policy *pol = &ps->v[i];

		if (pol->mode != BH_MODE_ENFORCE || !pol->types[dir] ||
		    strcmp(pol->namespace, w->namespace) ||
		    !bh_selector_matches(&pol->pod_sel, &w->labels))
			continue;
		iso = true;
		for (size_t r = 0; r < pol->n_rules[dir] && !allowed; r++)
			allowed = rule_matches(inv, pol, &pol->rules[dir][r], peer, dst, proto, port);
	}
	if (isolated)
		*isolated = iso;
	/* Accept and Deny are final; Pass (or no match) goes on to NetworkPolicy */
	if (admin == BH_ACT_ACCEPT || admin == BH_ACT_DENY)
		return admin == BH_ACT_ACCEPT;
	if (iso)
		return allowed;
	base = bh_eval_tier(ps, inv, self, peer, dir, proto, port, BH_TIER_BASELINE, NULL);
	return base != BH_ACT_DENY;
}

bool bh_eval_conn(const struct bh_policy_set *ps, const struct bh_inventory *inv,
		  const struct bh_endpoint *from, const struct bh_endpoint *to,
		  uint8_t proto, uint16_t port)
{
	if (from->wl && !bh_eval_dir(ps, inv, from, to, BH_EGRESS, proto, port, NULL))
		return false;
	if (to->wl && !bh_eval_dir(ps, inv, to, from, BH_INGRESS, proto, port, NULL))
		return false;
	return true;
}
