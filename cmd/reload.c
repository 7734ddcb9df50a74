// SPDX-License-Identifier: GPL-2.0-or-later
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "cmd/cmd.h"
#include "agent/config.h"
#include "agent/control.h"

/* A reload recompiles and may program hundreds of namespaces. */
#define RELOAD_TIMEOUT_MS 60000

int bh_cmd_reload(int argc, char **argv)
{
	const char *path = BH_CONTROL_DEFAULT;
	json_error_t jerr;
	json_t *ans;
	char *resp;
	int r, rc;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--control") && i + 1 < argc) {
			path = argv[++i];
		} else if (!strncmp(argv[i], "--control=", 10)) {
			path = argv[i] + 10;
		} else {
			fprintf(!strcmp(argv[i], "--help") ? stdout : stderr,
				"Usage: bulkhead reload [--control SOCKET]\n"
				"  re-read policies and workloads and reopen file sinks\n"
				"  --control SOCKET  (default: %s)\n", BH_CONTROL_DEFAULT);
			return strcmp(argv[i], "--help") ? 2 : 0;
		}
	}
	r = bh_control_request(path, "{\"cmd\":\"reload\"}\n", &resp, RELOAD_TIMEOUT_MS);
	if (r < 0) {
		fprintf(stderr, "bulkhead reload: %s: %s\n", path, strerror(-r));
		return 1;
	}
	ans = json_loads(resp, JSON_DISABLE_EOF_CHECK, &jerr);
	rc = json_is_true(json_object_get(ans, "ok")) ? 0 : 1;
	if (rc && json_is_string(json_object_get(ans, "error")))
		fprintf(stderr, "bulkhead reload: %s\n", json_string_value(json_object_get(ans, "error")));
	else
		fputs(resp, stdout);
	json_decref(ans);
	free(resp);
	return rc;
}
