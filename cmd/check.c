// SPDX-License-Identifier: GPL-2.0-or-later
/* bulkhead check FILE|DIR... [--inventory F]: validate policies (and an inventory). */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cmd/cmd.h"
#include "policy/diag.h"
#include "policy/model.h"

static void check_usage(FILE *f)
{
	fprintf(f, "Usage: bulkhead check [--inventory FILE] FILE|DIR...\n\n"
		   "Validate NetworkPolicy files (a directory means every *.yaml and *.yml\n"
		   "in it; - reads standard input) and, with --inventory, an inventory\n"
		   "file. Every problem is printed as file:line:col: error: message.\n"
		   "Exit status: 0 valid, 1 problems found, 2 usage error.\n");
}

int bh_cmd_check(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "inventory", required_argument, NULL, 'i' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct bh_policy_set *set = NULL;
	struct bh_inventory *inv = NULL;
	const char *inv_path = NULL;
	struct bh_diag diag;
	int opt, rc = 0, err = 0;

	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "hi:", opts, NULL)) != -1) {
		switch (opt) {
		case 'i':
			inv_path = optarg;
			break;
		case 'h':
			check_usage(stdout);
			return 0;
		default:
			fprintf(stderr, "bulkhead check: invalid option '%s'\n", argv[optind - 1]);
			check_usage(stderr);
			return 2;
		}
	}
	if (optind >= argc && !inv_path) {
		fprintf(stderr, "bulkhead check: no policy file or directory given\n");
		check_usage(stderr);
		return 2;
	}

	bh_diag_init(&diag);
	if (optind < argc)
		err = bh_policy_set_load((const char *const *)argv + optind, (size_t)(argc - optind),
					 &diag, &set);
	if (inv_path) {
		int e = bh_inventory_load(inv_path, &diag, &inv);

		if (!err)
			err = e;
	}
	if (err || bh_diag_count(&diag)) {
		bh_diag_print(&diag, stderr);
		/* a failure that left no diagnostic (out of memory) still gets a line */
		if (!bh_diag_count(&diag))
			fprintf(stderr, "bulkhead check: %s\n", strerror(-err));
		rc = 1;
	} else {
		if (set)
			printf("ok: %zu polic%s in %zu file%s\n", set->n, set->n == 1 ? "y" : "ies",
			       set->n_files, set->n_files == 1 ? "" : "s");
		if (inv)
			printf("ok: inventory %s: %zu workload%s in %zu namespace%s\n", inv_path, inv->n_wl,
			       inv->n_wl == 1 ? "" : "s", inv->n_ns, inv->n_ns == 1 ? "" : "s");
	}
	bh_policy_set_free(set);
	bh_inventory_free(inv);
	bh_diag_deinit(&diag);
	return rc;
}
