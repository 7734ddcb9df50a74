/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef BH_CMD_H
#define BH_CMD_H

/*
 * Subcommands. Each takes argv with argv[0] = subcommand name and returns
 * the process exit code (cmd/cli.h, README "Exit codes"): 0 success or a
 * positive answer, 1 the command's negative answer (check: invalid,
 * explain: denied, apply/reset: a namespace not done), 2 could not answer
 * (usage error, unreadable input, invalid input where validity is not the
 * question).
 */
int bh_cmd_check(int argc, char **argv);
int bh_cmd_compile(int argc, char **argv);
int bh_cmd_explain(int argc, char **argv);
int bh_cmd_diff(int argc, char **argv);
int bh_cmd_apply(int argc, char **argv);
int bh_cmd_reset(int argc, char **argv);
int bh_cmd_agent(int argc, char **argv);
int bh_cmd_status(int argc, char **argv);
int bh_cmd_reload(int argc, char **argv);
int bh_cmd_workloads(int argc, char **argv);

#endif
