// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <uv.h>

#include "agent/agent.h"
#include "cmd/cli.h"
#include "cmd/cmd.h"
#include "agent/config.h"

int bh_cmd_agent(int argc, char **argv)
{
	struct bh_agent_config cfg;
	struct bh_agent a;
	uv_loop_t loop;
	int r, rc = 1;

	r = bh_agent_config_init(&cfg);
	if (r < 0) {
		fprintf(stderr, "bulkhead agent: %s\n", strerror(-r));
		return BH_EXIT_CANNOT;
	}
	r = bh_agent_config_parse(&cfg, argc, argv, stderr);
	if (r < 0) {
		fprintf(stderr, "(see 'bulkhead agent --help')\n");
		rc = BH_EXIT_CANNOT;
		goto free_cfg;
	}
	if (cfg.help) {
		bh_agent_config_usage(stdout);
		rc = BH_EXIT_OK;
		goto free_cfg;
	}
	if (!cfg.policies && !cfg.inventory && !cfg.docker) {
		fprintf(stderr, "bulkhead agent: nothing to do: give --policies and a workload "
				"source (--inventory and/or --docker)\n");
		rc = BH_EXIT_CANNOT;
		goto free_cfg;
	}
	/* A reader that goes away (a closed stdout pipe) must not kill the agent. */
	signal(SIGPIPE, SIG_IGN);
	r = uv_loop_init(&loop);
	if (r < 0) {
		fprintf(stderr, "bulkhead agent: %s\n", uv_strerror(r));
		goto free_cfg;
	}
	r = bh_agent_init(&a, &loop, &cfg, stderr);
	if (r < 0) {
		/* invalid or unreadable inputs, or a log that cannot be opened: could not run */
		rc = BH_EXIT_CANNOT;
		uv_run(&loop, UV_RUN_DEFAULT);	/* sinks opened before the failure close */
		goto close_loop;
	}
	r = bh_agent_start(&a, stderr);
	if (r < 0)
		bh_agent_stop(&a);
	uv_run(&loop, UV_RUN_DEFAULT);
	rc = r < 0 ? BH_EXIT_NO : a.exit_code;
	bh_agent_deinit(&a);
	uv_run(&loop, UV_RUN_DEFAULT);
close_loop:
	if (uv_loop_close(&loop))
		fprintf(stderr, "bulkhead agent: handles left open at exit\n");
free_cfg:
	bh_agent_config_deinit(&cfg);
	return rc;
}
