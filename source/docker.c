// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Docker workload source: the Engine API over its unix socket, with
 * libcurl's multi socket interface driven by the libuv loop (uv_poll_t per
 * socket curl asks us to watch, one uv_timer_t for curl's timeouts).
 *
 * Connection cycle:
 *   1. GET /events (filtered) and wait for its response headers: from then
 *      on nothing that happens can be missed;
 *   2. GET /containers/json, then inspect every listed container;
 *   3. once every listed container has been inspected, REMOVE whatever was
 *      reported before and is gone, then SYNCED;
 *   4. each event marks its container for a fresh inspect; at most one
 *      inspect per container is in flight, and an event that arrives during
 *      one queues another, so the last inspect always reflects the newest
 *      state whatever order the daemon answers in.
 * Any transport failure (socket gone, connection refused, stream ended, no
 * response headers to /events within the request timeout: a daemon that
 * accepts and never answers) tears every request down, reports LOST once
 * and retries with exponential backoff; the next successful cycle
 * resynchronises.
 *
 * One container never takes the source down: an inspect answer over
 * BH_DOCKER_BODY_MAX is scanned as it streams for the fields that place and name the
 * container (docker_big.c), which is then reported isolated; an event line
 * over BH_DOCKER_LINE_MAX is skipped up to its newline, and the container named
 * in its first bytes is inspected again. A list over BH_DOCKER_BODY_MAX is scanned
 * for its ids the same way.
 *
 * libcurl forbids calling multi functions from its callbacks, and a user
 * callback may close the source, so curl callbacks only record what
 * happened; process() acts on it after curl_multi_socket_action returns.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "source/curl_dl.h"
#include "source/docker_int.h"

static const struct bh_curl_api *cu;	/* libcurl, loaded by the first bh_docker_start */

/*
 * API 1.41 (Docker 20.10) has every field we read and is served by every
 * daemon from 20.10 on; daemons that dropped it (Docker 29 requires 1.44)
 * answer 400 and are then spoken to without a version prefix, which means
 * their own current version. The fields we read are present in both.
 */
#define API_VERSIONED "/v1.41"
/* filters={"type":["container","network"],"event":["start","die","destroy","rename","connect","disconnect"]} */
#define EVENTS_QUERY "/events?filters=%7B%22type%22%3A%5B%22container%22%2C%22network%22%5D%2C" \
	"%22event%22%3A%5B%22start%22%2C%22die%22%2C%22destroy%22%2C%22rename%22%2C" \
	"%22connect%22%2C%22disconnect%22%5D%7D"
#define MAX_CONNS 8		/* one is the event stream */
/* Inspects in flight: more would only queue inside curl, where the request
 * timeout already runs. */
#define MAX_INSPECTS (MAX_CONNS - 1)

static const char *const ev_names[] = {
	[BH_DOCKER_UPSERT] = "upsert", [BH_DOCKER_REMOVE] = "remove",
	[BH_DOCKER_SYNCED] = "synced", [BH_DOCKER_LOST] = "lost",
	[BH_DOCKER_ERROR] = "error", [BH_DOCKER_SKIP] = "skip",
};

const char *bh_docker_ev_name(enum bh_docker_ev ev)
{
	return (unsigned int)ev < sizeof(ev_names) / sizeof(ev_names[0]) ? ev_names[ev] : "?";
}

const struct bh_docker_stamp *bh_docker_stamp_get(const struct bh_docker *d)
{
	return &d->stamp;
}

/* ---- requests ---------------------------------------------------------------------- */

/* The daemon flushes the headers of /events as soon as it has subscribed us. */
static size_t events_header(char *p, size_t size, size_t nmemb, void *userdata)
{
	struct bh_docker__req *r = userdata;
	size_t n = size * nmemb;
	long code = 0;

	if ((n == 2 && p[0] == '\r') || (n == 1 && p[0] == '\n')) {
		cu->easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &code);
		if (code == 200)
			r->d->events_up = true;
	}
	return n;
}

static void req_free(struct bh_docker__req *r)
{
	if (!r)
		return;
	if (r->easy)
		cu->easy_cleanup(r->easy);
	bh_docker_big_free(r->big);
	free(r->buf);
	free(r->id);
	free(r);
}

static void req_unlink(struct bh_docker *d, struct bh_docker__req *r)
{
	for (struct bh_docker__req **pp = &d->reqs; *pp; pp = &(*pp)->next) {
		if (*pp == r) {
			*pp = r->next;
			return;
		}
	}
}

static int req_start(struct bh_docker *d, enum bh_docker__kind kind, const char *id)
{
	struct bh_docker__req *r = calloc(1, sizeof(*r));
	char url[256];
	CURL *c;

	if (!r)
		return -ENOMEM;
	r->d = d;
	r->kind = kind;
	if (id && !(r->id = strdup(id)))
		goto fail;
	c = r->easy = cu->easy_init();
	if (!c)
		goto fail;
	if (kind == REQ_EVENTS)
		snprintf(url, sizeof(url), "http://localhost%s%s", d->api, EVENTS_QUERY);
	else if (kind == REQ_LIST)
		snprintf(url, sizeof(url), "http://localhost%s/containers/json", d->api);
	else
		snprintf(url, sizeof(url), "http://localhost%s/containers/%s/json", d->api, id);
	if (cu->easy_setopt(c, CURLOPT_URL, url) ||
	    cu->easy_setopt(c, CURLOPT_UNIX_SOCKET_PATH, d->socket_path) ||
	    cu->easy_setopt(c, CURLOPT_PRIVATE, r) ||
	    cu->easy_setopt(c, CURLOPT_ERRORBUFFER, r->err) ||
	    cu->easy_setopt(c, CURLOPT_NOSIGNAL, 1L) ||
	    cu->easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, 5000L) ||
	    cu->easy_setopt(c, CURLOPT_WRITEFUNCTION,
			     kind == REQ_EVENTS ? bh_docker__events_write : bh_docker__body_write) ||
	    cu->easy_setopt(c, CURLOPT_WRITEDATA, r))
		goto fail;
	if (kind == REQ_EVENTS) {
		if (cu->easy_setopt(c, CURLOPT_HEADERFUNCTION, events_header) ||
		    cu->easy_setopt(c, CURLOPT_HEADERDATA, r))
			goto fail;
	} else if (cu->easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)d->req_timeout)) {
		goto fail;
	}
	if (cu->multi_add_handle(d->multi, c))
		goto fail;
	r->next = d->reqs;
	d->reqs = r;
	return 0;

fail:
	req_free(r);
	return -ENOMEM;
}

static void reqs_abort(struct bh_docker *d)
{
	struct bh_docker__req *r;

	while ((r = d->reqs)) {
		d->reqs = r->next;
		cu->multi_remove_handle(d->multi, r->easy);
		req_free(r);
	}
}

static void connect_start(struct bh_docker *d);
static void go_down(struct bh_docker *d, const char *why);

/* An answer docker_sync.c could not use (err < 0) takes the source down. */
static void answer_done(struct bh_docker *d, struct bh_docker__req *r, long code)
{
	int err = r->kind == REQ_LIST ? bh_docker__list_done(d, r)
				      : bh_docker__inspect_done(d, r, code);

	if (err == -ENOMEM)
		go_down(d, "out of memory");
	else if (err < 0)
		go_down(d, "GET /containers/json: invalid JSON");
}

static void req_done(struct bh_docker *d, struct bh_docker__req *r, CURLcode res)
{
	long code = 0;
	char why[CURL_ERROR_SIZE + 64];

	cu->easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &code);
	if (r->kind == REQ_EVENTS && code == 400 && d->api[0]) {
		/* too old an API version for this daemon: speak its own */
		d->api = "";
		reqs_abort(d);
		connect_start(d);
		return;
	}
	/* A container the daemon cannot answer for in time (a stuck container
	 * lock), or whose answer is too big and not JSON, is that container's
	 * problem, not a lost daemon. */
	if (r->kind == REQ_INSPECT && (res == CURLE_OPERATION_TIMEDOUT || (r->big && res != CURLE_OK))) {
		if (res != CURLE_OPERATION_TIMEDOUT)
			snprintf(r->err, sizeof(r->err), "an answer too big to hold that is not JSON");
		answer_done(d, r, -1);
		return;
	}
	if (r->kind == REQ_EVENTS || res != CURLE_OK || (r->kind == REQ_LIST && code != 200)) {
		const char *what = r->kind == REQ_EVENTS ? "GET /events" :
				   r->kind == REQ_LIST ? "GET /containers/json" : "inspect";

		if (res != CURLE_OK)
			snprintf(why, sizeof(why), "%s: %s", what,
				 r->err[0] ? r->err : cu->easy_strerror(res));
		else if (code != 200)
			snprintf(why, sizeof(why), "%s: HTTP %ld", what, code);
		else
			snprintf(why, sizeof(why), "%s: the daemon closed the stream", what);
		go_down(d, why);
		return;
	}
	answer_done(d, r, code);
}

static void start_inspects(struct bh_docker *d)
{
	for (size_t i = 0; i < d->n_ents && d->n_need && d->n_inflight < MAX_INSPECTS; i++) {
		struct bh_docker__entry *e = d->ents[i];

		if (!e->need || e->inflight)
			continue;
		if (req_start(d, REQ_INSPECT, e->id)) {
			go_down(d, "out of memory");
			return;
		}
		e->need = false;
		e->inflight = true;
		d->n_inflight++;
		d->n_need--;
	}
}

/* Act on what curl reported; called after every curl_multi_socket_action. */
static void process(struct bh_docker *d)
{
	CURLMsg *m;
	int left;

	while (!d->closing && (m = cu->multi_info_read(d->multi, &left))) {
		struct bh_docker__req *r = NULL;
		CURL *easy = m->easy_handle;
		CURLcode res = m->data.result;

		if (m->msg != CURLMSG_DONE)
			continue;
		cu->easy_getinfo(easy, CURLINFO_PRIVATE, (char **)&r);
		cu->multi_remove_handle(d->multi, easy);
		req_unlink(d, r);
		req_done(d, r, res);
		req_free(r);
	}
	if (d->cut_note[0] && !d->closing) {
		char note[sizeof(d->cut_note)];

		memcpy(note, d->cut_note, sizeof(note));
		d->cut_note[0] = 0;
		bh_docker__emit(d, NULL, BH_DOCKER_ERROR, NULL, note);
	}
	if (d->closing || d->state == ST_DOWN)
		return;
	if (d->state == ST_CONNECTING && d->events_up) {
		uv_timer_stop(&d->hdr_timer);
		d->state = ST_LISTING;
		if (req_start(d, REQ_LIST, NULL)) {
			go_down(d, "out of memory");
			return;
		}
	}
	if (d->state >= ST_SYNCING)
		start_inspects(d);
}

static void on_hdr_timeout(uv_timer_t *t)
{
	struct bh_docker *d = t->data;
	char why[96];

	d->depth++;
	if (d->state == ST_CONNECTING && !d->events_up) {
		snprintf(why, sizeof(why), "GET /events: no response within %u ms", d->req_timeout);
		go_down(d, why);
	}
	d->depth--;
	if (d->closing && !d->depth)
		bh_docker_close(d, d->done, d->done_arg);
}

static void connect_start(struct bh_docker *d)
{
	d->gen++;
	d->events_up = false;
	d->line_len = 0;
	bh_docker_big_free(d->line_big);
	d->line_big = NULL;
	d->state = ST_CONNECTING;
	/* A daemon that accepts and never answers is as lost as one that refuses. */
	uv_timer_start(&d->hdr_timer, on_hdr_timeout, d->req_timeout, 0);
	if (req_start(d, REQ_EVENTS, NULL))
		go_down(d, "out of memory");
}

static void on_retry(uv_timer_t *t)
{
	struct bh_docker *d = t->data;

	d->depth++;
	connect_start(d);
	process(d);
	d->depth--;
	if (d->closing && !d->depth)
		bh_docker_close(d, d->done, d->done_arg);
}

/* Transport failure: abort everything, report LOST once, retry later. */
static void go_down(struct bh_docker *d, const char *why)
{
	char msg[CURL_ERROR_SIZE + 160];

	reqs_abort(d);
	uv_timer_stop(&d->hdr_timer);
	d->state = ST_DOWN;
	d->sync_pending = 0;
	d->n_need = 0;
	d->n_inflight = 0;
	for (size_t i = d->n_ents; i-- > 0;) {
		struct bh_docker__entry *e = d->ents[i];

		e->inflight = e->need = e->sync_wait = e->has_stamp = false;
		bh_docker__entry_maybe_drop(d, e);
	}
	if (!d->lost_reported) {
		d->lost_reported = true;
		snprintf(msg, sizeof(msg), "%s (%s); retrying every %u..%u ms", why, d->socket_path,
			 d->backoff_min, d->backoff_max);
		bh_docker__emit(d, NULL, BH_DOCKER_LOST, NULL, msg);
	}
	if (d->closing)
		return;
	uv_timer_start(&d->retry, on_retry, d->backoff, 0);
	d->backoff = d->backoff * 2 > d->backoff_max ? d->backoff_max : d->backoff * 2;
}

/* ---- libcurl <-> libuv ------------------------------------------------------------------ */

static void on_handle_closed(uv_handle_t *h);

static void on_poll(uv_poll_t *p, int status, int events)
{
	struct bh_docker__sock *s = p->data;
	struct bh_docker *d = s->d;
	int flags = 0, running;

	if (status < 0)
		flags = CURL_CSELECT_ERR;
	if (events & UV_READABLE)
		flags |= CURL_CSELECT_IN;
	if (events & UV_WRITABLE)
		flags |= CURL_CSELECT_OUT;
	d->depth++;
	cu->multi_socket_action(d->multi, s->fd, flags, &running);
	process(d);
	d->depth--;
	if (d->closing && !d->depth)
		bh_docker_close(d, d->done, d->done_arg);
}

static void sock_close(struct bh_docker *d, struct bh_docker__sock *s)
{
	uv_poll_stop(&s->poll);
	*s->pprev = s->next;
	if (s->next)
		s->next->pprev = s->pprev;
	d->pending_closes++;
	uv_close((uv_handle_t *)&s->poll, on_handle_closed);
}

static int on_curl_socket(CURL *easy, curl_socket_t fd, int what, void *userp, void *socketp)
{
	struct bh_docker *d = userp;
	struct bh_docker__sock *s = socketp;
	int ev = 0;

	if (what == CURL_POLL_REMOVE) {
		if (s) {
			cu->multi_assign(d->multi, fd, NULL);
			sock_close(d, s);
		}
		return 0;
	}
	if (!s) {
		s = calloc(1, sizeof(*s));
		if (!s)
			return -1;
		if (uv_poll_init_socket(d->loop, &s->poll, fd)) {
			free(s);
			return -1;
		}
		s->poll.data = s;
		s->d = d;
		s->fd = fd;
		s->next = d->socks;
		if (s->next)
			s->next->pprev = &s->next;
		s->pprev = &d->socks;
		d->socks = s;
		cu->multi_assign(d->multi, fd, s);
	}
	if (what & CURL_POLL_IN)
		ev |= UV_READABLE;
	if (what & CURL_POLL_OUT)
		ev |= UV_WRITABLE;
	return uv_poll_start(&s->poll, ev, on_poll) ? -1 : 0;
}

static void on_curl_timeout(uv_timer_t *t)
{
	struct bh_docker *d = t->data;
	int running;

	d->depth++;
	cu->multi_socket_action(d->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	process(d);
	d->depth--;
	if (d->closing && !d->depth)
		bh_docker_close(d, d->done, d->done_arg);
}

static int on_curl_timer(CURLM *multi, long timeout_ms, void *userp)
{
	struct bh_docker *d = userp;

	if (d->torn_down)
		return 0;
	if (timeout_ms < 0)
		uv_timer_stop(&d->curl_timer);
	else
		uv_timer_start(&d->curl_timer, on_curl_timeout, (uint64_t)timeout_ms, 0);
	return 0;
}

/* ---- lifecycle ---------------------------------------------------------------------------- */

static void finalize(struct bh_docker *d)
{
	void (*done)(void *) = d->done;
	void *arg = d->done_arg;

	for (size_t i = 0; i < d->n_ents; i++)
		bh_docker__entry_free(d->ents[i]);
	free(d->ents);
	bh_docker_big_free(d->line_big);
	free(d->line);
	free(d->socket_path);
	free(d);
	if (done)
		done(arg);
}

static void on_handle_closed(uv_handle_t *h)
{
	struct bh_docker *d;

	if (h->type == UV_POLL) {
		struct bh_docker__sock *s = h->data;

		d = s->d;
		free(s);
	} else {
		d = h->data;
	}
	if (--d->pending_closes == 0 && d->torn_down)
		finalize(d);
}

int bh_docker_start(uv_loop_t *loop, const struct bh_docker_opts *o, bh_docker_cb cb, void *arg,
		    struct bh_docker **out)
{
	struct bh_docker *d;
	int err = -ENOMEM;

	*out = NULL;
	if (!cb)
		return -EINVAL;
	if (!cu) {
		char why[160];

		cu = bh_curl_load(why, sizeof(why));
		if (!cu)
			return -ELIBACC;	/* libcurl missing: "Can not access a needed shared library" */
	}
	if (cu->global_init(CURL_GLOBAL_DEFAULT))
		return -ENOMEM;
	d = calloc(1, sizeof(*d));
	if (!d)
		goto fail_global;
	d->loop = loop;
	d->cb = cb;
	d->arg = arg;
	d->api = API_VERSIONED;
	d->socket_path = strdup(o && o->socket_path ? o->socket_path : BH_DOCKER_SOCKET_DEFAULT);
	if (!d->socket_path)
		goto fail_alloc;
	d->backoff_min = o && o->backoff_min_ms ? o->backoff_min_ms : 100;
	d->backoff_max = o && o->backoff_max_ms ? o->backoff_max_ms : 5000;
	if (d->backoff_max < d->backoff_min)
		d->backoff_max = d->backoff_min;
	d->backoff = d->backoff_min;
	d->req_timeout = o && o->request_timeout_ms ? o->request_timeout_ms : 10000;
	d->multi = cu->multi_init();
	if (!d->multi)
		goto fail_path;
	if (cu->multi_setopt(d->multi, CURLMOPT_SOCKETFUNCTION, on_curl_socket) ||
	    cu->multi_setopt(d->multi, CURLMOPT_SOCKETDATA, d) ||
	    cu->multi_setopt(d->multi, CURLMOPT_TIMERFUNCTION, on_curl_timer) ||
	    cu->multi_setopt(d->multi, CURLMOPT_TIMERDATA, d) ||
	    cu->multi_setopt(d->multi, CURLMOPT_MAX_HOST_CONNECTIONS, (long)MAX_CONNS))
		goto fail_multi;
	/* uv_timer_init and uv_timer_start cannot fail with a callback given */
	uv_timer_init(loop, &d->curl_timer);
	d->curl_timer.data = d;
	uv_timer_init(loop, &d->retry);
	d->retry.data = d;
	uv_timer_init(loop, &d->hdr_timer);
	d->hdr_timer.data = d;
	/*
	 * Start through the retry timer so no callback can run from inside
	 * bh_docker_start, and so a failure to connect follows the same path
	 * as any later one.
	 */
	uv_timer_start(&d->retry, on_retry, 0, 0);
	*out = d;
	return 0;

fail_multi:
	cu->multi_cleanup(d->multi);
fail_path:
	free(d->socket_path);
fail_alloc:
	free(d);
fail_global:
	cu->global_cleanup();
	return err;
}

void bh_docker_close(struct bh_docker *d, void (*done)(void *arg), void *arg)
{
	if (!d || d->torn_down)
		return;
	d->closing = true;
	d->done = done;
	d->done_arg = arg;
	if (d->depth)
		return;	/* the outermost loop callback finishes the job */
	reqs_abort(d);
	cu->multi_cleanup(d->multi);
	d->multi = NULL;
	d->torn_down = true;
	while (d->socks) {
		struct bh_docker__sock *s = d->socks;

		sock_close(d, s);
	}
	uv_timer_stop(&d->retry);
	uv_timer_stop(&d->curl_timer);
	uv_timer_stop(&d->hdr_timer);
	d->pending_closes += 3;
	uv_close((uv_handle_t *)&d->retry, on_handle_closed);
	uv_close((uv_handle_t *)&d->curl_timer, on_handle_closed);
	uv_close((uv_handle_t *)&d->hdr_timer, on_handle_closed);
	cu->global_cleanup();
}
