// SPDX-License-Identifier: GPL-2.0-or-later
#include <stdio.h>
#include <string.h>

#include "cmd/cmd.h"

#ifndef BH_VERSION
#define BH_VERSION "0.1.0"
#endif

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *usage;
	const char *summary;
} subcommands[] = {
	{ "check", bh_cmd_check, "FILE|DIR...", "validate policies; exit 1 on any error" },
	{ "compile", bh_cmd_compile, "--inventory F --policies D [--workload NS/NAME]",
	  "print the nftables ruleset of each workload" },
	{ "explain", bh_cmd_explain,
	  "--inventory F --policies D --from A --to B --port 80/tcp | --matrix [--port P]",
	  "can A reach B? (exit 0 allowed, 1 denied)" },
	{ "diff", bh_cmd_diff, "--inventory F --old D --new D [--format text|json|markdown]",
	  "what a change of policies opens and closes (exit 0 same, 1 changed)" },
	{ "apply", bh_cmd_apply, "--inventory F --policies D",
	  "program every listed network namespace once" },
	{ "reset", bh_cmd_reset, "--inventory F", "remove bulkhead's table from every listed namespace" },
	{ "agent", bh_cmd_agent, "[--config F] --policies D [--inventory F] [--docker[=SOCK]] ...",
	  "the long-running node agent" },
	{ "status", bh_cmd_status, "[--control SOCK]", "ask a running agent what it enforces" },
	{ "reload", bh_cmd_reload, "[--control SOCK]", "make a running agent re-read everything" },
	{ "workloads", bh_cmd_workloads, "[--docker[=SOCK]] [--watch] [--max-seconds N] [--max-events N]",
	  "print the workloads the Docker source sees (JSON lines)" },
};

static void usage(FILE *f)
{
	fprintf(f, "Usage: bulkhead COMMAND [ARGS]\n\n"
		   "Network segmentation for container hosts: Kubernetes NetworkPolicy\n"
		   "compiled to nftables in each container's network namespace, and a\n"
		   "JSON log of every denied connection.\n\nCommands:\n");
	for (size_t i = 0; i < sizeof(subcommands) / sizeof(subcommands[0]); i++)
		fprintf(f, "  %-8s %s\n           %s\n", subcommands[i].name, subcommands[i].usage,
			subcommands[i].summary);
	fprintf(f, "\n'bulkhead COMMAND --help' describes one command.\n");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "--version")) {
		printf("bulkhead %s\n", BH_VERSION);
		return 0;
	}
	for (size_t i = 0; i < sizeof(subcommands) / sizeof(subcommands[0]); i++)
		if (!strcmp(argv[1], subcommands[i].name))
			return subcommands[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "bulkhead: unknown command '%s'\n\n", argv[1]);
	usage(stderr);
	return 2;
}
