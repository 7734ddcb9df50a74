// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "cmd/cli.h"
#include "cmd/cmd.h"
#include "agent/control.h"
#include "policy/diag.h"

#define STATUS_TIMEOUT_MS 5000

/*
 * Every string of the answer may carry input text (names, labels, errors
 * quoting YAML keys): escaped for the terminal, cut to the buffer.
 */
static const char *safe(char *buf, size_t len, json_t *v)
{
	const char *s = json_string_value(v);

	if (!s)
		return "-";
	bh_diag_escape(buf, len, s);
	return buf;
}

static void print_ips(json_t *ips, char *buf, size_t len)
{
	size_t i, off = 0;
	json_t *v;

	buf[0] = 0;
	json_array_foreach(ips, i, v) {
		char ip[64];
		int n = snprintf(buf + off, len - off, "%s%s", i ? "," : "",
				 json_string_value(v) ? safe(ip, sizeof(ip), v) : "");

		if (n < 0 || (size_t)n >= len - off)
			break;
		off += n;
	}
	if (!buf[0])
		snprintf(buf, len, "-");
}

static void print_counters(json_t *o, const char *title)
{
	const char *k;
	json_t *v;
	bool first = true;

	if (!json_is_object(o))
		return;
	if (json_is_integer(json_object_get(o, "samples")) &&
	    !json_integer_value(json_object_get(o, "samples"))) {
		printf("%s: no samples yet\n", title);
		return;
	}
	printf("%s:", title);
	json_object_foreach(o, k, v) {
		char key[64];

		bh_diag_escape(key, sizeof(key), k);
		if (json_is_integer(v))
			printf("%s %s=%lld", first ? "" : ",", key, (long long)json_integer_value(v));
		else if (json_is_real(v))
			printf("%s %s=%.1f", first ? "" : ",", key, json_real_value(v));
		first = false;
	}
	printf("\n");
}

static void print_table(json_t *st)
{
	json_t *wls = json_object_get(st, "workloads"), *w;
	size_t i;

	printf("generation %lld, %s, %zu workloads\n",
	       (long long)json_integer_value(json_object_get(st, "generation")),
	       json_is_true(json_object_get(st, "ready")) ? "ready" : "not ready",
	       json_array_size(wls));
	if (json_is_string(json_object_get(st, "last_error"))) {
		fputs("last error: ", stdout);
		bh_diag_fputs(json_string_value(json_object_get(st, "last_error")), stdout);
		fputc('\n', stdout);
	}
	if (json_is_string(json_object_get(st, "table_mode")))
		printf("tables: %s (%s)%s\n", json_string_value(json_object_get(st, "table_mode")),
		       json_string_value(json_object_get(st, "table_mode_reason")) ?: "",
		       json_is_false(json_object_get(st, "enforcing")) ?
		       "; NOT ENFORCING since the operator's reset, until `bulkhead reload`" : "");
	printf("%-16s %-20s %-5s %-9s %-24s %s\n", "NAMESPACE", "NAME", "GEN", "STATE", "IPS",
	       "NETNS");
	json_array_foreach(wls, i, w) {
		char ips[256], gs[24] = "-", ns[128], name[128], state[32], netns[256];
		const char *err = json_string_value(json_object_get(w, "last_error"));
		json_t *gen = json_object_get(w, "generation");

		print_ips(json_object_get(w, "ips"), ips, sizeof(ips));
		if (json_is_integer(gen))
			snprintf(gs, sizeof(gs), "%lld", (long long)json_integer_value(gen));
		printf("%-16s %-20s %-5s %-9s %-24s %s\n",
		       safe(ns, sizeof(ns), json_object_get(w, "namespace")),
		       safe(name, sizeof(name), json_object_get(w, "name")), gs,
		       safe(state, sizeof(state), json_object_get(w, "state")), ips,
		       safe(netns, sizeof(netns), json_object_get(w, "netns")));
		if (err) {
			fputs("    error: ", stdout);
			bh_diag_fputs(err, stdout);
			fputc('\n', stdout);
		}
	}
	print_counters(json_object_get(st, "counters"), "counters");
	print_counters(json_object_get(st, "latency_ms"), "event to enforced (ms)");
	print_counters(json_object_get(st, "docker_start_to_enforced_ms"),
		       "container start to enforced (ms)");
}

static const enum bh_opt_id shared[] = { BH_O_CONTROL, BH_O_JSON, BH_O_HELP };

static const struct bh_cli_spec spec = {
	.cmd = "status",
	.synopsis = "status [--control SOCKET] [--json]",
	.about = "Ask a running agent what it enforces: the generation, every workload\n"
		 "with its state and namespace, the counters and latencies.",
	.shared = shared,
	.n_shared = sizeof(shared) / sizeof(shared[0]),
	.exit_status = "Exit status: 0 answered, 2 usage error or no agent to ask.",
};

int bh_cmd_status(int argc, char **argv)
{
	json_error_t jerr;
	struct bh_cli a;
	char *resp;
	json_t *st;
	int r;

	r = bh_cli_parse(&spec, argc, argv, &a, NULL, NULL);
	if (r)
		return r < 0 ? 0 : r;
	r = bh_control_request(a.control, "{\"cmd\":\"status\"}\n", &resp, STATUS_TIMEOUT_MS);
	if (r < 0) {
		fputs("bulkhead status: ", stderr);
		bh_diag_fputs(a.control, stderr);
		fprintf(stderr, ": %s\n", strerror(-r));
		return BH_EXIT_CANNOT;
	}
	if (a.json) {
		fputs(resp, stdout);
		free(resp);
		return BH_EXIT_OK;
	}
	st = json_loads(resp, JSON_DISABLE_EOF_CHECK, &jerr);
	free(resp);
	if (!json_is_object(st)) {
		fprintf(stderr, "bulkhead status: the agent's answer is not JSON\n");
		json_decref(st);
		return BH_EXIT_CANNOT;
	}
	if (json_is_string(json_object_get(st, "error"))) {
		fputs("bulkhead status: ", stderr);
		bh_diag_fputs(json_string_value(json_object_get(st, "error")), stderr);
		fputc('\n', stderr);
		json_decref(st);
		return BH_EXIT_CANNOT;
	}
	print_table(st);
	json_decref(st);
	return BH_EXIT_OK;
}
