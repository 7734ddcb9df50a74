// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
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
	bh_view_decide(out->view, &peer->addr, proto, port, &out->dec);
	out->allowed = out->dec.allowed;
	if (out->dec.tier == BH_TIER_NP)
		out->rule = out->dec.rule;
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

bool bh_rule_id_info(const struct bh_compiled *c, uint32_t rule, struct bh_rule_info *out)
{
	const struct bh_rule_ref *r;

	memset(out, 0, sizeof(*out));
	if (!c || rule >= c->n_rules)
		return false;
	r = &c->rules[rule];
	out->tier = r->tier;
	if (r->tier == BH_TIER_NP) {
		const struct bh_policy *p = &c->pols->v[r->policy];

		snprintf(out->policy, sizeof(out->policy), "%s/%s", p->namespace, p->name);
		out->action = BH_ACT_ACCEPT;
		out->loc = &p->rules[r->dir][r->rule].loc;
	} else {
		const struct bh_cnp *p = &c->pols->cnp[r->policy];
		const struct bh_cnp_rule *cr = &p->rules[r->dir][r->rule];

		snprintf(out->policy, sizeof(out->policy), "%s", p->name);
		out->name = cr->name;
		out->action = cr->action;
		out->priority = p->priority;
		out->loc = &cr->loc;
	}
	return true;
}

char *bh_rule_id_format(const struct bh_compiled *c, uint32_t rule, char *buf, size_t len)
{
	const struct bh_rule_ref *r;

	if (!c || rule >= c->n_rules) {
		if (len)
			buf[0] = '\0';
		return buf;
	}
	r = &c->rules[rule];
	if (r->tier == BH_TIER_NP)
		return bh_rule_ref_format(c->pols->v[r->policy].namespace, c->pols->v[r->policy].name,
					  r->dir, r->rule, buf, len);
	return bh_rule_ref_format(NULL, c->pols->cnp[r->policy].name, r->dir, r->rule, buf, len);
}

static void print_isolators(FILE *f, const struct bh_compiled *c, const struct bh_view *v)
{
	for (size_t i = 0; i < v->n_isolated_by; i++) {
		const struct bh_policy *p = &c->pols->v[v->isolated_by[i]];

		fprintf(f, "%s%s/%s", i ? ", " : "", p->namespace, p->name);
	}
}

/* "REF" plus what locates it: ("rule name"; priority P; file:line) */
static void print_rule(FILE *f, const struct bh_compiled *c, uint32_t rule)
{
	struct bh_rule_info ri;
	char ref[400];

	bh_rule_id_info(c, rule, &ri);
	fputs(bh_rule_id_format(c, rule, ref, sizeof(ref)), f);
	if (ri.tier == BH_TIER_NP) {
		if (ri.loc && ri.loc->file)
			fprintf(f, " (%s:%u)", ri.loc->file, ri.loc->line);
		return;
	}
	fputs(" (", f);
	if (ri.name)
		fprintf(f, "\"%s\"; ", ri.name);
	fprintf(f, "priority %d", ri.priority);
	if (ri.loc && ri.loc->file)
		fprintf(f, "; %s:%u", ri.loc->file, ri.loc->line);
	fputc(')', f);
}

/* The NetworkPolicy verdict of an isolated direction, after "isolated by ..." */
static void print_np(FILE *f, const struct bh_compiled *c, const char *indent, const char *peer,
		     uint8_t proto, uint16_t port, const struct bh_explain_dir *d)
{
	if (d->allowed) {
		fprintf(f, "\n%sallowed by ", indent);
		print_rule(f, c, d->rule);
		fputc('\n', f);
		return;
	}
	fprintf(f, "\n%sdenied: no rule of these policies allows %s", indent, peer);
	if (proto == IPPROTO_TCP || proto == IPPROTO_UDP || proto == IPPROTO_SCTP)
		fprintf(f, " on %u/%s", port, bh_proto_name(proto));
	fputc('\n', f);
}

static const char *const tier_next[BH_TIER_MAX] = {
	[BH_TIER_ADMIN] = "on to NetworkPolicy",
	[BH_TIER_BASELINE] = "allowed by default",
};

/* One cluster tier's stage: what decided, the Pass hop, or nothing. true: it decided. */
static bool print_stage(FILE *f, const struct bh_compiled *c, unsigned int tier,
			const struct bh_stage *s, const struct bh_decision *dec)
{
	if (dec->tier == tier) {
		fprintf(f, "    %s tier: %s by ", bh_tier_name(tier), dec->allowed ? "accepted" : "denied");
		print_rule(f, c, dec->rule);
		fputc('\n', f);
		return true;
	}
	if (dec->pass[tier] != BH_RULE_NONE) {
		fprintf(f, "    %s tier: passed by ", bh_tier_name(tier));
		print_rule(f, c, dec->pass[tier]);
		fprintf(f, ": %s\n", tier_next[tier]);
		return false;
	}
	fprintf(f, "    no rule matched in tier %s (", bh_tier_name(tier));
	for (size_t i = 0; i < s->n_selected_by; i++)
		fprintf(f, "%s%s", i ? ", " : "", c->pols->cnp[s->selected_by[i]].name);
	fputs(")\n", f);
	return false;
}

/* A direction with cluster-wide tiers: each stage walked, in order. */
static void print_tiers(FILE *f, const struct bh_compiled *c, const char *what, const char *self,
			const char *peer, uint8_t proto, uint16_t port, const struct bh_explain_dir *d)
{
	const struct bh_view *v = d->view;

	fprintf(f, "  %s of %s:\n", what, self);
	if (v->admin.present && print_stage(f, c, BH_TIER_ADMIN, &v->admin, &d->dec))
		return;
	if (v->isolated) {
		fputs("    NetworkPolicy: isolated by ", f);
		print_isolators(f, c, v);
		print_np(f, c, "      ", peer, proto, port, d);
		return;
	}
	fprintf(f, "    NetworkPolicy: not isolated (no policy selects it for %s)\n", what);
	if (v->baseline.present && print_stage(f, c, BH_TIER_BASELINE, &v->baseline, &d->dec))
		return;
	fputs("    allowed by default: no tier decided\n", f);
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
	if (d->view->admin.present || d->view->baseline.present) {
		print_tiers(f, c, what, a, b, proto, port, d);
		return;
	}
	if (!d->isolated) {
		fprintf(f, "  %s of %s: not isolated (no policy selects it for %s): allowed\n", what, a, what);
		return;
	}
	fprintf(f, "  %s of %s: isolated by ", what, a);
	print_isolators(f, c, d->view);
	print_np(f, c, "    ", b, proto, port, d);
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
