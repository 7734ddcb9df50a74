/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef BH_CLI_H
#define BH_CLI_H

/*
 * Shared by the one-shot commands: one argv parser over the flag table of
 * agent/config.h (so a flag has one name, short letter, range and default
 * in every command, the agent included), --help made from the same table,
 * and loading the inputs with their diagnostics printed.
 *
 * Exit codes (every command): 0 success or a positive answer; 1 the
 * command's negative answer (check: invalid; explain: denied; apply,
 * reset: a namespace not done); 2 could not answer (usage error,
 * unreadable input, or invalid input where validity is not the question).
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "agent/config.h"
#include "policy/compile.h"

struct bh_inventory;
struct bh_policy_set;
struct bh_compiled;

enum {
	BH_EXIT_OK = 0,
	BH_EXIT_NO = 1,		/* the negative answer */
	BH_EXIT_CANNOT = 2,	/* could not answer */
};

#define BH_CLI_MAX_POLICIES 64

/* A command's own flag (one no other command has). */
struct bh_cli_local {
	const char *name;
	char letter;		/* 0: none */
	int has_arg;		/* no_argument, required_argument, optional_argument */
	const char *arg;	/* metavariable in --help */
	const char *help;
};

/* A command: what --help says and which flags it takes. */
struct bh_cli_spec {
	const char *cmd;		/* "apply" */
	const char *synopsis;		/* after "Usage: bulkhead " */
	const char *about;		/* what it does, one paragraph */
	const enum bh_opt_id *shared;	/* flags of bh_opts, in --help order */
	size_t n_shared;
	const struct bh_cli_local *local;
	size_t n_local;
	bool operands;			/* FILE... arguments after the flags */
	const char *exit_status;	/* the "Exit status: ..." paragraph */
};

/* The values of the shared flags (strings point into argv). */
struct bh_cli {
	const char *inventory;
	const char *policies[BH_CLI_MAX_POLICIES];
	size_t n_policies;
	const char *control;		/* default BH_CONTROL_DEFAULT */
	const char *docker;		/* NULL unless --docker was given */
	bool json;
	struct bh_emit_opts emit;	/* --log-group/-rate/-burst, --generation (defaults filled) */
	bool have_generation;
	struct bh_limits limits;	/* --limit-* (defaults filled) */
	const char *table_mode;		/* --table-mode, default "auto" */
	int first_operand;		/* index in argv */
};

/*
 * Parse argv (argv[0] is the command name) against spec. Each local flag
 * goes to on_local(ctx, index into spec->local, its value or NULL), which
 * returns 0, or -1 after printing why the value is bad. Returns 0 (parsed:
 * go on), BH_EXIT_CANNOT after printing a usage error, or -1 after
 * printing --help to stdout (exit 0).
 */
int bh_cli_parse(const struct bh_cli_spec *spec, int argc, char **argv, struct bh_cli *out,
		 int (*on_local)(void *ctx, size_t idx, const char *arg), void *ctx);

/* The --help text of spec. */
void bh_cli_usage(const struct bh_cli_spec *spec, FILE *f);

/* "bulkhead CMD: MESSAGE" and a pointer to --help, to stderr; returns BH_EXIT_CANNOT. */
int bh_cli_usage_error(const struct bh_cli_spec *spec, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

struct bh_cli_inputs {
	struct bh_inventory *inv;
	struct bh_policy_set *pols;
	struct bh_compiled *c;
};

/*
 * Loads the inventory (may be NULL: empty) and the policy paths (files or
 * directories; none: no policies) within lim (NULL: the defaults), then
 * compiles when `compile` is set. Every problem, a limit passed included,
 * is printed to stderr as file:line:col. Returns 0, or -1 when anything is
 * invalid or unreadable (nothing is kept then).
 */
int bh_cli_load(const char *inventory, const char *const *policies, size_t n_policies,
		bool compile, const struct bh_limits *lim, struct bh_cli_inputs *in);
void bh_cli_inputs_free(struct bh_cli_inputs *in);

/* Splits "ns/name" in place ("name" alone: namespace "default"). 0 or -1. */
int bh_cli_split_workload(char *s, const char **ns, const char **name);

#endif
