/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef BH_AGENT_CONTROL_H
#define BH_AGENT_CONTROL_H

/*
 * The control socket: a unix stream socket taking one JSON request per
 * connection, e.g. {"cmd":"status"}, answered with one JSON object (ASCII
 * only: other characters are \u-escaped) and a newline, then closed.
 *
 * Who may talk to it:
 *   - the socket is created mode 0600 (set on the socket before bind(), so
 *     there is no moment with wider access and no chmod through a path),
 *     in a directory that must belong to root or the agent's user and must
 *     not be writable by group or others (a sticky /tmp is refused too);
 *     a missing directory is created 0700 (0711 with allow_uid, so that
 *     user can reach the socket, which is then chowned to it);
 *   - every connection's peer credentials (SO_PEERCRED) are checked: uid 0,
 *     the agent's own uid and allow_uid only; anyone else is answered
 *     {"error":"permission denied ..."} and never reaches the handler.
 *
 * Fairness: a client must send its request within 2 s of connecting and
 * read the answer within 10 s, else it is closed. At most 64 connections
 * are open; a new one when full evicts the oldest connection still waiting
 * for its request (a refused peer's first), or, when every one is being
 * answered, is answered {"error":"busy ..."}: idle clients can never lock
 * out a new one. A request over 64 KiB is answered with an error.
 */

#include <stdint.h>
#include <sys/types.h>
#include <uv.h>
#include <jansson.h>

#define BH_CONTROL_MAX_REQ (64 * 1024)

struct bh_control;

/*
 * Handles a request (borrowed). Returns a new reference to the response
 * object, or NULL (the server answers {"error":"..."}).
 */
typedef json_t *(*bh_control_handler)(struct bh_control *c, json_t *req);
typedef void (*bh_control_close_cb)(struct bh_control *c);

struct bh_control {
	void *data;		/* the owner's; set before start */
	uint32_t allow_uid;	/* a further uid allowed to connect, 0 = none; set before start */
	char why[256];		/* after a failed start: what was wrong, for the message */
	uv_loop_t *loop;
	uv_pipe_t server;
	char *path;
	char *name;		/* base name of the socket in dirfd */
	int dirfd;		/* the socket's directory, held open: unlinked there only */
	dev_t dev;		/* the socket file we bound */
	ino_t ino;
	bh_control_handler handler;
	bh_control_close_cb close_cb;
	void *head, *tail;	/* open connections, oldest first (private) */
	unsigned int conns;	/* connections not yet freed */
	unsigned int live;	/* connections not closing */
	int closing;
	uint64_t requests;	/* requests handed to the handler */
	uint64_t refused;	/* connections from a uid that is not allowed */
	uint64_t evicted;	/* waiting connections closed to make room */
	uint64_t busy;		/* connections answered "busy" */
	uint64_t timeouts;	/* connections closed at their deadline */
};

/*
 * Listen on path (see above for the checks). Replaces a stale socket (one
 * nobody answers on); refuses, with a negative errno and the reason in
 * c->why: anything at path that is not a socket (-EEXIST, the file is left
 * alone), a live socket (-EADDRINUSE: another agent runs), a directory
 * writable by group or others or owned by someone else (-EPERM). 0 on
 * success; on failure nothing needs closing.
 */
int bh_control_start(uv_loop_t *loop, struct bh_control *c, const char *path,
		     bh_control_handler handler);

/*
 * Stop listening, drop open connections, unlink the socket (only if it is
 * still the one we bound); close_cb when all are closed.
 */
void bh_control_close(struct bh_control *c, bh_control_close_cb close_cb);

/*
 * The request parser: the bytes up to the first newline (or all len bytes
 * when there is none) must hold one JSON object, at most
 * BH_CONTROL_MAX_REQ bytes. Returns 0 with *req a new reference, or
 * -EINVAL (-E2BIG when too long) with *req NULL.
 */
int bh_control_parse(const char *buf, size_t len, json_t **req);

/*
 * Client side (blocking, for `bulkhead status` / `reload`): send req and
 * read the whole answer into *resp (malloc'd, NUL-terminated). 0 or a
 * negative errno (-ETIMEDOUT after timeout_ms).
 */
int bh_control_request(const char *path, const char *req, char **resp, int timeout_ms);

#endif
