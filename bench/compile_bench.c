// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Compile-time and memory benchmark: 100 / 1,000 / 5,000 workloads with
 * 100 / 1,000 policies. Prints each run's time and heap against the
 * smallest run of the same process, next to the growth of the output
 * (set elements), so the ratios say whether cost stays linear in output.
 * Then 5,000 workloads x 100 NetworkPolicies with and without 50
 * ClusterNetworkPolicies in both tiers (the ratio is the tiers' cost).
 */
#include <malloc.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "policy/compile.h"
#include "policy/model.h"

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * 20 namespaces, 50 apps (workload i is in namespace i % 20 with app i % 50,
 * so a policy selects 1 % of the workloads); each policy allows one app of
 * its own namespace and one app of the namespaces of a tier, on a numbered
 * and a named port, and egress to 10/8 minus a /16 on two ports.
 */
static char *gen_inventory(unsigned n)
{
	size_t len = 0;
	char *buf = NULL;
	FILE *f = open_memstream(&buf, &len);

	fputs("namespaces:\n", f);
	for (unsigned i = 0; i < 20; i++)
		fprintf(f, "  - {name: ns%u, labels: {tier: t%u}}\n", i, i % 4);
	fputs("workloads:\n", f);
	for (unsigned i = 0; i < n; i++)
		fprintf(f, "  - {name: w%u, namespace: ns%u, labels: {app: app%u, replica: r%u},"
			   " ips: [10.%u.%u.%u], ports: [{name: http, port: %u}]}\n",
			i, i % 20, i % 50, i / 50, 1 + i / 65536, (i / 256) % 256, i % 256, 8000 + i % 7);
	fclose(f);
	return buf;
}

static char *gen_policies(unsigned n)
{
	size_t len = 0;
	char *buf = NULL;
	FILE *f = open_memstream(&buf, &len);

	for (unsigned p = 0; p < n; p++)
		fprintf(f, "---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
			   "metadata: {name: p%u, namespace: ns%u}\nspec:\n"
			   "  podSelector: {matchLabels: {app: app%u}}\n"
			   "  policyTypes: [Ingress, Egress]\n"
			   "  ingress:\n  - from:\n    - podSelector: {matchLabels: {app: app%u}}\n"
			   "    - namespaceSelector: {matchLabels: {tier: t%u}}\n"
			   "      podSelector: {matchLabels: {app: app%u}}\n"
			   "    ports: [{port: %u}, {port: http}]\n"
			   "  egress:\n  - to: [{ipBlock: {cidr: 10.0.0.0/8, except: [10.%u.0.0/16]}}]\n"
			   "    ports: [{port: 5432}, {port: 53, protocol: UDP}]\n",
			p, p % 20, p % 50, (p + 10) % 50, p % 4, (p + 7) % 50, 1000 + p % 100, 1 + p % 2);
	fclose(f);
	return buf;
}

/*
 * 50 cluster-wide policies, 25 per tier, priorities 0..24 with every fifth
 * one shared: each selects the namespaces of one tier label (a quarter of
 * the workloads), denies a metadata-like network, accepts one app of the
 * other tiers on a port range and a named port, passes another app, and
 * denies a third; the Baseline ones close the rest of their tier label.
 */
static char *gen_cnps(unsigned n)
{
	static const char *const actions[] = { "Accept", "Pass", "Deny" };
	size_t len = 0;
	char *buf = NULL;
	FILE *f = open_memstream(&buf, &len);

	for (unsigned p = 0; p < n; p++) {
		bool admin = p < n / 2;

		fprintf(f, "---\napiVersion: policy.networking.k8s.io/v1alpha2\nkind: ClusterNetworkPolicy\n"
			   "metadata: {name: c%u}\nspec:\n  tier: %s\n  priority: %u\n"
			   "  subject: {namespaces: {matchLabels: {tier: t%u}}}\n"
			   "  egress:\n  - {action: Deny, to: [{networks: [169.254.%u.0/24]}]}\n"
			   "  ingress:\n", p, admin ? "Admin" : "Baseline", (p % 25) - (p % 25) % (p % 5 ? 1 : 2),
			p % 4, p % 256);
		for (unsigned r = 0; r < 3; r++)
			fprintf(f, "  - action: %s\n    from: [{pods: {namespaceSelector: {matchLabels: {tier: t%u}}, "
				   "podSelector: {matchLabels: {app: app%u}}}}]\n"
				   "    protocols: [{tcp: {destinationPort: {range: {start: %u, end: %u}}}}, "
				   "{destinationNamedPort: http}]\n", actions[r], (p + 1 + r) % 4, (p * 3 + r) % 50,
				1000 + p, 1010 + p);
		if (!admin)
			fprintf(f, "  - {action: Deny, from: [{namespaces: {matchLabels: {tier: t%u}}}]}\n", p % 4);
	}
	fclose(f);
	return buf;
}

struct result {
	unsigned wl, pol;
	double secs;
	size_t heap, elems, groups;
};

static int run(unsigned n_wl, unsigned n_pol, unsigned n_cnp, struct result *r)
{
	char *inv_y = gen_inventory(n_wl), *pol_y = gen_policies(n_pol);
	struct bh_policy_set *ps = NULL;
	struct bh_inventory *inv = NULL;
	struct bh_compiled *c = NULL;
	struct mallinfo2 before, after;
	struct bh_diag d;
	double t0;
	int ret = -1;

	bh_diag_init(&d);
	if (n_cnp) {
		char *cnp_y = gen_cnps(n_cnp), *both;

		if (asprintf(&both, "%s%s", pol_y, cnp_y) < 0)
			both = NULL;
		free(cnp_y);
		free(pol_y);
		pol_y = both;
		if (!pol_y)
			goto out;
	}
	if (bh_inventory_load_buf("bench-inventory", inv_y, strlen(inv_y), &d, &inv) ||
	    bh_policy_set_load_buf("bench-policies", pol_y, strlen(pol_y), &d, &ps)) {
		bh_diag_print(&d, stderr);
		goto out;
	}
	before = mallinfo2();
	t0 = now();
	if (bh_compile(ps, inv, &c))
		goto out;
	r->secs = now() - t0;
	after = mallinfo2();
	r->heap = after.uordblks > before.uordblks ? after.uordblks - before.uordblks : 0;
	r->wl = n_wl;
	r->pol = n_pol;
	r->groups = c->n_groups;
	r->elems = 0;
	for (size_t g = 0; g < c->n_groups; g++)
		for (int dd = 0; dd < BH_DIR_MAX; dd++)
			for (int fam = 0; fam < BH_FAM_MAX; fam++) {
				const struct bh_view *v = &c->groups[g].dir[dd].enforce;

				r->elems += v->any[fam].n + v->l4[fam].n;
				r->elems += v->admin.any[fam].n + v->admin.l4[fam].n;
				r->elems += v->baseline.any[fam].n + v->baseline.l4[fam].n;
			}
	ret = 0;
out:
	bh_compiled_free(c);
	bh_policy_set_free(ps);
	bh_inventory_free(inv);
	bh_diag_deinit(&d);
	free(inv_y);
	free(pol_y);
	return ret;
}

int main(void)
{
	static const unsigned wls[] = { 100, 1000, 5000 }, pols[] = { 100, 1000 };
	struct result base = { 0 }, r;

	printf("compile: workloads x policies -> groups, set elements, time, heap; ratios vs 100x100\n");
	printf("%6s %6s %7s %9s %10s %10s | %8s %8s %8s\n", "wl", "pol", "groups", "elements",
	       "ms", "heap KiB", "x elems", "x time", "x heap");
	for (size_t p = 0; p < 2; p++)
		for (size_t w = 0; w < 3; w++) {
			if (run(wls[w], pols[p], 0, &r)) {
				fprintf(stderr, "compile bench: run %u x %u failed\n", wls[w], pols[p]);
				return 1;
			}
			if (!base.wl)
				base = r;
			printf("%6u %6u %7zu %9zu %10.1f %10zu | %8.1f %8.1f %8.1f\n", r.wl, r.pol, r.groups,
			       r.elems, r.secs * 1e3, r.heap / 1024, (double)r.elems / base.elems,
			       r.secs / base.secs, (double)r.heap / (base.heap ? base.heap : 1));
		}
	printf("(time and heap should grow roughly like the element count)\n");

	/* the tiers' cost: the same 5,000 x 100 with 50 cluster-wide policies on top */
	{
		struct result np, tiers;

		if (run(5000, 100, 0, &np) || run(5000, 100, 50, &tiers)) {
			fprintf(stderr, "compile bench: tier runs failed\n");
			return 1;
		}
		printf("\ncompile with tiers: 5000 workloads x 100 NetworkPolicies, without / with 50 "
		       "ClusterNetworkPolicies (25 Admin, 25 Baseline)\n");
		printf("%-12s %9s %10s %10s\n", "", "elements", "ms", "heap KiB");
		printf("%-12s %9zu %10.1f %10zu\n", "without", np.elems, np.secs * 1e3, np.heap / 1024);
		printf("%-12s %9zu %10.1f %10zu\n", "with tiers", tiers.elems, tiers.secs * 1e3,
		       tiers.heap / 1024);
		printf("summary: compile 5000 x (100 NetworkPolicies + 50 ClusterNetworkPolicies): %.0f ms, "
		       "%.1f MiB, x%.2f time and x%.2f heap against the NetworkPolicies alone (%zu -> %zu "
		       "elements)\n", tiers.secs * 1e3, tiers.heap / 1048576.0, tiers.secs / np.secs,
		       (double)tiers.heap / (np.heap ? np.heap : 1), np.elems, tiers.elems);
	}
	return 0;
}
