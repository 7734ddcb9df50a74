// SPDX-License-Identifier: GPL-2.0-or-later
/* bulkhead reset --inventory F: remove table inet bulkhead from every listed namespace. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cmd/cmd.h"
#include "policy/compile.h"
#include "policy/diag.h"
#include "policy/model.h"
#include "netlink/nft.h"

static void reset_usage(FILE *f)
{
	fprintf(f, "Usage: bulkhead reset --inventory FILE\n\n"
		   "Remove table inet " BH_TABLE " from the network namespace of every workload\n"
		   "in the inventory, touching nothing else. A namespace without the table\n"
		   "is fine. Exit status: 0 removed everywhere, 1 a namespace could not be\n"
		   "reset (the others still are), 2 usage error.\n");
}

int bh_cmd_reset(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "inventory", required_argument, NULL, 'i' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct bh_inventory *inv = NULL;
	const char *inv_path = NULL;
	struct bh_diag diag;
	size_t n_bad = 0;
	int opt;

	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "+hi:", opts, NULL)) != -1) {
		switch (opt) {
		case 'i':
			inv_path = optarg;
			break;
		case 'h':
			reset_usage(stdout);
			return 0;
		default:
			fprintf(stderr, "bulkhead reset: invalid option '%s'\n", argv[optind - 1]);
			reset_usage(stderr);
			return 2;
		}
	}
	if (!inv_path || optind < argc) {
		fprintf(stderr, "bulkhead reset: --inventory FILE is required, and nothing else\n");
		reset_usage(stderr);
		return 2;
	}
	bh_diag_init(&diag);
	if (bh_inventory_load(inv_path, &diag, &inv) < 0) {
		bh_diag_print(&diag, stderr);
		bh_diag_deinit(&diag);
		return 1;
	}
	bh_diag_deinit(&diag);
	for (size_t i = 0; i < inv->n_wl; i++) {
		const struct bh_workload *w = &inv->wl[i];
		char err[512];

		if (!w->netns)
			continue;
		if (bh_nft_delete(w->netns, err, sizeof(err)) < 0) {
			fprintf(stderr, "%s/%s: NOT reset in %s: %s\n", w->namespace, w->name, w->netns,
				err);
			n_bad++;
			continue;
		}
		printf("%s/%s: reset in %s\n", w->namespace, w->name, w->netns);
	}
	bh_inventory_free(inv);
	return n_bad ? 1 : 0;
}
