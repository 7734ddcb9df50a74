/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef BH_AGENT_CONFIG_H
#define BH_AGENT_CONFIG_H

/*
 * The flags of every command, each defined once (bh_opts[]): long name,
 * short letter, value kind, range and default. The one-shot commands parse
 * them through cmd/cli.h, the agent through bh_agent_config_parse() below;
 * both print --help from the same entries, so a flag has one spelling, one
 * range and one default everywhere.
 *
 * The agent's settings: defaults, then an optional YAML config file
 * (--config F: a mapping whose keys are the long option names without the
 * dashes, e.g. `policies: /etc/bulkhead/policies`, `log: [-, /var/log/x]`;
 * the --limit-NAME flags also as a section, `limits: {NAME: N, ...}`),
 * then the command line, which overrides the file.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "policy/limits.h"
#include "source/docker.h"

#define BH_CONTROL_DEFAULT "/run/bulkhead/control.sock"
#define BH_DOCKER_DEFAULT BH_DOCKER_SOCKET_DEFAULT

enum bh_opt_kind {
	BH_OPT_STR,	/* --x VALUE */
	BH_OPT_OPTSTR,	/* --x or --x=VALUE (the value defaults to def) */
	BH_OPT_LIST,	/* repeatable --x VALUE */
	BH_OPT_NUM,	/* --x N, a decimal number in [min, max] */
	BH_OPT_BOOL,	/* --x (config file: true/false) */
	BH_OPT_SWITCH,	/* --x on|off (config file: a boolean) */
	BH_OPT_HELP,
};

/* Every flag that more than one command takes, and the agent's own. */
enum bh_opt_id {
	BH_O_CONFIG,
	BH_O_POLICIES,
	BH_O_INVENTORY,
	BH_O_DOCKER,
	BH_O_LOG,
	BH_O_CONTROL,
	BH_O_CONTROL_ALLOW_UID,
	BH_O_JSON,
	BH_O_LOG_GROUP,
	BH_O_LOG_RATE,
	BH_O_LOG_BURST,
	BH_O_GENERATION,
	BH_O_RESYNC_INTERVAL,
	BH_O_DEBOUNCE_MS,
	BH_O_REMOVE_ON_EXIT,
	BH_O_TABLE_MODE,
	BH_O_HOSTNAME,
#define BH_O_LIMIT_ID(field, id, name, def, help) BH_O_LIMIT_##id,
	BH_LIMITS(BH_O_LIMIT_ID)	/* --limit-NAME: policy/limits.h, in its order */
#undef BH_O_LIMIT_ID
	BH_O_METRICS,
	BH_O_COMMUNITY_ID,
	BH_O_COMMUNITY_ID_SEED,
	BH_O_HELP,
	BH_O_MAX
};

struct bh_opt {
	const char *name;	/* long name without the dashes; the config file key */
	char letter;		/* short option, 0 when none */
	enum bh_opt_kind kind;
	const char *def;	/* default as --help shows it; NULL: none */
	const char *arg;	/* metavariable in --help */
	uint64_t min, max;	/* BH_OPT_NUM */
	const char *help;
};

/* Indexed by enum bh_opt_id. */
extern const struct bh_opt bh_opts[BH_O_MAX];

/* The --limit-* flags, for a command's list of shared flags. */
#define BH_O_LIMIT_LIST(field, id, name, def, help) BH_O_LIMIT_##id,
#define BH_O_LIMITS BH_LIMITS(BH_O_LIMIT_LIST)
#define BH_O_LIMIT_FIRST BH_O_LIMIT_KEYS_PER_MAPPING

/* Where the value of limit flag id (one of BH_O_LIMITS) goes in l. */
uint32_t *bh_opt_limit(struct bh_limits *l, enum bh_opt_id id);

/* The number v given to flag id, in its range. 0, or -EINVAL. */
int bh_opt_number(enum bh_opt_id id, const char *v, uint64_t *out);

/* "bulkhead CMD: invalid value 'V' for --NAME (expected MIN..MAX)" and the like, to err. */
void bh_opt_bad_value(FILE *err, const char *cmd, enum bh_opt_id id, const char *v);

/* One --help line for flag id, with its default. */
void bh_opt_usage(FILE *out, enum bh_opt_id id);

struct bh_agent_config {
	char *config_file;
	char *policies;		/* directory (or file) of NetworkPolicy documents */
	char *inventory;	/* inventory file, or NULL */
	char *docker;		/* Docker Engine socket, or NULL when the source is off */
	char **logs;		/* sink specs (log/sink.h), "-" = stdout */
	size_t n_logs;
	char *control;		/* control socket path */
	uint32_t control_allow_uid;	/* a uid besides root allowed on it, 0 = none */
	char *hostname;		/* host.hostname in log lines; NULL: gethostname() */
	char *table_mode;	/* "auto", "owned" or "unowned" (netlink/nft.h) */
	uint32_t log_group;	/* NFLOG group */
	uint32_t log_rate;	/* log messages per second per workload and direction */
	uint32_t log_burst;
	uint32_t resync_interval;	/* seconds between full resyncs, 0 = never */
	uint32_t debounce_ms;	/* delay between a file change and the reconcile */
	char *metrics;		/* "ADDR:PORT" of the Prometheus endpoint, NULL: off */
	uint32_t community_id_seed;	/* seed of network.community_id */
	bool community_id;	/* write network.community_id */
	bool remove_on_exit;	/* delete the tables on SIGTERM/SIGINT */
	struct bh_limits limits;	/* --limit-* */
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

/*
 * "ADDR:PORT", "[V6ADDR]:PORT" or ":PORT" (every address) with ADDR a
 * numeric IPv4 or IPv6 address and PORT 1..65535, into *ss and *len.
 * 0 or -EINVAL.
 */
struct sockaddr_storage;
int bh_agent_config_addr(const char *s, struct sockaddr_storage *ss, unsigned int *len);

/* Print every option with its default. */
void bh_agent_config_usage(FILE *out);

#endif
