/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef BH_DOCKER_H
#define BH_DOCKER_H

/*
 * Docker workload source.
 *
 * Talks HTTP to the Docker Engine API over its unix socket (libcurl's multi
 * socket API driven by the caller's libuv loop) and turns running containers
 * into struct bh_workload:
 *
 *   container id          Id
 *   container name        Name without the leading '/'
 *   image                 Config.Image
 *   created_ns            Created (RFC 3339), for the identity precedence
 *                         (agent/state.h)
 *   labels                every container label (Config.Labels)
 *   namespace             label bulkhead.io/namespace, else
 *                         com.docker.compose.project, else "default"
 *   name                  label bulkhead.io/name, else
 *                         com.docker.compose.service "-"
 *                         com.docker.compose.container-number (compose; the
 *                         service alone without a number), else the container
 *                         name. Namespace and name must be 1-253 printable
 *                         characters without '/', or the container is an
 *                         ERROR listed as default/<container name>.
 *   ips                   NetworkSettings.IPAddress, GlobalIPv6Address and the
 *                         IPAddress / GlobalIPv6Address of every entry of
 *                         NetworkSettings.Networks (deduplicated, sorted)
 *   netns                 NetworkSettings.SandboxKey
 *   ports                 label bulkhead.io/ports (format below)
 *
 * Containers in network mode "host", "none" or "container:<id>", or with an
 * empty SandboxKey, are not workloads of their own: they are reported with
 * BH_DOCKER_SKIP and the reason.
 *
 * Fail closed: a running container with a namespace of its own that cannot
 * be mapped (a bad label, an inspect answer too big to hold) is reported
 * with BH_DOCKER_ERROR and a workload whose `isolated` names the cause
 * (BH_DOCKER_CAUSE_*): the consumer isolates it rather than leave it open.
 *
 * The bulkhead.io/ports label lists named ports, as a pod's containerPorts:
 *
 *   bulkhead.io/ports: "http=80/tcp,dns=53/udp,metrics=9090"
 *
 * Entries are separated by ',' (spaces around entries are ignored); each is
 * NAME=PORT[/PROTO] with NAME an IANA service name (1-15 characters of
 * [a-z0-9-], at least one letter, no leading, trailing or double '-'),
 * PORT 1-65535 and PROTO tcp (default), udp or sctp, case-insensitive. As in
 * a pod, each name appears once. A container whose label does not parse
 * is reported with BH_DOCKER_ERROR naming the bad entry, never dropped
 * silently.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include "policy/model.h"

#define BH_DOCKER_SOCKET_DEFAULT "/var/run/docker.sock"
#define BH_DOCKER_LABEL_NAMESPACE "bulkhead.io/namespace"
#define BH_DOCKER_LABEL_NAME "bulkhead.io/name"
#define BH_DOCKER_LABEL_PORTS "bulkhead.io/ports"

/* Causes of isolation (bh_workload.isolated) the Docker source reports. */
#define BH_DOCKER_CAUSE_INVALID "container-invalid"	/* a label (or address) does not map */
#define BH_DOCKER_CAUSE_INSPECT "inspect-failed"	/* the inspect answer is too big to hold */

/* ---- pure mapping (source/docker_parse.c): no I/O ----------------------------- */

enum bh_docker_map {
	BH_DOCKER_MAP_OK = 0,		/* *wl is a workload */
	BH_DOCKER_MAP_STOPPED,		/* not running: not a workload */
	BH_DOCKER_MAP_SKIP,		/* running, but no netns of its own */
	BH_DOCKER_MAP_ERROR,		/* running, but not mappable (bad label) */
};

/*
 * Map the JSON of GET /containers/{id}/json to a workload.
 *
 * Returns a bh_docker_map value (>= 0) or -EINVAL (not a container object:
 * no Id) / -ENOMEM. On every value >= 0, *wl is initialised as far as the
 * JSON allows (id, container name, image, created, labels, namespace, name,
 * netns and ips; ports only on OK) and must be released with
 * bh_workload_deinit; on SKIP and ERROR, why (size whylen) says why. An
 * ERROR with a netns is fail closed: wl->isolated is BH_DOCKER_CAUSE_INVALID.
 * On a negative return *wl is zeroed and owns nothing.
 */
struct json_t;

int bh_docker_inspect_parse(const struct json_t *inspect, struct bh_workload *wl,
			    char *why, size_t whylen);

/* Same from text; -EINVAL also when the text is not JSON. */
int bh_docker_inspect_parse_buf(const char *buf, size_t len, struct bh_workload *wl,
				char *why, size_t whylen);

/*
 * Parse the bulkhead.io/ports label into a sorted (name, proto) array the
 * caller frees with bh_docker_ports_free. 0, -EINVAL (why says which entry
 * and why) or -ENOMEM. An empty string gives no ports.
 */
int bh_docker_ports_parse(const char *label, struct bh_named_port **out, size_t *n,
			  char *why, size_t whylen);
void bh_docker_ports_free(struct bh_named_port *p, size_t n);

/*
 * Parse GET /containers/json (an array): stores a malloc'd array of malloc'd
 * container ids in *ids (free each and the array). 0, -EINVAL, -ENOMEM.
 */
int bh_docker_list_parse_buf(const char *buf, size_t len, char ***ids, size_t *n);

struct bh_docker_event {
	char type[16];		/* "container", "network", ... (truncated) */
	char action[32];	/* "start", "die", "connect", ... (truncated) */
	char id[72];		/* container id the event is about; "" when none */
	int64_t time_nano;	/* the event's timeNano; 0 when absent */
};

/* Parse one line of GET /events. 0 or -EINVAL (not a JSON object). */
int bh_docker_event_parse_buf(const char *buf, size_t len, struct bh_docker_event *ev);
/* Same from a JSON object. */
int bh_docker_event_parse(const struct json_t *j, struct bh_docker_event *ev);

/* RFC 3339 ("2024-05-01T10:20:30.123456789Z", or an offset) to ns since the epoch. 0 or -EINVAL. */
int bh_docker_time_parse(const char *s, int64_t *ns);

/*
 * Answers too big to hold (source/docker_big.c): an inspect answer, the
 * container list or an event line over the source's bound is scanned as it
 * streams (source/jscan.h) for the few fields that place and name a
 * container, in bounded memory. Pure: no I/O.
 */
enum bh_docker_big_kind { BH_DOCKER_BIG_INSPECT, BH_DOCKER_BIG_LIST, BH_DOCKER_BIG_EVENT };
struct bh_docker_big;

/* 0 and *out (free with bh_docker_big_free), or -ENOMEM. */
int bh_docker_big_alloc(enum bh_docker_big_kind kind, struct bh_docker_big **out);
void bh_docker_big_free(struct bh_docker_big *b);
/* The next bytes of the answer. 0, -EINVAL (not JSON) or -ENOMEM. */
int bh_docker_big_feed(struct bh_docker_big *b, const char *buf, size_t len);
/*
 * An inspect answer, mapped as bh_docker_inspect_parse maps one (labels:
 * only those the identity comes from; addresses: those the source reads),
 * except that a container it would map (OK or ERROR with a netns) is an
 * ERROR isolated with BH_DOCKER_CAUSE_INSPECT: what it asked for was not
 * read. Call once the whole answer was fed; same returns as
 * bh_docker_inspect_parse (-EINVAL also when the answer is not one JSON
 * document).
 */
int bh_docker_big_inspect(struct bh_docker_big *b, struct bh_workload *wl, char *why,
			  size_t whylen);
/* The ids of a whole list answer, as bh_docker_list_parse_buf gives them. */
int bh_docker_big_list(struct bh_docker_big *b, char ***ids, size_t *n);
/* The event of an event line's first bytes (the rest need not be fed). 0 or -EINVAL. */
int bh_docker_big_event(struct bh_docker_big *b, struct bh_docker_event *ev);

/* True when every field of a and b (identity, labels, netns, ips, ports) is equal. */
bool bh_docker_workload_equal(const struct bh_workload *a, const struct bh_workload *b);

/* ---- the source on a libuv loop (source/docker.c) ----------------------------- */

struct bh_docker;

enum bh_docker_ev {
	BH_DOCKER_UPSERT,	/* wl is new or changed (keyed by container id) */
	BH_DOCKER_REMOVE,	/* wl (as last reported) is gone */
	BH_DOCKER_SYNCED,	/* initial list or resync complete; wl NULL */
	BH_DOCKER_LOST,		/* daemon unreachable; msg says why; wl NULL */
	BH_DOCKER_ERROR,	/* a running container could not be mapped: wl (without
				 * ports) names it and msg says why; wl is NULL when the
				 * daemon gave no answer about it (msg names its id).
				 * When wl->isolated is set (fail closed, see above) wl
				 * is reported as UPSERT is: a REMOVE follows when the
				 * container goes, an UPSERT when it maps again */
	BH_DOCKER_SKIP,		/* a running container without a netns of its own
				 * (network mode host/none/container:): wl, msg */
};

/* Name of an event kind: "upsert", "remove", "synced", "lost", "error", "skip". */
const char *bh_docker_ev_name(enum bh_docker_ev ev);

/*
 * Event callback. wl and msg are borrowed for the duration of the call
 * (either may be NULL, see enum bh_docker_ev). Calling bh_docker_close from
 * inside the callback is allowed; no further callback follows it.
 *
 * Ordering guarantees: UPSERT and REMOVE are keyed by container id; when a
 * container's (namespace, name) changes (rename), a REMOVE of the old
 * identity precedes the UPSERT of the new one. LOST is reported once per
 * outage (also when the daemon is unreachable at start); after reconnecting
 * the source resynchronises: UPSERT for every running container, REMOVE for
 * every previously reported container that is gone, then SYNCED.
 */
typedef void (*bh_docker_cb)(void *arg, enum bh_docker_ev ev, const struct bh_workload *wl,
			     const char *msg);

struct bh_docker_opts {
	const char *socket_path;	/* NULL: BH_DOCKER_SOCKET_DEFAULT (copied) */
	unsigned int backoff_min_ms;	/* 0: 100 */
	unsigned int backoff_max_ms;	/* 0: 5000 */
	unsigned int request_timeout_ms; /* list, inspect, and the response headers of
					  * the event stream; 0: 10000 */
};

/*
 * Start the source on loop: subscribe to the event stream, then list and
 * inspect the running containers. Returns 0 and *out, or a negative errno
 * (then cb is never called and nothing is left on the loop). Callbacks run
 * from the loop only, never from inside bh_docker_start.
 */
int bh_docker_start(uv_loop_t *loop, const struct bh_docker_opts *o, bh_docker_cb cb, void *arg,
		    struct bh_docker **out);

/*
 * Stop reporting, abort every request and close every handle; done(arg) (may
 * be NULL) runs from the loop after the last close callback, when d is freed.
 */
void bh_docker_close(struct bh_docker *d, void (*done)(void *arg), void *arg);

/*
 * Timing of what the current callback reports (valid inside the callback):
 * recv_ns is uv_hrtime() when the daemon's event arrived (or, for a
 * list/resync, its list response); time_nano is that Docker event's own
 * timeNano (wall clock, CLOCK_REALTIME ns) or 0 when the report comes from a
 * list/resync. When several events about one container arrive before its
 * inspect answers, recv_ns is the earliest arrival, and the cause
 * (time_nano, action) is the "start" event when there was one, else the
 * earliest event: "container start to enforced" then measures the time
 * the container's process ran before its rules were in force.
 * action is the Docker action ("start", "connect", "die", ...), "list", or
 * "" for SYNCED and LOST. Pointers borrowed.
 */
struct bh_docker_stamp {
	uint64_t recv_ns;
	int64_t time_nano;
	const char *action;
};
const struct bh_docker_stamp *bh_docker_stamp_get(const struct bh_docker *d);

#endif
