// SPDX-License-Identifier: GPL-2.0-or-later
#include <netinet/in.h>
#include <stdbool.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "policy/compile.h"
#include "policy/diff.h"
#include "policy/explain.h"
#include "policy/model.h"

/*
 * bh_diff_compute against the compiled decisions of both sides: for
 * random inventories and random pairs of policy sets (NetworkPolicies in
 * enforce and audit mode, and cluster-wide tiers), every ordered pair of
 * workloads and outside addresses and sampled ports of each protocol are
 * decided with bh_explain_conn on the old and on the new side; the diff
 * must hold an opened or closed entry for exactly the connections whose
 * answer changed, with the deciding rules of the right side.
 */

struct loaded {
	struct bh_policy_set *pols;
	struct bh_compiled *c;
};

/* Policies compiled against inv (both sides share one inventory, as `diff` has it). */
static void load(const struct bh_inventory *inv, const char *pol_yaml, struct loaded *l)
{
	struct bh_diag d;

	bh_diag_init(&d);
	if (bh_policy_set_load_buf("pol.yaml", pol_yaml, strlen(pol_yaml), &d, &l->pols)) {
		bh_diag_print(&d, stderr);
		fprintf(stderr, "%s\n", pol_yaml);
		fail_msg("policies did not load");
	}
	bh_diag_deinit(&d);
	assert_int_equal(bh_compile(l->pols, inv, &l->c), 0);
}

static void unload(struct loaded *l)
{
	bh_compiled_free(l->c);
	bh_policy_set_free(l->pols);
}

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

static void gen_rule(FILE *f, unsigned *s, const char *peers)
{
	unsigned np = rnd(s) % 3, nports = rnd(s) % 3;

	fputs("  - ", f);
	if (!np && !nports) {
		fputs("{}\n", f);
		return;
	}
	if (np) {
		fprintf(f, "%s:\n", peers);
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
			unsigned k = rnd(s) % 6;

			if (k == 0)
				fprintf(f, "    - {port: %s}\n", pnames[rnd(s) % 2]);
			else if (k == 1)
				fprintf(f, "    - {port: %u, endPort: %u}\n", 80 + rnd(s) % 3, 82 + rnd(s) % 3);
			else if (k == 2)
				fputs("    - {protocol: UDP, port: 53}\n", f);
			else if (k == 3)
				fputs("    - {protocol: TCP}\n", f);
			else if (k == 4)
				fprintf(f, "    - {protocol: SCTP, port: %u}\n", 80 + rnd(s) % 4);
			else
				fprintf(f, "    - {port: %u}\n", 80 + rnd(s) % 4);
		}
	}
}

/* A cluster-wide policy of either tier with one rule each way, or none. */
static void gen_cnp(FILE *f, unsigned *s, unsigned p)
{
	static const char *const acts[] = { "Accept", "Deny", "Pass" };
	bool admin = rnd(s) % 2;

	fprintf(f, "---\napiVersion: policy.networking.k8s.io/v1alpha2\nkind: ClusterNetworkPolicy\n"
		   "metadata: {name: c%u}\nspec:\n  tier: %s\n  priority: %u\n  subject:\n    namespaces: ",
		p, admin ? "Admin" : "Baseline", rnd(s) % 3);
	gen_selector(f, s, "team", "env");
	fputc('\n', f);
	for (int d = 0; d < 2; d++) {
		if (rnd(s) % 3 == 0)
			continue;
		fprintf(f, "  %s:\n    - action: %s\n      %s:\n", d ? "egress" : "ingress",
			acts[rnd(s) % (admin ? 3 : 2)], d ? "to" : "from");
		if (d && rnd(s) % 2)
			fprintf(f, "        - networks: [10.%u.0.0/16]\n", rnd(s) % 3);
		else {
			fputs("        - namespaces: ", f);
			gen_selector(f, s, "team", "env");
			fputc('\n', f);
		}
		if (rnd(s) % 2) {
			unsigned lo = 80 + rnd(s) % 3;

			fprintf(f, "      protocols:\n        - tcp: {destinationPort: {range: {start: %u, end: %u}}}\n",
				lo, lo + 1 + rnd(s) % 3);
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

		if (rnd(s) % 5 == 0) {
			gen_cnp(f, s, p);
			continue;
		}
		fprintf(f, "---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
			   "metadata: {name: p%u, namespace: %s%s}\nspec:\n  podSelector: ", p, nss[rnd(s) % 3],
			rnd(s) % 6 ? "" : ", annotations: {bulkhead.io/mode: audit}");
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
			for (unsigned r = 0; r < nr; r++)
				gen_rule(f, s, d ? "to" : "from");
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

/* The one opened or closed entry holding (from, to, proto, port, outside address a), or NULL. */
static const struct bh_diff_entry *find(const struct bh_diff *d, size_t from, size_t to,
					uint8_t proto, uint16_t port, const struct bh_addr *a)
{
	const struct bh_diff_entry *hit = NULL;

	for (size_t i = 0; i < d->n; i++) {
		const struct bh_diff_entry *e = &d->v[i];

		if (e->kind > BH_DIFF_CLOSED || e->from != from || e->to != to || e->proto != proto ||
		    port < e->port_lo || port > e->port_hi)
			continue;
		if (a && (a->family != AF_INET || e->fam != BH_FAM_V4 || memcmp(a->a, e->lo, 4) < 0 ||
			  memcmp(a->a, e->hi, 4) > 0))
			continue;
		assert_null(hit);	/* entries never overlap */
		hit = e;
	}
	return hit;
}

/* The entry's `by` is what explain says decided that end on its side. */
static void check_by(const struct bh_diff_by *by, const struct bh_explain_dir *d)
{
	if (!d->applies) {
		assert_int_equal(by->what, BH_BY_NOT_ENFORCED);
		return;
	}
	assert_true(d->allowed);
	if (d->dec.tier == BH_TIER_MAX) {
		assert_int_equal(by->what, BH_BY_NOT_ISOLATED);
		return;
	}
	assert_int_equal(by->what, BH_BY_RULE);
	assert_int_equal(by->rule, d->dec.rule);
}

static const char *const outside[] = { "10.0.0.250", "10.1.7.9", "10.2.1.200", "192.0.2.1" };

/* One endpoint: workload i (its IPv4 address), or outside[i - n_wl]. */
static size_t endpoint(const struct bh_inventory *inv, size_t i, struct bh_endpoint *ep)
{
	memset(ep, 0, sizeof(*ep));
	if (i < inv->n_wl) {
		ep->wl = &inv->wl[i];
		ep->addr = inv->wl[i].ips[0];
		return i;
	}
	assert_int_equal(bh_addr_parse(outside[i - inv->n_wl], &ep->addr), 0);
	assert_null(bh_inventory_find_ip(inv, &ep->addr));
	return BH_DIFF_OUTSIDE;
}

static void test_diff_crosscheck(void **state)
{
	static const uint16_t ports[] = { 1, 52, 53, 54, 79, 80, 81, 82, 83, 84, 85, 443, 65535 };
	static const uint8_t protos[] = { IPPROTO_TCP, IPPROTO_UDP, IPPROTO_SCTP };
	unsigned checked = 0, changed = 0, identical = 0;
	const size_t n_out = sizeof(outside) / sizeof(outside[0]);

	(void)state;
	for (unsigned seed = 1; seed <= 120; seed++) {
		unsigned s = seed;
		char *inv = gen_inventory(&s, 7), *po = gen_policies(&s, 1 + rnd(&s) % 6);
		char *pn = seed % 10 == 0 ? strdup(po) : gen_policies(&s, rnd(&s) % 6);
		struct bh_inventory *in;
		struct loaded lo, ln;
		struct bh_diff d;
		struct bh_diag dg;

		bh_diag_init(&dg);
		assert_int_equal(bh_inventory_load_buf("inv.yaml", inv, strlen(inv), &dg, &in), 0);
		bh_diag_deinit(&dg);
		load(in, po, &lo);
		load(in, pn, &ln);
		assert_int_equal(bh_diff_compute(lo.c, ln.c, &d), 0);
		if (seed % 10 == 0) {
			/* the same policies on both sides: no entry at all */
			assert_int_equal(d.n, 0);
			identical++;
		}
		for (size_t i = 0; i < in->n_wl + n_out; i++)
			for (size_t j = 0; j < in->n_wl + n_out; j++) {
				struct bh_endpoint from, to;
				size_t fi, ti;

				if (i == j || (i >= in->n_wl && j >= in->n_wl))
					continue;
				fi = endpoint(in, i, &from);
				ti = endpoint(in, j, &to);
				for (size_t p = 0; p < sizeof(protos); p++)
					for (size_t k = 0; k <= sizeof(ports) / sizeof(ports[0]); k++) {
						uint16_t port = k < sizeof(ports) / sizeof(ports[0]) ? ports[k]
							: (uint16_t)(1 + rnd(&s) % 65535);
						const struct bh_addr *oa = fi == BH_DIFF_OUTSIDE ? &from.addr
							: ti == BH_DIFF_OUTSIDE ? &to.addr : NULL;
						const struct bh_diff_entry *e;
						struct bh_explain eo, en;

						bh_explain_conn(lo.c, &from, &to, protos[p], port, &eo);
						bh_explain_conn(ln.c, &from, &to, protos[p], port, &en);
						e = find(&d, fi, ti, protos[p], port, oa);
						checked++;
						if (eo.allowed == en.allowed) {
							if (e)
								fail_msg("seed %u: %zu -> %zu %u/%u unchanged but listed",
									 seed, i, j, port, protos[p]);
							continue;
						}
						changed++;
						if (!e)
							fail_msg("seed %u: %zu -> %zu %u/%u changed but not listed\n%s\n---\n%s",
								 seed, i, j, port, protos[p], po, pn);
						assert_int_equal(e->kind, en.allowed ? BH_DIFF_OPENED : BH_DIFF_CLOSED);
						assert_int_equal(e->new_side, en.allowed);
						check_by(&e->egress_by, en.allowed ? &en.egress : &eo.egress);
						check_by(&e->ingress_by, en.allowed ? &en.ingress : &eo.ingress);
					}
			}
		bh_diff_free(&d);
		unload(&lo);
		unload(&ln);
		bh_inventory_free(in);
		free(inv);
		free(po);
		free(pn);
	}
	/* the generator must produce changes and unchanged connections in quantity */
	assert_true(changed > checked / 20 && changed < checked - checked / 20);
	assert_int_equal(identical, 12);
	print_message("checked %u connections, %u changed\n", checked, changed);
}

/* Ranges become the smallest list of prefixes. */
static void collect(void *ctx, const struct bh_prefix *p)
{
	char *out = ctx, t[64];

	bh_prefix_format(p, t, sizeof(t));
	if (*out)
		strcat(out, ",");
	strcat(out, t);
}

static void test_cidrs(void **state)
{
	static const struct { const char *lo, *hi, *want; } cases[] = {
		{ "0.0.0.0", "255.255.255.255", "0.0.0.0/0" },
		{ "192.0.2.128", "192.0.2.255", "192.0.2.128/25" },
		{ "10.0.0.1", "10.0.0.6", "10.0.0.1/32,10.0.0.2/31,10.0.0.4/31,10.0.0.6/32" },
		{ "::", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "::/0" },
		{ "fd00::", "fd00::ff", "fd00::/120" },
		{ "10.1.0.3", "255.255.255.255",
		  "10.1.0.3/32,10.1.0.4/30,10.1.0.8/29,10.1.0.16/28,10.1.0.32/27,10.1.0.64/26,"
		  "10.1.0.128/25,10.1.1.0/24,10.1.2.0/23,10.1.4.0/22,10.1.8.0/21,10.1.16.0/20,"
		  "10.1.32.0/19,10.1.64.0/18,10.1.128.0/17,10.2.0.0/15,10.4.0.0/14,10.8.0.0/13,"
		  "10.16.0.0/12,10.32.0.0/11,10.64.0.0/10,10.128.0.0/9,11.0.0.0/8,12.0.0.0/6,"
		  "16.0.0.0/4,32.0.0.0/3,64.0.0.0/2,128.0.0.0/1" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct bh_addr lo, hi;
		char out[1024] = "";

		assert_int_equal(bh_addr_parse(cases[i].lo, &lo), 0);
		assert_int_equal(bh_addr_parse(cases[i].hi, &hi), 0);
		bh_diff_cidrs(lo.a, hi.a, lo.family == AF_INET ? BH_FAM_V4 : BH_FAM_V6, collect, out);
		assert_string_equal(out, cases[i].want);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cidrs),
		cmocka_unit_test(test_diff_crosscheck),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
