// SPDX-License-Identifier: GPL-2.0-or-later
/* bulkhead check FILE|DIR... [--inventory F]: validate policies (and an inventory). */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cmd/cli.h"
#include "cmd/cmd.h"
#include "netlink/netns.h"
#include "policy/cnp.h"
#include "policy/compile.h"
#include "policy/diag.h"
#include "policy/lint.h"
#include "policy/model.h"

static const enum bh_opt_id shared[] = { BH_O_INVENTORY, BH_O_LIMITS BH_O_HELP };

static const struct bh_cli_local local[] = {
	{ "strict", 0, no_argument, NULL, "warnings fail the check too" },
};

static const struct bh_cli_spec spec = {
	.cmd = "check",
	.synopsis = "check [--inventory FILE] FILE|DIR...",
	.about = "Validate NetworkPolicy and ClusterNetworkPolicy files (a directory\n"
		 "means every *.yaml and *.yml in it; - reads standard input) and, with\n"
		 "--inventory, an inventory file, and the policies compiled for its\n"
		 "workloads. Every problem is printed as file:line:col: error: message.\n"
		 "Two workloads whose netns paths lead to one existing namespace are an\n"
		 "error too. Rules that can never apply, and what the tiers cannot\n"
		 "enforce here, are printed as file:line:col: warning: message and\n"
		 "counted. With cluster-wide policies, the tiers are listed in\n"
		 "evaluation order.",
	.shared = shared,
	.n_shared = sizeof(shared) / sizeof(shared[0]),
	.local = local,
	.n_local = sizeof(local) / sizeof(local[0]),
	.operands = true,
	.exit_status = "Exit status: 0 valid, 1 invalid (or warnings with --strict), 2 usage\n"
		       "error or unreadable input.",
};

static int on_local(void *ctx, size_t idx, const char *arg)
{
	*(bool *)ctx = true;	/* --strict */
	return 0;
}

/* What check finds once the inputs are valid: 0, -E2BIG (a limit, recorded) or -ENOMEM. */
static int check_more(const struct bh_policy_set *set, const struct bh_inventory *inv,
		      const struct bh_limits *lim, struct bh_diag *diag)
{
	struct bh_compiled *c = NULL;
	int err;

	if (!set)
		return 0;
	/* with workloads, the policies must also compile within the element limit */
	if (inv) {
		err = bh_compile_limited(set, inv, lim, diag, &c);
		bh_compiled_free(c);
		if (err)
			return err;
	}
	return bh_policy_set_lint(set, inv, diag);
}

/* The tiers in evaluation order: cluster-wide policies by priority, NetworkPolicy between. */
static void print_tiers(const struct bh_policy_set *set)
{
	size_t i = 0, n_ns = 0;

	for (size_t k = 0; k < set->n; k++)
		n_ns += !k || strcmp(set->v[k].namespace, set->v[k - 1].namespace);
	printf("tiers, in evaluation order:\n");
	for (unsigned int tier = BH_TIER_ADMIN; tier != BH_TIER_MAX;
	     tier = tier == BH_TIER_ADMIN ? BH_TIER_NP : tier == BH_TIER_NP ? BH_TIER_BASELINE : BH_TIER_MAX) {
		if (tier == BH_TIER_NP) {
			printf("  NetworkPolicy: %zu polic%s in %zu namespace%s\n", set->n,
			       set->n == 1 ? "y" : "ies", n_ns, n_ns == 1 ? "" : "s");
			continue;
		}
		for (; i < set->n_cnp && set->cnp[i].tier == tier; i++) {
			const struct bh_cnp *p = &set->cnp[i];

			if (!i || set->cnp[i - 1].tier != tier || set->cnp[i - 1].priority != p->priority)
				printf("  %s priority %d:", bh_tier_name(tier), (int)p->priority);
			printf(" %s%s%s%s", p->name, p->api != BH_CNP_V1ALPHA2 ? " (" : "",
			       p->api != BH_CNP_V1ALPHA2 ? bh_cnp_kind_name(p) : "",
			       p->api != BH_CNP_V1ALPHA2 ? ")" : "");
			if (p->mode == BH_MODE_AUDIT)
				printf(" (audit)");
			if (i + 1 < set->n_cnp && set->cnp[i + 1].tier == tier &&
			    set->cnp[i + 1].priority == p->priority)
				putchar(',');
			else
				putchar('\n');
		}
	}
}

int bh_cmd_check(int argc, char **argv)
{
	struct bh_policy_set *set = NULL;
	struct bh_inventory *inv = NULL;
	struct bh_diag diag;
	struct bh_cli a;
	bool strict = false;
	size_t warnings;
	int rc, perr = 0, ierr = 0, err = 0;

	rc = bh_cli_parse(&spec, argc, argv, &a, on_local, &strict);
	if (rc)
		return rc < 0 ? 0 : rc;
	if (a.first_operand >= argc && !a.inventory)
		return bh_cli_usage_error(&spec, "no policy file or directory given");

	bh_diag_init(&diag);
	if (a.first_operand < argc)
		perr = bh_policy_set_load_limited((const char *const *)argv + a.first_operand,
						  (size_t)(argc - a.first_operand), &a.limits, &diag,
						  &set);
	if (a.inventory) {
		ierr = bh_inventory_load(a.inventory, &diag, &inv);
		/* what only the running system can tell: two paths to one namespace */
		if (!ierr) {
			int r = bh_netns_check_distinct(inv, &diag);

			ierr = r > 0 ? -EINVAL : r;
		}
	}
	if (!perr && !ierr && !bh_diag_count(&diag))
		err = check_more(set, inv, &a.limits, &diag);
	warnings = bh_diag_warnings(&diag);
	bh_diag_print(&diag, stderr);
	if (perr || ierr || err || bh_diag_count(&diag)) {
		/* a failure that left no diagnostic (out of memory) still gets a line */
		if (!bh_diag_count(&diag))
			fprintf(stderr, "bulkhead check: %s\n",
				strerror(-(perr ? perr : ierr ? ierr : err)));
		/* invalid is the answer; a file that could not be read leaves none */
		rc = (perr && perr != -EINVAL) || (ierr && ierr != -EINVAL) ||
		     (err && err != -E2BIG) ? BH_EXIT_CANNOT : BH_EXIT_NO;
	} else if (strict && warnings) {
		rc = BH_EXIT_NO;
	} else {
		size_t n = set ? set->n + set->n_cnp : 0;

		if (set)
			printf("ok: %zu polic%s in %zu file%s", n, n == 1 ? "y" : "ies",
			       set->n_files, set->n_files == 1 ? "" : "s");
		if (set && warnings)
			printf(", %zu warning%s", warnings, warnings == 1 ? "" : "s");
		if (set)
			putchar('\n');
		if (set && set->n_cnp)
			print_tiers(set);
		if (inv)
			printf("ok: inventory %s: %zu workload%s in %zu namespace%s\n", a.inventory,
			       inv->n_wl, inv->n_wl == 1 ? "" : "s", inv->n_ns, inv->n_ns == 1 ? "" : "s");
	}
	bh_policy_set_free(set);
	bh_inventory_free(inv);
	bh_diag_deinit(&diag);
	return rc;
}
