// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * One networking.k8s.io/v1 NetworkPolicy object: metadata, the bulkhead.io/
 * annotations, spec and its rules, and policyTypes defaulting.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "policy/policy_int.h"

#define ANNOTATION_PREFIX "bulkhead.io/"

struct pol_state {
	struct bh_policy *p;
	struct bh_loc *name_at;
	bool types_given;
	bool types[BH_DIR_MAX];
	enum bh_dir dir;	/* rules being decoded */
};

/* ---- bulkhead.io/ annotations ----------------------------------------------- */

static const struct {
	const char *key;
	const char *values[4];	/* index = enum value */
	const char *expected;
	size_t offset;		/* of the enum field in bh_policy */
} extensions[] = {
	{ "bulkhead.io/log", { "denied", "all", "none" }, "denied, all or none",
	  offsetof(struct bh_policy, log) },
	{ "bulkhead.io/mode", { "enforce", "audit" }, "enforce or audit",
	  offsetof(struct bh_policy, mode) },
};

static void extension_set(struct bh_dctx *c, struct bh_policy *p, const struct bh_ynode *k,
			  const struct bh_ynode *v)
{
	const char *s;

	for (size_t i = 0; i < sizeof(extensions) / sizeof(extensions[0]); i++) {
		if (strcmp(k->str, extensions[i].key))
			continue;
		s = bh__dstr(c, v);
		if (!s)
			return;
		for (size_t j = 0; extensions[i].values[j]; j++) {
			if (!strcmp(s, extensions[i].values[j])) {
				*(int *)((char *)p + extensions[i].offset) = (int)j;
				return;
			}
		}
		bh__derr(c, v, "unsupported value \"%s\" (expected %s)", s, extensions[i].expected);
		return;
	}
	bh__derr(c, k, "unknown bulkhead annotation (known: bulkhead.io/log, bulkhead.io/mode)");
}

static int meta_annotations(struct bh_dctx *c, const struct bh_ynode *v, void *obj)
{
	struct pol_state *st = obj;

	if (!bh__expect_map(c, v))
		return 0;
	for (size_t i = 0; i < v->n; i++) {
		const struct bh_ynode *k = v->pairs[i].key, *val = v->pairs[i].value;
		const char *why;
		size_t old;

		if (k->kind != BH_Y_SCALAR || bh_ynode_is_null(k)) {
			bh__derr(c, k, "annotation keys must be strings, got %s", bh_ynode_kind_name(k));
			continue;
		}
		why = bh__qualified_name_err(k->str);
		if (why) {
			bh__derr(c, k, "invalid annotation key \"%s\": %s", k->str, why);
			continue;
		}
		old = bh__path_sub(c, k->str);
		if (!strncmp(k->str, ANNOTATION_PREFIX, strlen(ANNOTATION_PREFIX)))
			extension_set(c, st->p, k, val);
		else if (!bh_ynode_is_null(val))
			bh__dstr(c, val);	/* any string; only its type is checked */
		bh__path_pop(c, old);
	}
	return 0;
}

/* ---- metadata ------------------------------------------------------------------ */

static int meta_name(struct bh_dctx *c, const struct bh_ynode *v, void *obj)
{
	struct pol_state *st = obj;

	*st->name_at = (struct bh_loc){ c->file, v->line, v->col };
	return bh__dname(c, v, bh__dns_subdomain_err, "name", &st->p->name);
}

static int meta_namespace(struct bh_dctx *c, const struct bh_ynode *v, void *obj)
{
	return bh__dname(c, v, bh__dns_label_err, "namespace", &((struct pol_state *)obj)->p->namespace);
}

static int meta_labels(struct bh_dctx *c, const struct bh_ynode *v, void *obj)
{
	struct bh_labels scratch = { 0 };
	int err = bh__decode_labels(c, v, &scratch);

	/* policy labels are validated but carry no meaning for enforcement */
	bh_labels_deinit(&scratch);
	return err;
}

/* ObjectMeta: what users write, plus the server-populated fields of `kubectl get -o yaml`. */
static const struct bh_field meta_fields[] = {
	{ "name", meta_name, BH_F_REQUIRED },
	{ "namespace", meta_namespace, 0 },
	{ "labels", meta_labels, 0 },
	{ "annotations", meta_annotations, 0 },
	{ "uid", NULL, BH_F_IGNORE },
	{ "resourceVersion", NULL, BH_F_IGNORE },
	{ "generation", NULL, BH_F_IGNORE },
	{ "creationTimestamp", NULL, BH_F_IGNORE },
	{ "managedFields", NULL, BH_F_IGNORE },
	{ "selfLink", NULL, BH_F_IGNORE },
	{ "generateName", NULL, BH_F_IGNORE },
	{ "deletionTimestamp", NULL, BH_F_IGNORE },
	{ "deletionGracePeriodSeconds", NULL, BH_F_IGNORE },
	{ "ownerReferences", NULL, BH_F_IGNORE },
	{ "finalizers", NULL, BH_F_IGNORE },
};

/* ---- spec ---------------------------------------------------------------------- */

static int spec_pod_selector(struct bh_dctx *c, const struct bh_ynode *v, void *obj)
{
	return bh__selector_decode(c, v, &((struct pol_state *)obj)->p->pod_sel);
}

static const char *const type_names[BH_DIR_MAX] = { "Ingress", "Egress" };

static int policy_type(struct bh_dctx *c, const struct bh_ynode *item, size_t idx, void *obj)
{
	struct pol_state *st = obj;
	const char *s = bh__dstr(c, item);

	if (!s)
		return 0;
	for (size_t d = 0; d < BH_DIR_MAX; d++) {
		if (strcmp(s, type_names[d]))
			continue;
		if (st->types[d])
			bh__derr(c, item, "duplicate value \"%s\"", s);
		st->types[d] = true;
		st->types_given = true;
		return 0;
	}
	bh__derr(c, item, "unsupported value \"%s\" (expected Ingress or Egress)", s);
	return 0;
}

static int spec_policy_types(struct bh_dctx *c, const struct bh_ynode *v, void *obj)
{
	return bh__decode_seq(c, v, policy_type, obj);
}

static int rule_peer(struct bh_dctx *c, const struct bh_ynode *item, size_t idx, void *obj)
{
	struct bh_rule *r = obj;

	return bh__peer_decode(c, item, &r->peers[r->n_peers++]);
}

static int rule_peers(struct bh_dctx *c, const struct bh_ynode *v, void *obj)
{
	struct bh_rule *r = obj;

	if (!bh__dlist_within(c, v, c->lim->peers_per_rule, "peers", "peers-per-rule"))
		return 0;
	if (v->kind == BH_Y_SEQ && v->n) {
		r->peers = calloc(v->n, sizeof(*r->peers));
		if (!r->peers)
			return -ENOMEM;
		r->has_peers = true;
	}
	return bh__decode_seq(c, v, rule_peer, r);
}

static int rule_port(struct bh_dctx *c, const struct bh_ynode *item, size_t idx, void *obj)
{
	struct bh_rule *r = obj;

	return bh__port_decode(c, item, &r->ports[r->n_ports++]);
}

static int rule_ports(struct bh_dctx *c, const struct bh_ynode *v, void *obj)
{
	struct bh_rule *r = obj;

	if (!bh__dlist_within(c, v, c->lim->ports_per_rule, "ports", "ports-per-rule"))
		return 0;
	if (v->kind == BH_Y_SEQ && v->n) {
		r->ports = calloc(v->n, sizeof(*r->ports));
		if (!r->ports)
			return -ENOMEM;
		r->has_ports = true;
	}
	return bh__decode_seq(c, v, rule_port, r);
}

static const struct bh_field rule_fields[BH_DIR_MAX][2] = {
	[BH_INGRESS] = { { "from", rule_peers, 0 }, { "ports", rule_ports, 0 } },
	[BH_EGRESS] = { { "to", rule_peers, 0 }, { "ports", rule_ports, 0 } },
};

static int rule_decode(struct bh_dctx *c, const struct bh_ynode *item, size_t idx, void *obj)
{
	struct pol_state *st = obj;
	struct bh_rule *r = &st->p->rules[st->dir][st->p->n_rules[st->dir]++];

	r->loc = (struct bh_loc){ c->file, item->line, item->col };
	return bh__decode_map(c, item, rule_fields[st->dir], 2, r, NULL);
}

static int spec_rules(struct bh_dctx *c, const struct bh_ynode *v, struct pol_state *st,
		      enum bh_dir dir)
{
	st->dir = dir;
	if (!bh__dlist_within(c, v, c->lim->rules_per_policy, "rules", "rules-per-policy"))
		return 0;
	if (v->kind == BH_Y_SEQ && v->n) {
		st->p->rules[dir] = calloc(v->n, sizeof(struct bh_rule));
		if (!st->p->rules[dir])
			return -ENOMEM;
	}
	return bh__decode_seq(c, v, rule_decode, st);
}

static int spec_ingress(struct bh_dctx *c, const struct bh_ynode *v, void *obj)
{
	return spec_rules(c, v, obj, BH_INGRESS);
}

static int spec_egress(struct bh_dctx *c, const struct bh_ynode *v, void *obj)
{
	return spec_rules(c, v, obj, BH_EGRESS);
}

static const struct bh_field spec_fields[] = {
	{ "podSelector", spec_pod_selector, 0 },	/* first: seen[0] below */
	{ "policyTypes", spec_policy_types, 0 },
	{ "ingress", spec_ingress, 0 },
	{ "egress", spec_egress, 0 },
};

/* ---- the object ---------------------------------------------------------------- */

static int obj_metadata(struct bh_dctx *c, const struct bh_ynode *v, void *obj)
{
	struct pol_state *st = obj;

	*st->name_at = (struct bh_loc){ c->file, v->line, v->col };
	return bh__decode_map(c, v, meta_fields, sizeof(meta_fields) / sizeof(meta_fields[0]), st,
			      NULL);
}

int bh__meta_decode(struct bh_dctx *c, const struct bh_ynode *v, struct bh_policy *p,
		    struct bh_loc *name_at)
{
	struct pol_state st = { .p = p, .name_at = name_at };

	return obj_metadata(c, v, &st);
}

/*
 * spec.podSelector is not a pointer in the API types, so the API server
 * takes a missing or null one as the empty selector: every pod of the
 * namespace (kubernetes/kubernetes#131354; upstream's own conformance
 * manifests write "podSelector:" with no value). We take it the same way
 * and say so, since {} states that intent without relying on it.
 */
static int obj_spec(struct bh_dctx *c, const struct bh_ynode *v, void *obj)
{
	bool seen[sizeof(spec_fields) / sizeof(spec_fields[0])];
	const struct bh_ynode *ps;
	size_t old;
	int err;

	err = bh__decode_map(c, v, spec_fields, sizeof(spec_fields) / sizeof(spec_fields[0]), obj,
			     seen);
	if (err || v->kind != BH_Y_MAP || seen[0])
		return err;
	ps = bh_ynode_get(v, "podSelector");
	old = bh__path_key(c, "podSelector");
	bh__dwarn(c, ps ? ps : v, "%s: selects every pod of the namespace, as the API server takes "
		  "it (write podSelector: {} to say so)", ps ? "has no value" : "is missing");
	bh__path_pop(c, old);
	return 0;
}

/*
 * apiVersion and kind are checked by the caller (they may be absent in a
 * typed list's items). The API server would take an object without spec as
 * an empty spec, which isolates every pod of the namespace for ingress; we
 * require spec because an object without one is far more likely a mistake
 * than that intent. A spec without podSelector is taken (see obj_spec).
 */
static const struct bh_field object_fields[] = {
	{ "apiVersion", NULL, BH_F_IGNORE },
	{ "kind", NULL, BH_F_IGNORE },
	{ "metadata", obj_metadata, BH_F_REQUIRED },
	{ "spec", obj_spec, BH_F_REQUIRED },
	{ "status", NULL, BH_F_IGNORE },
};

int bh__policy_decode(struct bh_dctx *c, const struct bh_ynode *obj, struct bh_policy *p,
		      struct bh_loc *name_at)
{
	struct pol_state st = { .p = p, .name_at = name_at };
	int err;

	p->loc = (struct bh_loc){ c->file, obj->line, obj->col };
	*name_at = p->loc;
	p->namespace = strdup("default");
	if (!p->namespace)
		return -ENOMEM;
	err = bh__decode_map(c, obj, object_fields, sizeof(object_fields) / sizeof(object_fields[0]),
			     &st, NULL);
	if (err)
		return err;
	/*
	 * policyTypes defaulting (NetworkPolicySpec): Ingress always, Egress
	 * when the policy has egress rules. An explicit list is taken as is,
	 * even when it leaves rules of the other direction without effect.
	 */
	if (st.types_given) {
		p->types[BH_INGRESS] = st.types[BH_INGRESS];
		p->types[BH_EGRESS] = st.types[BH_EGRESS];
	} else {
		p->types[BH_INGRESS] = true;
		p->types[BH_EGRESS] = p->n_rules[BH_EGRESS] > 0;
	}
	return 0;
}

static void rule_deinit(struct bh_rule *r)
{
	for (size_t i = 0; i < r->n_peers; i++) {
		bh_selector_deinit(&r->peers[i].pod_sel);
		bh_selector_deinit(&r->peers[i].ns_sel);
		free(r->peers[i].ipblock.except);
	}
	free(r->peers);
	for (size_t i = 0; i < r->n_ports; i++)
		free(r->ports[i].name);
	free(r->ports);
}

void bh__policy_deinit(struct bh_policy *p)
{
	free(p->name);
	free(p->namespace);
	bh_selector_deinit(&p->pod_sel);
	for (size_t d = 0; d < BH_DIR_MAX; d++) {
		for (size_t i = 0; i < p->n_rules[d]; i++)
			rule_deinit(&p->rules[d][i]);
		free(p->rules[d]);
	}
	memset(p, 0, sizeof(*p));
}
