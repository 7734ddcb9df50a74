/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef BH_AGENT_CONFIG_H
#define BH_AGENT_CONFIG_H

/*
 * The agent's settings: defaults, then an optional YAML config file
 * (--config F: a mapping whose keys are the long option names without the
 * dashes, e.g. `policies: /etc/bulkhead/policies`, `log: [-, /var/log/x]`),
 * then the command line, which overrides the file. One table drives the
 * flags, the file keys and --help.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define BH_CONTROL_DEFAULT "/run/bulkhead/control.sock"
#define BH_DOCKER_DEFAULT "/var/run/docker.sock"

struct bh_agent_config {
	char *config_file;
	char *policies;		/* directory (or file) of NetworkPolicy documents */
	char *inventory;	/* inventory file, or NULL */
	char *docker;		/* Docker Engine socket, or NULL when the source is off */
	char **logs;		/* sink specs (log/sink.h), "-" = stdout */
	size_t n_logs;
	char *control;		/* control socket path */
	char *hostname;		/* host.hostname in log lines; NULL: gethostname() */
	uint32_t log_group;	/* NFLOG group */
	uint32_t log_rate;	/* log messages per second per workload and direction */
	uint32_t log_burst;
	uint32_t resync_interval;	/* seconds between full resyncs, 0 = never */
	uint32_t debounce_ms;	/* delay between a file change and the reconcile */
	bool remove_on_exit;	/* delete the tables on SIGTERM/SIGINT */
	bool help;		/* --help was given */
};

/* Fills the defaults. 0 or -ENOMEM. */
int bh_agent_config_init(struct bh_agent_config *c);
/* Frees every string; c is left zeroed. Accepts an already deinitialised config. */
void bh_agent_config_deinit(struct bh_agent_config *c);

/*
 * Parse argv (argv[0] is the subcommand name): --config is read first, then
 * every flag is applied over it. Problems are written to err (one line each,
 * naming the bad value). Returns 0, -EINVAL on a usage or config file error,
 * -ENOMEM.
 */
int bh_agent_config_parse(struct bh_agent_config *c, int argc, char **argv, FILE *err);

/* Load a YAML config file over c. Errors go to err as file:line:col. 0 or -EINVAL/-errno. */
int bh_agent_config_load_file(struct bh_agent_config *c, const char *path, FILE *err);

/* Print every option with its default. */
void bh_agent_config_usage(FILE *out);

#endif
