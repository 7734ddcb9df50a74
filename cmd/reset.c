// SPDX-License-Identifier: GPL-2.0-or-later
/* bulkhead reset --inventory F: remove table inet bulkhead from every listed namespace. */
#include <stdio.h>
#include <string.h>

#include "cmd/cli.h"
#include "cmd/cmd.h"
#include "policy/compile.h"
#include "policy/model.h"
#include "netlink/nft.h"

static const enum bh_opt_id shared[] = { BH_O_INVENTORY, BH_O_HELP };

static const struct bh_cli_spec spec = {
	.cmd = "reset",
	.synopsis = "reset --inventory FILE",
	.about = "Remove table inet " BH_TABLE " from the network namespace of every workload\n"
		 "in the inventory, touching nothing else. A namespace without the table\n"
		 "is fine.",
	.shared = shared,
	.n_shared = sizeof(shared) / sizeof(shared[0]),
	.exit_status = "Exit status: 0 removed everywhere, 1 a namespace could not be reset\n"
		       "(the others still are), 2 usage error, unreadable or invalid inventory.",
};

int bh_cmd_reset(int argc, char **argv)
{
	struct bh_cli_inputs in;
	struct bh_cli a;
	size_t n_bad = 0;
	int rc;

	rc = bh_cli_parse(&spec, argc, argv, &a, NULL, NULL);
	if (rc)
		return rc < 0 ? 0 : rc;
	if (!a.inventory)
		return bh_cli_usage_error(&spec, "--inventory FILE is required");
	if (bh_cli_load(a.inventory, NULL, 0, false, NULL, &in))
		return BH_EXIT_CANNOT;
	for (size_t i = 0; i < in.inv->n_wl; i++) {
		const struct bh_workload *w = &in.inv->wl[i];
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
	bh_cli_inputs_free(&in);
	return n_bad ? BH_EXIT_NO : BH_EXIT_OK;
}
