// SPDX-License-Identifier: GPL-2.0-or-later
/* bulkhead compile: print the nftables table of each workload. */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cli.h"
#include "cmd/cmd.h"
#include "policy/compile.h"
#include "policy/model.h"

static void usage(FILE *f)
{
	fputs("Usage: bulkhead compile --inventory FILE --policies DIR|FILE [options]\n\n"
	      "Prints, for every workload of the inventory, the nftables table that\n"
	      "bulkhead installs in its network namespace (the input of `nft -f`).\n\n"
	      "  -i, --inventory FILE   workloads and namespaces (required)\n"
	      "  -p, --policies PATH    policy file or directory of *.yaml/*.yml (required)\n"
	      "  -w, --workload NS/NAME print only this workload (NAME alone: namespace default)\n"
	      "      --log-group N      NFLOG group of the log statements (default 100)\n"
	      "      --log-rate N       log lines per second per workload and direction,\n"
	      "                         0 = unlimited (default 100)\n"
	      "      --log-burst N      burst of the log limit (default 200)\n"
	      "      --generation N     generation written into the log prefixes (default 1)\n"
	      "  -h, --help             this text\n", f);
}

int bh_cmd_compile(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "inventory", required_argument, NULL, 'i' },
		{ "policies", required_argument, NULL, 'p' },
		{ "workload", required_argument, NULL, 'w' },
		{ "log-group", required_argument, NULL, 'G' },
		{ "log-rate", required_argument, NULL, 'R' },
		{ "log-burst", required_argument, NULL, 'B' },
		{ "generation", required_argument, NULL, 'g' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	const char *inv_path = NULL, *pol_path = NULL, *ns = NULL, *name = NULL;
	struct bh_cli_inputs in;
	struct bh_emit_opts eo;
	char *wl_arg = NULL;
	int c, ret = 1;
	size_t shown = 0;

	bh_emit_opts_default(&eo);
	optind = 1;
	while ((c = getopt_long(argc, argv, "i:p:w:h", opts, NULL)) != -1) {
		unsigned long long v;

		switch (c) {
		case 'i': inv_path = optarg; break;
		case 'p': pol_path = optarg; break;
		case 'w': wl_arg = optarg; break;
		case 'h': usage(stdout); return 0;
		case 'G': case 'R': case 'B': case 'g':
			if (bh_cli_number(optarg, c == 'G' ? 65535 : c == 'g' ? UINT64_MAX : UINT32_MAX, &v)) {
				fprintf(stderr, "bulkhead compile: invalid number '%s'\n", optarg);
				return 2;
			}
			if (c == 'G')
				eo.log_group = (uint16_t)v;
			else if (c == 'R')
				eo.log_rate = (uint32_t)v;
			else if (c == 'B')
				eo.log_burst = (uint32_t)v;
			else
				eo.generation = v;
			break;
		default: usage(stderr); return 2;
		}
	}
	if (!inv_path || !pol_path || optind != argc) {
		fprintf(stderr, "bulkhead compile: --inventory and --policies are required\n");
		usage(stderr);
		return 2;
	}
	if (wl_arg && bh_cli_split_workload(wl_arg, &ns, &name)) {
		fprintf(stderr, "bulkhead compile: invalid workload '%s' (expected NS/NAME)\n", wl_arg);
		return 2;
	}
	if (bh_cli_load(inv_path, pol_path, true, &in))
		return 1;
	for (size_t i = 0; i < in.inv->n_wl; i++) {
		const struct bh_workload *w = &in.inv->wl[i];
		char label[512];
		char *text;

		if (ns && (strcmp(ns, w->namespace) || strcmp(name, w->name)))
			continue;
		snprintf(label, sizeof(label), "%s/%s%s%s", w->namespace, w->name,
			 w->netns ? " in " : "", w->netns ? w->netns : "");
		text = bh_render_nft(in.c, in.c->wl_group[i], label, &eo);
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
		fprintf(stderr, "bulkhead compile: no workload %s/%s in %s\n", ns, name, inv_path);
		goto out;
	}
	ret = 0;
out:
	bh_cli_inputs_free(&in);
	return ret;
}
