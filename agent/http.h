/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef BH_AGENT_HTTP_H
#define BH_AGENT_HTTP_H

/*
 * A minimal HTTP/1.1 endpoint on the agent's libuv loop that answers GET
 * (and HEAD) on one path with a body rendered on demand. Requests are
 * parsed by libmicrohttpd running in external mode: its epoll descriptor
 * sits under one uv_poll and its timeouts under one uv_timer, so every
 * callback runs on the loop thread and can read the agent directly.
 *
 * Bounds, so a scrape can never stall the agent:
 *   - at most BH_HTTP_MAX_CONNS connections; further clients wait in the
 *     listen backlog until a slot frees;
 *   - BH_HTTP_MEM_LIMIT bytes per connection for the request (a longer
 *     request line or headers get 431/413 and the connection closes);
 *   - every connection is closed after BH_HTTP_TIMEOUT_S seconds without
 *     progress (a client that stops reading or never finishes its request).
 * Other paths answer 404, other methods 405.
 */

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#define BH_HTTP_MAX_CONNS 8
#define BH_HTTP_MEM_LIMIT 16384
#define BH_HTTP_TIMEOUT_S 5

struct bh_http;
struct sockaddr;

/* Produces the body: *body is malloc'd and taken by the caller. 0 or -ENOMEM. */
typedef int (*bh_http_render_fn)(void *arg, char **body, size_t *len);

struct bh_http_cfg {
	const struct sockaddr *addr;	/* copied */
	unsigned int addrlen;
	const char *path;		/* e.g. "/metrics" (borrowed: must outlive the server) */
	const char *content_type;	/* borrowed likewise */
	bh_http_render_fn render;
	void *arg;
};

struct bh_http_stats {
	uint64_t requests;	/* answered on the path */
	uint64_t refused;	/* other paths, methods, or render failures */
};

/* Listen and serve on loop. 0 and *out, or a negative errno (nothing to close). */
int bh_http_start(uv_loop_t *loop, const struct bh_http_cfg *cfg, struct bh_http **out);

void bh_http_stats_get(const struct bh_http *h, struct bh_http_stats *st);

/*
 * Stops listening and closes every connection, then frees h once the loop
 * has closed its handles and calls cb(arg) (cb may be NULL).
 */
void bh_http_close(struct bh_http *h, void (*cb)(void *arg), void *arg);

#endif
