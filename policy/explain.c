// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "policy/explain.h"

static void explain_dir(const struct bh_compiled *c, const struct bh_endpoint *self,
			const struct bh_endpoint *peer, int dir, uint8_t proto, uint16_t port,
			struct bh_explain_dir *out)
{
	memset(out, 0, sizeof(*out));
	out->rule = BH_RULE_NONE;
	out->allowed = true;
	if (!self->wl)
		return;
	out->applies = true;
	out->view = &c->groups[c->wl_group[self->wl - c->inv->wl]].dir[dir].enforce;
	out->isolated = out->view->isolated;
	if (out->isolated)
		out->allowed = bh_view_allows(out->view, &peer->addr, proto, port, &out->rule);
}

void bh_explain_conn(const struct bh_compiled *c, const struct bh_endpoint *from,
		     const struct bh_endpoint *to, uint8_t proto, uint16_t port,
		     struct bh_explain *out)
{
	memset(out, 0, sizeof(*out));
	if (from->wl && from->wl == to->wl) {
		/* a workload always reaches itself over loopback */
		out->loopback = true;
		out->allowed = true;
		return;
	}
	explain_dir(c, from, to, BH_EGRESS, proto, port, &out->egress);
	explain_dir(c, to, from, BH_INGRESS, proto, port, &out->ingress);
	out->allowed = out->egress.allowed && out->ingress.allowed;
}

const char *bh_proto_name(uint8_t proto)
{
	switch (proto) {
	case IPPROTO_TCP: return "tcp";
	case IPPROTO_UDP: return "udp";
	case IPPROTO_SCTP: return "sctp";
	case IPPROTO_ICMP: return "icmp";
	case IPPROTO_ICMPV6: return "ipv6-icmp";
	}
	return "other";
}

int bh_port_spec_parse(const char *s, uint8_t *proto, uint16_t *port)
{
	static const struct { const char *name; uint8_t proto; } protos[] = {
		{ "tcp", IPPROTO_TCP }, { "udp", IPPROTO_UDP }, { "sctp", IPPROTO_SCTP },
		{ "TCP", IPPROTO_TCP }, { "UDP", IPPROTO_UDP }, { "SCTP", IPPROTO_SCTP },
	};
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || v < 1 || v > 65535)
		return -EINVAL;
	*port = (uint16_t)v;
	*proto = IPPROTO_TCP;
	if (!*end)
		return 0;
	if (*end != '/')
		return -EINVAL;
	for (size_t i = 0; i < sizeof(protos) / sizeof(protos[0]); i++)
		if (!strcmp(end + 1, protos[i].name)) {
			*proto = protos[i].proto;
			return 0;
		}
	return -EINVAL;
}

const char *bh_endpoint_name(const struct bh_endpoint *ep, char *buf, size_t len)
{
	char a[64];

	bh_addr_format(&ep->addr, a, sizeof(a));
	if (ep->wl)
		snprintf(buf, len, "%s/%s (%s)", ep->wl->namespace, ep->wl->name, a);
	else
		snprintf(buf, len, "%s", a);
	return buf;
}

static void print_isolators(FILE *f, const struct bh_compiled *c, const struct bh_view *v)
{
	for (size_t i = 0; i < v->n_isolated_by; i++) {
		const struct bh_policy *p = &c->pols->v[v->isolated_by[i]];

		fprintf(f, "%s%s/%s", i ? ", " : "", p->namespace, p->name);
	}
}

static void print_dir(FILE *f, const struct bh_compiled *c, const char *what,
		      const struct bh_endpoint *self, const struct bh_endpoint *peer,
		      uint8_t proto, uint16_t port, const struct bh_explain_dir *d)
{
	char a[160], b[160];

	bh_endpoint_name(self, a, sizeof(a));
	bh_endpoint_name(peer, b, sizeof(b));
	if (!d->applies) {
		fprintf(f, "  %s of %s: not a workload of the inventory, nothing enforced there\n", what, a);
		return;
	}
	if (!d->isolated) {
		fprintf(f, "  %s of %s: not isolated (no policy selects it for %s): allowed\n", what, a, what);
		return;
	}
	fprintf(f, "  %s of %s: isolated by ", what, a);
	print_isolators(f, c, d->view);
	if (d->allowed) {
		const struct bh_rule_ref *r = &c->rules[d->rule];
		const struct bh_policy *p = &c->pols->v[r->policy];
		const struct bh_rule *rule = &p->rules[r->dir][r->rule];

		fprintf(f, "\n    allowed by %s/%s %s[%u]", p->namespace, p->name, what, r->rule);
		if (rule->loc.file)
			fprintf(f, " (%s:%u)", rule->loc.file, rule->loc.line);
		fputc('\n', f);
	} else {
		fprintf(f, "\n    denied: no rule of these policies allows %s", b);
		if (proto == IPPROTO_TCP || proto == IPPROTO_UDP || proto == IPPROTO_SCTP)
			fprintf(f, " on %u/%s", port, bh_proto_name(proto));
		fputc('\n', f);
	}
}

void bh_explain_print(FILE *f, const struct bh_compiled *c, const struct bh_endpoint *from,
		      const struct bh_endpoint *to, uint8_t proto, uint16_t port,
		      const struct bh_explain *e)
{
	char a[160], b[160];

	fprintf(f, "%s %s -> %s %u/%s\n", e->allowed ? "ALLOWED" : "DENIED",
		bh_endpoint_name(from, a, sizeof(a)), bh_endpoint_name(to, b, sizeof(b)), port,
		bh_proto_name(proto));
	if (e->loopback) {
		fputs("  a workload always reaches itself over loopback\n", f);
		return;
	}
	print_dir(f, c, "egress", from, to, proto, port, &e->egress);
	print_dir(f, c, "ingress", to, from, proto, port, &e->ingress);
}
