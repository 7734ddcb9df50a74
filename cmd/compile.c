// SPDX-License-Identifier: GPL-2.0-or-later
/* bulkhead compile: print the nftables table of each workload. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cli.h"
#include "cmd/cmd.h"
#include "policy/compile.h"
#include "policy/model.h"

static const enum bh_opt_id shared[] = {
	BH_O_INVENTORY, BH_O_POLICIES, BH_O_LOG_GROUP, BH_O_LOG_RATE, BH_O_LOG_BURST,
	BH_O_GENERATION, BH_O_LIMITS BH_O_HELP,
};

static const struct bh_cli_local local[] = {
	{ "workload", 'w', required_argument, "NS/NAME",
	  "print only this workload (NAME alone: namespace default)" },
};

static const struct bh_cli_spec spec = {
	.cmd = "compile",
	.synopsis = "compile --inventory FILE --policies PATH [options]",
	.about = "Prints, for every workload of the inventory, the nftables table that\n"
		 "bulkhead installs in its network namespace (the input of `nft -f`).\n"
		 "--inventory and --policies are required; --policies may be repeated.",
	.shared = shared,
	.n_shared = sizeof(shared) / sizeof(shared[0]),
	.local = local,
	.n_local = sizeof(local) / sizeof(local[0]),
	.exit_status = "Exit status: 0 printed, 2 usage error, unreadable or invalid input,\n"
		       "or no such workload.",
};

static int on_local(void *ctx, size_t idx, const char *arg)
{
	*(const char **)ctx = arg;	/* --workload */
	return 0;
}

int bh_cmd_compile(int argc, char **argv)
{
	const char *ns = NULL, *name = NULL, *wl_arg = NULL;
	struct bh_cli_inputs in;
	struct bh_cli a;
	char *wl = NULL;
	size_t shown = 0;
	int rc;

	rc = bh_cli_parse(&spec, argc, argv, &a, on_local, &wl_arg);
	if (rc)
		return rc < 0 ? 0 : rc;
	if (!a.inventory || !a.n_policies)
		return bh_cli_usage_error(&spec, "--inventory and --policies are required");
	if (wl_arg && (!(wl = strdup(wl_arg)) || bh_cli_split_workload(wl, &ns, &name))) {
		free(wl);
		return bh_cli_usage_error(&spec, "invalid workload '%s' (expected NS/NAME)", wl_arg);
	}
	rc = BH_EXIT_CANNOT;
	if (bh_cli_load(a.inventory, a.policies, a.n_policies, true, &a.limits, &in))
		goto free_wl;
	for (size_t i = 0; i < in.inv->n_wl; i++) {
		const struct bh_workload *w = &in.inv->wl[i];
		char label[512];
		char *text;

		if (ns && (strcmp(ns, w->namespace) || strcmp(name, w->name)))
			continue;
		snprintf(label, sizeof(label), "%s/%s%s%s", w->namespace, w->name,
			 w->netns ? " in " : "", w->netns ? w->netns : "");
		text = bh_render_nft(in.c, in.c->wl_group[i], label, &a.emit);
		if (!text) {
			fprintf(stderr, "bulkhead compile: out of memory\n");
			goto out;
		}
		if (shown++)
			fputc('\n', stdout);
		fputs(text, stdout);
		free(text);
	}
	if (ns && !shown) {
		fprintf(stderr, "bulkhead compile: no workload %s/%s in %s\n", ns, name, a.inventory);
		goto out;
	}
	rc = BH_EXIT_OK;
out:
	bh_cli_inputs_free(&in);
free_wl:
	free(wl);
	return rc;
}
