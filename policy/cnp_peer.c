// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ClusterNetworkPolicy building blocks: the subject, peers (namespaces,
 * pods, networks, and the experimental nodes and domainNames this host does
 * not support), v1alpha2 protocols and v1alpha1 ports, validated as the
 * network-policy-api CRDs do (exactly one field where the schema says
 * MinProperties=MaxProperties=1, list bounds, port ranges), plus the CIDR
 * rule NetworkPolicy's ipBlock follows here: no host bits.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "policy/cnp_int.h"

/* ---- "exactly one of" ----------------------------------------------------------- */

/*
 * Decodes map v with fields[0..n) and records an error unless exactly one
 * field was given a value. A field present with no value is named, as it
 * is the likely slip ("namespaces:" meant "namespaces: {}"); a map with
 * no known field at all was reported already (unknown field). 0 or -ENOMEM.
 */
static int decode_one_of(struct bh_dctx *c, const struct bh_ynode *v, const struct bh_field *fields,
			 size_t n, void *obj)
{
	char names[160] = "";
	size_t k = 0, len = 0, before = c->errors;
	bool seen[8];
	int err;

	err = bh__decode_map(c, v, fields, n, obj, seen);
	if (err || v->kind != BH_Y_MAP)
		return err;
	for (size_t i = 0; i < n; i++)
		k += seen[i];
	if (k == 1 || (!k && c->errors != before))
		return 0;
	for (size_t i = 0; i < n; i++)
		len += (size_t)snprintf(names + len, len < sizeof(names) ? sizeof(names) - len : 0, "%s%s",
					i ? (i + 1 == n ? " or " : ", ") : "", fields[i].key);
	if (k > 1) {
		bh__derr(c, v, "must specify exactly one of %s, got %zu", names, k);
		return 0;
	}
	for (size_t i = 0; i < n; i++) {
		const struct bh_ynode *x = bh_ynode_get(v, fields[i].key);

		if (x && bh_ynode_is_null(x)) {
			size_t old = bh__path_key(c, fields[i].key);

			bh__derr(c, x, "has no value (write %s: {} to select all)", fields[i].key);
			bh__path_pop(c, old);
			return 0;
		}
	}
	bh__derr(c, v, "must specify exactly one of %s", names);
	return 0;
}

/* ---- namespaced pods ------------------------------------------------------------ */

struct nsp_state {
	struct bh_selector *ns_sel, *pod_sel;
};

static int nsp_ns(struct bh_dctx *c, const struct bh_ynode *v, void *obj)
{
	return bh__selector_decode(c, v, ((struct nsp_state *)obj)->ns_sel);
}

static int nsp_pod(struct bh_dctx *c, const struct bh_ynode *v, void *obj)
{
	return bh__selector_decode(c, v, ((struct nsp_state *)obj)->pod_sel);
}

/* v1alpha2 leaves namespaceSelector optional (empty: every namespace); v1alpha1 requires it. */
static const struct bh_field nsp_fields[2][2] = {
	{ { "namespaceSelector", nsp_ns, 0 }, { "podSelector", nsp_pod, BH_F_REQUIRED } },
	{ { "namespaceSelector", nsp_ns, BH_F_REQUIRED }, { "podSelector", nsp_pod, BH_F_REQUIRED } },
};

static int pods_decode(struct bh_dctx *c, const struct bh_ynode *v, unsigned int api,
		       struct bh_selector *ns_sel, struct bh_selector *pod_sel)
{
	struct nsp_state st = { ns_sel, pod_sel };

	return bh__decode_map(c, v, nsp_fields[api != BH_CNP_V1ALPHA2], 2, &st, NULL);
}

/* ---- subject ---------------------------------------------------------------------- */

struct subj_state {
	struct bh_cnp *p;
};

static int subj_namespaces(struct bh_dctx *c, const struct bh_ynode *v, void *obj)
{
	return bh__selector_decode(c, v, &((struct subj_state *)obj)->p->subject_ns);
}

static int subj_pods(struct bh_dctx *c, const struct bh_ynode *v, void *obj)
{
	struct bh_cnp *p = ((struct subj_state *)obj)->p;

	p->subject_pods = true;
	return pods_decode(c, v, p->api, &p->subject_ns, &p->subject_pod);
}

static const struct bh_field subject_fields[] = {
	{ "namespaces", subj_namespaces, 0 },
	{ "pods", subj_pods, 0 },
};

int bh__cnp_subject_decode(struct bh_dctx *c, const struct bh_ynode *v, struct bh_cnp *p)
{
	struct subj_state st = { p };

	return decode_one_of(c, v, subject_fields, 2, &st);
}

/* ---- peers ------------------------------------------------------------------------- */

struct peer_state {
	struct bh_cnp_peer *peer;
	unsigned int api;
};

static int peer_namespaces(struct bh_dctx *c, const struct bh_ynode *v, void *obj)
{
	struct peer_state *st = obj;

	st->peer->kind = BH_CPEER_NAMESPACES;
	return bh__selector_decode(c, v, &st->peer->ns_sel);
}

static int peer_pods(struct bh_dctx *c, const struct bh_ynode *v, void *obj)
{
	struct peer_state *st = obj;

	st->peer->kind = BH_CPEER_PODS;
	return pods_decode(c, v, st->api, &st->peer->ns_sel, &st->peer->pod_sel);
}

/*
 * A list of 1..max items (false: reported). Duplicate scalars are reported
 * too (listType=set), and the items still get decoded.
 */
static bool set_list(struct bh_dctx *c, const struct bh_ynode *v, size_t max)
{
	if (v->kind != BH_Y_SEQ) {
		bh__derr(c, v, "expected a list, got %s", bh_ynode_kind_name(v));
		return false;
	}
	if (!v->n || v->n > max) {
		bh__derr(c, v, "must have between 1 and %zu items, got %zu", max, v->n);
		return false;
	}
	for (size_t i = 1; i < v->n; i++) {
		const struct bh_ynode *x = v->items[i];

		for (size_t j = 0; j < i && x->kind == BH_Y_SCALAR; j++) {
			if (v->items[j]->kind == BH_Y_SCALAR && !strcmp(v->items[j]->str, x->str)) {
				size_t old = bh__path_index(c, i);

				bh__derr(c, x, "duplicate value \"%s\"", x->str);
				bh__path_pop(c, old);
				break;
			}
		}
	}
	return true;
}

static int network_item(struct bh_dctx *c, const struct bh_ynode *item, size_t idx, void *obj)
{
	struct bh_cnp_peer *peer = obj;

	if (bh__cidr_decode(c, item, &peer->nets[peer->n_nets]))
		peer->n_nets++;
	return 0;
}

static int peer_networks(struct bh_dctx *c, const struct bh_ynode *v, void *obj)
{
	struct peer_state *st = obj;

	st->peer->kind = BH_CPEER_NETWORKS;
	if (!set_list(c, v, BH_CNP_MAX_NETWORKS))
		return 0;
	st->peer->nets = calloc(v->n, sizeof(*st->peer->nets));
	if (!st->peer->nets)
		return -ENOMEM;
	return bh__decode_seq(c, v, network_item, st->peer);
}

static int peer_nodes(struct bh_dctx *c, const struct bh_ynode *v, void *obj)
{
	struct bh_selector scratch = { 0 };
	int err;

	((struct peer_state *)obj)->peer->kind = BH_CPEER_NODES;
	err = bh__selector_decode(c, v, &scratch);	/* validated, not enforced */
	bh_selector_deinit(&scratch);
	return err;
}

/* The CRD's pattern: an optional "*." then dot-separated labels of [-a-zA-Z0-9_]. */
static const char *domain_err(const char *s)
{
	size_t labels = 0;

	if (!strncmp(s, "*.", 2))
		s += 2;
	while (*s) {
		size_t n = strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_");

		if (!n || s[0] == '-' || s[0] == '_' || s[n - 1] == '-' || s[n - 1] == '_')
			return "must be dot-separated labels of letters, digits, '-' and '_', each "
			       "starting and ending with a letter or digit, optionally after \"*.\"";
		labels++;
		s += n;
		if (*s == '.')
			s++;
		else if (*s)
			return "may only contain letters, digits, '-', '_' and '.', and '*' only as a "
			       "leading \"*.\"";
	}
	return labels >= 2 ? NULL : "must have at least two labels, e.g. example.com";
}

static int domain_item(struct bh_dctx *c, const struct bh_ynode *item, size_t idx, void *obj)
{
	const char *s = bh__dstr(c, item), *why;

	if (s && (why = domain_err(s)))
		bh__derr(c, item, "invalid domain name \"%s\": %s", s, why);
	return 0;
}

static int peer_domains(struct bh_dctx *c, const struct bh_ynode *v, void *obj)
{
	((struct peer_state *)obj)->peer->kind = BH_CPEER_DOMAINS;
	if (!set_list(c, v, BH_CNP_MAX_NETWORKS))
		return 0;
	return bh__decode_seq(c, v, domain_item, NULL);
}

/* Ingress peers: namespaces and pods; egress adds the rest (BANP: no domainNames). */
static const struct bh_field peer_fields[] = {
	{ "namespaces", peer_namespaces, 0 },
	{ "pods", peer_pods, 0 },
	{ "networks", peer_networks, 0 },
	{ "nodes", peer_nodes, 0 },
	{ "domainNames", peer_domains, 0 },
};

int bh__cnp_peer_decode(struct bh_dctx *c, const struct bh_ynode *v, unsigned int api,
			unsigned int dir, struct bh_cnp_peer *peer)
{
	struct peer_state st = { peer, api };
	size_t n = dir == BH_INGRESS ? 2 : api == BH_BANP_V1ALPHA1 ? 4 : 5;

	peer->loc = (struct bh_loc){ c->file, v->line, v->col };
	return decode_one_of(c, v, peer_fields, n, &st);
}

/* ---- v1alpha2 protocols -------------------------------------------------------------- */

struct port_state {
	struct bh_cnp_port *port;
	bool got;		/* a number or a valid range was decoded */
	long long start, end;
	const struct bh_ynode *end_node;
	unsigned int api;
};

static int range_start(struct bh_dctx *c, const struct bh_ynode *v, void *obj)
{
	struct port_state *st = obj;

	bh__dint(c, v, 1, 65535, &st->start);
	return 0;
}

static int range_end(struct bh_dctx *c, const struct bh_ynode *v, void *obj)
{
	struct port_state *st = obj;

	if (bh__dint(c, v, 1, 65535, &st->end))
		st->end_node = v;
	return 0;
}

/* A PortRange: start and end required; v1alpha2 wants start < end (its CEL rule). */
static int range_decode(struct bh_dctx *c, const struct bh_ynode *v, struct port_state *st,
			const struct bh_field *fields, size_t n)
{
	size_t before = c->errors, old;
	int err;

	st->start = st->end = 0;
	st->end_node = NULL;
	err = bh__decode_map(c, v, fields, n, st, NULL);
	if (err || c->errors != before || !st->start || !st->end_node)
		return err;
	if (st->end < st->start || (st->api == BH_CNP_V1ALPHA2 && st->end == st->start)) {
		old = bh__path_key(c, "end");
		bh__derr(c, st->end_node, "must be greater than start (%lld), got %lld", st->start, st->end);
		bh__path_pop(c, old);
		return 0;
	}
	st->port->lo = (uint16_t)st->start;
	st->port->hi = (uint16_t)st->end;
	st->got = true;
	return 0;
}

static const struct bh_field range2_fields[] = {
	{ "start", range_start, BH_F_REQUIRED },
	{ "end", range_end, BH_F_REQUIRED },
};

static int dport_number(struct bh_dctx *c, const struct bh_ynode *v, void *obj)
{
	struct port_state *st = obj;
	long long n;

	if (bh__dint(c, v, 1, 65535, &n)) {
		st->port->lo = st->port->hi = (uint16_t)n;
		st->got = true;
	}
	return 0;
}

static int dport_range(struct bh_dctx *c, const struct bh_ynode *v, void *obj)
{
	return range_decode(c, v, obj, range2_fields, 2);
}

static const struct bh_field dport_fields[] = {
	{ "number", dport_number, 0 },
	{ "range", dport_range, 0 },
};

static int l4_dport(struct bh_dctx *c, const struct bh_ynode *v, void *obj)
{
	return decode_one_of(c, v, dport_fields, 2, obj);
}

static const struct bh_field l4_fields[] = {
	{ "destinationPort", l4_dport, BH_F_REQUIRED },
};

static int proto_l4(struct bh_dctx *c, const struct bh_ynode *v, struct port_state *st, uint8_t proto)
{
	st->port->proto = proto;
	return bh__decode_map(c, v, l4_fields, 1, st, NULL);
}

static int proto_tcp(struct bh_dctx *c, const struct bh_ynode *v, void *obj)
{
	return proto_l4(c, v, obj, IPPROTO_TCP);
}

static int proto_udp(struct bh_dctx *c, const struct bh_ynode *v, void *obj)
{
	return proto_l4(c, v, obj, IPPROTO_UDP);
}

static int proto_sctp(struct bh_dctx *c, const struct bh_ynode *v, void *obj)
{
	return proto_l4(c, v, obj, IPPROTO_SCTP);
}

/*
 * A named port resolves against the destination's container ports, whose
 * names Kubernetes validates as IANA service names: another name can
 * never match. The API does not check it, so neither do we refuse it.
 */
static int named_port(struct bh_dctx *c, const struct bh_ynode *v, void *obj)
{
	struct port_state *st = obj;
	const char *s = bh__dstr(c, v), *why;

	if (!s)
		return 0;
	if ((why = bh__svc_name_err(s)))
		bh__dwarn(c, v, "\"%s\" can never name a container port (%s): it matches nothing", s, why);
	st->port->proto = 0;
	st->port->name = strdup(s);
	st->got = true;
	return st->port->name ? 0 : -ENOMEM;
}

static const struct bh_field protocol_fields[] = {
	{ "tcp", proto_tcp, 0 },
	{ "udp", proto_udp, 0 },
	{ "sctp", proto_sctp, 0 },
	{ "destinationNamedPort", named_port, 0 },
};

/* ---- v1alpha1 ports -------------------------------------------------------------------- */

static int p1_protocol(struct bh_dctx *c, const struct bh_ynode *v, void *obj)
{
	return bh__dproto(c, v, &((struct port_state *)obj)->port->proto);
}

static const struct bh_field number1_fields[] = {
	{ "protocol", p1_protocol, 0 },
	{ "port", dport_number, BH_F_REQUIRED },
};

static const struct bh_field range1_fields[] = {
	{ "protocol", p1_protocol, 0 },
	{ "start", range_start, BH_F_REQUIRED },
	{ "end", range_end, BH_F_REQUIRED },
};

static int p1_number(struct bh_dctx *c, const struct bh_ynode *v, void *obj)
{
	((struct port_state *)obj)->port->proto = IPPROTO_TCP;
	return bh__decode_map(c, v, number1_fields, 2, obj, NULL);
}

static int p1_range(struct bh_dctx *c, const struct bh_ynode *v, void *obj)
{
	((struct port_state *)obj)->port->proto = IPPROTO_TCP;
	return range_decode(c, v, obj, range1_fields, 3);
}

static const struct bh_field port1_fields[] = {
	{ "portNumber", p1_number, 0 },
	{ "namedPort", named_port, 0 },
	{ "portRange", p1_range, 0 },
};

int bh__cnp_port_decode(struct bh_dctx *c, const struct bh_ynode *v, unsigned int api,
			struct bh_cnp_port *port)
{
	struct port_state st = { .port = port, .api = api };
	const struct bh_field *fields = api == BH_CNP_V1ALPHA2 ? protocol_fields : port1_fields;
	size_t n = api == BH_CNP_V1ALPHA2 ? 4 : 3;

	port->loc = (struct bh_loc){ c->file, v->line, v->col };
	return decode_one_of(c, v, fields, n, &st);
}
