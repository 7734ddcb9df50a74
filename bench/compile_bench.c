// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Compile-time and memory benchmark: 100 / 1,000 / 5,000 workloads with
 * 100 / 1,000 policies. Prints each run's time and heap against the
 * smallest run of the same process, next to the growth of the output
 * (set elements), so the ratios say whether cost stays linear in output.
 */
#include <malloc.h>
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

struct result {
	unsigned wl, pol;
	double secs;
	size_t heap, elems, groups;
};

static int run(unsigned n_wl, unsigned n_pol, struct result *r)
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
			for (int fam = 0; fam < BH_FAM_MAX; fam++)
				r->elems += c->groups[g].dir[dd].enforce.any[fam].n +
					    c->groups[g].dir[dd].enforce.l4[fam].n;
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
			if (run(wls[w], pols[p], &r)) {
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
	return 0;
}
