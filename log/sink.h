/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef BH_SINK_H
#define BH_SINK_H

/*
 * Output sinks for JSON lines on a libuv loop. Several can be open at once;
 * the caller writes every line to each. A sink never blocks the loop: lines
 * go into a bounded queue (bytes) that is flushed when the loop is about to
 * wait and after each round of I/O callbacks, so a burst of lines becomes
 * one write/writev/sendmmsg. When the queue is full a line is dropped and
 * counted, never waited for.
 *
 * Specs:
 *   "-" or "stdout"            standard output
 *   "file:/path" or "/path"    a regular file opened O_APPEND, never through a symlink
 *                              and never blocking (bh_sink_reopen after rotation);
 *                              a line cut by a failed write (ENOSPC) is ended with a
 *                              newline before the next line, also when the file was
 *                              left that way before it was opened
 *   "syslog"                   RFC 5424 over the unix datagram socket /dev/log
 *   "syslog+unix:/path"        same, another socket path
 *   "syslog+udp:host:port"     RFC 5424 over UDP ("[v6addr]:port" for IPv6)
 *   "syslog+tcp:host:port"     RFC 5424 over TCP with octet-counting framing
 *                              (RFC 6587), reconnected with backoff
 * A syslog spec may end in options, "?facility=F&severity=S", F a facility
 * name (kern, user, mail, daemon, auth, syslog, lpr, news, uucp, cron,
 * authpriv, ftp, ntp, security, console, solaris-cron, local0..local7) or
 * number 0..23, S a severity name (emerg, alert, crit, err, warning,
 * notice, info, debug) or number 0..7: "syslog?facility=daemon&severity=notice",
 * "syslog+udp:10.0.0.5:514?facility=local3". Default local0.info (PRI 134).
 * A syslog MSG is the JSON line without its newline; APP-NAME "bulkhead",
 * PROCID the pid.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

struct bh_sink;

#define BH_SINK_QUEUE_MAX (4u << 20)	/* default bound of queued bytes per sink */

struct bh_sink_stats {
	uint64_t written;	/* lines handed to the kernel */
	uint64_t dropped;	/* lines dropped: queue full, write error, or a cut TCP frame */
	uint64_t bytes;		/* bytes written, framing included */
	uint64_t errors;	/* failed writes / connection attempts */
	uint64_t reconnects;	/* TCP connections established after the first */
	uint64_t reopen_errors;	/* file reopens that failed (the file open before stays) */
	size_t queued;		/* bytes waiting now */
};

/*
 * Opens a sink on loop. Returns 0 and *out, -EINVAL for a bad spec or a
 * path that is not a regular file (a FIFO, a device; -EISDIR a directory,
 * -ELOOP a symlink), or -errno (a file that cannot be opened, a name that
 * does not resolve).
 * A TCP sink that cannot connect yet is not an error: it queues and
 * retries. Close with bh_sink_close.
 */
int bh_sink_open_from_spec(uv_loop_t *loop, const char *spec, struct bh_sink **out);

/*
 * Queues one line (line ends with '\n'; the bytes are copied). Returns 0,
 * or -ENOBUFS when the line was dropped (counted) because the queue is full
 * or the sink is closing.
 */
int bh_sink_write(struct bh_sink *s, const char *line, size_t len);

/* Writes what can be written now without blocking. 0 or -errno of a hard error. */
int bh_sink_flush(struct bh_sink *s);

/*
 * File: open the path again (after logrotate renamed it); on failure (same
 * errors as at open) lines go on to the file open before and the failure is
 * counted in errors and reopen_errors. Others: reconnect TCP, else nothing.
 */
int bh_sink_reopen(struct bh_sink *s);

void bh_sink_stats(const struct bh_sink *s, struct bh_sink_stats *st);
/* The spec the sink was opened with (borrowed). */
const char *bh_sink_spec(const struct bh_sink *s);
/* Sets the queue bound in bytes (0 = default). */
void bh_sink_set_queue_max(struct bh_sink *s, size_t bytes);

/*
 * Flushes what can be flushed without blocking, closes the sink's handles
 * and frees it once they are closed, then calls cb(arg) (cb may be NULL).
 * Lines still queued then are counted as dropped.
 */
typedef void (*bh_sink_close_cb)(void *arg);
void bh_sink_close(struct bh_sink *s, bh_sink_close_cb cb, void *arg);

#endif
