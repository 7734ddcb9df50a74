/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef BH_SINK_INT_H
#define BH_SINK_INT_H

/*
 * Internals of the sinks, in layers that call downwards only:
 *   sink_spec.c     a spec names a kind: the table of kinds, bh_sink_open_from_spec
 *   sink_file.c     stdout and file kinds        } each a struct bh__sink_ops
 *   sink_syslog.c   syslog over unix, UDP, TCP   }
 *   sink.c          queue, flushing, loop handles, lifetime; reaches a
 *                   kind only through s->ops
 */

#include <sys/socket.h>

#include "log/sink.h"

/*
 * What differs between kinds. open, write and close are always set; a NULL
 * hook means the default written beside it.
 */
struct bh__sink_ops {
	/*
	 * Before the loop handles exist: parse arg (the spec after its scheme),
	 * set fd, dgram, pollable, connected... 0 or -errno (close is called).
	 */
	int (*open)(struct bh_sink *s, const char *arg);
	/* Once the loop handles exist (TCP: the first connect). NULL: nothing. */
	void (*start)(struct bh_sink *s);
	/* Queue one line (framing included). 0 or -ENOBUFS (dropped, counted). */
	int (*write)(struct bh_sink *s, const char *line, size_t len);
	/* Rotation or SIGHUP. 0 or -errno. NULL: nothing to do. */
	int (*reopen)(struct bh_sink *s);
	/* Release the fd (once every handle is closed, or after a failed open). */
	void (*close)(struct bh_sink *s);
	/*
	 * A stream write failed with err (negative). NULL: every queued line
	 * is dropped and the error returned by the flush.
	 */
	void (*lost)(struct bh_sink *s, int err);
	/*
	 * The fd's poll fired. Returns true when it handled everything, false
	 * to go on with the default: flush when writable. NULL: an error is
	 * counted and polling stops.
	 */
	bool (*poll)(struct bh_sink *s, int status, int events);
	/* The retry timer fired. NULL: flush again. */
	void (*retry)(struct bh_sink *s);
	/* Polled for whenever the fd is (TCP: UV_READABLE, to notice the peer going away). */
	int poll_events;
};

/* sink_file.c */
extern const struct bh__sink_ops bh__sink_stdout_ops, bh__sink_file_ops;
/* sink_syslog.c */
extern const struct bh__sink_ops bh__sink_unix_ops, bh__sink_udp_ops, bh__sink_tcp_ops;

struct bh_sink {
	uv_loop_t *loop;
	const struct bh__sink_ops *ops;
	char *spec;
	char *path;		/* file or unix socket path */
	int fd;			/* -1 when none (TCP while disconnected) */
	bool pollable;		/* fd can go under uv_poll (pipes, sockets) */
	bool dgram;		/* one record = one datagram */
	bool connected;		/* lines can be written to fd (TCP: connection established) */
	bool connecting;
	bool closing;
	bool wants_out;		/* poll for POLLOUT */
	bool cut;		/* the stream ends inside a line: a newline goes out first */
	/* queue of records: [uint32_t len][bytes], len rounded up to 4 */
	uint8_t *q;
	size_t q_head, q_tail, q_cap, q_max;
	size_t head_off;	/* bytes of the head record already written */
	/* syslog */
	struct sockaddr_storage addr;
	socklen_t addrlen;
	char hostname[256];
	int pid;
	int pri;		/* RFC 5424 PRI: facility * 8 + severity */
	int64_t ts_sec;		/* cached "YYYY-MM-DDTHH:MM:SS" of ts_sec */
	char ts_text[24];
	uint32_t backoff_ms;
	/* handles: embedded, data points back at the sink */
	uv_prepare_t prepare;
	uv_check_t check;
	uv_timer_t timer;
	uv_poll_t poll;
	bool poll_open;		/* poll initialised and not closed */
	bool poll_closing;	/* uv_close called, close callback not yet run */
	bool ever_connected;
	int open_handles;
	bh_sink_close_cb close_cb;
	void *close_arg;
	struct bh_sink_stats st;
};

/* sink.c: lifetime */
/* A sink of kind ops for spec, not open yet (fd -1). 0 or -ENOMEM. */
int bh__sink_alloc(uv_loop_t *loop, const char *spec, const struct bh__sink_ops *ops,
		   struct bh_sink **out);
/* After a successful ops->open: the loop handles, then ops->start. */
void bh__sink_start(struct bh_sink *s);
/* After a failed ops->open: ops->close, then free. */
void bh__sink_free(struct bh_sink *s);

/* sink.c: the queue */
/* Reserves a record of n bytes at the queue tail; NULL when it does not fit (counted). */
uint8_t *bh__sink_reserve(struct bh_sink *s, size_t n);
void bh__sink_commit(struct bh_sink *s, size_t n);
/* Queues line as it is (reserve, copy, commit). 0 or -ENOBUFS. */
int bh__sink_put(struct bh_sink *s, const char *line, size_t len);
/* Drops the head record, counting it as dropped. */
void bh__sink_drop_head(struct bh_sink *s);

/* sink.c: the loop */
void bh__sink_poll_set(struct bh_sink *s, bool out);
/* Closes the poll handle (the fd can be closed right after: the handle is stopped). */
void bh__sink_poll_drop(struct bh_sink *s);
/* (Re)starts the retry timer: ops->retry (or a flush) after ms. */
void bh__sink_retry_in(struct bh_sink *s, uint64_t ms);

#endif
