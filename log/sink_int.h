/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef BH_SINK_INT_H
#define BH_SINK_INT_H

/* Shared between sink.c (queue, flushing, lifetime) and the per-kind files. */

#include <sys/socket.h>

#include "log/sink.h"

enum bh__sink_kind {
	BH_SINK_STDOUT,
	BH_SINK_FILE,
	BH_SINK_UNIX,
	BH_SINK_UDP,
	BH_SINK_TCP,
};

struct bh_sink {
	uv_loop_t *loop;
	enum bh__sink_kind kind;
	char *spec;
	char *path;		/* file or unix socket path */
	int fd;			/* -1 when none (TCP while disconnected) */
	bool pollable;		/* fd can go under uv_poll (pipes, sockets) */
	bool dgram;		/* one record = one datagram */
	bool connected;		/* TCP: connection established */
	bool connecting;
	bool closing;
	bool wants_out;		/* poll for POLLOUT */
	/* queue of records: [uint32_t len][bytes], len rounded up to 4 */
	uint8_t *q;
	size_t q_head, q_tail, q_cap, q_max;
	size_t head_off;	/* bytes of the head record already written */
	/* syslog */
	struct sockaddr_storage addr;
	socklen_t addrlen;
	char hostname[256];
	int pid;
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

/* sink.c */
void bh__sink_arm(struct bh_sink *s);
void bh__sink_poll_set(struct bh_sink *s, bool out);
void bh__sink_poll_drop(struct bh_sink *s);
/* Reserves a record of n bytes at the queue tail; NULL when it does not fit (counted). */
uint8_t *bh__sink_reserve(struct bh_sink *s, size_t n);
void bh__sink_commit(struct bh_sink *s, size_t n);
/* Drops the head record, counting it as dropped. */
void bh__sink_drop_head(struct bh_sink *s);
/* (Re)starts the retry timer: reconnect (TCP) or flush again after ms. */
void bh__sink_retry_in(struct bh_sink *s, uint64_t ms);

/* sink_syslog.c */
int bh__sink_syslog_open(struct bh_sink *s, const char *arg);
int bh__sink_syslog_frame(struct bh_sink *s, const char *line, size_t len);
void bh__sink_tcp_connect(struct bh_sink *s);
void bh__sink_tcp_lost(struct bh_sink *s, int err);

#endif
