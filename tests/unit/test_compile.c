// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Semantics of NetworkPolicy as compiled: table-driven cases (policies +
 * inventory + expected verdicts), each verdict checked twice: from the
 * compiled rulesets (what the kernel gets; what `explain` says) and from
 * the independent reference evaluator. Then a generated cross-check.
 */
#include <errno.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "policy/compile.h"
#include "policy/compile_int.h"
#include "policy/eval.h"
#include "policy/explain.h"
#include "policy/model.h"

static const char base_inventory[] =
	"namespaces:\n"
	"  - name: x\n"
	"    labels: {ns: x, team: a}\n"
	"  - name: y\n"
	"    labels: {ns: y, team: b}\n"
	"  - name: z\n"
	"    labels: {ns: z}\n"
	"workloads:\n"
	"  - name: a\n"
	"    namespace: x\n"
	"    labels: {pod: a, app: web}\n"
	"    ips: [10.0.1.1, \"fd00::1:1\"]\n"
	"    ports:\n"
	"      - {name: http, port: 80, protocol: TCP}\n"
	"      - {name: dns, port: 53, protocol: UDP}\n"
	"  - name: b\n"
	"    namespace: x\n"
	"    labels: {pod: b, app: db}\n"
	"    ips: [10.0.1.2, \"fd00::1:2\"]\n"
	"    ports:\n"
	"      - {name: http, port: 8080, protocol: TCP}\n"
	"  - {name: c, namespace: x, labels: {pod: c}, ips: [10.0.1.3, \"fd00::1:3\"]}\n"
	"  - name: a\n"
	"    namespace: y\n"
	"    labels: {pod: a, app: web}\n"
	"    ips: [10.0.2.1, \"fd00::2:1\"]\n"
	"    ports:\n"
	"      - {name: http, port: 81, protocol: TCP}\n"
	"  - {name: b, namespace: y, labels: {pod: b}, ips: [10.0.2.2]}\n"
	"  - {name: a, namespace: z, labels: {pod: a}, ips: [10.0.3.1]}\n";

struct sem_case {
	const char *name;
	const char *policies;
	const char *verdicts[16];	/* "FROM TO PORT/PROTO allow|deny" */
};

#define NP(ns, name) \
	"apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: " name ", namespace: " ns "}\n"

static const struct sem_case cases[] = {
	{ "no policy: everything allowed", "",
	  { "x/a x/b 80/tcp allow", "y/a x/a 80/tcp allow", "192.168.1.1 x/a 22/tcp allow" } },
	{ "default deny ingress",
	  NP("x", "deny-in") "spec:\n  podSelector: {}\n  policyTypes: [Ingress]\n",
	  { "y/a x/a 80/tcp deny", "x/a x/b 80/tcp deny", "x/a y/a 80/tcp allow",
	    "y/a z/a 80/tcp allow", "192.168.1.1 x/c 80/udp deny" } },
	{ "default deny egress",
	  NP("x", "deny-out") "spec:\n  podSelector: {}\n  policyTypes: [Egress]\n",
	  { "x/a y/a 80/tcp deny", "y/a x/a 80/tcp allow", "x/a 8.8.8.8 53/udp deny",
	    "x/a x/b 80/tcp deny" } },
	{ "allow by podSelector",
	  NP("x", "b-from-a") "spec:\n  podSelector: {matchLabels: {pod: b}}\n"
	  "  ingress:\n  - from:\n    - podSelector: {matchLabels: {pod: a}}\n"
	  "    ports:\n    - {port: 8080}\n",
	  { "x/a x/b 8080/tcp allow", "x/c x/b 8080/tcp deny", "y/a x/b 8080/tcp deny",
	    "x/a x/b 80/tcp deny", "x/a x/b 8080/udp deny", "x/b x/a 80/tcp allow" } },
	{ "allow by namespaceSelector",
	  NP("x", "b-from-team-b") "spec:\n  podSelector: {matchLabels: {pod: b}}\n"
	  "  ingress:\n  - from:\n    - namespaceSelector: {matchLabels: {team: b}}\n",
	  { "y/a x/b 5432/tcp allow", "y/b x/b 1/udp allow", "x/a x/b 80/tcp deny",
	    "z/a x/b 80/tcp deny", "10.0.2.9 x/b 80/tcp deny" } },
	{ "namespaceSelector and podSelector in one peer: both must match",
	  NP("x", "b-from-web-in-b") "spec:\n  podSelector: {matchLabels: {pod: b}}\n"
	  "  ingress:\n  - from:\n    - namespaceSelector: {matchLabels: {team: b}}\n"
	  "      podSelector: {matchLabels: {app: web}}\n",
	  { "y/a x/b 80/tcp allow", "y/b x/b 80/tcp deny", "x/a x/b 80/tcp deny" } },
	{ "ipBlock with except",
	  NP("x", "a-from-block") "spec:\n  podSelector: {matchLabels: {pod: a}}\n"
	  "  ingress:\n  - from:\n    - ipBlock:\n        cidr: 192.168.0.0/16\n"
	  "        except: [192.168.1.0/24, 192.168.255.255/32]\n",
	  { "192.168.2.5 x/a 80/tcp allow", "192.168.1.5 x/a 80/tcp deny", "192.168.0.0 x/a 80/tcp allow",
	    "192.168.255.254 x/a 80/tcp allow", "192.168.255.255 x/a 80/tcp deny",
	    "10.0.2.1 x/a 80/tcp deny", "192.169.0.1 x/a 80/tcp deny" } },
	{ "named ports resolve per destination workload",
	  NP("x", "http") "spec:\n  podSelector: {matchExpressions: [{key: app, operator: In, values: [web, db]}]}\n"
	  "  ingress:\n  - ports:\n    - {port: http}\n",
	  { "x/c x/a 80/tcp allow", "x/c x/a 8080/tcp deny", "x/c x/b 8080/tcp allow",
	    "x/c x/b 80/tcp deny", "y/b x/b 8080/tcp allow", "x/c x/a 53/udp deny" } },
	{ "endPort range",
	  NP("x", "range") "spec:\n  podSelector: {matchLabels: {pod: a}}\n"
	  "  ingress:\n  - ports:\n    - {protocol: TCP, port: 1000, endPort: 2000}\n",
	  { "x/c x/a 1000/tcp allow", "x/c x/a 1500/tcp allow", "x/c x/a 2000/tcp allow",
	    "x/c x/a 999/tcp deny", "x/c x/a 2001/tcp deny", "x/c x/a 1500/udp deny" } },
	{ "UDP",
	  NP("x", "dns") "spec:\n  podSelector: {matchLabels: {pod: a}}\n"
	  "  ingress:\n  - ports:\n    - {protocol: UDP, port: 53}\n    - {protocol: UDP, port: dns}\n",
	  { "x/c x/a 53/udp allow", "x/c x/a 53/tcp deny", "y/b x/a 53/udp allow", "x/c x/a 54/udp deny" } },
	{ "union of several policies",
	  NP("x", "one") "spec:\n  podSelector: {matchLabels: {pod: b}}\n"
	  "  ingress:\n  - from: [{podSelector: {matchLabels: {pod: a}}}]\n    ports: [{port: 8080}]\n"
	  "---\n"
	  NP("x", "two") "spec:\n  podSelector: {matchLabels: {app: db}}\n"
	  "  ingress:\n  - from: [{podSelector: {matchLabels: {pod: c}}}]\n    ports: [{port: 9090}]\n",
	  { "x/a x/b 8080/tcp allow", "x/a x/b 9090/tcp deny", "x/c x/b 9090/tcp allow",
	    "x/c x/b 8080/tcp deny" } },
	{ "a policy in another namespace does not apply",
	  NP("y", "deny-y") "spec:\n  podSelector: {}\n",
	  { "x/c x/a 80/tcp allow", "y/b y/a 80/tcp deny", "x/a y/a 80/tcp deny", "y/a x/a 80/tcp allow" } },
	{ "empty podSelector peer: every pod of the policy's namespace",
	  NP("x", "same-ns") "spec:\n  podSelector: {}\n  ingress:\n  - from: [{podSelector: {}}]\n",
	  { "x/c x/a 80/tcp allow", "y/a x/a 80/tcp deny", "192.168.1.1 x/a 80/tcp deny" } },
	{ "empty namespaceSelector peer: every pod of every namespace",
	  NP("x", "all-ns") "spec:\n  podSelector: {}\n  ingress:\n  - from: [{namespaceSelector: {}}]\n",
	  { "y/a x/a 80/tcp allow", "z/a x/b 1/udp allow", "192.168.1.1 x/a 80/tcp deny" } },
	{ "empty rule: allow everything into selected pods",
	  NP("x", "allow-all") "spec:\n  podSelector: {matchLabels: {pod: a}}\n  ingress:\n  - {}\n",
	  { "192.168.1.1 x/a 80/tcp allow", "y/a x/a 7/udp allow", "x/a x/b 80/tcp allow" } },
	{ "egress rules without Egress in policyTypes are ignored",
	  NP("x", "only-in") "spec:\n  podSelector: {matchLabels: {pod: a}}\n  policyTypes: [Ingress]\n"
	  "  egress:\n  - to: [{podSelector: {matchLabels: {pod: b}}}]\n",
	  { "x/a y/a 80/tcp allow", "x/c x/a 80/tcp deny" } },
	{ "an egress section without policyTypes isolates both directions",
	  NP("x", "egress-only") "spec:\n  podSelector: {matchLabels: {pod: a}}\n"
	  "  egress:\n  - to: [{podSelector: {matchLabels: {pod: b}}}]\n",
	  { "x/a x/b 80/tcp allow", "x/a x/c 80/tcp deny", "x/c x/a 80/tcp deny", "x/a y/a 80/tcp deny" } },
	{ "policyTypes Egress without rules: deny all egress, ingress open",
	  NP("x", "no-out") "spec:\n  podSelector: {matchLabels: {pod: a}}\n  policyTypes: [Egress]\n",
	  { "x/a x/b 80/tcp deny", "x/c x/a 80/tcp allow" } },
	{ "IPv6 ipBlock",
	  NP("x", "v6") "spec:\n  podSelector: {matchLabels: {pod: a}}\n"
	  "  ingress:\n  - from: [{ipBlock: {cidr: \"fd00::2:0/112\", except: [\"fd00::2:0/127\"]}}]\n",
	  { "fd00::2:1 x/a 80/tcp deny", "fd00::2:2 x/a 80/tcp allow", "10.0.2.1 x/a 80/tcp deny",
	    "fd00::3:1 x/a 80/tcp deny" } },
	{ "egress named port resolves against each peer",
	  NP("x", "out-web") "spec:\n  podSelector: {matchLabels: {pod: a}}\n  policyTypes: [Egress]\n"
	  "  egress:\n  - to: [{namespaceSelector: {}, podSelector: {matchLabels: {app: web}}}]\n"
	  "    ports: [{port: http}]\n",
	  { "x/a y/a 81/tcp allow", "x/a y/a 80/tcp deny", "x/a x/b 8080/tcp deny", "x/a 8.8.8.8 80/tcp deny" } },
	{ "matchExpressions NotIn, Exists, DoesNotExist",
	  NP("x", "exprs") "spec:\n  podSelector: {matchExpressions: [{key: app, operator: Exists}]}\n"
	  "  ingress:\n  - from:\n    - namespaceSelector: {}\n"
	  "      podSelector: {matchExpressions: [{key: app, operator: NotIn, values: [db]},"
	  " {key: pod, operator: Exists}]}\n"
	  "    - podSelector: {matchExpressions: [{key: app, operator: DoesNotExist}]}\n",
	  { "y/a x/a 80/tcp allow", "y/b x/a 80/tcp allow", "x/b x/a 80/tcp deny", "x/c x/b 80/tcp allow",
	    "x/a x/c 80/tcp allow", "z/a x/a 80/tcp allow" } },
	{ "audit mode does not enforce",
	  "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: audit-deny\n"
	  "  namespace: x\n  annotations: {bulkhead.io/mode: audit}\nspec:\n  podSelector: {}\n",
	  { "y/a x/a 80/tcp allow", "x/a x/b 80/tcp allow" } },
	{ "egress to anywhere on one port",
	  NP("x", "https-out") "spec:\n  podSelector: {}\n  policyTypes: [Egress]\n"
	  "  egress:\n  - ports: [{port: 443}, {port: 53, protocol: UDP}]\n",
	  { "x/a 8.8.8.8 443/tcp allow", "x/a 8.8.8.8 80/tcp deny", "x/b 2001:db8::1 53/udp allow",
	    "x/b y/a 443/tcp allow" } },
};

struct loaded {
	struct bh_inventory *inv;
	struct bh_policy_set *pols;
	struct bh_compiled *c;
};

static void load(const char *inv_yaml, const char *pol_yaml, struct loaded *l)
{
	struct bh_diag d;

	bh_diag_init(&d);
	assert_int_equal(bh_inventory_load_buf("inv.yaml", inv_yaml, strlen(inv_yaml), &d, &l->inv), 0);
	if (bh_policy_set_load_buf("pol.yaml", pol_yaml, strlen(pol_yaml), &d, &l->pols)) {
		bh_diag_print(&d, stderr);
		fail_msg("policies did not load");
	}
	assert_int_equal(bh_diag_count(&d), 0);
	bh_diag_deinit(&d);
	assert_int_equal(bh_compile(l->pols, l->inv, &l->c), 0);
}

static void unload(struct loaded *l)
{
	bh_compiled_free(l->c);
	bh_policy_set_free(l->pols);
	bh_inventory_free(l->inv);
}

static void endpoint(const struct bh_inventory *inv, const char *s, int family, struct bh_endpoint *ep)
{
	memset(ep, 0, sizeof(*ep));
	if (!bh_addr_parse(s, &ep->addr)) {
		ep->wl = bh_inventory_find_ip(inv, &ep->addr);
		return;
	}
	char ns[64], name[64];

	assert_int_equal(sscanf(s, "%63[^/]/%63s", ns, name), 2);
	ep->wl = bh_inventory_find(inv, ns, name);
	assert_non_null(ep->wl);
	for (size_t i = 0; i < ep->wl->n_ips; i++)
		if (ep->wl->ips[i].family == family) {
			ep->addr = ep->wl->ips[i];
			return;
		}
	ep->addr.family = 0;
}

static void check_verdict(const struct loaded *l, const char *v)
{
	char from_s[64], to_s[64], port_s[32], want[16];
	struct bh_endpoint from, to;
	struct bh_explain e;
	uint8_t proto;
	uint16_t port;
	int family;
	bool ref;

	assert_int_equal(sscanf(v, "%63s %63s %31s %15s", from_s, to_s, port_s, want), 4);
	assert_int_equal(bh_port_spec_parse(port_s, &proto, &port), 0);
	/* the family of an address operand decides; otherwise IPv4 */
	family = strchr(from_s, ':') || strchr(to_s, ':') ? AF_INET6 : AF_INET;
	endpoint(l->inv, from_s, family, &from);
	endpoint(l->inv, to_s, family, &to);
	assert_int_not_equal(from.addr.family, 0);
	assert_int_not_equal(to.addr.family, 0);
	bh_explain_conn(l->c, &from, &to, proto, port, &e);
	ref = bh_eval_conn(l->pols, l->inv, &from, &to, proto, port);
	if (e.allowed != !strcmp(want, "allow") || ref != e.allowed) {
		bh_explain_print(stderr, l->c, &from, &to, proto, port, &e);
		fail_msg("%s: compiled says %s, reference says %s", v, e.allowed ? "allow" : "deny",
			 ref ? "allow" : "deny");
	}
}

static void test_case(void **state)
{
	const struct sem_case *c = *state;
	struct loaded l;

	load(base_inventory, c->policies, &l);
	for (size_t i = 0; i < 16 && c->verdicts[i]; i++)
		check_verdict(&l, c->verdicts[i]);
	unload(&l);
}

/* ---- elements are disjoint and sorted (what the kernel requires) -------------- */

static void check_disjoint(const struct bh_elems *es, int fam)
{
	int len = fam == BH_FAM_V4 ? 4 : 16;

	for (size_t i = 0; i < es->n; i++) {
		const struct bh_elem *e = &es->v[i];

		assert_true(memcmp(e->lo, e->hi, len) <= 0);
		assert_true(e->port_lo <= e->port_hi);
		for (size_t j = i + 1; j < es->n; j++) {
			const struct bh_elem *f = &es->v[j];
			bool addr_overlap = memcmp(e->lo, f->hi, len) <= 0 && memcmp(f->lo, e->hi, len) <= 0;
			bool port_overlap = e->port_lo <= f->port_hi && f->port_lo <= e->port_hi;

			if (e->proto == f->proto && addr_overlap && port_overlap)
				fail_msg("elements %zu and %zu overlap", i, j);
		}
	}
}

static void check_all_disjoint(const struct bh_compiled *c)
{
	for (size_t g = 0; g < c->n_groups; g++)
		for (int d = 0; d < BH_DIR_MAX; d++)
			for (int f = 0; f < BH_FAM_MAX; f++) {
				check_disjoint(&c->groups[g].dir[d].enforce.any[f], f);
				check_disjoint(&c->groups[g].dir[d].enforce.l4[f], f);
			}
}

static void test_overlapping_rules_decompose(void **state)
{
	static const char pol[] =
		NP("x", "overlap") "spec:\n  podSelector: {matchLabels: {pod: a}}\n  ingress:\n"
		"  - from: [{ipBlock: {cidr: 10.0.0.0/8}}]\n    ports: [{port: 1, endPort: 1000}]\n"
		"  - from: [{ipBlock: {cidr: 10.0.0.0/16}}, {podSelector: {}}]\n    ports: [{port: 500, endPort: 2000}]\n"
		"  - from: [{ipBlock: {cidr: 10.0.1.0/24, except: [10.0.1.128/25]}}]\n    ports: [{port: 80}, {port: 80, protocol: UDP}]\n"
		"  - from: [{ipBlock: {cidr: 0.0.0.0/0}}]\n    ports: [{port: 1500, endPort: 1600}]\n";
	struct loaded l;

	(void)state;
	load(base_inventory, pol, &l);
	check_all_disjoint(l.c);
	check_verdict(&l, "10.9.0.1 x/a 999/tcp allow");
	check_verdict(&l, "10.9.0.1 x/a 1001/tcp deny");
	check_verdict(&l, "10.0.9.1 x/a 1999/tcp allow");
	check_verdict(&l, "10.0.1.1 x/a 80/udp allow");
	check_verdict(&l, "10.0.1.200 x/a 80/udp deny");
	check_verdict(&l, "1.2.3.4 x/a 1550/tcp allow");
	unload(&l);
}

static void test_groups_share(void **state)
{
	static const char inv[] =
		"workloads:\n"
		"  - {name: w1, labels: {app: web}, ips: [10.1.0.1]}\n"
		"  - {name: w2, labels: {app: web}, ips: [10.1.0.2]}\n"
		"  - {name: d1, labels: {app: db}, ips: [10.1.0.3]}\n";
	static const char pol[] = NP("default", "p") "spec:\n  podSelector: {matchLabels: {app: db}}\n"
				  "  ingress:\n  - from: [{podSelector: {matchLabels: {app: web}}}]\n";
	struct loaded l;

	(void)state;
	load(inv, pol, &l);
	assert_int_equal(l.c->n_groups, 2);
	{
		size_t w1 = bh_inventory_find(l.inv, "default", "w1") - l.inv->wl;
		size_t w2 = bh_inventory_find(l.inv, "default", "w2") - l.inv->wl;
		size_t d1 = bh_inventory_find(l.inv, "default", "d1") - l.inv->wl;

		assert_int_equal(l.c->wl_group[w1], l.c->wl_group[w2]);
		assert_int_not_equal(l.c->wl_group[w1], l.c->wl_group[d1]);
	}
	/* the db's ingress set holds both web addresses as one range */
	for (size_t i = 0; i < l.inv->n_wl; i++) {
		const struct bh_view *v = &l.c->groups[l.c->wl_group[i]].dir[BH_INGRESS].enforce;

		if (strcmp(l.inv->wl[i].name, "d1"))
			assert_false(v->isolated);
		else
			assert_int_equal(v->any[BH_FAM_V4].n, 1);
	}
	unload(&l);
}

static void test_render_mentions_policies(void **state)
{
	static const char pol[] = NP("x", "deny-in") "spec:\n  podSelector: {}\n";
	struct bh_emit_opts o;
	struct loaded l;
	char *text;

	(void)state;
	load(base_inventory, pol, &l);
	bh_emit_opts_default(&o);
	o.generation = 42;
	text = bh_render_nft(l.c, l.c->wl_group[0], "x/a", &o);
	assert_non_null(text);
	assert_non_null(strstr(text, "table inet bulkhead {"));
	assert_non_null(strstr(text, "jump ingress comment \"isolated by x/deny-in\""));
	assert_non_null(strstr(text, "log prefix \"bh/42/i/d\" group 100"));
	assert_null(strstr(text, "chain egress"));
	free(text);
	unload(&l);
}

static void test_log_tag(void **state)
{
	struct bh_log_tag t = { .generation = 18446744073709551615ull, .dir = BH_EGRESS, .kind = 'w' }, u;
	char buf[64];

	(void)state;
	bh_log_tag_format(&t, buf, sizeof(buf));
	assert_string_equal(buf, "bh/18446744073709551615/e/w");
	assert_true(strlen(buf) < 64);
	assert_int_equal(bh_log_tag_parse(buf, &u), 0);
	assert_true(u.generation == t.generation && u.dir == t.dir && u.kind == t.kind);
	assert_int_equal(bh_log_tag_parse("bh/1/x/d", &u), -22);
	assert_int_equal(bh_log_tag_parse("bh//i/d", &u), -22);
	assert_int_equal(bh_log_tag_parse("bh/1/i/dd", &u), -22);
	assert_int_equal(bh_log_tag_parse("xx/1/i/d", &u), -22);
}

/* ---- generated cross-check against the reference evaluator ------------------------ */

static unsigned rnd(unsigned *s)
{
	*s = *s * 1103515245u + 12345u;
	return (*s >> 16) & 0x7fff;
}

static const char *const apps[] = { "a", "b", "c" };
static const char *const pnames[] = { "http", "alt" };

static void gen_selector(FILE *f, unsigned *s, const char *key1, const char *key2)
{
	switch (rnd(s) % 5) {
	case 0: fputs("{}", f); break;
	case 1: fprintf(f, "{matchLabels: {%s: %s}}", key1, apps[rnd(s) % 3]); break;
	case 2: fprintf(f, "{matchExpressions: [{key: %s, operator: In, values: [%s, %s]}]}", key1,
			apps[rnd(s) % 3], apps[rnd(s) % 3]); break;
	case 3: fprintf(f, "{matchExpressions: [{key: %s, operator: NotIn, values: [%s]}]}", key1,
			apps[rnd(s) % 3]); break;
	default: fprintf(f, "{matchExpressions: [{key: %s, operator: %s}]}", key2,
			 rnd(s) % 2 ? "Exists" : "DoesNotExist"); break;
	}
}

static void gen_rule(FILE *f, unsigned *s)
{
	unsigned np = rnd(s) % 3, nports = rnd(s) % 3;

	fputs("  - ", f);
	if (!np && !nports) {
		fputs("{}\n", f);
		return;
	}
	if (np) {
		fputs("peers:\n", f);
		for (unsigned i = 0; i < np; i++) {
			fputs("    - ", f);
			switch (rnd(s) % 4) {
			case 0: fputs("podSelector: ", f); gen_selector(f, s, "app", "tier"); break;
			case 1: fputs("namespaceSelector: ", f); gen_selector(f, s, "team", "env"); break;
			case 2:
				fputs("namespaceSelector: ", f); gen_selector(f, s, "team", "env");
				fputs("\n      podSelector: ", f); gen_selector(f, s, "app", "tier"); break;
			default:
			{
				unsigned b = rnd(s) % 3;

				fprintf(f, "ipBlock: {cidr: 10.%u.0.0/16, except: [10.%u.%u.0/24]}", b, b,
					rnd(s) % 3);
			}
			}
			fputc('\n', f);
		}
	}
	if (nports) {
		fprintf(f, "%sports:\n", np ? "    " : "");
		for (unsigned i = 0; i < nports; i++) {
			unsigned k = rnd(s) % 5;

			if (k == 0)
				fprintf(f, "    - {port: %s}\n", pnames[rnd(s) % 2]);
			else if (k == 1)
				fprintf(f, "    - {port: %u, endPort: %u}\n", 80 + rnd(s) % 3, 82 + rnd(s) % 3);
			else if (k == 2)
				fputs("    - {protocol: UDP, port: 53}\n", f);
			else if (k == 3)
				fputs("    - {protocol: TCP}\n", f);
			else
				fprintf(f, "    - {port: %u}\n", 80 + rnd(s) % 4);
		}
	}
}

static char *gen_policies(unsigned *s, unsigned n)
{
	static const char *const nss[] = { "n0", "n1", "n2" };
	size_t len = 0;
	char *buf = NULL;
	FILE *f = open_memstream(&buf, &len);

	for (unsigned p = 0; p < n; p++) {
		unsigned types = rnd(s) % 4;

		fprintf(f, "---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
			   "metadata: {name: p%u, namespace: %s}\nspec:\n  podSelector: ", p, nss[rnd(s) % 3]);
		gen_selector(f, s, "app", "tier");
		fputc('\n', f);
		if (types == 1)
			fputs("  policyTypes: [Ingress]\n", f);
		else if (types == 2)
			fputs("  policyTypes: [Egress]\n", f);
		else if (types == 3)
			fputs("  policyTypes: [Ingress, Egress]\n", f);
		for (int d = 0; d < 2; d++) {
			unsigned nr = rnd(s) % 3;

			if (!nr)
				continue;
			fprintf(f, "  %s:\n", d ? "egress" : "ingress");
			for (unsigned r = 0; r < nr; r++) {
				char *rb = NULL;
				size_t rl = 0;
				FILE *rf = open_memstream(&rb, &rl);

				gen_rule(rf, s);
				fclose(rf);
				/* "peers:" stands for from/to */
				for (char *q = rb; *q; q++) {
					if (!strncmp(q, "peers:", 6)) {
						fputs(d ? "to:" : "from:", f);
						q += 5;
						continue;
					}
					fputc(*q, f);
				}
				free(rb);
			}
		}
	}
	fclose(f);
	return buf;
}

static char *gen_inventory(unsigned *s, unsigned n)
{
	size_t len = 0;
	char *buf = NULL;
	FILE *f = open_memstream(&buf, &len);

	fputs("namespaces:\n", f);
	for (unsigned i = 0; i < 3; i++)
		fprintf(f, "  - {name: n%u, labels: {team: %s%s}}\n", i, apps[rnd(s) % 3],
			rnd(s) % 2 ? ", env: prod" : "");
	fputs("workloads:\n", f);
	for (unsigned i = 0; i < n; i++) {
		fprintf(f, "  - name: w%u\n    namespace: n%u\n    labels: {app: %s%s}\n", i, rnd(s) % 3,
			apps[rnd(s) % 3], rnd(s) % 2 ? ", tier: x" : "");
		fprintf(f, "    ips: [10.%u.%u.%u, \"fd00::%u\"]\n", rnd(s) % 3, rnd(s) % 3, i + 1, i + 1);
		fprintf(f, "    ports:\n      - {name: http, port: %u}\n      - {name: alt, port: %u}\n",
			80 + rnd(s) % 4, 80 + rnd(s) % 4);
	}
	fclose(f);
	return buf;
}

/* Workload i (its address of family fam), or an outside address past the workloads. */
static void gen_endpoint(const struct bh_inventory *inv, size_t i, int fam,
			 const char *const *outside, struct bh_endpoint *ep)
{
	memset(ep, 0, sizeof(*ep));
	if (i < inv->n_wl) {
		ep->wl = &inv->wl[i];
		ep->addr = inv->wl[i].ips[fam];
		return;
	}
	assert_int_equal(bh_addr_parse(outside[i - inv->n_wl], &ep->addr), 0);
	ep->wl = bh_inventory_find_ip(inv, &ep->addr);
}

static void test_generated_crosscheck(void **state)
{
	static const char *const ports[] = { "53/udp", "80/tcp", "81/tcp", "82/tcp", "83/tcp", "84/tcp", "53/tcp" };
	static const char *const outside[] = { "10.0.0.250", "10.1.0.250", "192.0.2.1" };
	unsigned checked = 0, allowed = 0;

	(void)state;
	for (unsigned seed = 1; seed <= 150; seed++) {
		unsigned s = seed;
		char *inv = gen_inventory(&s, 8), *pol = gen_policies(&s, 1 + rnd(&s) % 6);
		struct loaded l;

		load(inv, pol, &l);
		check_all_disjoint(l.c);
		for (size_t i = 0; i < l.inv->n_wl + 3; i++)
			for (size_t j = 0; j < l.inv->n_wl + 3; j++)
				for (int fam = 0; fam < 2; fam++)
					for (size_t p = 0; p < sizeof(ports) / sizeof(ports[0]); p++) {
						struct bh_endpoint from, to;
						struct bh_explain e;
						uint8_t proto;
						uint16_t port;
						bool ref;

						if (i == j || (i >= l.inv->n_wl && j >= l.inv->n_wl))
							continue;
						if (fam && (i >= l.inv->n_wl || j >= l.inv->n_wl))
							continue;
						gen_endpoint(l.inv, i, fam, outside, &from);
						gen_endpoint(l.inv, j, fam, outside, &to);
						bh_port_spec_parse(ports[p], &proto, &port);
						bh_explain_conn(l.c, &from, &to, proto, port, &e);
						ref = bh_eval_conn(l.pols, l.inv, &from, &to, proto, port);
						checked++;
						allowed += ref;
						if (ref != e.allowed) {
							fprintf(stderr, "seed %u\n%s\n%s\n", seed, inv, pol);
							bh_explain_print(stderr, l.c, &from, &to, proto, port, &e);
							fail_msg("compiled and reference disagree (reference: %s)",
								 ref ? "allow" : "deny");
						}
					}
		unload(&l);
		free(inv);
		free(pol);
	}
	/* the generator must produce both answers in quantity */
	assert_true(allowed > checked / 10 && allowed < checked - checked / 10);
	print_message("checked %u connections, %u allowed\n", checked, allowed);
}

/* ---- decomposition against brute force, and the element limit ------------------ */

/*
 * Random entries over a small space (addresses 0..47, ports 0..23, two
 * kinds): every point must be in exactly the element of its protocol
 * kind whose rule is the lowest covering rule, and points nothing covers
 * in none.
 */
static void test_segment_bruteforce(void **state)
{
	(void)state;
	for (unsigned seed = 1; seed <= 300; seed++) {
		struct bh__seg_limit lim = { .max_elems = SIZE_MAX, .max_work = SIZE_MAX };
		struct bh__ents in = { 0 };
		struct bh_elems any, l4;
		/* up to 80 entries: both the scan (few active) and the heap (many) */
		unsigned s = seed, n = 1 + rnd(&s) % (seed % 2 ? 12 : 80);

		for (unsigned i = 0; i < n; i++) {
			unsigned a = rnd(&s) % 48, b = rnd(&s) % 48, p = rnd(&s) % 24, q = rnd(&s) % 24;
			struct bh__ent e = { .lo = a < b ? a : b, .hi = a < b ? b : a, .rule = rnd(&s) % 6,
					     .plo = (uint16_t)(p < q ? p : q), .phi = (uint16_t)(p < q ? q : p),
					     .proto = rnd(&s) % 3 ? IPPROTO_TCP : 0, .fam = BH_FAM_V4 };

			assert_int_equal(bh__ents_push(&in, &e), 0);
		}
		/* the reference reads the entries before bh__segment reorders them */
		uint32_t want[2][48][24];

		for (int k = 0; k < 2; k++)
			for (unsigned a = 0; a < 48; a++)
				for (unsigned p = 0; p < 24; p++) {
					want[k][a][p] = BH_RULE_NONE;
					for (size_t i = 0; i < in.n; i++) {
						const struct bh__ent *e = &in.v[i];
						bool covers = (e->proto != 0) == (k == 1) && e->lo <= a && a <= e->hi &&
							      (!e->proto || (e->plo <= p && p <= e->phi));

						if (covers && e->rule < want[k][a][p])
							want[k][a][p] = e->rule;
					}
				}
		assert_int_equal(bh__segment(&in, BH_FAM_V4, &lim, &any, &l4), 0);
		check_disjoint(&any, BH_FAM_V4);
		check_disjoint(&l4, BH_FAM_V4);
		for (int k = 0; k < 2; k++) {
			const struct bh_elems *es = k ? &l4 : &any;

			for (unsigned a = 0; a < 48; a++)
				for (unsigned p = 0; p < 24; p++) {
					uint32_t got = BH_RULE_NONE;
					uint8_t addr[16] = { 0, 0, 0, (uint8_t)a };

					for (size_t i = 0; i < es->n; i++)
						if (memcmp(es->v[i].lo, addr, 4) <= 0 && memcmp(addr, es->v[i].hi, 4) <= 0 &&
						    es->v[i].port_lo <= p && p <= es->v[i].port_hi)
							got = es->v[i].rule;
					if (got != want[k][a][p])
						fail_msg("seed %u: %s %u port %u: rule %u, want %u", seed,
							 k ? "l4" : "any", a, p, got, want[k][a][p]);
				}
		}
		free(in.v);
		free(any.v);
		free(l4.v);
	}
}

/* n rules of 10.1.0.0/16 minus one /32 each, on `ports` ports each (distinct or shared). */
static char *amp_policy(unsigned n, unsigned ports, bool distinct)
{
	size_t len = 0;
	char *buf = NULL;
	FILE *f = open_memstream(&buf, &len);

	fputs(NP("x", "amp") "spec:\n  podSelector: {matchLabels: {pod: a}}\n  ingress:\n", f);
	for (unsigned i = 0; i < n; i++) {
		fprintf(f, "  - from: [{ipBlock: {cidr: 10.1.0.0/16, except: [10.1.%u.%u/32]}}]\n    ports:",
			i / 256, i % 256);
		for (unsigned k = 0; k < ports; k++)
			fprintf(f, " %s{port: %u}", k ? "," : "[", 1000 + 2 * (distinct ? i * ports + k : k));
		fputs("]\n", f);
	}
	fclose(f);
	return buf;
}

/* Compiles `pol` over base_inventory within an element limit: the return code, and the one message. */
static int compile_at(const char *pol, uint32_t max_elems, char *msg, size_t len, size_t *elems)
{
	struct bh_limits lim = BH_LIMITS_DEFAULT;
	struct bh_compiled *c = NULL;
	struct loaded l;
	struct bh_diag d;
	int r;

	load(base_inventory, pol, &l);
	lim.elements_per_set = max_elems;
	bh_diag_init(&d);
	r = bh_compile_limited(l.pols, l.inv, &lim, &d, &c);
	msg[0] = '\0';
	if (d.n)
		snprintf(msg, len, "%s:%u:%u: %s", d.v[0].loc.file, d.v[0].loc.line, d.v[0].loc.col,
			 d.v[0].msg);
	assert_int_equal(d.n, r ? 1 : 0);
	*elems = 0;
	if (!r) {
		const struct bh_workload *w = bh_inventory_find(l.inv, "x", "a");
		const struct bh_view *v = &c->groups[c->wl_group[w - l.inv->wl]].dir[BH_INGRESS].enforce;

		*elems = v->l4[BH_FAM_V4].n;
	} else {
		assert_null(c);
	}
	bh_compiled_free(c);
	bh_diag_deinit(&d);
	unload(&l);
	return r;
}

static void test_element_limit(void **state)
{
	char *pol = amp_policy(30, 1, true), msg[512];
	size_t elems;

	(void)state;
	/* 30 rules -> 30 x 30 elements: the limit is on the count, inclusive */
	assert_int_equal(compile_at(pol, 900, msg, sizeof(msg), &elems), 0);
	assert_int_equal(elems, 900);
	assert_string_equal(msg, "");
	assert_int_equal(compile_at(pol, 899, msg, sizeof(msg), &elems), -E2BIG);
	assert_string_equal(msg, "pol.yaml:1:1: policy x/amp: workload x/a: set in4 would hold more "
				 "than 899 elements, the limit (--limit-elements-per-set)");
	free(pol);

	/* the same ports in every rule merge into few elements, but the sweep's work is bounded */
	pol = amp_policy(10, 10, false);
	assert_int_equal(compile_at(pol, 1000, msg, sizeof(msg), &elems), 0);
	assert_true(elems <= 40);
	assert_int_equal(compile_at(pol, 40, msg, sizeof(msg), &elems), -E2BIG);
	assert_string_equal(msg, "pol.yaml:1:1: policy x/amp: workload x/a: set in4 has more overlapping "
				 "ranges than can be merged in time into 40 elements, the limit "
				 "(--limit-elements-per-set)");
	free(pol);

	/* and so is the number of entries before merging */
	pol = amp_policy(20, 10, false);
	assert_int_equal(compile_at(pol, 40, msg, sizeof(msg), &elems), -E2BIG);
	assert_string_equal(msg, "pol.yaml:1:1: policy x/amp: workload x/a: sets in4 and in4_any have "
				 "more address and port ranges than can be merged into 40 elements, "
				 "the limit (--limit-elements-per-set)");
	free(pol);
}

int main(void)
{
	struct CMUnitTest tests[sizeof(cases) / sizeof(cases[0]) + 8];
	size_t n = 0;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		tests[n++] = (struct CMUnitTest){ cases[i].name, test_case, NULL, NULL, (void *)&cases[i] };
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_overlapping_rules_decompose);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_groups_share);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_render_mentions_policies);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_log_tag);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_generated_crosscheck);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_segment_bruteforce);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_element_limit);
	return _cmocka_run_group_tests("compile", tests, n, NULL, NULL);
}
