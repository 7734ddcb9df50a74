/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef BH_CLI_H
#define BH_CLI_H

/* Shared by the one-shot commands: load and validate inputs, print diagnostics. */

#include <stdbool.h>
#include <stdint.h>

struct bh_inventory;
struct bh_policy_set;
struct bh_compiled;

struct bh_cli_inputs {
	struct bh_inventory *inv;
	struct bh_policy_set *pols;
	struct bh_compiled *c;
};

/*
 * Loads the inventory (may be NULL: empty) and the policy path (file or
 * directory; may be NULL: no policies), then compiles when `compile` is set.
 * Every problem is printed to stderr as file:line:col. Returns 0, or -1
 * when anything is invalid (nothing is kept then).
 */
int bh_cli_load(const char *inventory, const char *policies, bool compile,
		struct bh_cli_inputs *in);
void bh_cli_inputs_free(struct bh_cli_inputs *in);

/* Splits "ns/name" in place ("name" alone: namespace "default"). 0 or -1. */
int bh_cli_split_workload(char *s, const char **ns, const char **name);

/* Parses a decimal number in [0, max]. 0 or -1. */
int bh_cli_number(const char *s, unsigned long long max, unsigned long long *out);

#endif
