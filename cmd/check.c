// SPDX-License-Identifier: GPL-2.0-or-later
/* bulkhead check FILE|DIR... [--inventory F]: validate policies (and an inventory). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cmd/cli.h"
#include "cmd/cmd.h"
#include "netlink/netns.h"
#include "policy/diag.h"
#include "policy/model.h"

static const enum bh_opt_id shared[] = { BH_O_INVENTORY, BH_O_HELP };

static const struct bh_cli_spec spec = {
	.cmd = "check",
	.synopsis = "check [--inventory FILE] FILE|DIR...",
	.about = "Validate NetworkPolicy files (a directory means every *.yaml and *.yml\n"
		 "in it; - reads standard input) and, with --inventory, an inventory\n"
		 "file. Every problem is printed as file:line:col: error: message.\n"
		 "Two workloads whose netns paths lead to one existing namespace are\n"
		 "an error too.",
	.shared = shared,
	.n_shared = sizeof(shared) / sizeof(shared[0]),
	.operands = true,
	.exit_status = "Exit status: 0 valid, 1 invalid, 2 usage error or unreadable input.",
};

int bh_cmd_check(int argc, char **argv)
{
	struct bh_policy_set *set = NULL;
	struct bh_inventory *inv = NULL;
	struct bh_diag diag;
	struct bh_cli a;
	int rc, perr = 0, ierr = 0;

	rc = bh_cli_parse(&spec, argc, argv, &a, NULL, NULL);
	if (rc)
		return rc < 0 ? 0 : rc;
	if (a.first_operand >= argc && !a.inventory)
		return bh_cli_usage_error(&spec, "no policy file or directory given");

	bh_diag_init(&diag);
	if (a.first_operand < argc)
		perr = bh_policy_set_load((const char *const *)argv + a.first_operand,
					  (size_t)(argc - a.first_operand), &diag, &set);
	if (a.inventory) {
		ierr = bh_inventory_load(a.inventory, &diag, &inv);
		/* what only the running system can tell: two paths to one namespace */
		if (!ierr) {
			int r = bh_netns_check_distinct(inv, &diag);

			ierr = r > 0 ? -EINVAL : r;
		}
	}
	if (perr || ierr || bh_diag_count(&diag)) {
		bh_diag_print(&diag, stderr);
		/* a failure that left no diagnostic (out of memory) still gets a line */
		if (!bh_diag_count(&diag))
			fprintf(stderr, "bulkhead check: %s\n", strerror(-(perr ? perr : ierr)));
		/* invalid is the answer; a file that could not be read leaves none */
		rc = (perr && perr != -EINVAL) || (ierr && ierr != -EINVAL) ? BH_EXIT_CANNOT
									    : BH_EXIT_NO;
	} else {
		if (set)
			printf("ok: %zu polic%s in %zu file%s\n", set->n, set->n == 1 ? "y" : "ies",
			       set->n_files, set->n_files == 1 ? "" : "s");
		if (inv)
			printf("ok: inventory %s: %zu workload%s in %zu namespace%s\n", a.inventory,
			       inv->n_wl, inv->n_wl == 1 ? "" : "s", inv->n_ns, inv->n_ns == 1 ? "" : "s");
	}
	bh_policy_set_free(set);
	bh_inventory_free(inv);
	bh_diag_deinit(&diag);
	return rc;
}
