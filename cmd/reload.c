// SPDX-License-Identifier: GPL-2.0-or-later
/* bulkhead reload: make a running agent re-read everything. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "cmd/cli.h"
#include "cmd/cmd.h"
#include "agent/control.h"

/* A reload recompiles and may program hundreds of namespaces. */
#define RELOAD_TIMEOUT_MS 60000

static const enum bh_opt_id shared[] = { BH_O_CONTROL, BH_O_HELP };

static const struct bh_cli_spec spec = {
	.cmd = "reload",
	.synopsis = "reload [--control SOCKET]",
	.about = "Make a running agent re-read its policies and workloads and reopen\n"
		 "its file sinks (as SIGHUP does).",
	.shared = shared,
	.n_shared = sizeof(shared) / sizeof(shared[0]),
	.exit_status = "Exit status: 0 reloaded, 1 the agent refused the new inputs (the last\n"
		       "valid ones stay in force), 2 usage error or no agent to ask.",
};

int bh_cmd_reload(int argc, char **argv)
{
	json_error_t jerr;
	struct bh_cli a;
	json_t *ans;
	char *resp;
	int r, rc;

	rc = bh_cli_parse(&spec, argc, argv, &a, NULL, NULL);
	if (rc)
		return rc < 0 ? 0 : rc;
	r = bh_control_request(a.control, "{\"cmd\":\"reload\"}\n", &resp, RELOAD_TIMEOUT_MS);
	if (r < 0) {
		fprintf(stderr, "bulkhead reload: %s: %s\n", a.control, strerror(-r));
		return BH_EXIT_CANNOT;
	}
	ans = json_loads(resp, JSON_DISABLE_EOF_CHECK, &jerr);
	if (!json_is_object(ans)) {
		fprintf(stderr, "bulkhead reload: the agent's answer is not JSON\n");
		rc = BH_EXIT_CANNOT;
	} else if (json_is_true(json_object_get(ans, "ok"))) {
		fputs(resp, stdout);
		rc = BH_EXIT_OK;
	} else {
		const char *e = json_string_value(json_object_get(ans, "error"));

		fprintf(stderr, "bulkhead reload: %s\n", e ? e : resp);
		rc = BH_EXIT_NO;
	}
	json_decref(ans);
	free(resp);
	return rc;
}
