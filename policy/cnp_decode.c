// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * One cluster-wide policy object: ClusterNetworkPolicy (v1alpha2), or the
 * v1alpha1 AdminNetworkPolicy / BaselineAdminNetworkPolicy read into the
 * same model. What differs between the three is in one table (kinds[]):
 * the spec fields, the rule fields, the action words, the list bounds.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/cnp_int.h"

static const char *const tier_names[BH_TIER_MAX] = { "NetworkPolicy", "Admin", "Baseline" };
static const char *const action_names[] = { "Accept", "Deny", "Pass" };

const char *bh_tier_name(unsigned int tier)
{
	return tier < BH_TIER_MAX ? tier_names[tier] : "?";
}

const char *bh_action_name(unsigned int action)
{
	return action <= BH_ACT_PASS ? action_names[action] : "?";
}

static const struct cnp_kind {
	const char *kind;
	const char *accept;	/* the word for Accept */
	bool pass;		/* Pass is an action */
	const char *expected;	/* the action words, for messages */
	size_t max_rules, max_peers, max_ports;
} kinds[] = {
	[BH_CNP_V1ALPHA2] = { "ClusterNetworkPolicy", "Accept", true, "Accept, Deny or Pass", 25, 25, 25 },
	[BH_ANP_V1ALPHA1] = { "AdminNetworkPolicy", "Allow", true, "Allow, Deny or Pass", 100, 100, 100 },
	[BH_BANP_V1ALPHA1] = { "BaselineAdminNetworkPolicy", "Allow", false, "Allow or Deny", 100, 100,
			       100 },
};

const char *bh_cnp_kind_name(const struct bh_cnp *p)
{
	return kinds[p->api <= BH_BANP_V1ALPHA1 ? p->api : 0].kind;
}

struct cnp_state {
	struct bh_cnp *p;
	const struct cnp_kind *k;
	struct bh_loc *name_at;
	unsigned int dir;	/* rules being decoded */
	struct bh_cnp_rule *rule;
	const struct bh_ynode *peers_node;
};

/* Records an error unless list v has between min and max items. true: within. */
static bool list_bounds(struct bh_dctx *c, const struct bh_ynode *v, size_t min, size_t max)
{
	if (v->kind != BH_Y_SEQ)
		return true;	/* bh__decode_seq reports the type */
	if (v->n < min)
		bh__derr(c, v, "must have at least %zu item%s", min, min == 1 ? "" : "s");
	else if (v->n > max)
		bh__derr(c, v, "must have at most %zu items, got %zu", max, v->n);
	else
		return true;
	return false;
}

/* ---- rules ------------------------------------------------------------------------ */

static int rule_name(struct bh_dctx *c, const struct bh_ynode *v, void *obj)
{
	struct cnp_state *st = obj;
	const char *s = bh__dstr(c, v);

	if (!s)
		return 0;
	if (strlen(s) > 100) {
		bh__derr(c, v, "must be no more than 100 characters, got %zu", strlen(s));
		return 0;
	}
	st->rule->name = strdup(s);
	return st->rule->name ? 0 : -ENOMEM;
}

static int rule_action(struct bh_dctx *c, const struct bh_ynode *v, void *obj)
{
	struct cnp_state *st = obj;
	const char *s = bh__dstr(c, v);

	if (!s)
		return 0;
	if (!strcmp(s, st->k->accept))
		st->rule->action = BH_ACT_ACCEPT;
	else if (!strcmp(s, "Deny"))
		st->rule->action = BH_ACT_DENY;
	else if (!strcmp(s, "Pass") && st->k->pass)
		st->rule->action = BH_ACT_PASS;
	else if (!strcmp(s, "Allow") && st->p->api == BH_CNP_V1ALPHA2)
		bh__derr(c, v, "unsupported value \"Allow\" (expected %s: v1alpha2 says Accept where "
			 "v1alpha1 said Allow)", st->k->expected);
	else
		bh__derr(c, v, "unsupported value \"%s\" (expected %s)", s, st->k->expected);
	return 0;
}

static int rule_peer(struct bh_dctx *c, const struct bh_ynode *item, size_t idx, void *obj)
{
	struct cnp_state *st = obj;
	struct bh_cnp_rule *r = st->rule;

	return bh__cnp_peer_decode(c, item, st->p->api, st->dir, &r->peers[r->n_peers++]);
}

static int rule_peers(struct bh_dctx *c, const struct bh_ynode *v, void *obj)
{
	struct cnp_state *st = obj;

	st->peers_node = v;
	if (!list_bounds(c, v, 1, st->k->max_peers))
		return 0;
	if (v->kind == BH_Y_SEQ) {
		st->rule->peers = calloc(v->n, sizeof(*st->rule->peers));
		if (!st->rule->peers)
			return -ENOMEM;
	}
	return bh__decode_seq(c, v, rule_peer, st);
}

static int rule_port(struct bh_dctx *c, const struct bh_ynode *item, size_t idx, void *obj)
{
	struct cnp_state *st = obj;
	struct bh_cnp_rule *r = st->rule;

	return bh__cnp_port_decode(c, item, st->p->api, &r->ports[r->n_ports++]);
}

static int rule_ports(struct bh_dctx *c, const struct bh_ynode *v, void *obj)
{
	struct cnp_state *st = obj;

	if (!list_bounds(c, v, 1, st->k->max_ports))
		return 0;
	if (v->kind == BH_Y_SEQ) {
		st->rule->ports = calloc(v->n, sizeof(*st->rule->ports));
		if (!st->rule->ports)
			return -ENOMEM;
		st->rule->has_ports = true;
	}
	return bh__decode_seq(c, v, rule_port, st);
}

#define RULE_FIELDS(peers, ports) \
	{ { "name", rule_name, 0 }, { "action", rule_action, BH_F_REQUIRED }, \
	  { peers, rule_peers, BH_F_REQUIRED }, { ports, rule_ports, 0 } }

/* [v1alpha1][dir] */
static const struct bh_field rule_fields[2][BH_DIR_MAX][4] = {
	{ RULE_FIELDS("from", "protocols"), RULE_FIELDS("to", "protocols") },
	{ RULE_FIELDS("from", "ports"), RULE_FIELDS("to", "ports") },
};

/*
 * What this host does with a peer it cannot enforce, said where the peer
 * is: fail closed, as upstream asks of a peer with no known field.
 */
static void unsupported_peers(struct bh_dctx *c, struct cnp_state *st)
{
	static const char *const what[] = { [BH_CPEER_NODES] = "nodes",
					    [BH_CPEER_DOMAINS] = "domainNames" };
	struct bh_cnp_rule *r = st->rule;
	const char *action = r->action == BH_ACT_ACCEPT ? st->k->accept : bh_action_name(r->action);

	for (size_t i = 0; i < r->n_peers; i++) {
		const struct bh_cnp_peer *p = &r->peers[i];
		const struct bh_ynode *at = st->peers_node->items[i];
		size_t old;

		if (!bh_cnp_peer_unsupported(p))
			continue;
		r->fail_closed = true;
		old = bh__path_key(c, st->dir == BH_INGRESS ? "from" : "to");
		bh__path_index(c, i);
		bh__path_key(c, what[p->kind]);
		if (r->action == BH_ACT_ACCEPT)
			bh__dwarn(c, at, "experimental %s peers are not supported on this host: this %s "
				  "rule fails closed, the peer matches nothing", what[p->kind], action);
		else
			bh__dwarn(c, at, "experimental %s peers are not supported on this host%s: this %s "
				  "rule fails closed and matches every connection", what[p->kind],
				  p->kind == BH_CPEER_DOMAINS ? " (and only valid in Accept rules)" : "",
				  action);
		bh__path_pop(c, old);
	}
}

/* The egress rule's CEL check: no named port towards peers that have none. */
static void named_port_peers(struct bh_dctx *c, const struct bh_ynode *item, struct bh_cnp_rule *r)
{
	bool named = false, addr = false;

	for (size_t i = 0; i < r->n_ports; i++)
		named |= r->ports[i].name != NULL;
	for (size_t i = 0; i < r->n_peers; i++)
		addr |= r->peers[i].kind >= BH_CPEER_NETWORKS;
	if (named && addr)
		bh__derr(c, item, "networks/nodes/domainNames peer cannot be set with namedPorts since "
			 "there are no namedPorts for networks/nodes/domainNames");
}

static int rule_decode(struct bh_dctx *c, const struct bh_ynode *item, size_t idx, void *obj)
{
	struct cnp_state *st = obj;
	struct bh_cnp *p = st->p;
	struct bh_cnp_rule *r = &p->rules[st->dir][p->n_rules[st->dir]++];
	size_t before = c->errors;
	int err;

	r->loc = (struct bh_loc){ c->file, item->line, item->col };
	st->rule = r;
	st->peers_node = NULL;
	err = bh__decode_map(c, item, rule_fields[p->api != BH_CNP_V1ALPHA2][st->dir], 4, st, NULL);
	if (err || c->errors != before)
		return err;
	unsupported_peers(c, st);
	if (st->dir == BH_EGRESS)
		named_port_peers(c, item, r);
	return 0;
}

static int spec_rules(struct bh_dctx *c, const struct bh_ynode *v, struct cnp_state *st,
		      unsigned int dir)
{
	st->dir = dir;
	if (!list_bounds(c, v, 0, st->k->max_rules))
		return 0;
	if (v->kind == BH_Y_SEQ && v->n) {
		st->p->rules[dir] = calloc(v->n, sizeof(struct bh_cnp_rule));
		if (!st->p->rules[dir])
			return -ENOMEM;
	}
	return bh__decode_seq(c, v, rule_decode, st);
}

/* ---- spec ---------------------------------------------------------------------------- */

static int spec_ingress(struct bh_dctx *c, const struct bh_ynode *v, void *obj)
{
	return spec_rules(c, v, obj, BH_INGRESS);
}

static int spec_egress(struct bh_dctx *c, const struct bh_ynode *v, void *obj)
{
	return spec_rules(c, v, obj, BH_EGRESS);
}

static int spec_tier(struct bh_dctx *c, const struct bh_ynode *v, void *obj)
{
	struct cnp_state *st = obj;
	const char *s = bh__dstr(c, v);

	if (!s)
		return 0;
	if (!strcmp(s, "Admin"))
		st->p->tier = BH_TIER_ADMIN;
	else if (!strcmp(s, "Baseline"))
		st->p->tier = BH_TIER_BASELINE;
	else
		bh__derr(c, v, "unsupported value \"%s\" (expected Admin or Baseline)", s);
	return 0;
}

static int spec_priority(struct bh_dctx *c, const struct bh_ynode *v, void *obj)
{
	struct cnp_state *st = obj;
	long long n;

	if (bh__dint(c, v, 0, 1000, &n))
		st->p->priority = (int32_t)n;
	return 0;
}

static int spec_subject(struct bh_dctx *c, const struct bh_ynode *v, void *obj)
{
	return bh__cnp_subject_decode(c, v, ((struct cnp_state *)obj)->p);
}

static const struct bh_field spec_fields[] = {
	{ "tier", spec_tier, BH_F_REQUIRED },
	{ "priority", spec_priority, BH_F_REQUIRED },
	{ "subject", spec_subject, BH_F_REQUIRED },
	{ "ingress", spec_ingress, 0 },
	{ "egress", spec_egress, 0 },
};

static int obj_spec(struct bh_dctx *c, const struct bh_ynode *v, void *obj)
{
	struct cnp_state *st = obj;
	/* ANP has no tier; BANP no priority either (a singleton) */
	size_t skip = st->p->api == BH_CNP_V1ALPHA2 ? 0 : st->p->api == BH_ANP_V1ALPHA1 ? 1 : 2;

	return bh__decode_map(c, v, spec_fields + skip, 5 - skip, st, NULL);
}

/* ---- the object ------------------------------------------------------------------------- */

static int obj_metadata(struct bh_dctx *c, const struct bh_ynode *v, void *obj)
{
	struct cnp_state *st = obj;
	struct bh_policy meta = { 0 };
	size_t old;
	int err;

	err = bh__meta_decode(c, v, &meta, st->name_at);
	st->p->name = meta.name;
	st->p->log = meta.log;
	st->p->mode = meta.mode;
	meta.name = NULL;
	if (!err && meta.namespace) {
		old = bh__path_key(c, "namespace");
		bh__dwarn(c, bh_ynode_get(v, "namespace"), "ignored: %s is cluster-scoped",
			  st->k->kind);
		bh__path_pop(c, old);
	}
	bh__policy_deinit(&meta);
	return err;
}

static const struct bh_field object_fields[] = {
	{ "apiVersion", NULL, BH_F_IGNORE },
	{ "kind", NULL, BH_F_IGNORE },
	{ "metadata", obj_metadata, BH_F_REQUIRED },
	{ "spec", obj_spec, BH_F_REQUIRED },
	{ "status", NULL, BH_F_IGNORE },
};

int bh__cnp_decode(struct bh_dctx *c, const struct bh_ynode *obj, unsigned int api,
		   struct bh_cnp *p, struct bh_loc *name_at)
{
	struct cnp_state st = { .p = p, .k = &kinds[api], .name_at = name_at };
	size_t before = c->errors;
	int err;

	p->loc = (struct bh_loc){ c->file, obj->line, obj->col };
	*name_at = p->loc;
	p->api = (uint8_t)api;
	p->tier = api == BH_BANP_V1ALPHA1 ? BH_TIER_BASELINE : BH_TIER_ADMIN;
	p->priority = api == BH_BANP_V1ALPHA1 ? 1000 : 0;
	err = bh__decode_map(c, obj, object_fields, sizeof(object_fields) / sizeof(object_fields[0]),
			     &st, NULL);
	if (err || c->errors != before || !p->name)
		return err;
	/* the v1alpha1 CRD's rule: a singleton */
	if (api == BH_BANP_V1ALPHA1 && strcmp(p->name, "default")) {
		struct bh_loc at = *name_at;

		bh_diag_add(c->diag, &at, "metadata.name: Only one baseline admin network policy with "
			    "metadata.name=\"default\" can be created in the cluster");
		c->errors++;
		return 0;
	}
	if (api != BH_CNP_V1ALPHA2)
		bh_diag_warn(c->diag, &p->loc, "%s (policy.networking.k8s.io/v1alpha1) is superseded by "
			     "ClusterNetworkPolicy (v1alpha2): read as tier %s, priority %d",
			     kinds[api].kind, bh_tier_name(p->tier), (int)p->priority);
	return 0;
}

static void rule_deinit(struct bh_cnp_rule *r)
{
	free(r->name);
	for (size_t i = 0; i < r->n_peers; i++) {
		bh_selector_deinit(&r->peers[i].ns_sel);
		bh_selector_deinit(&r->peers[i].pod_sel);
		free(r->peers[i].nets);
	}
	free(r->peers);
	for (size_t i = 0; i < r->n_ports; i++)
		free(r->ports[i].name);
	free(r->ports);
}

void bh__cnp_deinit(struct bh_cnp *p)
{
	free(p->name);
	bh_selector_deinit(&p->subject_ns);
	bh_selector_deinit(&p->subject_pod);
	for (size_t d = 0; d < BH_DIR_MAX; d++) {
		for (size_t i = 0; i < p->n_rules[d]; i++)
			rule_deinit(&p->rules[d][i]);
		free(p->rules[d]);
	}
	memset(p, 0, sizeof(*p));
}

bool bh_cnp_selects(const struct bh_cnp *p, const struct bh_labels *ns_labels,
		    const struct bh_workload *w)
{
	if (!ns_labels || !bh_selector_matches(&p->subject_ns, ns_labels))
		return false;
	return !p->subject_pods || bh_selector_matches(&p->subject_pod, &w->labels);
}

char *bh_rule_ref_format(const char *ns, const char *name, unsigned int dir, size_t idx,
			 char *buf, size_t len)
{
	snprintf(buf, len, "%s%s%s#%s[%zu]", ns ? ns : "", ns ? "/" : "", name,
		 dir == BH_EGRESS ? "egress" : "ingress", idx);
	return buf;
}
