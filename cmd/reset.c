// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * bulkhead reset: remove table inet bulkhead.
 *   reset --inventory F   from every namespace the inventory lists
 *   reset --all           ask the running agent (control socket) to remove
 *                         every table it programmed and stop enforcing
 * Owned tables can only be removed by the process that owns them: when a
 * namespace refuses, reset names the owner, and when an agent answers on
 * the control socket it asks the agent to let go, then tries again.
 */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "agent/control.h"
#include "cmd/cli.h"
#include "cmd/cmd.h"
#include "policy/compile.h"
#include "policy/model.h"
#include "netlink/nft.h"

/* Removing the tables of thousands of namespaces takes a while. */
#define RESET_TIMEOUT_MS 60000

static const enum bh_opt_id shared[] = { BH_O_INVENTORY, BH_O_CONTROL, BH_O_HELP };

enum { L_ALL };

static const struct bh_cli_local local[] = {
	[L_ALL] = { "all", 'a', no_argument, NULL,
		    "ask the running agent to remove every table it programmed and stop\n"
		    "                               enforcing until `bulkhead reload`" },
};

static const struct bh_cli_spec spec = {
	.cmd = "reset",
	.synopsis = "reset --inventory FILE | --all [--control SOCKET]",
	.about = "Remove table inet " BH_TABLE " from the network namespace of every workload\n"
		 "in the inventory, touching nothing else. A namespace without the table\n"
		 "is fine. A table owned by a running agent can only be removed by that\n"
		 "agent: reset then asks it over the control socket (--control) to remove\n"
		 "all its tables and stop enforcing until `bulkhead reload`; --all does\n"
		 "only that. This is the way out of a policy that locks the operator out,\n"
		 "since `nft flush ruleset` leaves owned tables alone.",
	.shared = shared,
	.n_shared = sizeof(shared) / sizeof(shared[0]),
	.local = local,
	.n_local = sizeof(local) / sizeof(local[0]),
	.exit_status = "Exit status: 0 removed everywhere, 1 a namespace could not be reset\n"
		       "(the others still are) or the agent could not remove every table,\n"
		       "2 usage error, unreadable or invalid inventory, or (--all) no agent.",
};

/* Asks the agent at path to reset. 0 done, 1 the agent failed, or -errno (no agent). */
static int ask_agent(const char *path, bool quiet)
{
	json_error_t jerr;
	json_t *ans;
	char *resp;
	int r;

	r = bh_control_request(path, "{\"cmd\":\"reset\"}\n", &resp, RESET_TIMEOUT_MS);
	if (r < 0) {
		if (!quiet)
			fprintf(stderr, "bulkhead reset: no agent answers on %s: %s\n", path,
				strerror(-r));
		return r;
	}
	ans = json_loads(resp, JSON_DISABLE_EOF_CHECK, &jerr);
	if (json_is_true(json_object_get(ans, "ok"))) {
		printf("agent (pid %lld) removed %lld tables and stopped enforcing until "
		       "`bulkhead reload`\n",
		       (long long)json_integer_value(json_object_get(ans, "pid")),
		       (long long)json_integer_value(json_object_get(ans, "tables_removed")));
		r = 0;
	} else {
		const char *e = json_string_value(json_object_get(ans, "error"));

		fprintf(stderr, "bulkhead reset: the agent on %s: %s\n", path, e ? e : resp);
		r = 1;
	}
	json_decref(ans);
	free(resp);
	return r;
}

static int on_local(void *ctx, size_t idx, const char *arg)
{
	*(bool *)ctx = true;
	return 0;
}

/*
 * Removes the table of every listed namespace marked in todo[]; a namespace
 * whose table a running process owns stays marked when !final (retried),
 * and is reported with its owner when final. Returns the failures reported.
 */
static size_t reset_ns(const struct bh_inventory *inv, bool *todo, bool final, size_t *refused)
{
	size_t n_bad = 0;

	*refused = 0;
	for (size_t i = 0; i < inv->n_wl; i++) {
		const struct bh_workload *w = &inv->wl[i];
		char err[512], who[160];
		int r;

		if (!todo[i])
			continue;
		r = bh_nft_delete(w->netns, err, sizeof(err));
		if (r == -EPERM && bh_nft_owner_describe(w->netns, who, sizeof(who)) == 1) {
			(*refused)++;
			if (!final)
				continue;
			snprintf(err, sizeof(err), "%s", who);
		}
		todo[i] = false;
		if (r < 0) {
			fprintf(stderr, "%s/%s: NOT reset in %s: %s\n", w->namespace, w->name, w->netns,
				err);
			n_bad++;
			continue;
		}
		printf("%s/%s: reset in %s\n", w->namespace, w->name, w->netns);
	}
	return n_bad;
}

int bh_cmd_reset(int argc, char **argv)
{
	struct bh_cli_inputs in;
	size_t n_bad, refused;
	bool all = false, *todo;
	struct bh_cli a;
	int rc;

	rc = bh_cli_parse(&spec, argc, argv, &a, on_local, &all);
	if (rc)
		return rc < 0 ? 0 : rc;
	if (all) {
		if (a.inventory)
			return bh_cli_usage_error(&spec, "--all and --inventory exclude each other");
		rc = ask_agent(a.control, false);
		return rc < 0 ? BH_EXIT_CANNOT : rc ? BH_EXIT_NO : BH_EXIT_OK;
	}
	if (!a.inventory)
		return bh_cli_usage_error(&spec, "--inventory FILE or --all is required");
	if (bh_cli_load(a.inventory, NULL, 0, false, NULL, &in))
		return BH_EXIT_CANNOT;
	todo = calloc(in.inv->n_wl + 1, sizeof(*todo));
	if (!todo) {
		bh_cli_inputs_free(&in);
		fprintf(stderr, "bulkhead reset: out of memory\n");
		return BH_EXIT_CANNOT;
	}
	for (size_t i = 0; i < in.inv->n_wl; i++)
		todo[i] = in.inv->wl[i].netns != NULL;
	n_bad = reset_ns(in.inv, todo, false, &refused);
	if (refused) {
		/* owned by a running agent: ask it to let go, then try those again */
		ask_agent(a.control, true);
		n_bad += reset_ns(in.inv, todo, true, &refused);
		if (refused)
			fprintf(stderr, "bulkhead reset: %zu tables are owned by a running process: "
				"stop it, or ask the agent with `bulkhead reset --all --control SOCKET`\n",
				refused);
	}
	free(todo);
	bh_cli_inputs_free(&in);
	return n_bad ? BH_EXIT_NO : BH_EXIT_OK;
}
