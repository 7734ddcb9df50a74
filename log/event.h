/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef BH_EVENT_H
#define BH_EVENT_H

/*
 * One log line per connection attempt, in Elastic Common Schema field
 * names plus a "bulkhead" object with both workloads' identities, the
 * policies that isolate the logging workload and a sentence saying why.
 * Also the agent's own lifecycle lines (start, ready, reload, loss...).
 * Nothing here allocates beyond the writer's buffer.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/time.h>

struct bh_jsonw;
struct bh_workload;
struct bh_namespace;
struct bh_inventory;
struct bh_compiled;
struct bh_log_tag;
struct bh_pkt;

/*
 * The schema versions every line carries: "ecs":{"version"} for the ECS
 * fields, "bulkhead":{"schema_version"} for the fields under bulkhead.*
 * (raised when one of those changes meaning or is removed).
 */
#define BH_ECS_VERSION "8.11.0"
#define BH_LOG_SCHEMA_VERSION "1"

/* What stays the same from one line to the next. */
struct bh_event_ctx {
	const char *hostname;
	const struct bh_inventory *inv;	/* current inventory, to name peers by IP; may be NULL */
	bool community_id;		/* write network.community_id (log/community_id.h) */
	uint16_t community_id_seed;
};

/* One logged packet and what the agent knows about where it was logged. */
struct bh_event {
	struct timeval ts;
	const struct bh_workload *wl;	/* workload whose namespace logged it; may be NULL */
	const struct bh_namespace *ns;	/* its namespace; may be NULL (not written: keeps lines short) */
	const struct bh_compiled *comp;	/* model of tag->generation; NULL when unknown */
	const struct bh_log_tag *tag;	/* parsed NFLOG prefix */
	const struct bh_pkt *pkt;	/* decoded headers */
};

/*
 * Appends one complete JSON line (ending in '\n') for ev to w. Borrowed
 * inputs only. Returns 0, or -ENOMEM (the writer's sticky error).
 */
int bh_event_format(struct bh_jsonw *w, const struct bh_event_ctx *ctx, const struct bh_event *ev);

enum bh_event_ftype {
	BH_EF_STR,
	BH_EF_INT,
	BH_EF_UINT,
	BH_EF_BOOL,
};

/* A key/value for the "bulkhead" object of a lifecycle line. */
struct bh_event_field {
	const char *key;
	enum bh_event_ftype type;
	union {
		const char *s;
		int64_t i;
		uint64_t u;
		bool b;
	};
};

#define BH_EF_S(k, v) ((struct bh_event_field){ .key = (k), .type = BH_EF_STR, .s = (v) })
#define BH_EF_I(k, v) ((struct bh_event_field){ .key = (k), .type = BH_EF_INT, .i = (v) })
#define BH_EF_U(k, v) ((struct bh_event_field){ .key = (k), .type = BH_EF_UINT, .u = (v) })
#define BH_EF_B(k, v) ((struct bh_event_field){ .key = (k), .type = BH_EF_BOOL, .b = (v) })

/*
 * Appends a lifecycle line: {"@timestamp", "event":{"kind":"state",
 * "category":["configuration"],"action":action,"outcome":outcome},
 * "host":{"hostname"}, "message", "bulkhead":{fields...}}. ts NULL means
 * now; outcome and message may be NULL (left out). Actions used by the
 * agent: "start", "ready", "reload", "source-lost", "log-overrun",
 * "suppressed". Returns 0 or -ENOMEM.
 */
int bh_event_format_lifecycle(struct bh_jsonw *w, const char *hostname, const struct timeval *ts,
			      const char *action, const char *outcome, const char *message,
			      const struct bh_event_field *fields, size_t n_fields);

#endif
