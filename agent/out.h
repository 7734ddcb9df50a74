/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef BH_AGENT_OUT_H
#define BH_AGENT_OUT_H

/*
 * The agent's line output: every JSON line (denied connections and
 * lifecycle events) goes to each configured destination. A spec is "-"
 * (stdout) or a file path (opened O_APPEND, so whole lines from one
 * write() never interleave; reopened on SIGHUP/SIGUSR1 for log rotation).
 * Lifecycle lines share the ECS shape of the denied-connection lines:
 *   {"@timestamp":..., "event":{"kind":"state","category":["configuration"],
 *    "action":"ready","outcome":"success"}, "host":{"hostname":...},
 *    "message":..., "bulkhead":{...}}
 */

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

struct bh_out_dst {
	char *path;	/* NULL: stdout */
	int fd;
};

struct bh_out {
	struct bh_out_dst *v;
	size_t n;
	char *hostname;
	uint64_t lines;		/* lines written (to at least one destination) */
	uint64_t errors;	/* failed or short writes */
};

/* Open every spec. 0, or a negative errno naming nothing opened (err gets the bad spec). */
int bh_out_open(struct bh_out *o, char *const *specs, size_t n, const char *hostname,
		const char **bad);
/* Close and reopen file destinations (rotation). 0 or the first -errno. */
int bh_out_reopen(struct bh_out *o);
void bh_out_close(struct bh_out *o);

/* Write one complete line (must end with '\n') to every destination. */
void bh_out_line(struct bh_out *o, const char *line, size_t len);

/*
 * Write a lifecycle line. outcome "success"/"failure"/NULL; extra (stolen,
 * may be NULL) becomes the "bulkhead" object; message may be NULL.
 */
void bh_out_lifecycle(struct bh_out *o, const char *action, const char *outcome,
		      json_t *extra, const char *message);

#endif
