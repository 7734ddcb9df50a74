/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef BH_CMD_H
#define BH_CMD_H

/*
 * Subcommands. Each takes argv with argv[0] = subcommand name and returns
 * the process exit code: 0 success, 1 a negative answer (invalid policy,
 * connection denied, a namespace not enforced), 2 a usage error.
 */
int bh_cmd_check(int argc, char **argv);
int bh_cmd_compile(int argc, char **argv);
int bh_cmd_explain(int argc, char **argv);
int bh_cmd_apply(int argc, char **argv);
int bh_cmd_reset(int argc, char **argv);
int bh_cmd_agent(int argc, char **argv);
int bh_cmd_status(int argc, char **argv);
int bh_cmd_reload(int argc, char **argv);
int bh_cmd_workloads(int argc, char **argv);

#endif
