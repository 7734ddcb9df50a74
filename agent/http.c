// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libmicrohttpd in external mode, driven by the libuv loop. With
 * MHD_USE_EPOLL and no thread, the daemon keeps its sockets in one epoll
 * set: that descriptor is readable whenever any of them is ready, so a
 * single uv_poll wakes us and MHD_run() does the (non-blocking) work. The
 * timer follows MHD_get_timeout() after every run: it is what closes idle
 * and slow connections.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <microhttpd.h>

#include "agent/http.h"

struct bh_http {
	uv_loop_t *loop;
	struct MHD_Daemon *d;
	uv_poll_t poll;
	uv_timer_t timer;
	char *path, *ctype;
	bh_http_render_fn render;
	void *arg;
	struct bh_http_stats st;
	int open_handles;
	void (*close_cb)(void *arg);
	void *close_arg;
};

static enum MHD_Result reply(struct MHD_Connection *c, unsigned int code, const char *text,
			     const char *allow)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(strlen(text), (void *)text,
								  MHD_RESPMEM_PERSISTENT);
	enum MHD_Result ret;

	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain; charset=utf-8");
	if (allow)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, allow);
	ret = MHD_queue_response(c, code, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
				  const char *method, const char *version, const char *upload,
				  size_t *upload_size, void **req_ctx)
{
	struct bh_http *h = cls;
	struct MHD_Response *r;
	enum MHD_Result ret;
	char *body = NULL;
	size_t len = 0;

	if (strcmp(method, MHD_HTTP_METHOD_GET) && strcmp(method, MHD_HTTP_METHOD_HEAD)) {
		h->st.refused++;
		return reply(c, MHD_HTTP_METHOD_NOT_ALLOWED, "only GET\n", "GET, HEAD");
	}
	if (strcmp(url, h->path)) {
		h->st.refused++;
		return reply(c, MHD_HTTP_NOT_FOUND, "not found\n", NULL);
	}
	if (*upload_size) {
		/* a GET with a body: not ours to read */
		h->st.refused++;
		return reply(c, MHD_HTTP_BAD_REQUEST, "unexpected body\n", NULL);
	}
	if (h->render(h->arg, &body, &len) < 0) {
		h->st.refused++;
		return reply(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory\n", NULL);
	}
	r = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
	if (!r) {
		free(body);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, h->ctype);
	ret = MHD_queue_response(c, MHD_HTTP_OK, r);
	MHD_destroy_response(r);
	h->st.requests++;
	return ret;
}

static void timer_cb(uv_timer_t *t);

/* After every run: wake again when MHD has a deadline (idle or slow connections). */
static void rearm(struct bh_http *h)
{
	MHD_UNSIGNED_LONG_LONG ms;

	if (MHD_get_timeout(h->d, &ms) == MHD_YES)
		uv_timer_start(&h->timer, timer_cb, ms, 0);
	else
		uv_timer_stop(&h->timer);
}

static void timer_cb(uv_timer_t *t)
{
	struct bh_http *h = t->data;

	MHD_run(h->d);
	rearm(h);
}

static void poll_cb(uv_poll_t *p, int status, int events)
{
	struct bh_http *h = p->data;

	MHD_run(h->d);
	rearm(h);
}

int bh_http_start(uv_loop_t *loop, const struct bh_http_cfg *cfg, struct bh_http **out)
{
	const union MHD_DaemonInfo *info;
	unsigned int flags = MHD_USE_EPOLL;
	struct bh_http *h;
	int r = -ENOMEM;

	h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	h->loop = loop;
	h->render = cfg->render;
	h->arg = cfg->arg;
	h->path = strdup(cfg->path);
	h->ctype = strdup(cfg->content_type);
	if (!h->path || !h->ctype)
		goto free_h;
	if (cfg->addr->sa_family == AF_INET6)
		flags |= MHD_USE_DUAL_STACK;	/* [::] takes IPv4 too; a specific v6 address is unaffected */
	errno = 0;
	h->d = MHD_start_daemon(flags, 0, NULL, NULL, on_request, h,
				MHD_OPTION_SOCK_ADDR, cfg->addr,
				MHD_OPTION_CONNECTION_LIMIT, (unsigned int)BH_HTTP_MAX_CONNS,
				MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)BH_HTTP_MEM_LIMIT,
				MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)BH_HTTP_TIMEOUT_S,
				MHD_OPTION_LISTENING_ADDRESS_REUSE, (unsigned int)1,
				MHD_OPTION_END);
	if (!h->d) {
		r = errno ? -errno : -EADDRNOTAVAIL;
		goto free_h;
	}
	info = MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_EPOLL_FD);
	if (!info || info->epoll_fd < 0) {
		r = -EINVAL;
		goto stop_daemon;
	}
	r = uv_poll_init(loop, &h->poll, info->epoll_fd);
	if (r < 0)
		goto stop_daemon;
	uv_timer_init(loop, &h->timer);
	h->poll.data = h->timer.data = h;
	h->open_handles = 2;
	uv_poll_start(&h->poll, UV_READABLE, poll_cb);
	rearm(h);
	*out = h;
	return 0;
stop_daemon:
	MHD_stop_daemon(h->d);
free_h:
	free(h->path);
	free(h->ctype);
	free(h);
	return r;
}

void bh_http_stats_get(const struct bh_http *h, struct bh_http_stats *st)
{
	*st = h->st;
}

static void handle_closed(uv_handle_t *hd)
{
	struct bh_http *h = hd->data;

	if (--h->open_handles)
		return;
	if (h->close_cb)
		h->close_cb(h->close_arg);
	free(h->path);
	free(h->ctype);
	free(h);
}

void bh_http_close(struct bh_http *h, void (*cb)(void *arg), void *arg)
{
	h->close_cb = cb;
	h->close_arg = arg;
	uv_poll_stop(&h->poll);	/* before MHD closes its epoll descriptor */
	MHD_stop_daemon(h->d);
	h->d = NULL;
	uv_close((uv_handle_t *)&h->poll, handle_closed);
	uv_close((uv_handle_t *)&h->timer, handle_closed);
}
