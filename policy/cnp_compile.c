// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The cluster-wide tiers in the compiler (see compile.h): per workload
 * group, direction and view, the Admin and Baseline stages.
 *
 * Rule ids of cluster-wide rules follow the NetworkPolicy ones, numbered
 * in precedence order (the set is sorted by tier, priority, name; then
 * direction and rule order), so segment.c's "lowest rule id" is the first
 * matching rule and each element's action is that rule's. Peers are
 * resolved to workloads once per compilation, not once per group.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/compile_int.h"

struct tpeer {			/* workloads a namespaces/pods peer selects */
	uint32_t *wl;
	size_t n;
};

struct bh__tiers {
	const struct bh_policy_set *pols;
	const struct bh_inventory *inv;
	struct bh_compiled *c;
	uint32_t first_id;		/* id of the first cluster-wide rule */
	uint32_t (*rule_base)[BH_DIR_MAX];	/* [cnp][dir]: id of its first rule */
	struct tpeer **peers;		/* [id - first_id][peer] */
	const struct bh_labels **wl_ns;	/* [workload]: its namespace's labels, NULL if unknown */
	struct bh__ents ents[BH_FAM_MAX];
	struct bh__seg_limit lim;	/* the template of each map's bounds */
	size_t max_ents;		/* entries of one family before decomposition */
	struct bh_diag *diag;		/* may be NULL */
};

/* ---- numbering and peers ------------------------------------------------------ */

static int resolve(struct bh__tiers *t, const struct bh_cnp_peer *p, struct tpeer *out)
{
	const struct bh_inventory *inv = t->inv;

	if (p->kind != BH_CPEER_NAMESPACES && p->kind != BH_CPEER_PODS)
		return 0;
	out->wl = malloc((inv->n_wl ? inv->n_wl : 1) * sizeof(*out->wl));
	if (!out->wl)
		return -ENOMEM;
	for (size_t i = 0; i < inv->n_wl; i++) {
		if (!t->wl_ns[i] || !bh_selector_matches(&p->ns_sel, t->wl_ns[i]))
			continue;
		if (p->kind == BH_CPEER_PODS && !bh_selector_matches(&p->pod_sel, &inv->wl[i].labels))
			continue;
		out->wl[out->n++] = (uint32_t)i;
	}
	return 0;
}

int bh__tiers_prepare(struct bh_compiled *c, const struct bh__seg_limit *lim, size_t max_ents,
		      struct bh_diag *diag, struct bh__tiers **out)
{
	const struct bh_policy_set *ps = c->pols;
	const struct bh_inventory *inv = c->inv;
	size_t total = 0, id;
	struct bh__tiers *t;
	struct bh_rule_ref *rules;

	*out = t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->pols = ps;
	t->inv = inv;
	t->c = c;
	t->lim = *lim;
	t->max_ents = max_ents;
	t->diag = diag;
	t->first_id = (uint32_t)c->n_rules;
	for (size_t p = 0; p < ps->n_cnp; p++)
		for (int d = 0; d < BH_DIR_MAX; d++)
			total += ps->cnp[p].n_rules[d];
	t->wl_ns = calloc(inv->n_wl ? inv->n_wl : 1, sizeof(*t->wl_ns));
	t->rule_base = calloc(ps->n_cnp ? ps->n_cnp : 1, sizeof(*t->rule_base));
	t->peers = calloc(total ? total : 1, sizeof(*t->peers));
	rules = realloc(c->rules, (c->n_rules + total + 1) * sizeof(*rules));
	if (rules)
		c->rules = rules;
	if (!t->wl_ns || !t->rule_base || !t->peers || !rules)
		return -ENOMEM;
	for (size_t i = 0; i < inv->n_wl; i++) {
		const struct bh_namespace *ns = bh_inventory_ns(inv, inv->wl[i].namespace);

		t->wl_ns[i] = ns ? &ns->labels : NULL;
	}
	id = c->n_rules;
	for (size_t p = 0; p < ps->n_cnp; p++) {
		const struct bh_cnp *pol = &ps->cnp[p];

		for (int d = 0; d < BH_DIR_MAX; d++) {
			t->rule_base[p][d] = (uint32_t)id;
			for (size_t r = 0; r < pol->n_rules[d]; r++, id++) {
				const struct bh_cnp_rule *rule = &pol->rules[d][r];
				struct tpeer *res;

				c->rules[id] = (struct bh_rule_ref){ (uint32_t)p, (uint32_t)r, (uint8_t)d,
								     pol->tier };
				c->n_rules = id + 1;
				res = t->peers[id - t->first_id] = calloc(rule->n_peers ? rule->n_peers : 1,
									  sizeof(*res));
				if (!res)
					return -ENOMEM;
				for (size_t k = 0; k < rule->n_peers; k++)
					if (resolve(t, &rule->peers[k], &res[k]))
						return -ENOMEM;
			}
		}
	}
	return 0;
}

void bh__tiers_free(struct bh__tiers *t)
{
	if (!t)
		return;
	if (t->peers) {
		for (size_t id = t->first_id; id < t->c->n_rules; id++) {
			const struct bh_rule_ref *r = &t->c->rules[id];
			struct tpeer *res = t->peers[id - t->first_id];

			if (!res)
				break;
			for (size_t k = 0; k < t->pols->cnp[r->policy].rules[r->dir][r->rule].n_peers; k++)
				free(res[k].wl);
			free(res);
		}
		free(t->peers);
	}
	free(t->rule_base);
	free((void *)t->wl_ns);
	free(t->ents[0].v);
	free(t->ents[1].v);
	free(t);
}

/* ---- which policies apply ---------------------------------------------------------- */

static bool applies(const struct bh__tiers *t, const struct bh_cnp *p, const struct bh_workload *w,
		    int d)
{
	size_t i = (size_t)(w - t->inv->wl);

	return p->n_rules[d] && bh_cnp_selects(p, t->wl_ns[i], w);
}

void bh__tiers_scan(const struct bh__tiers *t, const struct bh_workload *w, int d,
		    struct bh__tier_scan *out)
{
	memset(out, 0, sizeof(*out));
	out->all_none = true;
	for (size_t p = 0; p < t->pols->n_cnp; p++) {
		const struct bh_cnp *pol = &t->pols->cnp[p];

		if (!applies(t, pol, w, d))
			continue;
		out->any = true;
		out->any_audit |= pol->mode == BH_MODE_AUDIT;
		out->any_log_all |= pol->log == BH_LOG_ALL;
		out->all_none &= pol->log == BH_LOG_NONE;
	}
}

/* ---- entries ------------------------------------------------------------------------ */

static int push(struct bh__tiers *t, int fam, bh_u128 lo, bh_u128 hi, uint8_t proto, uint16_t plo,
		uint16_t phi, uint32_t rule)
{
	static const uint8_t l4[] = { IPPROTO_TCP, IPPROTO_UDP, IPPROTO_SCTP };
	struct bh__ent e = { .lo = lo, .hi = hi, .rule = rule, .plo = plo, .phi = phi,
			     .proto = proto, .fam = (uint8_t)fam };
	int ret;

	/* bounded like the NetworkPolicy sets, so a huge tier fails in time, not memory */
	if (t->ents[fam].n + 4 > t->max_ents)
		return -E2BIG;
	ret = bh__ents_push(&t->ents[fam], &e);

	/* an any-protocol rule takes part in the l4 lookup too (see compile.h) */
	for (size_t i = 0; !ret && !proto && i < sizeof(l4); i++) {
		e.proto = l4[i];
		e.plo = 0;
		e.phi = 65535;
		ret = bh__ents_push(&t->ents[fam], &e);
	}
	return ret;
}

static int push_addr(struct bh__tiers *t, const struct bh_addr *a, uint8_t proto, uint16_t plo,
		     uint16_t phi, uint32_t rule)
{
	int fam = bh__fam_of(a);
	bh_u128 v = bh__addr_to_u128(a->a, fam);

	return push(t, fam, v, v, proto, plo, phi, rule);
}

static int push_prefix(struct bh__tiers *t, const struct bh_prefix *p, uint8_t proto, uint16_t plo,
		       uint16_t phi, uint32_t rule)
{
	int fam = bh__fam_of(&p->addr);
	int bits = fam == BH_FAM_V4 ? 32 : 128;
	bh_u128 host = p->len >= bits ? 0 : (bh_u128)(bh__fam_max(fam) >> p->len);
	bh_u128 lo = bh__addr_to_u128(p->addr.a, fam) & ~host;

	return push(t, fam, lo, lo | host, proto, plo, phi, rule);
}

/* Pushes every (proto, port) a named port resolves to on workload w. */
static int push_named(struct bh__tiers *t, const struct bh_workload *w, const char *name,
		      const struct bh_addr *a, uint32_t rule)
{
	int ret;

	for (size_t i = 0; i < w->n_ports; i++)
		if (!strcmp(w->ports[i].name, name) &&
		    (ret = push_addr(t, a, w->ports[i].proto, w->ports[i].port, w->ports[i].port, rule)))
			return ret;
	return 0;
}

/* Every address the peer stands for, with one port spec. */
static int peer_port(struct bh__tiers *t, const struct bh_cnp_peer *peer, const struct tpeer *res,
		     const struct bh_cnp_port *port, int d, const struct bh_workload *self,
		     uint32_t id)
{
	uint8_t proto = port ? port->proto : 0;
	uint16_t lo = port ? port->lo : 0, hi = port ? port->hi : 65535;
	int ret;

	if (peer->kind == BH_CPEER_NETWORKS) {
		/* named ports towards networks are refused by validation */
		for (size_t i = 0; i < peer->n_nets; i++)
			if ((ret = push_prefix(t, &peer->nets[i], proto, lo, hi, id)))
				return ret;
		return 0;
	}
	for (size_t i = 0; res && i < res->n; i++) {
		const struct bh_workload *q = &t->inv->wl[res->wl[i]];

		for (size_t a = 0; a < q->n_ips; a++) {
			if (port && port->name)	/* the destination's: self for ingress */
				ret = push_named(t, d == BH_INGRESS ? self : q, port->name, &q->ips[a], id);
			else
				ret = push_addr(t, &q->ips[a], proto, lo, hi, id);
			if (ret)
				return ret;
		}
	}
	return 0;
}

static int rule_entries(struct bh__tiers *t, const struct bh_cnp_rule *r, const struct tpeer *res,
			int d, const struct bh_workload *self, uint32_t id)
{
	size_t n_ports = r->has_ports ? r->n_ports : 1;
	int ret;

	/* a Deny or Pass rule with a peer this host cannot enforce matches everything */
	if (r->fail_closed && r->action != BH_ACT_ACCEPT) {
		for (int fam = 0; fam < BH_FAM_MAX; fam++)
			if ((ret = push(t, fam, 0, bh__fam_max(fam), 0, 0, 65535, id)))
				return ret;
		return 0;
	}
	for (size_t k = 0; k < r->n_peers; k++) {
		if (bh_cnp_peer_unsupported(&r->peers[k]))
			continue;	/* Accept: that peer matches nothing */
		for (size_t i = 0; i < n_ports; i++)
			if ((ret = peer_port(t, &r->peers[k], &res[k], r->has_ports ? &r->ports[i] : NULL,
					     d, self, id)))
				return ret;
	}
	return 0;
}

/* ---- stages ---------------------------------------------------------------------------- */

static void stage_deinit(struct bh_stage *s)
{
	free(s->selected_by);
	for (int f = 0; f < BH_FAM_MAX; f++) {
		free(s->any[f].v);
		free(s->l4[f].v);
	}
	memset(s, 0, sizeof(*s));
}

static void set_actions(const struct bh__tiers *t, struct bh_elems *es)
{
	for (size_t i = 0; i < es->n; i++) {
		const struct bh_rule_ref *r = &t->c->rules[es->v[i].rule];

		es->v[i].action = t->pols->cnp[r->policy].rules[r->dir][r->rule].action;
	}
}

/* Why a stage map could not be built, in the words of the NetworkPolicy sets' report. */
static void stage_report(const struct bh__tiers *t, const struct bh__seg_limit *sl,
			 const struct bh_workload *w, int d, bool audit, unsigned int tier, int fam,
			 const struct bh_stage *s)
{
	static const char *const why[] = {
		[BH_SEG_OVER_ELEMS] = "would hold more than",
		[BH_SEG_OVER_WORK] = "has more overlapping ranges than can be merged in time into",
		[BH_SEG_OVER_ENTS] = "has more address and port ranges than can be merged into",
	};
	const struct bh_cnp *pol = s->n_selected_by ? &t->pols->cnp[s->selected_by[0]] : NULL;
	char map[40];

	if (!t->diag)
		return;
	snprintf(map, sizeof(map), "%s%s%d_%s%s", audit ? "a" : "", d == BH_INGRESS ? "in" : "out",
		 fam == BH_FAM_V4 ? 4 : 6, tier == BH_TIER_ADMIN ? "admin" : "baseline",
		 sl->over == BH_SEG_OVER_ENTS || sl->l4 ? "" : "_any");
	bh_diag_add(t->diag, pol ? &pol->loc : NULL, "%s%s%sworkload %s/%s: %s tier map %s %s %zu "
		    "elements, the limit (--limit-elements-per-set)", pol ? "policy " : "",
		    pol ? pol->name : "", pol ? ": " : "", w->namespace, w->name, bh_tier_name(tier), map,
		    why[sl->over], sl->max_elems);
}

static int stage_build(struct bh__tiers *t, const struct bh_workload *w, int d, bool audit,
		       unsigned int tier, struct bh_stage *s)
{
	const struct bh_policy_set *ps = t->pols;
	int ret;

	memset(s, 0, sizeof(*s));
	t->ents[0].n = t->ents[1].n = 0;
	for (size_t p = 0; p < ps->n_cnp; p++) {
		const struct bh_cnp *pol = &ps->cnp[p];

		if (pol->tier != tier || (!audit && pol->mode == BH_MODE_AUDIT) || !applies(t, pol, w, d))
			continue;
		if (!s->selected_by && !(s->selected_by = malloc(ps->n_cnp * sizeof(*s->selected_by))))
			return -ENOMEM;
		s->selected_by[s->n_selected_by++] = (uint32_t)p;
		s->present = true;
		for (size_t r = 0; r < pol->n_rules[d]; r++) {
			uint32_t id = t->rule_base[p][d] + (uint32_t)r;

			ret = rule_entries(t, &pol->rules[d][r], t->peers[id - t->first_id], d, w, id);
			if (ret == -E2BIG) {
				struct bh__seg_limit sl = t->lim;

				sl.over = BH_SEG_OVER_ENTS;
				stage_report(t, &sl, w, d, audit, tier, t->ents[0].n + 4 > t->max_ents ? 0 : 1, s);
			}
			if (ret)
				return ret;
		}
	}
	for (int fam = 0; fam < BH_FAM_MAX && s->present; fam++) {
		struct bh__seg_limit sl = t->lim;

		ret = bh__segment(&t->ents[fam], fam, &sl, &s->any[fam], &s->l4[fam]);
		if (ret == -E2BIG)
			stage_report(t, &sl, w, d, audit, tier, fam, s);
		if (ret)
			return ret;
		set_actions(t, &s->any[fam]);
		set_actions(t, &s->l4[fam]);
	}
	return 0;
}

int bh__tiers_build(struct bh__tiers *t, const struct bh_workload *w, int d, bool audit,
		    struct bh_view *v)
{
	int ret = stage_build(t, w, d, audit, BH_TIER_ADMIN, &v->admin);

	/* NetworkPolicy decides for the workloads it isolates: no Baseline there */
	if (!ret && !v->isolated)
		ret = stage_build(t, w, d, audit, BH_TIER_BASELINE, &v->baseline);
	return ret;
}

void bh__stages_deinit(struct bh_view *v)
{
	stage_deinit(&v->admin);
	stage_deinit(&v->baseline);
}

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 0x100000001b3ull;
	return h;
}

/* The content: presence, selecting policies, elements with their actions (not rule ids). */
uint64_t bh__stages_hash(uint64_t h, const struct bh_view *v)
{
	const struct bh_stage *st[2] = { &v->admin, &v->baseline };

	for (int k = 0; k < 2; k++) {
		const struct bh_stage *s = st[k];

		h = fnv(h, &s->present, sizeof(s->present));
		if (!s->present)
			continue;
		h = fnv(h, s->selected_by, s->n_selected_by * sizeof(*s->selected_by));
		for (int f = 0; f < BH_FAM_MAX; f++) {
			for (size_t i = 0; i < s->any[f].n; i++)
				h = fnv(h, &s->any[f].v[i], offsetof(struct bh_elem, rule));
			h = fnv(h, "|", 1);
			for (size_t i = 0; i < s->l4[f].n; i++)
				h = fnv(h, &s->l4[f].v[i], offsetof(struct bh_elem, rule));
			h = fnv(h, "|", 1);
		}
	}
	return h;
}
