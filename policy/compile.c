// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The compiler: (inventory, policies) -> per container group rulesets.
 *
 * Stages:
 *   1. number every rule of every policy (rule ids for attribution);
 *   2. resolve every selector peer to the workloads it matches, once per
 *      peer (not once per target workload);
 *   3. group workloads whose inputs are identical (namespace, labels,
 *      named ports): they get the same ruleset, compiled once;
 *   4. per group and direction: the selecting policies give isolation and
 *      the allowed entries (peer interval x protocol x port interval),
 *      decomposed into disjoint elements by segment.c; the cluster-wide
 *      tiers around them come from cnp_compile.c.
 *
 * A workload marked isolated (bh_workload.isolated: fail closed) is its
 * own group: isolated in both directions with nothing allowed, whatever
 * the policies (cluster-wide ones included) say; no policy selects it and
 * no peer matches it, so a claimed identity grants it nothing anywhere.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "lib/array.h"
#include "policy/compile_int.h"


/*
 * Past the element limit, the work of getting there is bounded too: a set
 * is built from at most ENTS_PER_ELEM entries per element allowed (rules
 * repeating the same peers and ports merge into fewer elements), and the
 * sweep may visit at most WORK_PER_ELEM active entries per element allowed.
 * Both are far above what non-redundant policies need (about one of each).
 */
#define ENTS_PER_ELEM 8
#define WORK_PER_ELEM 16

static bool is_selector_peer(const struct bh_peer *p)
{
	return p->has_pod_sel || p->has_ns_sel;
}

/* ---- stage 1 and 2 --------------------------------------------------------- */

static int resolve_peer(const struct bh__cctx *x, const struct bh_policy *pol,
			const struct bh_peer *peer, struct bh__peer_res *out)
{
	const struct bh_inventory *inv = x->inv;
	uint32_t *shrunk;

	/* which namespaces qualify: few of them, so decide once per namespace */
	for (size_t i = 0; i < inv->n_ns; i++)
		x->ns_ok[i] = peer->has_ns_sel ? bh_selector_matches(&peer->ns_sel, &inv->ns[i].labels)
					       : !strcmp(inv->ns[i].name, pol->namespace);
	out->wl = malloc((inv->n_wl ? inv->n_wl : 1) * sizeof(*out->wl));
	out->n = 0;
	if (!out->wl)
		return -ENOMEM;
	for (size_t i = 0; i < inv->n_wl; i++) {
		if (inv->wl[i].isolated || x->wl_ns[i] == SIZE_MAX || !x->ns_ok[x->wl_ns[i]])
			continue;
		if (peer->has_pod_sel && !bh_selector_matches(&peer->pod_sel, &inv->wl[i].labels))
			continue;
		out->wl[out->n++] = (uint32_t)i;
	}
	shrunk = realloc(out->wl, (out->n ? out->n : 1) * sizeof(*out->wl));
	if (shrunk)
		out->wl = shrunk;
	return 0;
}

/* Namespace index of every workload, for resolve_peer. */
static int index_namespaces(struct bh__cctx *x)
{
	const struct bh_inventory *inv = x->inv;

	x->wl_ns = malloc((inv->n_wl ? inv->n_wl : 1) * sizeof(*x->wl_ns));
	x->ns_ok = malloc((inv->n_ns ? inv->n_ns : 1) * sizeof(*x->ns_ok));
	if (!x->wl_ns || !x->ns_ok)
		return -ENOMEM;
	for (size_t i = 0; i < inv->n_wl; i++) {
		const struct bh_namespace *ns = bh_inventory_ns(inv, inv->wl[i].namespace);

		x->wl_ns[i] = ns ? (size_t)(ns - inv->ns) : SIZE_MAX;
	}
	return 0;
}

static int number_rules(struct bh__cctx *x)
{
	const struct bh_policy_set *ps = x->pols;
	struct bh_compiled *c = x->c;
	size_t total = 0, id = 0;

	x->rule_base = calloc(ps->n ? ps->n : 1, sizeof(*x->rule_base));
	if (!x->rule_base || index_namespaces(x))
		return -ENOMEM;
	for (size_t p = 0; p < ps->n; p++)
		for (int d = 0; d < BH_DIR_MAX; d++)
			total += ps->v[p].n_rules[d];
	c->rules = calloc(total ? total : 1, sizeof(*c->rules));
	x->peers = calloc(total ? total : 1, sizeof(*x->peers));
	if (!c->rules || !x->peers)
		return -ENOMEM;
	for (size_t p = 0; p < ps->n; p++) {
		const struct bh_policy *pol = &ps->v[p];

		x->rule_base[p] = calloc(BH_DIR_MAX, sizeof(uint32_t));
		if (!x->rule_base[p])
			return -ENOMEM;
		for (int d = 0; d < BH_DIR_MAX; d++) {
			x->rule_base[p][d] = (uint32_t)id;
			for (size_t r = 0; r < pol->n_rules[d]; r++, id++) {
				const struct bh_rule *rule = &pol->rules[d][r];

				c->rules[id] = (struct bh_rule_ref){ (uint32_t)p, (uint32_t)r, (uint8_t)d, BH_TIER_NP };
				c->n_rules = id + 1;
				x->peers[id] = calloc(rule->n_peers ? rule->n_peers : 1,
						      sizeof(**x->peers));
				if (!x->peers[id])
					return -ENOMEM;
				for (size_t k = 0; k < rule->n_peers; k++) {
					if (!is_selector_peer(&rule->peers[k]))
						continue;
					if (resolve_peer(x, pol, &rule->peers[k], &x->peers[id][k]))
						return -ENOMEM;
				}
			}
		}
	}
	return 0;
}

static bool policy_selects(const struct bh_policy *p, const struct bh_workload *w, int d)
{
	return p->types[d] && !w->isolated && !strcmp(p->namespace, w->namespace) &&
	       bh_selector_matches(&p->pod_sel, &w->labels);
}

/* First policy index of namespace ns (policies are sorted by namespace, name). */
static int ns_key_cmp(const void *key, const void *elem)
{
	return strcmp(key, ((const struct bh_policy *)elem)->namespace);
}

static size_t ns_first(const struct bh_policy_set *ps, const char *ns)
{
	return bh_sorted_lower(ns, ps->v, ps->n, sizeof(*ps->v), ns_key_cmp);
}

static int build_view(struct bh__cctx *x, const struct bh_workload *w, int d, bool audit,
		      struct bh_view *v)
{
	const struct bh_policy_set *ps = x->pols;
	struct bh__seg_limit sl = { .max_elems = x->lim.elements_per_set,
				    .max_work = (size_t)x->lim.elements_per_set * WORK_PER_ELEM };
	int ret;

	memset(v, 0, sizeof(*v));
	x->ents[0].n = x->ents[1].n = 0;
	for (size_t p = ns_first(ps, w->namespace);
	     p < ps->n && !strcmp(ps->v[p].namespace, w->namespace); p++) {
		const struct bh_policy *pol = &ps->v[p];

		if (!policy_selects(pol, w, d) || (!audit && pol->mode == BH_MODE_AUDIT))
			continue;
		if (!v->isolated_by) {
			v->isolated_by = malloc(ps->n * sizeof(*v->isolated_by));
			if (!v->isolated_by)
				return -ENOMEM;
		}
		v->isolated_by[v->n_isolated_by++] = (uint32_t)p;
		v->isolated = true;
		for (size_t r = 0; r < pol->n_rules[d]; r++) {
			ret = bh__rule_entries(x, &pol->rules[d][r], x->rule_base[p][d] + (uint32_t)r, d, w);
			if (ret == -E2BIG) {
				sl.over = BH_SEG_OVER_ENTS;
				bh__seg_report(x->c, &x->ents[x->ents[0].n < x->max_ents], &sl, w, d,
					       audit, x->diag);
			}
			if (ret)
				return ret;
		}
	}
	for (int fam = 0; fam < BH_FAM_MAX; fam++) {
		ret = bh__segment(&x->ents[fam], fam, &sl, &v->any[fam], &v->l4[fam]);
		if (ret == -E2BIG)
			bh__seg_report(x->c, &x->ents[fam], &sl, w, d, audit, x->diag);
		if (ret)
			return ret;
	}
	return bh__tiers_build(x->tiers, w, d, audit, v);
}

static void view_deinit(struct bh_view *v)
{
	bh__stages_deinit(v);
	free(v->isolated_by);
	for (int f = 0; f < BH_FAM_MAX; f++) {
		free(v->any[f].v);
		free(v->l4[f].v);
	}
	memset(v, 0, sizeof(*v));
}

/* ---- hashing (FNV-1a 64) -------------------------------------------------------- */

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 0x100000001b3ull;
	return h;
}

static uint64_t view_hash(uint64_t h, const struct bh_view *v)
{
	h = fnv(h, &v->isolated, sizeof(v->isolated));
	if (v->cause)
		h = fnv(h, v->cause, strlen(v->cause) + 1);
	h = fnv(h, v->isolated_by, v->n_isolated_by * sizeof(*v->isolated_by));
	for (int f = 0; f < BH_FAM_MAX; f++) {
		for (size_t i = 0; i < v->any[f].n; i++)
			h = fnv(h, &v->any[f].v[i], offsetof(struct bh_elem, rule));
		h = fnv(h, "|", 1);
		for (size_t i = 0; i < v->l4[f].n; i++)
			h = fnv(h, &v->l4[f].v[i], offsetof(struct bh_elem, rule));
		h = fnv(h, "|", 1);
	}
	/* only with tiers, so that a NetworkPolicy-only table keeps its hash */
	if (v->admin.present || v->baseline.present)
		h = bh__stages_hash(h, v);
	return h;
}

static int compile_group(struct bh__cctx *x, const struct bh_workload *w, struct bh_ruleset *rs)
{
	const struct bh_policy_set *ps = x->pols;
	uint64_t h = 0xcbf29ce484222325ull;
	int ret;

	memset(rs, 0, sizeof(*rs));
	for (int d = 0; d < BH_DIR_MAX; d++) {
		struct bh_dir_rules *dr = &rs->dir[d];
		bool any_all = false, all_none = true, any_sel = false, any_audit = false;
		struct bh__tier_scan ts;

		if (w->isolated) {	/* fail closed: no allows, denials logged */
			dr->log = BH_LOG_DENIED;
			dr->enforce.isolated = true;
			dr->enforce.cause = w->isolated;
			h = fnv(h, &d, sizeof(d));
			h = view_hash(h, &dr->enforce);
			continue;
		}

		for (size_t p = ns_first(ps, w->namespace);
		     p < ps->n && !strcmp(ps->v[p].namespace, w->namespace); p++) {
			if (!policy_selects(&ps->v[p], w, d))
				continue;
			any_sel = true;
			any_all |= ps->v[p].log == BH_LOG_ALL;
			all_none &= ps->v[p].log == BH_LOG_NONE;
			any_audit |= ps->v[p].mode == BH_MODE_AUDIT;
		}
		bh__tiers_scan(x->tiers, w, d, &ts);
		any_all |= ts.any_log_all;
		all_none &= ts.all_none;
		any_sel |= ts.any;
		any_audit |= ts.any_audit;
		dr->log = any_all ? BH_LOG_ALL : (any_sel && all_none) ? BH_LOG_NONE : BH_LOG_DENIED;
		if ((ret = build_view(x, w, d, false, &dr->enforce)))
			goto fail;
		if (any_audit) {
			dr->has_audit = true;
			if ((ret = build_view(x, w, d, true, &dr->audit)))
				goto fail;
		}
		h = fnv(h, &d, sizeof(d));
		h = fnv(h, &dr->log, sizeof(dr->log));
		h = fnv(h, &dr->has_audit, sizeof(dr->has_audit));
		h = view_hash(h, &dr->enforce);
		if (dr->has_audit)
			h = view_hash(h, &dr->audit);
	}
	rs->hash = h;
	return 0;
fail:
	/* the caller frees compiled groups only: this one's views go here */
	for (int d = 0; d < BH_DIR_MAX; d++) {
		view_deinit(&rs->dir[d].enforce);
		view_deinit(&rs->dir[d].audit);
	}
	return ret;
}

/* ---- stage 3: grouping ------------------------------------------------------------ */

static uint64_t wl_key(const struct bh_workload *w)
{
	uint64_t h = 0xcbf29ce484222325ull;

	h = fnv(h, w->namespace, strlen(w->namespace) + 1);
	if (w->isolated)
		h = fnv(h, w->isolated, strlen(w->isolated) + 1);
	for (size_t i = 0; i < w->labels.n; i++) {
		h = fnv(h, w->labels.v[i].key, strlen(w->labels.v[i].key) + 1);
		h = fnv(h, w->labels.v[i].value, strlen(w->labels.v[i].value) + 1);
	}
	h = fnv(h, "|", 1);
	for (size_t i = 0; i < w->n_ports; i++) {
		h = fnv(h, w->ports[i].name, strlen(w->ports[i].name) + 1);
		h = fnv(h, &w->ports[i].port, sizeof(w->ports[i].port));
		h = fnv(h, &w->ports[i].proto, sizeof(w->ports[i].proto));
	}
	return h;
}

static bool same_inputs(const struct bh_workload *a, const struct bh_workload *b)
{
	if (strcmp(a->namespace, b->namespace) || a->labels.n != b->labels.n ||
	    a->n_ports != b->n_ports || !a->isolated != !b->isolated ||
	    (a->isolated && strcmp(a->isolated, b->isolated)))
		return false;
	for (size_t i = 0; i < a->labels.n; i++)
		if (strcmp(a->labels.v[i].key, b->labels.v[i].key) ||
		    strcmp(a->labels.v[i].value, b->labels.v[i].value))
			return false;
	for (size_t i = 0; i < a->n_ports; i++)
		if (strcmp(a->ports[i].name, b->ports[i].name) || a->ports[i].port != b->ports[i].port ||
		    a->ports[i].proto != b->ports[i].proto)
			return false;
	return true;
}

struct keyed {
	uint64_t key;
	size_t wl;
};

static int cmp_keyed(const void *a, const void *b)
{
	const struct keyed *x = a, *y = b;

	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	return x->wl < y->wl ? -1 : x->wl > y->wl;
}

static int group_workloads(struct bh__cctx *x)
{
	const struct bh_inventory *inv = x->inv;
	struct bh_compiled *c = x->c;
	size_t n = inv->n_wl, *rep;
	struct keyed *k;
	int ret = 0;

	c->wl_group = malloc((n ? n : 1) * sizeof(*c->wl_group));
	c->groups = calloc(n ? n : 1, sizeof(*c->groups));
	k = malloc((n ? n : 1) * sizeof(*k));
	rep = malloc((n ? n : 1) * sizeof(*rep));
	if (!c->wl_group || !c->groups || !k || !rep) {
		ret = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < n; i++)
		k[i] = (struct keyed){ wl_key(&inv->wl[i]), i };
	qsort(k, n, sizeof(*k), cmp_keyed);
	for (size_t i = 0; i < n; i++) {
		size_t g = c->n_groups;

		/* a hash collision between different inputs only costs a new group */
		for (size_t j = i; j-- > 0 && k[j].key == k[i].key;)
			if (same_inputs(&inv->wl[k[j].wl], &inv->wl[k[i].wl])) {
				g = c->wl_group[k[j].wl];
				break;
			}
		c->wl_group[k[i].wl] = g;
		if (g == c->n_groups)
			rep[c->n_groups++] = k[i].wl;
	}
	for (size_t g = 0, n_groups = c->n_groups; g < n_groups; g++) {
		c->n_groups = g;	/* only compiled groups are freed on error */
		if ((ret = compile_group(x, &inv->wl[rep[g]], &c->groups[g])))
			goto out;
		c->n_groups = g + 1;
	}
out:
	free(k);
	free(rep);
	return ret;
}

static void cctx_deinit(struct bh__cctx *x)
{
	if (x->peers) {
		for (size_t id = 0; id < x->c->n_rules; id++) {
			const struct bh_rule_ref *r = &x->c->rules[id];
			const struct bh_rule *rule;

			if (r->tier != BH_TIER_NP)
				break;	/* the cluster-wide rules follow; their peers are not here */
			rule = &x->pols->v[r->policy].rules[r->dir][r->rule];

			if (!x->peers[id])
				continue;
			for (size_t k = 0; k < rule->n_peers; k++)
				free(x->peers[id][k].wl);
			free(x->peers[id]);
		}
		free(x->peers);
	}
	if (x->rule_base) {
		for (size_t p = 0; p < x->pols->n; p++)
			free(x->rule_base[p]);
		free(x->rule_base);
	}
	free(x->ents[0].v);
	free(x->ents[1].v);
	free(x->wl_ns);
	free(x->ns_ok);
}

int bh_compile(const struct bh_policy_set *pols, const struct bh_inventory *inv,
	       struct bh_compiled **out)
{
	return bh_compile_limited(pols, inv, NULL, NULL, out);
}

int bh_compile_limited(const struct bh_policy_set *pols, const struct bh_inventory *inv,
		       const struct bh_limits *lim, struct bh_diag *diag, struct bh_compiled **out)
{
	struct bh_compiled *c;
	struct bh__cctx x;
	int ret;

	*out = NULL;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->pols = pols;
	c->inv = inv;
	memset(&x, 0, sizeof(x));
	x.pols = pols;
	x.inv = inv;
	x.c = c;
	x.diag = diag;
	if (lim)
		x.lim = *lim;
	else
		bh_limits_default(&x.lim);
	x.max_ents = (size_t)x.lim.elements_per_set * ENTS_PER_ELEM;
	ret = number_rules(&x);
	if (!ret) {
		struct bh__seg_limit sl = { .max_elems = x.lim.elements_per_set,
					    .max_work = (size_t)x.lim.elements_per_set * WORK_PER_ELEM };

		ret = bh__tiers_prepare(c, &sl, x.max_ents, diag, &x.tiers);
	}
	if (!ret)
		ret = group_workloads(&x);
	bh__tiers_free(x.tiers);
	cctx_deinit(&x);
	if (ret) {
		bh_compiled_free(c);
		return ret;
	}
	*out = c;
	return 0;
}

void bh_compiled_free(struct bh_compiled *c)
{
	if (!c)
		return;
	for (size_t g = 0; g < c->n_groups; g++)
		for (int d = 0; d < BH_DIR_MAX; d++) {
			view_deinit(&c->groups[g].dir[d].enforce);
			view_deinit(&c->groups[g].dir[d].audit);
		}
	free(c->groups);
	free(c->wl_group);
	free(c->rules);
	free(c);
}
