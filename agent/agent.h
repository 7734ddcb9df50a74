/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef BH_AGENT_H
#define BH_AGENT_H

/*
 * The node agent on one libuv loop: sources (inventory file watch, Docker),
 * the policy directory watch, the reconciler, NFLOG readers, the control
 * socket, signals and timers. Lifecycle:
 *
 *   bh_agent_init()   load the configuration's inputs (nothing on the loop yet)
 *   bh_agent_start()  "start" line, first compile, program every namespace
 *                     (adopting tables already there: each is replaced in one
 *                     batch, never deleted first), then "ready" once every
 *                     namespace is enforced; starts every handle
 *   uv_run()          until SIGTERM/SIGINT (bh_agent_stop) closes every handle
 *   bh_agent_deinit() frees what is left; uv_loop_close() then returns 0
 */

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <uv.h>

#include "agent/config.h"
#include "agent/fds.h"
#include "agent/control.h"
#include "log/out.h"
#include "agent/reconcile.h"
#include "agent/state.h"
#include "agent/watch.h"

struct bh_docker;
struct bh_http;
struct bh_logrx;
struct bh_tamper;
struct bh_nft_txn;

#define BH_LAT_WINDOW 1024
#define BH_LAT_BUCKETS 14

/* Upper bounds (microseconds) of the histogram buckets; the last is +Inf. */
extern const uint64_t bh_lat_bounds_us[BH_LAT_BUCKETS];

/*
 * A sliding window of latencies in microseconds (status: p50, p99) and
 * the same samples in a cumulative histogram since start (Prometheus).
 */
struct bh_lat {
	uint32_t v[BH_LAT_WINDOW];
	size_t n, next;
	uint64_t last_us;
	uint64_t bucket[BH_LAT_BUCKETS];	/* samples <= bound (not cumulative) */
	uint64_t count, sum_us;
};

void bh_lat_add(struct bh_lat *l, uint64_t us);
/* Percentile p (0..100) of the window in microseconds; 0 when empty. */
uint64_t bh_lat_pct(const struct bh_lat *l, unsigned int p);

/* The log's own counters (lines, drops, overruns) are the reader's: bh_logrx_stats. */
struct bh_agent_counters {
	uint64_t events;		/* source and file events handled */
	uint64_t reconciles;		/* reconcile runs */
	uint64_t reconcile_errors;	/* runs that failed (a namespace, or the compile) */
	uint64_t compiles;		/* generations compiled */
	uint64_t invalid_edits;		/* policy or inventory loads rejected */
	uint64_t ns_touched_last;	/* namespaces programmed by the last event */
	uint64_t tamper;		/* changes by other processes seen in enforced namespaces */
	uint64_t repairs;		/* tables found changed and replaced at once */
};

struct bh_agent {
	uv_loop_t *loop;
	const struct bh_agent_config *cfg;
	char hostname[256];
	struct bh_out out;
	struct bh_state st;
	struct bh_reconcile rec;
	struct bh_watch watch;
	struct bh_control ctl;
	uv_signal_t sig[4];
	uv_timer_t resync;	/* periodic full resync */
	uv_timer_t retry;	/* namespaces that failed are retried */
	uv_timer_t kick;	/* coalesces Docker events */
	struct bh_docker *docker;
	struct bh_logrx *logrx;
	struct bh_http *metrics;	/* the /metrics endpoint, NULL when off */
	struct bh_tamper *tamper;
	struct bh_fds fds;	/* RLIMIT_NOFILE found and set at start */
	uint32_t table_flags;	/* of the tables programmed: 0 unowned, BH_NFT_F_OWNED */
	char table_mode_why[128];
	bool enforcing;		/* false after the operator's reset, until reload */
	bool closer;		/* the netlink closer thread was started */
	unsigned int handles;	/* loop handles open (for the close count) */
	bool started, ready, stopping, docker_synced, watch_on, ctl_on;
	bool docker_lost;	/* source-lost reported, source-regained not yet */
	bool compile_pending;	/* inputs changed but the last compile failed */
	bool inventory_invalid;	/* the last inventory read was refused */
	/* work waiting for the next reconcile */
	uint64_t pend_ns;	/* uv_hrtime() of the first pending event, 0 = none */
	int64_t pend_docker_nano;	/* timeNano of the pending container's first event */
	char pend_docker_action[32];	/* that event's action (create, connect, start) */
	char pend_first[256];	/* "ns/name" to program first */
	uint64_t start_ns;
	uint64_t iso_gen;	/* generation whose isolated workloads were reported */
	char *last_error;
	struct bh_agent_counters cnt;
	struct bh_lat lat;		/* event to enforced */
	struct bh_lat docker_lat;	/* container start (timeNano) to enforced */
	int exit_code;
};

/*
 * Load policies and inventory named by cfg (cfg is borrowed and must outlive
 * the agent). Problems are written to err with file:line:col. Returns 0,
 * -EINVAL (invalid input), or another negative errno. On failure nothing
 * needs to be deinitialised.
 */
int bh_agent_init(struct bh_agent *a, uv_loop_t *loop, const struct bh_agent_config *cfg,
		  FILE *err);

/* First enforcement and every handle. 0 or a negative errno (call bh_agent_stop then run the loop). */
int bh_agent_start(struct bh_agent *a, FILE *err);

/* Begin shutdown: closes every handle (rules stay unless --remove-on-exit). Idempotent. */
void bh_agent_stop(struct bh_agent *a);

/* After uv_run returned. */
void bh_agent_deinit(struct bh_agent *a);

/* Re-read policies and inventory, reopen file sinks, reconcile (SIGHUP, control "reload"). */
int bh_agent_reload(struct bh_agent *a);

/*
 * Recompile and program now, workload "ns/name" first (a container's
 * pre-start hook can call this through the control socket). 0 when every
 * namespace is enforced, else a negative errno.
 */
int bh_agent_reconcile_workload_now(struct bh_agent *a, const char *key, uint64_t event_ns,
				    int64_t docker_time_nano);

/* agent_log.c: the denied-connection log reader, given only what it needs. 0 or -ENOMEM. */
int bh_agent__logrx_alloc(struct bh_agent *a);
/* agent_log.c: a reader for every namespace whose table is programmed, none for the others. */
void bh_agent__logrx_sync(struct bh_agent *a);

/*
 * agent_status.c: a "workload-isolated" lifecycle line for every workload
 * isolated (fail closed) in the current generation and not in the one
 * reported last (a->iso_gen), which becomes the current one.
 */
void bh_agent__isolated_report(struct bh_agent *a);

/*
 * A workload's state as status reports it, one of bh_wl_state_names; the
 * same table labels bulkhead_workloads{state}, so the states always sum
 * to the number of workloads.
 */
enum bh_wl_state {
	BH_WL_ENFORCED,		/* table programmed from the current generation */
	BH_WL_PENDING,		/* not programmed yet */
	BH_WL_FAILED,		/* never programmed: the last attempt failed */
	BH_WL_STALE,		/* programmed earlier; the last update failed */
	BH_WL_NO_NETNS,		/* no network namespace known (nothing to program) */
	BH_WL_ISOLATED,		/* failed closed: default-deny in force (workload-isolated) */
	BH_WL_STATES
};
extern const char *const bh_wl_state_names[BH_WL_STATES];
struct bh_workload;
enum bh_wl_state bh_agent_workload_state(const struct bh_agent *a, const struct bh_workload *w);

/*
 * The operator's break-glass: remove every table the agent programmed and
 * stop enforcing until the next reload (SIGHUP, `bulkhead reload`). With
 * owned tables nobody else can remove them. Returns the number of tables
 * removed, or a negative errno (some could not be).
 */
int bh_agent_reset(struct bh_agent *a);

/*
 * agent_enforce.c: the table mode (probed), the closer thread and the
 * tamper monitors, before the first reconcile (0, or a negative errno
 * printed to err); closing the monitors with the other handles; freeing
 * them after the reconciler closed its sockets, and stopping the closer.
 */
int bh_agent__enforce_start(struct bh_agent *a, FILE *err);
void bh_agent__enforce_close(struct bh_agent *a);
/* agent_enforce.c: tamper monitors for the namespaces programmed now, none for the others. */
void bh_agent__enforce_sync(struct bh_agent *a);
void bh_agent__enforce_free(struct bh_agent *a);
/* agent_enforce.c: the answer to the control socket's {"cmd":"reset"}. */
json_t *bh_agent__reset_answer(struct bh_agent *a);
/* agent_enforce.c: the "ready" line, with the table mode in force; a->ready becomes true. */
void bh_agent__ready_report(struct bh_agent *a);

/*
 * The tamper monitors' callback (agent_enforce.c): a tamper line per table
 * and way another process changed in a workload's namespace, and the
 * workload's table repaired at once when it was ours (or events were lost).
 */
void bh_agent_tamper_cb(void *arg, const char *ns, const char *name, const struct bh_nft_txn *t);

/* The status answer (new reference, NULL on OOM). */
json_t *bh_agent_status(struct bh_agent *a);

/*
 * The control socket's handler (c->data is the agent):
 *   {"cmd":"status"}                          bh_agent_status()
 *   {"cmd":"reload"}                          {"ok":bool,"generation":N,"error":...}
 *   {"cmd":"reconcile","workload":"ns/name"}  recompile and program now, that
 *                                             workload first (a pre-start hook)
 *   {"cmd":"reset"}                           remove every table and stop enforcing
 *                                             until reload (the operator's break-glass)
 */
json_t *bh_agent_control_handler(struct bh_control *c, json_t *req);

/* ---- the agent's error lines (agent_report.c) ---- */

struct bh_diag;

/* One line "bulkhead agent: ..." on stderr, escaped as a whole: it quotes input. */
void bh_agent__err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Replaces the error `status` shows (copied; NULL clears it). */
void bh_agent__set_last_error(struct bh_agent *a, const char *msg);
/* Every diagnostic of d on stderr and as an `action` lifecycle line; the first becomes the last error. */
void bh_agent__report_diag(struct bh_agent *a, const char *action, const struct bh_diag *d);

#endif
