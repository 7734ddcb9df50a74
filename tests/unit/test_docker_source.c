// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The Docker source's connection cycle against a fake Engine API served on a
 * unix socket from the same loop: initial sync, events, daemon gone (LOST
 * once), resync with REMOVE of what vanished, close from inside a callback,
 * and a loop that closes clean every time.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <uv.h>

#include "docker.h"

#define MAX_CONT 4
#define MAX_CONN 64
#define BULK 300

struct fake;

struct conn {
	uv_pipe_t pipe;
	struct fake *f;
	char req[4096];
	size_t len;
	bool events;	/* a subscribed /events stream */
	bool used;
};

struct fake {
	uv_loop_t *loop;
	uv_pipe_t *server;	/* a fresh one per listen: the old one may still be closing */
	bool listening;
	char path[108];
	const char *ids[MAX_CONT];	/* running containers */
	int n_bulk;			/* and "b0".."b<n_bulk-1>" */
	bool no_v141;			/* a daemon that refuses API 1.41 */
	struct conn conns[MAX_CONN];
};

static void conn_closed(uv_handle_t *h)
{
	struct conn *c = h->data;

	c->used = false;
}

static void conn_close(struct conn *c)
{
	if (c->used && !uv_is_closing((uv_handle_t *)&c->pipe))
		uv_close((uv_handle_t *)&c->pipe, conn_closed);
}

struct wreq {
	uv_write_t w;
	struct conn *c;
	bool close;	/* the response is complete: hang up, as "Connection: close" says */
	char data[];
};

static void write_done(uv_write_t *w, int status)
{
	struct wreq *q = (struct wreq *)w;

	if (q->close)
		conn_close(q->c);
	free(q);
}

static void conn_send(struct conn *c, const char *s, bool close)
{
	size_t len = strlen(s);
	struct wreq *q = malloc(sizeof(*q) + len);
	uv_buf_t b;

	assert_non_null(q);
	memcpy(q->data, s, len);
	q->c = c;
	q->close = close;
	b = uv_buf_init(q->data, (unsigned int)len);
	assert_int_equal(uv_write(&q->w, (uv_stream_t *)&c->pipe, &b, 1, write_done), 0);
}

static void conn_write(struct conn *c, const char *s)
{
	conn_send(c, s, false);
}

static void respond(struct conn *c, int code, const char *body)
{
	char *buf;

	assert_true(asprintf(&buf, "HTTP/1.1 %d X\r\nContent-Type: application/json\r\n"
				   "Content-Length: %zu\r\nConnection: close\r\n\r\n%s",
			     code, strlen(body), body) > 0);
	conn_send(c, buf, true);
	free(buf);
}

static const char *fake_find(struct fake *f, const char *id)
{
	for (int i = 0; i < MAX_CONT; i++)
		if (f->ids[i] && !strcmp(f->ids[i], id))
			return f->ids[i];
	return NULL;
}

static void serve(struct conn *c)
{
	struct fake *f = c->f;
	static char body[16384];
	char path[512], id[64];
	size_t n = 0;
	int k;

	assert_int_equal(sscanf(c->req, "GET %511s ", path), 1);
	if (!strncmp(path, "/v1.41/", 7)) {
		if (f->no_v141) {
			respond(c, 400, "{\"message\":\"client version 1.41 is too old\"}");
			return;
		}
		memmove(path, path + 6, strlen(path + 6) + 1);
	}
	if (strstr(path, "/events?")) {
		c->events = true;
		conn_write(c, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
			      "Transfer-Encoding: chunked\r\n\r\n");
		return;
	}
	if (strstr(path, "/containers/json")) {
		n += (size_t)snprintf(body + n, sizeof(body) - n, "[");
		for (int i = 0; i < MAX_CONT; i++)
			if (f->ids[i])
				n += (size_t)snprintf(body + n, sizeof(body) - n, "%s{\"Id\":\"%s\"}",
						      n > 1 ? "," : "", f->ids[i]);
		for (int i = 0; i < f->n_bulk; i++)
			n += (size_t)snprintf(body + n, sizeof(body) - n, "%s{\"Id\":\"b%d\"}",
					      n > 1 ? "," : "", i);
		assert_true(n < sizeof(body) - 2);
		snprintf(body + n, sizeof(body) - n, "]");
		respond(c, 200, body);
		return;
	}
	if (sscanf(path, "/containers/%63[^/]/json", id) == 1 &&
	    (fake_find(f, id) || (sscanf(id, "b%d", &k) == 1 && k < f->n_bulk))) {
		snprintf(body, sizeof(body),
			 "{\"Id\":\"%s\",\"Name\":\"/%s\",\"State\":{\"Running\":true},"
			 "\"Config\":{\"Image\":\"img\",\"Labels\":{\"app\":\"%s\"}},"
			 "\"NetworkSettings\":{\"SandboxKey\":\"/run/netns/%s\","
			 "\"Networks\":{\"n\":{\"IPAddress\":\"10.0.0.%d\"}}}}",
			 id, id, id, id, (int)(id[1] - '0') % 200 + 1);
		respond(c, 200, body);
		return;
	}
	respond(c, 404, "{\"message\":\"No such container\"}");
}

static void on_alloc(uv_handle_t *h, size_t sug, uv_buf_t *b)
{
	struct conn *c = h->data;

	*b = uv_buf_init(c->req + c->len, (unsigned int)(sizeof(c->req) - 1 - c->len));
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *b)
{
	struct conn *c = s->data;

	if (n < 0) {
		conn_close(c);
		return;
	}
	c->len += (size_t)n;
	c->req[c->len] = '\0';
	if (strstr(c->req, "\r\n\r\n")) {
		uv_read_stop(s);
		serve(c);
	}
}

static void on_connection(uv_stream_t *srv, int status)
{
	struct fake *f = srv->data;

	for (int i = 0; i < MAX_CONN; i++) {
		struct conn *c = &f->conns[i];

		if (c->used)
			continue;
		memset(c, 0, sizeof(*c));
		c->used = true;
		c->f = f;
		uv_pipe_init(f->loop, &c->pipe, 0);
		c->pipe.data = c;
		assert_int_equal(uv_accept(srv, (uv_stream_t *)&c->pipe), 0);
		uv_read_start((uv_stream_t *)&c->pipe, on_alloc, on_read);
		return;
	}
	fail_msg("fake daemon: too many connections");
}

static void server_closed(uv_handle_t *h)
{
	free(h);
}

static void fake_listen(struct fake *f)
{
	unlink(f->path);
	f->server = malloc(sizeof(*f->server));
	assert_non_null(f->server);
	assert_int_equal(uv_pipe_init(f->loop, f->server, 0), 0);
	f->server->data = f;
	assert_int_equal(uv_pipe_bind(f->server, f->path), 0);
	assert_int_equal(uv_listen((uv_stream_t *)f->server, 16, on_connection), 0);
	f->listening = true;
}

/* The daemon goes away: stop listening and drop every connection. */
static void fake_down(struct fake *f)
{
	if (f->listening)
		uv_close((uv_handle_t *)f->server, server_closed);
	f->listening = false;
	for (int i = 0; i < MAX_CONN; i++)
		conn_close(&f->conns[i]);
	unlink(f->path);
}

static void fake_event(struct fake *f, const char *action, const char *id)
{
	char line[512], chunk[600];

	snprintf(line, sizeof(line),
		 "{\"Type\":\"container\",\"Action\":\"%s\",\"Actor\":{\"ID\":\"%s\"},"
		 "\"timeNano\":1700000000000000001}\n", action, id);
	snprintf(chunk, sizeof(chunk), "%zx\r\n%s\r\n", strlen(line), line);
	for (int i = 0; i < MAX_CONN; i++)
		if (f->conns[i].used && f->conns[i].events)
			conn_write(&f->conns[i], chunk);
}

/* ---- the scenario ------------------------------------------------------------------ */

struct run {
	uv_loop_t loop;
	uv_timer_t guard;
	struct fake f;
	struct bh_docker *d;
	char log[2048];
	int step;
	bool done;
	bool close_on_lost;
	int lost;
};

static void logf_(struct run *r, const char *fmt, ...)
{
	size_t n = strlen(r->log);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(r->log + n, sizeof(r->log) - n, fmt, ap);
	va_end(ap);
}

static void on_done(void *arg)
{
	struct run *r = arg;

	r->done = true;
	uv_close((uv_handle_t *)&r->guard, NULL);
	fake_down(&r->f);
}

static void on_event(void *arg, enum bh_docker_ev ev, const struct bh_workload *wl, const char *msg)
{
	struct run *r = arg;
	const struct bh_docker_stamp *st = bh_docker_stamp_get(r->d);

	if (wl)
		logf_(r, "%s %s/%s;", bh_docker_ev_name(ev), wl->namespace, wl->name);
	else
		logf_(r, "%s;", bh_docker_ev_name(ev));
	if (ev == BH_DOCKER_LOST) {
		r->lost++;
		assert_non_null(msg);
		if (r->close_on_lost)
			bh_docker_close(r->d, on_done, r);
		return;
	}
	if (ev == BH_DOCKER_UPSERT && !strcmp(st->action, "start"))
		assert_true(st->time_nano == 1700000000000000001LL);
	/* advance the script on the events that end each step */
	if (r->step == 0 && ev == BH_DOCKER_SYNCED) {
		assert_true(wl == NULL);
		r->step = 1;
		r->f.ids[1] = "c2";
		fake_event(&r->f, "start", "c2");
	} else if (r->step == 1 && ev == BH_DOCKER_UPSERT) {
		r->step = 2;
		r->f.ids[0] = NULL;
		fake_event(&r->f, "destroy", "c1");
	} else if (r->step == 2 && ev == BH_DOCKER_REMOVE) {
		r->step = 3;
		fake_down(&r->f);
		/* while it is away, c2 goes and c3 comes */
		r->f.ids[1] = NULL;
		r->f.ids[2] = "c3";
		fake_listen(&r->f);
	} else if (r->step == 3 && ev == BH_DOCKER_SYNCED) {
		r->step = 4;
		bh_docker_close(r->d, on_done, r);
	}
}

static void on_guard(uv_timer_t *t)
{
	struct run *r = t->data;

	fail_msg("timed out at step %d; log: %s", r->step, r->log);
}

static void run_init(struct run *r)
{
	memset(r, 0, sizeof(*r));
	assert_int_equal(uv_loop_init(&r->loop), 0);
	uv_timer_init(&r->loop, &r->guard);
	r->guard.data = r;
	uv_timer_start(&r->guard, on_guard, 10000, 0);
	r->f.loop = &r->loop;
	snprintf(r->f.path, sizeof(r->f.path), "/tmp/bh-fake-docker.%d.sock", (int)getpid());
}

static void run_finish(struct run *r)
{
	uv_run(&r->loop, UV_RUN_DEFAULT);
	assert_true(r->done);
	assert_int_equal(uv_loop_close(&r->loop), 0);
}

static void test_cycle(void **state)
{
	struct run r;
	struct bh_docker_opts o = { .backoff_min_ms = 10, .backoff_max_ms = 40 };

	run_init(&r);
	r.f.ids[0] = "c1";
	fake_listen(&r.f);
	o.socket_path = r.f.path;
	assert_int_equal(bh_docker_start(&r.loop, &o, on_event, &r, &r.d), 0);
	run_finish(&r);
	/*
	 * The rename rule does not apply: names never change here. The LOST
	 * between the REMOVE of c1 and the resync is reported once, however
	 * many reconnection attempts fail.
	 */
	assert_string_equal(r.log, "upsert default/c1;synced;upsert default/c2;remove default/c1;"
				   "lost;upsert default/c3;remove default/c2;synced;");
}

/* A daemon that no longer serves API 1.41 is spoken to in its own version, silently. */
static void test_new_daemon(void **state)
{
	struct run r;
	struct bh_docker_opts o = { .backoff_min_ms = 10, .backoff_max_ms = 40 };

	run_init(&r);
	r.f.ids[0] = "c1";
	r.f.no_v141 = true;
	fake_listen(&r.f);
	o.socket_path = r.f.path;
	r.close_on_lost = true;
	r.step = 3;	/* close at the first SYNCED */
	assert_int_equal(bh_docker_start(&r.loop, &o, on_event, &r, &r.d), 0);
	run_finish(&r);
	assert_string_equal(r.log, "upsert default/c1;synced;");
}

/* No daemon at all: one LOST, closing from inside that callback is clean. */
static void test_no_daemon_close_in_callback(void **state)
{
	struct run r;
	struct bh_docker_opts o = { .backoff_min_ms = 10, .backoff_max_ms = 40 };

	run_init(&r);
	r.close_on_lost = true;
	o.socket_path = "/nonexistent/docker.sock";
	assert_int_equal(bh_docker_start(&r.loop, &o, on_event, &r, &r.d), 0);
	run_finish(&r);
	assert_int_equal(r.lost, 1);
	assert_string_equal(r.log, "lost;");
}

static void on_stop_timer(uv_timer_t *t)
{
	struct run *r = t->data;

	bh_docker_close(r->d, on_done, r);
	uv_close((uv_handle_t *)t, NULL);
}

/* Retrying for a while reports LOST once; closing mid-backoff is clean. */
static void test_lost_once(void **state)
{
	struct run r;
	uv_timer_t stop;
	struct bh_docker_opts o = { .backoff_min_ms = 5, .backoff_max_ms = 20 };

	run_init(&r);
	o.socket_path = "/nonexistent/docker.sock";
	assert_int_equal(bh_docker_start(&r.loop, &o, on_event, &r, &r.d), 0);
	uv_timer_init(&r.loop, &stop);
	stop.data = &r;
	uv_timer_start(&stop, on_stop_timer, 300, 0);
	run_finish(&r);
	assert_int_equal(r.lost, 1);
}

/* Closing right after start, before the loop ever ran: no callback, clean loop. */
static void test_close_before_run(void **state)
{
	struct run r;

	run_init(&r);
	assert_int_equal(bh_docker_start(&r.loop, NULL, on_event, &r, &r.d), 0);
	bh_docker_close(r.d, on_done, &r);
	run_finish(&r);
	assert_string_equal(r.log, "");
}

static void on_bulk_event(void *arg, enum bh_docker_ev ev, const struct bh_workload *wl,
			  const char *msg)
{
	struct run *r = arg;

	if (ev == BH_DOCKER_UPSERT)
		r->step++;
	if (ev == BH_DOCKER_SYNCED || ev == BH_DOCKER_LOST) {
		logf_(r, "%s;", bh_docker_ev_name(ev));
		bh_docker_close(r->d, on_done, r);
	}
}

/* A host with hundreds of containers: every one is inspected, with a bounded
 * number of requests in flight. */
static void test_many(void **state)
{
	struct run r;
	struct bh_docker_opts o = { 0 };
	uint64_t t0;

	run_init(&r);
	r.f.n_bulk = BULK;
	fake_listen(&r.f);
	o.socket_path = r.f.path;
	t0 = uv_hrtime();
	assert_int_equal(bh_docker_start(&r.loop, &o, on_bulk_event, &r, &r.d), 0);
	run_finish(&r);
	assert_string_equal(r.log, "synced;");
	assert_int_equal(r.step, BULK);
	printf("# %d containers listed and inspected in %.1f ms\n", BULK,
	       (double)(uv_hrtime() - t0) / 1e6);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cycle),
		cmocka_unit_test(test_new_daemon),
		cmocka_unit_test(test_no_daemon_close_in_callback),
		cmocka_unit_test(test_lost_once),
		cmocka_unit_test(test_close_before_run),
		cmocka_unit_test(test_many),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
