// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Rules that can never apply, found on the validated model (the loader has
 * nothing left to report by then): directions policyTypes leaves out,
 * repeated rules, peers that select nothing of a given inventory.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "policy/diag.h"
#include "policy/lint.h"
#include "policy/model.h"

static const char *const dir_key[BH_DIR_MAX] = { "ingress", "egress" };
static const char *const peer_key[BH_DIR_MAX] = { "from", "to" };
static const char *const type_name[BH_DIR_MAX] = { "Ingress", "Egress" };

/* ---- identical rules: hashed, then compared ------------------------------------ */

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 0x100000001b3ull;
	return h;
}

static uint64_t fnv_str(uint64_t h, const char *s)
{
	return fnv(h, s ? s : "", s ? strlen(s) + 1 : 1);
}

static uint64_t sel_hash(uint64_t h, const struct bh_selector *s)
{
	for (size_t i = 0; i < s->match.n; i++)
		h = fnv_str(fnv_str(h, s->match.v[i].key), s->match.v[i].value);
	for (size_t i = 0; i < s->n_exprs; i++) {
		h = fnv(fnv_str(h, s->exprs[i].key), &s->exprs[i].op, sizeof(s->exprs[i].op));
		for (size_t j = 0; j < s->exprs[i].n_values; j++)
			h = fnv_str(h, s->exprs[i].values[j]);
	}
	return fnv(h, "|", 1);
}

static uint64_t prefix_hash(uint64_t h, const struct bh_prefix *p)
{
	h = fnv(h, &p->addr.family, 1);
	h = fnv(h, p->addr.a, sizeof(p->addr.a));
	return fnv(h, &p->len, 1);
}

static uint64_t rule_hash(const struct bh_rule *r)
{
	uint64_t h = 0xcbf29ce484222325ull;

	h = fnv(h, &r->n_peers, sizeof(r->n_peers));
	for (size_t i = 0; i < r->n_peers; i++) {
		const struct bh_peer *p = &r->peers[i];
		uint8_t kinds = (uint8_t)(p->has_pod_sel | p->has_ns_sel << 1 | p->has_ipblock << 2);

		h = fnv(h, &kinds, 1);
		h = sel_hash(sel_hash(h, &p->pod_sel), &p->ns_sel);
		if (!p->has_ipblock)
			continue;
		h = prefix_hash(h, &p->ipblock.cidr);
		for (size_t j = 0; j < p->ipblock.n_except; j++)
			h = prefix_hash(h, &p->ipblock.except[j]);
	}
	h = fnv(h, &r->n_ports, sizeof(r->n_ports));
	for (size_t i = 0; i < r->n_ports; i++) {
		const struct bh_port *p = &r->ports[i];

		h = fnv(h, &p->proto, 1);
		h = fnv(h, &p->has_port, 1);
		h = fnv_str(h, p->name);
		h = fnv(h, &p->port, sizeof(p->port));
		h = fnv(h, &p->end_port, sizeof(p->end_port));
	}
	return h;
}

static bool str_eq(const char *a, const char *b)
{
	return a == b || (a && b && !strcmp(a, b));
}

static bool sel_eq(const struct bh_selector *a, const struct bh_selector *b)
{
	if (a->match.n != b->match.n || a->n_exprs != b->n_exprs)
		return false;
	for (size_t i = 0; i < a->match.n; i++)
		if (!str_eq(a->match.v[i].key, b->match.v[i].key) ||
		    !str_eq(a->match.v[i].value, b->match.v[i].value))
			return false;
	for (size_t i = 0; i < a->n_exprs; i++) {
		const struct bh_sel_expr *x = &a->exprs[i], *y = &b->exprs[i];

		if (!str_eq(x->key, y->key) || x->op != y->op || x->n_values != y->n_values)
			return false;
		for (size_t j = 0; j < x->n_values; j++)
			if (!str_eq(x->values[j], y->values[j]))
				return false;
	}
	return true;
}

static bool prefix_eq(const struct bh_prefix *a, const struct bh_prefix *b)
{
	return a->addr.family == b->addr.family && a->len == b->len &&
	       !memcmp(a->addr.a, b->addr.a, sizeof(a->addr.a));
}

static bool peer_eq(const struct bh_peer *a, const struct bh_peer *b)
{
	if (a->has_pod_sel != b->has_pod_sel || a->has_ns_sel != b->has_ns_sel ||
	    a->has_ipblock != b->has_ipblock || !sel_eq(&a->pod_sel, &b->pod_sel) ||
	    !sel_eq(&a->ns_sel, &b->ns_sel))
		return false;
	if (!a->has_ipblock)
		return true;
	if (!prefix_eq(&a->ipblock.cidr, &b->ipblock.cidr) ||
	    a->ipblock.n_except != b->ipblock.n_except)
		return false;
	for (size_t i = 0; i < a->ipblock.n_except; i++)
		if (!prefix_eq(&a->ipblock.except[i], &b->ipblock.except[i]))
			return false;
	return true;
}

static bool port_eq(const struct bh_port *a, const struct bh_port *b)
{
	return a->proto == b->proto && a->has_port == b->has_port && str_eq(a->name, b->name) &&
	       a->port == b->port && a->end_port == b->end_port;
}

static bool rule_eq(const struct bh_rule *a, const struct bh_rule *b)
{
	if (a->has_peers != b->has_peers || a->n_peers != b->n_peers ||
	    a->has_ports != b->has_ports || a->n_ports != b->n_ports)
		return false;
	for (size_t i = 0; i < a->n_peers; i++)
		if (!peer_eq(&a->peers[i], &b->peers[i]))
			return false;
	for (size_t i = 0; i < a->n_ports; i++)
		if (!port_eq(&a->ports[i], &b->ports[i]))
			return false;
	return true;
}

struct hashed {
	uint64_t h;
	size_t i;
};

static int hashed_cmp(const void *a, const void *b)
{
	const struct hashed *x = a, *y = b;

	if (x->h != y->h)
		return x->h < y->h ? -1 : 1;
	return x->i < y->i ? -1 : x->i > y->i;
}

/* Each rule of p's direction d that repeats an earlier one. 0 or -ENOMEM. */
static int lint_duplicates(const struct bh_policy *p, int d, struct bh_diag *diag)
{
	const struct bh_rule *r = p->rules[d];
	size_t n = p->n_rules[d], run = 0;
	struct hashed *v;
	bool *dup;

	if (n < 2)
		return 0;
	v = malloc(n * sizeof(*v));
	dup = calloc(n, sizeof(*dup));
	if (!v || !dup) {
		free(v);
		free(dup);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++)
		v[i] = (struct hashed){ rule_hash(&r[i]), i };
	qsort(v, n, sizeof(*v), hashed_cmp);
	for (size_t j = 1; j < n; j++) {
		if (v[j].h != v[run].h) {
			run = j;
			continue;
		}
		/* within a run of one hash, by rule index: compare with the first of each kind */
		for (size_t i = run; i < j && !dup[j]; i++) {
			if (dup[i] || !rule_eq(&r[v[i].i], &r[v[j].i]))
				continue;
			bh_diag_warn(diag, &r[v[j].i].loc, "spec.%s[%zu]: the same rule as spec.%s[%zu] "
				     "(line %u): it allows nothing more", dir_key[d], v[j].i,
				     dir_key[d], v[i].i, r[v[i].i].loc.line);
			dup[j] = true;
		}
	}
	free(v);
	free(dup);
	return 0;
}

/* ---- peers that select nothing of the inventory ----------------------------------- */

static void lint_peer(const struct bh_policy *p, int d, size_t ri, size_t pi,
		      const struct bh_inventory *inv, struct bh_diag *diag)
{
	const struct bh_peer *peer = &p->rules[d][ri].peers[pi];
	bool any_ns = false;

	if (peer->has_ipblock)
		return;
	for (size_t i = 0; peer->has_ns_sel && i < inv->n_ns && !any_ns; i++)
		any_ns = bh_selector_matches(&peer->ns_sel, &inv->ns[i].labels);
	if (peer->has_ns_sel && !any_ns) {
		bh_diag_warn(diag, &peer->loc, "spec.%s[%zu].%s[%zu].namespaceSelector: selects no "
			     "namespace of the inventory", dir_key[d], ri, peer_key[d], pi);
		return;
	}
	for (size_t i = 0; i < inv->n_wl; i++) {
		const struct bh_workload *w = &inv->wl[i];
		const struct bh_namespace *ns = bh_inventory_ns(inv, w->namespace);

		if (peer->has_ns_sel ? !ns || !bh_selector_matches(&peer->ns_sel, &ns->labels)
				     : strcmp(w->namespace, p->namespace))
			continue;
		if (!peer->has_pod_sel || bh_selector_matches(&peer->pod_sel, &w->labels))
			return;
	}
	bh_diag_warn(diag, &peer->loc, "spec.%s[%zu].%s[%zu]: selects no workload of the inventory",
		     dir_key[d], ri, peer_key[d], pi);
}

/* ---- the pass ------------------------------------------------------------------------- */

struct ordered {
	struct bh_diag_entry e;
	size_t idx;
};

static int ordered_cmp(const void *a, const void *b)
{
	const struct ordered *x = a, *y = b;
	int c = strcmp(x->e.loc.file ? x->e.loc.file : "", y->e.loc.file ? y->e.loc.file : "");

	if (c)
		return c;
	if (x->e.loc.line != y->e.loc.line)
		return x->e.loc.line < y->e.loc.line ? -1 : 1;
	if (x->e.loc.col != y->e.loc.col)
		return x->e.loc.col < y->e.loc.col ? -1 : 1;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/* Found policy by policy; reported by file name, line and column. Unsorted on OOM. */
static void sort_from(struct bh_diag *d, size_t from)
{
	size_t n = d->n - from;
	struct ordered *tmp;

	if (n < 2 || !(tmp = malloc(n * sizeof(*tmp))))
		return;
	for (size_t i = 0; i < n; i++)
		tmp[i] = (struct ordered){ d->v[from + i], i };
	qsort(tmp, n, sizeof(*tmp), ordered_cmp);
	for (size_t i = 0; i < n; i++)
		d->v[from + i] = tmp[i].e;
	free(tmp);
}

int bh_policy_set_lint(const struct bh_policy_set *s, const struct bh_inventory *inv,
		       struct bh_diag *diag)
{
	size_t from = diag->n;
	int err = 0;

	for (size_t k = 0; k < s->n && !err; k++) {
		const struct bh_policy *p = &s->v[k];

		for (int d = 0; d < BH_DIR_MAX && !err; d++) {
			if (p->n_rules[d] && !p->types[d])
				bh_diag_warn(diag, &p->rules[d][0].loc, "spec.%s: %zu rule%s that never "
					     "appl%s: policyTypes does not list %s", dir_key[d],
					     p->n_rules[d], p->n_rules[d] == 1 ? "" : "s",
					     p->n_rules[d] == 1 ? "ies" : "y", type_name[d]);
			err = lint_duplicates(p, d, diag);
			for (size_t r = 0; inv && r < p->n_rules[d]; r++)
				for (size_t i = 0; i < p->rules[d][r].n_peers; i++)
					lint_peer(p, d, r, i, inv, diag);
		}
	}
	sort_from(diag, from);
	return err;
}
