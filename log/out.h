/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef BH_AGENT_OUT_H
#define BH_AGENT_OUT_H

/*
 * The agent's line output: every JSON line (denied connections and
 * lifecycle events) goes to each configured sink (log/sink.h specs: "-",
 * a file path, "syslog", "syslog+udp:host:port", ...). Sinks queue
 * without blocking the loop; file sinks are reopened on SIGHUP/SIGUSR1.
 * Lifecycle lines share the ECS shape of the denied-connection lines:
 *   {"@timestamp":..., "event":{"kind":"state","category":["configuration"],
 *    "action":"ready","outcome":"success"}, "host":{"hostname":...},
 *    "message":..., "bulkhead":{...}}
 */

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>
#include <uv.h>

struct bh_sink;

struct bh_out {
	struct bh_sink **v;
	size_t n;
	char *hostname;
	uint64_t lines;		/* lines queued to at least one sink */
	uint64_t errors;	/* lines a sink dropped at write time */
	unsigned int closing;	/* sinks still closing */
};

/*
 * Open every spec on loop. 0, or a negative errno (*bad names the spec;
 * sinks already opened are closing: run the loop to finish).
 */
int bh_out_open(struct bh_out *o, uv_loop_t *loop, char *const *specs, size_t n,
		const char *hostname, const char **bad);
/*
 * Reopen file sinks (rotation), reconnect TCP ones. 0 or the first -errno;
 * each failure is written to stderr and as a "log-reopen-failed" lifecycle
 * line, and counted (bh_out_reopen_errors).
 */
int bh_out_reopen(struct bh_out *o);
/* Dropped lines summed over the sinks (queue full, write errors). */
uint64_t bh_out_dropped(const struct bh_out *o);
/* Failed file reopens summed over the sinks. */
uint64_t bh_out_reopen_errors(const struct bh_out *o);
/* Close every sink (asynchronously: run the loop afterwards). Idempotent. */
void bh_out_close(struct bh_out *o);

/* Write one complete line (must end with '\n') to every destination. */
void bh_out_line(struct bh_out *o, const char *line, size_t len);

/*
 * Write a lifecycle line. outcome "success"/"failure"/NULL; extra (stolen,
 * may be NULL) becomes the "bulkhead" object; message may be NULL.
 */
void bh_out_lifecycle(struct bh_out *o, const char *action, const char *outcome,
		      json_t *extra, const char *message);

/*
 * The same with more ECS fields at the top level (ecs stolen, may be NULL),
 * e.g. {"process":{"pid":1234,"name":"nft"}}; keys the line already has
 * (@timestamp, event, host, message, bulkhead) are left alone.
 */
void bh_out_lifecycle_ecs(struct bh_out *o, const char *action, const char *outcome,
			  json_t *extra, json_t *ecs, const char *message);

#endif
