// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * NetworkPolicy building blocks: label selectors, peers (podSelector,
 * namespaceSelector, ipBlock) and ports, validated as the Kubernetes API
 * server does (pkg/apis/networking/validation), plus the stricter CIDR
 * rule documented at ipblock_cidr().
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "policy/policy_int.h"

/* ---- selectors --------------------------------------------------------------- */

static const struct {
	const char *name;
	enum bh_sel_op op;
	bool needs_values;
} sel_ops[] = {
	{ "In", BH_SEL_IN, true },
	{ "NotIn", BH_SEL_NOT_IN, true },
	{ "Exists", BH_SEL_EXISTS, false },
	{ "DoesNotExist", BH_SEL_DOES_NOT_EXIST, false },
};

struct expr_state {
	struct bh_sel_expr *e;
	int op;			/* index into sel_ops, -1 unknown */
	const struct bh_ynode *values;
};

static int expr_key(struct bh_dctx *c, const struct bh_ynode *v, void *obj)
{
	return bh__dname(c, v, bh__qualified_name_err, "label key", &((struct expr_state *)obj)->e->key);
}

static int expr_operator(struct bh_dctx *c, const struct bh_ynode *v, void *obj)
{
	struct expr_state *st = obj;
	const char *s = bh__dstr(c, v);

	if (!s)
		return 0;
	for (size_t i = 0; i < sizeof(sel_ops) / sizeof(sel_ops[0]); i++) {
		if (!strcmp(s, sel_ops[i].name)) {
			st->op = (int)i;
			st->e->op = sel_ops[i].op;
			return 0;
		}
	}
	bh__derr(c, v, "unsupported operator \"%s\" (expected In, NotIn, Exists or DoesNotExist)", s);
	return 0;
}

static int expr_value(struct bh_dctx *c, const struct bh_ynode *item, size_t idx, void *obj)
{
	struct bh_sel_expr *e = obj;
	const char *s = bh__dstr(c, item), *why;

	if (!s)
		return 0;
	why = bh__label_value_err(s);
	if (why) {
		bh__derr(c, item, "invalid label value \"%s\": %s", s, why);
		return 0;
	}
	e->values[e->n_values] = strdup(s);
	if (!e->values[e->n_values])
		return -ENOMEM;
	e->n_values++;
	return 0;
}

static int expr_values(struct bh_dctx *c, const struct bh_ynode *v, void *obj)
{
	struct expr_state *st = obj;

	st->values = v;
	if (v->kind != BH_Y_SEQ || !v->n)
		return bh__decode_seq(c, v, expr_value, st->e);
	st->e->values = calloc(v->n, sizeof(char *));
	if (!st->e->values)
		return -ENOMEM;
	return bh__decode_seq(c, v, expr_value, st->e);
}

static const struct bh_field expr_fields[] = {
	{ "key", expr_key, BH_F_REQUIRED },
	{ "operator", expr_operator, BH_F_REQUIRED },
	{ "values", expr_values, 0 },
};

static int sel_expr(struct bh_dctx *c, const struct bh_ynode *item, size_t idx, void *obj)
{
	struct bh_selector *s = obj;
	struct expr_state st = { &s->exprs[s->n_exprs], -1, NULL };
	bool has_values;
	size_t old;
	int err;

	s->n_exprs++;
	err = bh__decode_map(c, item, expr_fields, sizeof(expr_fields) / sizeof(expr_fields[0]), &st,
			     NULL);
	if (err || st.op < 0)
		return err;
	has_values = st.values && st.values->kind == BH_Y_SEQ && st.values->n;
	if (sel_ops[st.op].needs_values == has_values)
		return 0;
	old = bh__path_key(c, "values");
	if (has_values)
		bh__derr(c, st.values, "must be empty when operator is %s", sel_ops[st.op].name);
	else
		bh__derr(c, st.values ? st.values : item, "must be non-empty when operator is %s",
			 sel_ops[st.op].name);
	bh__path_pop(c, old);
	return 0;
}

static int sel_match_labels(struct bh_dctx *c, const struct bh_ynode *v, void *obj)
{
	return bh__decode_labels(c, v, &((struct bh_selector *)obj)->match);
}

static int sel_match_exprs(struct bh_dctx *c, const struct bh_ynode *v, void *obj)
{
	struct bh_selector *s = obj;

	if (v->kind == BH_Y_SEQ && v->n) {
		s->exprs = calloc(v->n, sizeof(*s->exprs));
		if (!s->exprs)
			return -ENOMEM;
	}
	return bh__decode_seq(c, v, sel_expr, s);
}

static const struct bh_field selector_fields[] = {
	{ "matchLabels", sel_match_labels, 0 },
	{ "matchExpressions", sel_match_exprs, 0 },
};

int bh__selector_decode(struct bh_dctx *c, const struct bh_ynode *v, struct bh_selector *s)
{
	return bh__decode_map(c, v, selector_fields, sizeof(selector_fields) / sizeof(selector_fields[0]),
			      s, NULL);
}

/* ---- ipBlock ------------------------------------------------------------------ */

struct ipblock_state {
	struct bh_ipblock *b;
	bool cidr_ok;
	const struct bh_ynode *except;
};

/*
 * The API server parses cidr with net.ParseCIDR, which tolerates host bits
 * ("10.0.0.1/24" means 10.0.0.0/24). We reject them: a policy author who
 * wrote an address most likely meant that host (/32), and silently
 * widening it to a whole network is the kind of surprise a segmentation
 * policy must not have. The message names the network they may have meant.
 */
bool bh__cidr_decode(struct bh_dctx *c, const struct bh_ynode *v, struct bh_prefix *out)
{
	const char *s = bh__dstr(c, v);
	char buf[64];
	bool host = false;

	if (!s)
		return false;
	if (bh_prefix_parse_loose(s, out, &host) < 0) {
		bh__derr(c, v, "invalid CIDR \"%s\"", s);
		return false;
	}
	if (host) {
		bh__derr(c, v, "invalid CIDR \"%s\": host bits are set (did you mean \"%s\"?)", s,
			 bh_prefix_format(out, buf, sizeof(buf)));
		return false;
	}
	return true;
}

static int ipblock_cidr(struct bh_dctx *c, const struct bh_ynode *v, void *obj)
{
	struct ipblock_state *st = obj;

	st->cidr_ok = bh__cidr_decode(c, v, &st->b->cidr);
	return 0;
}

static int ipblock_except_item(struct bh_dctx *c, const struct bh_ynode *item, size_t idx, void *obj)
{
	struct bh_ipblock *b = obj;

	if (bh__cidr_decode(c, item, &b->except[b->n_except]))
		b->n_except++;
	return 0;
}

static int ipblock_except(struct bh_dctx *c, const struct bh_ynode *v, void *obj)
{
	struct ipblock_state *st = obj;

	st->except = v;
	if (v->kind == BH_Y_SEQ && v->n) {
		st->b->except = calloc(v->n, sizeof(*st->b->except));
		if (!st->b->except)
			return -ENOMEM;
	}
	return bh__decode_seq(c, v, ipblock_except_item, st->b);
}

static const struct bh_field ipblock_fields[] = {
	{ "cidr", ipblock_cidr, BH_F_REQUIRED },
	{ "except", ipblock_except, 0 },
};

/* Every except must lie strictly inside cidr (Kubernetes rejects equal too). */
static void ipblock_check_except(struct bh_dctx *c, struct ipblock_state *st)
{
	const struct bh_prefix *cidr = &st->b->cidr;
	size_t k = 0;

	for (size_t i = 0; st->except && i < st->except->n; i++) {
		const struct bh_ynode *item = st->except->items[i];
		struct bh_prefix ex;
		char a[64], b[64];
		size_t old;

		/* items that failed to parse were reported already and are not in except[] */
		if (item->kind != BH_Y_SCALAR || bh_prefix_parse(item->str, &ex) < 0)
			continue;
		ex = st->b->except[k++];
		if (ex.len > cidr->len && bh_prefix_contains(cidr, &ex.addr))
			continue;
		old = bh__path_key(c, "except");
		bh__path_index(c, i);
		if (ex.addr.family == cidr->addr.family && ex.len == cidr->len &&
		    bh_prefix_contains(cidr, &ex.addr))
			bh__derr(c, item, "\"%s\" must be strictly inside cidr \"%s\", not equal to it",
				 item->str, bh_prefix_format(cidr, b, sizeof(b)));
		else
			bh__derr(c, item, "\"%s\" is not inside cidr \"%s\"",
				 bh_prefix_format(&ex, a, sizeof(a)), bh_prefix_format(cidr, b, sizeof(b)));
		bh__path_pop(c, old);
	}
}

/* ---- peers ---------------------------------------------------------------------- */

static int peer_pod(struct bh_dctx *c, const struct bh_ynode *v, void *obj)
{
	return bh__selector_decode(c, v, &((struct bh_peer *)obj)->pod_sel);
}

static int peer_ns(struct bh_dctx *c, const struct bh_ynode *v, void *obj)
{
	return bh__selector_decode(c, v, &((struct bh_peer *)obj)->ns_sel);
}

static int peer_ipblock(struct bh_dctx *c, const struct bh_ynode *v, void *obj)
{
	struct ipblock_state st = { &((struct bh_peer *)obj)->ipblock, false, NULL };
	int err;

	err = bh__decode_map(c, v, ipblock_fields, sizeof(ipblock_fields) / sizeof(ipblock_fields[0]),
			     &st, NULL);
	if (!err && st.cidr_ok)
		ipblock_check_except(c, &st);
	return err;
}

static const struct bh_field peer_fields[] = {
	{ "podSelector", peer_pod, 0 },
	{ "namespaceSelector", peer_ns, 0 },
	{ "ipBlock", peer_ipblock, 0 },
};

int bh__peer_decode(struct bh_dctx *c, const struct bh_ynode *v, struct bh_peer *peer)
{
	bool seen[3];
	int err;

	peer->loc = (struct bh_loc){ c->file, v->line, v->col };
	err = bh__decode_map(c, v, peer_fields, 3, peer, seen);
	if (err || v->kind != BH_Y_MAP)
		return err;
	peer->has_pod_sel = seen[0];
	peer->has_ns_sel = seen[1];
	peer->has_ipblock = seen[2];
	if (!seen[0] && !seen[1] && !seen[2])
		bh__derr(c, v, "must specify at least one of podSelector, namespaceSelector or ipBlock");
	else if (seen[2] && (seen[0] || seen[1]))
		bh__derr(c, v, "ipBlock cannot be combined with podSelector or namespaceSelector");
	return 0;
}

/* ---- ports ------------------------------------------------------------------------ */

struct port_state {
	struct bh_port *p;
	const struct bh_ynode *port, *end;
	long long end_port;
};

static int port_protocol(struct bh_dctx *c, const struct bh_ynode *v, void *obj)
{
	return bh__dproto(c, v, &((struct port_state *)obj)->p->proto);
}

static int port_port(struct bh_dctx *c, const struct bh_ynode *v, void *obj)
{
	struct port_state *st = obj;
	const char *why;
	long long n;

	st->port = v;
	if (bh_ynode_int(v, &n)) {
		if (bh__dint(c, v, 1, 65535, &n)) {
			st->p->has_port = true;
			st->p->port = (uint16_t)n;
		}
		return 0;
	}
	if (v->kind != BH_Y_SCALAR) {
		bh__derr(c, v, "expected a port number or a port name, got %s", bh_ynode_kind_name(v));
		return 0;
	}
	why = bh__svc_name_err(v->str);
	if (why) {
		bool numeric = v->len && strspn(v->str, "0123456789") == v->len;

		bh__derr(c, v, "invalid port name \"%s\": %s%s", v->str, why,
			 numeric ? " (a quoted number is a port name; write the number without quotes)" : "");
		return 0;
	}
	st->p->has_port = true;
	st->p->name = strdup(v->str);
	return st->p->name ? 0 : -ENOMEM;
}

static int port_end(struct bh_dctx *c, const struct bh_ynode *v, void *obj)
{
	struct port_state *st = obj;

	if (bh__dint(c, v, 1, 65535, &st->end_port))
		st->end = v;
	return 0;
}

static const struct bh_field port_fields[] = {
	{ "protocol", port_protocol, 0 },
	{ "port", port_port, 0 },
	{ "endPort", port_end, 0 },
};

int bh__port_decode(struct bh_dctx *c, const struct bh_ynode *v, struct bh_port *port)
{
	struct port_state st = { port, NULL, NULL, 0 };
	size_t old;
	int err;

	port->loc = (struct bh_loc){ c->file, v->line, v->col };
	port->proto = IPPROTO_TCP;
	err = bh__decode_map(c, v, port_fields, 3, &st, NULL);
	if (err || !st.end)
		return err;
	old = bh__path_key(c, "endPort");
	if (!st.port || port->name || !port->has_port) {
		if (!st.port)
			bh__derr(c, st.end, "requires port to be set");
		else if (port->name)
			bh__derr(c, st.end, "requires a numeric port, not the port name \"%s\"", port->name);
	} else if (st.end_port < port->port) {
		bh__derr(c, st.end, "must be greater than or equal to port (%u), got %lld", port->port,
			 st.end_port);
	} else {
		port->end_port = (uint16_t)st.end_port;
	}
	bh__path_pop(c, old);
	return 0;
}
