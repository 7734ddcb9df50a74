/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef BH_AGENT_CONTROL_H
#define BH_AGENT_CONTROL_H

/*
 * The control socket: a unix stream socket (mode 0600) taking one JSON
 * request per connection, e.g. {"cmd":"status"}, answered with one JSON
 * object and a newline, then closed. A connection that sends nothing
 * within a few seconds, or more than 64 KiB, is dropped.
 */

#include <stdint.h>
#include <uv.h>
#include <jansson.h>

struct bh_control;

/*
 * Handles a request (borrowed). Returns a new reference to the response
 * object, or NULL (the server answers {"error":"..."}).
 */
typedef json_t *(*bh_control_handler)(struct bh_control *c, json_t *req);
typedef void (*bh_control_close_cb)(struct bh_control *c);

struct bh_control {
	void *data;		/* the owner's */
	uv_loop_t *loop;
	uv_pipe_t server;
	char *path;
	bh_control_handler handler;
	bh_control_close_cb close_cb;
	void *list;		/* open connections (private) */
	unsigned int conns;	/* open connections */
	int closing;
	uint64_t requests;
};

/*
 * Listen on path: creates the parent directory (0755) when missing and
 * replaces a stale socket, but fails with -EADDRINUSE when another process
 * answers on it. 0 or a negative errno (nothing to close then).
 */
int bh_control_start(uv_loop_t *loop, struct bh_control *c, const char *path,
		     bh_control_handler handler);

/* Stop listening, drop open connections, unlink the socket; close_cb when all are closed. */
void bh_control_close(struct bh_control *c, bh_control_close_cb close_cb);

/*
 * Client side (blocking, for `bulkhead status` / `reload`): send req and
 * read the whole answer into *resp (malloc'd, NUL-terminated). 0 or a
 * negative errno (-ETIMEDOUT after timeout_ms).
 */
int bh_control_request(const char *path, const char *req, char **resp, int timeout_ms);

#endif
