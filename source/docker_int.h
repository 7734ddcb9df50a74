/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef BH_DOCKER_INT_H
#define BH_DOCKER_INT_H

/*
 * Internals shared by source/docker.c (requests, libcurl on the libuv loop,
 * lifecycle) and source/docker_sync.c (known containers and what is
 * reported about them). Calls go one way: docker.c uses docker_sync.c.
 * Not part of the module's interface.
 */

#include <curl/curl.h>

#include "source/docker.h"

enum bh_docker__kind { REQ_EVENTS, REQ_LIST, REQ_INSPECT };
enum bh_docker__state { ST_DOWN, ST_CONNECTING, ST_LISTING, ST_SYNCING, ST_LIVE };

struct bh_docker__req {
	struct bh_docker *d;
	CURL *easy;
	enum bh_docker__kind kind;
	char *buf;
	size_t len, cap;
	char *id;			/* REQ_INSPECT */
	struct bh_docker_big *big;	/* the answer outgrew the buffer: scanned instead */
	struct bh_docker__req *next;
	char err[CURL_ERROR_SIZE];
};

struct bh_docker__sock {
	uv_poll_t poll;
	struct bh_docker *d;
	curl_socket_t fd;
	struct bh_docker__sock *next, **pprev;
};

struct bh_docker__entry {
	char *id;
	struct bh_workload wl;		/* as last reported (UPSERT) */
	bool reported;
	bool inflight;			/* an inspect is running */
	bool need;			/* an inspect is wanted */
	bool sync_wait;			/* listed: the sync waits for its inspect */
	bool noted;			/* SKIP or ERROR reported with note[] */
	char note[256];
	unsigned int seen_gen;		/* cycle in which it was last seen running */
	bool has_stamp;
	struct bh_docker_stamp stamp;	/* earliest unreported cause */
	char action[32];
};

struct bh_docker {
	uv_loop_t *loop;
	bh_docker_cb cb;
	void *arg;
	char *socket_path;
	const char *api;		/* "/v1.41" or "" (the daemon's own version) */
	unsigned int backoff_min, backoff_max, backoff, req_timeout;
	CURLM *multi;
	uv_timer_t curl_timer;
	uv_timer_t retry;
	uv_timer_t hdr_timer;		/* the event stream's headers are due */
	struct bh_docker__sock *socks;
	struct bh_docker__req *reqs;
	enum bh_docker__state state;
	bool events_up;			/* event stream headers arrived */
	bool lost_reported;
	unsigned int gen;
	size_t sync_pending;
	size_t n_need;			/* entries with need set */
	size_t n_inflight;		/* inspects running */
	uint64_t list_ns;
	struct bh_docker__entry **ents;
	size_t n_ents, cap_ents;
	char *line;			/* partial event line */
	size_t line_len, line_cap;
	struct bh_docker_big *line_big;	/* an event line over the bound: its start, scanned;
					 * the rest is skipped up to its newline */
	uint64_t lines_cut;		/* event lines over the bound */
	char cut_note[160];		/* to report from the loop ("" none) */
	struct bh_docker_stamp stamp;	/* of the current callback */
	int depth;			/* nesting of loop callbacks */
	bool closing, torn_down;
	int pending_closes;
	void (*done)(void *arg);
	void *done_arg;
};

/* Report to the user's callback unless closing; e (may be NULL) gives the stamp. */
void bh_docker__emit(struct bh_docker *d, struct bh_docker__entry *e, enum bh_docker_ev ev,
		     const struct bh_workload *wl, const char *msg);
/* Borrowed entry for id or NULL; *idx (may be NULL) gets its index. */
struct bh_docker__entry *bh_docker__entry_find(struct bh_docker *d, const char *id, size_t *idx);
void bh_docker__entry_free(struct bh_docker__entry *e);
/* Forget e (and free it) when nothing refers to it any more. */
void bh_docker__entry_maybe_drop(struct bh_docker *d, struct bh_docker__entry *e);
/* Ask for a fresh inspect of id; the stamp says what caused it. 0 or -ENOMEM. */
int bh_docker__entry_want(struct bh_docker *d, const char *id, uint64_t recv_ns, int64_t tn,
			  const char *action);
/*
 * docker_sync.c is the lower half: it never calls into docker.c. When an
 * answer cannot be used at all, it says so and docker.c takes the source
 * down (abort every request, report LOST once, retry later).
 */
/* GET /containers/json answered 200: start the sync. 0, -ENOMEM, or -EBADMSG (invalid JSON). */
int bh_docker__list_done(struct bh_docker *d, struct bh_docker__req *r);
/* GET /containers/{id}/json answered with HTTP status code (-1: timed out). 0 or -ENOMEM. */
int bh_docker__inspect_done(struct bh_docker *d, struct bh_docker__req *r, long code);

#define BH_DOCKER_BODY_MAX (16u << 20)	/* a list of thousands of containers stays well below */
#define BH_DOCKER_LINE_MAX (1u << 20)

/*
 * libcurl write callbacks (docker_body.c): userdata is the request. They
 * return size * nmemb, or 0 to abort the transfer (out of memory, or the
 * event handler failed).
 */
size_t bh_docker__body_write(char *p, size_t size, size_t nmemb, void *userdata);
size_t bh_docker__events_write(char *p, size_t size, size_t nmemb, void *userdata);

#endif
