// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "agent/control.h"

#define CONN_MAX_REQ (64 * 1024)
#define CONN_TIMEOUT_MS 5000
#define CONN_MAX 64

struct conn {
	struct bh_control *ctl;
	struct conn *next, **pprev;	/* in ctl->list */
	uv_pipe_t pipe;
	uv_timer_t timer;
	uv_write_t wr;
	char *buf;
	size_t len;
	char *resp;
	int closing;	/* handles still to close */
	int answered;
};

static void conn_closed(uv_handle_t *h)
{
	struct conn *k = h->data;
	struct bh_control *c = k->ctl;

	if (--k->closing)
		return;
	*k->pprev = k->next;
	if (k->next)
		k->next->pprev = k->pprev;
	free(k->buf);
	free(k->resp);
	free(k);
	c->conns--;
	if (c->closing && !c->conns && c->close_cb && c->closing == 1) {
		c->closing = 2;
		c->close_cb(c);
	}
}

static void conn_close(struct conn *k)
{
	if (k->closing)
		return;
	k->closing = 2;
	uv_timer_stop(&k->timer);
	uv_close((uv_handle_t *)&k->pipe, conn_closed);
	uv_close((uv_handle_t *)&k->timer, conn_closed);
}

static void conn_timeout(uv_timer_t *t)
{
	conn_close(t->data);
}

static void write_done(uv_write_t *wr, int status)
{
	conn_close(wr->data);
}

static void conn_answer(struct conn *k)
{
	struct bh_control *c = k->ctl;
	json_error_t jerr;
	json_t *req, *resp = NULL;
	uv_buf_t b;
	char *text;

	k->answered = 1;
	uv_read_stop((uv_stream_t *)&k->pipe);
	c->requests++;
	req = json_loadb(k->buf, k->len, JSON_DISABLE_EOF_CHECK, &jerr);
	if (!req || !json_is_object(req))
		resp = json_pack("{s:s}", "error", "request is not a JSON object");
	else
		resp = c->handler(c, req);
	if (!resp)
		resp = json_pack("{s:s}", "error", "request failed");
	json_decref(req);
	text = resp ? json_dumps(resp, JSON_COMPACT | JSON_REAL_PRECISION(9)) : NULL;
	json_decref(resp);
	if (!text) {
		conn_close(k);
		return;
	}
	k->resp = malloc(strlen(text) + 2);
	if (!k->resp) {
		free(text);
		conn_close(k);
		return;
	}
	strcpy(k->resp, text);
	strcat(k->resp, "\n");
	free(text);
	b = uv_buf_init(k->resp, strlen(k->resp));
	k->wr.data = k;
	if (uv_write(&k->wr, (uv_stream_t *)&k->pipe, &b, 1, write_done) < 0)
		conn_close(k);
}

static void conn_alloc(uv_handle_t *h, size_t hint, uv_buf_t *b)
{
	struct conn *k = h->data;

	*b = uv_buf_init(k->buf + k->len, CONN_MAX_REQ - k->len);
}

static void conn_read(uv_stream_t *s, ssize_t n, const uv_buf_t *b)
{
	struct conn *k = s->data;

	if (k->closing || k->answered)
		return;
	if (n == UV_EOF) {
		if (k->len)
			conn_answer(k);
		else
			conn_close(k);	/* a liveness probe: nothing to answer */
		return;
	}
	if (n < 0) {
		conn_close(k);
		return;
	}
	k->len += n;
	if (memchr(k->buf + k->len - n, '\n', n)) {
		conn_answer(k);
		return;
	}
	if (k->len >= CONN_MAX_REQ)
		conn_close(k);
}

static void on_connection(uv_stream_t *server, int status)
{
	struct bh_control *c = server->data;
	struct conn *k;

	if (status < 0 || c->closing)
		return;
	k = calloc(1, sizeof(*k));
	if (!k)
		return;
	k->buf = malloc(CONN_MAX_REQ);
	if (!k->buf || uv_pipe_init(c->loop, &k->pipe, 0) < 0) {
		free(k->buf);
		free(k);
		return;
	}
	k->ctl = c;
	k->next = c->list;
	k->pprev = (struct conn **)&c->list;
	if (k->next)
		k->next->pprev = &k->next;
	c->list = k;
	k->pipe.data = k;
	uv_timer_init(c->loop, &k->timer);	/* cannot fail on an initialised loop */
	k->timer.data = k;
	c->conns++;
	if (uv_accept(server, (uv_stream_t *)&k->pipe) < 0 || c->conns > CONN_MAX ||
	    uv_read_start((uv_stream_t *)&k->pipe, conn_alloc, conn_read) < 0) {
		conn_close(k);
		return;
	}
	uv_timer_start(&k->timer, conn_timeout, CONN_TIMEOUT_MS, 0);
}

/* 0 when something answers on path. */
static int probe_live(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd, r;

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	strncpy(sa.sun_path, path, sizeof(sa.sun_path) - 1);
	r = connect(fd, (struct sockaddr *)&sa, sizeof(sa)) ? -errno : 0;
	close(fd);
	return r;
}

static int make_parent(const char *path)
{
	char *d = strdup(path), *slash;
	int r = 0;

	if (!d)
		return -ENOMEM;
	slash = strrchr(d, '/');
	if (slash && slash != d) {
		*slash = 0;
		if (mkdir(d, 0755) && errno != EEXIST)
			r = -errno;
	}
	free(d);
	return r;
}

int bh_control_start(uv_loop_t *loop, struct bh_control *c, const char *path,
		     bh_control_handler handler)
{
	void *data = c->data;
	mode_t old;
	int r;

	memset(c, 0, sizeof(*c));
	c->data = data;
	c->loop = loop;
	c->handler = handler;
	if (strlen(path) >= sizeof(((struct sockaddr_un *)0)->sun_path))
		return -ENAMETOOLONG;
	c->path = strdup(path);
	if (!c->path)
		return -ENOMEM;
	r = make_parent(path);
	if (r < 0)
		goto fail_path;
	if (!probe_live(path)) {
		r = -EADDRINUSE;
		goto fail_path;
	}
	unlink(path);	/* stale socket of a previous run */
	r = uv_pipe_init(loop, &c->server, 0);
	if (r < 0)
		goto fail_path;
	c->server.data = c;
	/* The socket is created 0600 from the start: no window with wider access. */
	old = umask(0177);
	r = uv_pipe_bind(&c->server, path);
	umask(old);
	if (r < 0)
		goto fail_pipe;
	chmod(path, 0600);
	r = uv_listen((uv_stream_t *)&c->server, 16, on_connection);
	if (r < 0)
		goto fail_bound;
	return 0;

fail_bound:
	unlink(path);
fail_pipe:
	/* The pipe is initialised: it must be closed through the loop. */
	uv_close((uv_handle_t *)&c->server, NULL);
fail_path:
	free(c->path);
	c->path = NULL;
	return r;
}

static void server_closed(uv_handle_t *h)
{
	struct bh_control *c = h->data;

	c->conns--;	/* the server counts as one while closing */
	if (!c->conns && c->close_cb && c->closing == 1) {
		c->closing = 2;
		c->close_cb(c);
	}
}

void bh_control_close(struct bh_control *c, bh_control_close_cb close_cb)
{
	c->close_cb = close_cb;
	c->closing = 1;
	c->conns++;
	uv_close((uv_handle_t *)&c->server, server_closed);
	for (struct conn *k = c->list; k; k = k->next)
		conn_close(k);
	unlink(c->path);
	free(c->path);
	c->path = NULL;
}

/* ---- client ------------------------------------------------------------------- */

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int wait_fd(int fd, short ev, int64_t deadline)
{
	struct pollfd p = { .fd = fd, .events = ev };
	int64_t left = deadline - now_ms();
	int r;

	if (left <= 0)
		return -ETIMEDOUT;
	r = poll(&p, 1, (int)left);
	if (r < 0)
		return -errno;
	return r ? 0 : -ETIMEDOUT;
}

int bh_control_request(const char *path, const char *req, char **resp, int timeout_ms)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int64_t deadline = now_ms() + timeout_ms;
	size_t len = 0, cap = 4096, off = 0, rlen = strlen(req);
	char *buf;
	int fd, r;

	*resp = NULL;
	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		r = -errno;
		goto close_fd;
	}
	while (off < rlen) {
		ssize_t n = write(fd, req + off, rlen - off);

		if (n < 0) {
			r = -errno;
			goto close_fd;
		}
		off += n;
	}
	shutdown(fd, SHUT_WR);
	buf = malloc(cap);
	if (!buf) {
		r = -ENOMEM;
		goto close_fd;
	}
	for (;;) {
		ssize_t n;

		if (len + 1 >= cap) {
			char *nb = realloc(buf, cap * 2);

			if (!nb) {
				r = -ENOMEM;
				goto free_buf;
			}
			buf = nb;
			cap *= 2;
		}
		r = wait_fd(fd, POLLIN, deadline);
		if (r < 0)
			goto free_buf;
		n = read(fd, buf + len, cap - len - 1);
		if (n < 0) {
			r = -errno;
			goto free_buf;
		}
		if (!n)
			break;
		len += n;
	}
	buf[len] = 0;
	*resp = buf;
	close(fd);
	return 0;

free_buf:
	free(buf);
close_fd:
	close(fd);
	return r;
}
