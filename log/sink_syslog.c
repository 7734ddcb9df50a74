// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Syslog transports: RFC 5424 messages over a unix datagram socket, UDP,
 * or TCP with RFC 6587 octet counting ("LEN SP MSG", so a JSON line is
 * never split or merged however the stream is cut). Datagram sockets stay
 * unconnected so a restarted daemon (a new /dev/log) is reached again
 * without any reconnect logic.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>

#include "log/sink_int.h"

/* facility local0 (16) * 8 + severity informational (6) */
#define BH_SYSLOG_PRI 134
#define BH_SYSLOG_APP "bulkhead"
#define BH_TCP_BACKOFF_MAX_MS 30000

/* "host:port" or "[v6]:port" -> first address getaddrinfo gives. */
static int resolve(const char *hp, int socktype, struct sockaddr_storage *ss, socklen_t *len)
{
	char host[256];
	const char *port, *h = hp;
	size_t hl;
	struct addrinfo hints = { .ai_socktype = socktype, .ai_flags = AI_ADDRCONFIG }, *res;
	int r;

	if (*hp == '[') {
		const char *e = strchr(hp, ']');

		if (!e || e[1] != ':')
			return -EINVAL;
		h = hp + 1;
		hl = (size_t)(e - h);
		port = e + 2;
	} else {
		port = strrchr(hp, ':');
		if (!port)
			return -EINVAL;
		hl = (size_t)(port - hp);
		port++;
	}
	if (!hl || hl >= sizeof(host) || !*port)
		return -EINVAL;
	memcpy(host, h, hl);
	host[hl] = 0;
	r = getaddrinfo(host, port, &hints, &res);
	if (r)
		return r == EAI_SYSTEM ? -errno : -EINVAL;
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	*len = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

/* RFC 5424 section 6.2.1, names as syslog.conf(5) spells them. */
static const char *const facilities[24] = {
	"kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news", "uucp", "cron",
	"authpriv", "ftp", "ntp", "security", "console", "solaris-cron",
	"local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7",
};
static const char *const severities[8] = {
	"emerg", "alert", "crit", "err", "warning", "notice", "info", "debug",
};

/* A name of names[0..n) or a number below n. -EINVAL otherwise. */
static int lookup(const char *v, size_t len, const char *const *names, int n)
{
	char *end;
	long x;

	for (int i = 0; i < n; i++)
		if (strlen(names[i]) == len && !strncmp(v, names[i], len))
			return i;
	if (!len || v[0] < '0' || v[0] > '9')
		return -EINVAL;
	x = strtol(v, &end, 10);
	return end == v + len && x < n ? (int)x : -EINVAL;
}

/*
 * Splits "ADDRESS?facility=F&severity=S" into the address (a copy in buf)
 * and s->pri. 0 or -EINVAL (an unknown option or value).
 */
static int syslog_opts(struct bh_sink *s, const char *arg, char *buf, size_t size)
{
	const char *q = strchr(arg, '?');
	int fac = BH_SYSLOG_PRI / 8, sev = BH_SYSLOG_PRI % 8;
	size_t al = q ? (size_t)(q - arg) : strlen(arg);

	if (al >= size)
		return -ENAMETOOLONG;
	memcpy(buf, arg, al);
	buf[al] = 0;
	while (q && *q) {
		const char *k = q + 1, *eq = strchr(k, '='), *end = strchr(k, '&');
		size_t vl;

		if (!end)
			end = k + strlen(k);
		if (!eq || eq > end)
			return -EINVAL;
		vl = (size_t)(end - eq - 1);
		if (eq - k == 8 && !strncmp(k, "facility", 8))
			fac = lookup(eq + 1, vl, facilities, 24);
		else if (eq - k == 8 && !strncmp(k, "severity", 8))
			sev = lookup(eq + 1, vl, severities, 8);
		else
			return -EINVAL;
		if (fac < 0 || sev < 0)
			return -EINVAL;
		q = *end ? end : NULL;
	}
	s->pri = fac * 8 + sev;
	return 0;
}

/* What every syslog kind sets up: RFC 5424 HOSTNAME and PROCID. */
static void syslog_init(struct bh_sink *s)
{
	s->pid = (int)getpid();
	if (gethostname(s->hostname, sizeof(s->hostname) - 1) < 0 || !s->hostname[0])
		strcpy(s->hostname, "-");
	/* RFC 5424 HOSTNAME: PRINTUSASCII, no spaces */
	for (char *c = s->hostname; *c; c++)
		if (*c < 33 || *c > 126)
			*c = '-';
	s->ts_sec = -1;
}

/* A datagram socket is ready as soon as it exists: unconnected, one line per datagram. */
static int dgram_ready(struct bh_sink *s)
{
	if (s->fd < 0)
		return -errno;
	s->dgram = true;
	s->connected = true;
	return 0;
}

/* arg: the socket path, "" for /dev/log, then options. */
static int unix_open(struct bh_sink *s, const char *arg)
{
	struct sockaddr_un *un = (struct sockaddr_un *)&s->addr;
	char buf[sizeof(un->sun_path) + 1];
	const char *path = buf;
	int err = syslog_opts(s, arg, buf, sizeof(buf));

	if (err)
		return err;
	if (!buf[0])
		path = "/dev/log";
	syslog_init(s);
	if (strlen(path) >= sizeof(un->sun_path))
		return -ENAMETOOLONG;
	un->sun_family = AF_UNIX;
	strcpy(un->sun_path, path);
	s->addrlen = sizeof(*un);
	s->path = strdup(path);
	if (!s->path)
		return -ENOMEM;
	s->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	return dgram_ready(s);
}

/* arg: "host:port", then options. */
static int udp_open(struct bh_sink *s, const char *arg)
{
	char hp[300];
	int err = syslog_opts(s, arg, hp, sizeof(hp));

	if (err)
		return err;
	syslog_init(s);
	err = resolve(hp, SOCK_DGRAM, &s->addr, &s->addrlen);
	if (err)
		return err;
	s->fd = socket(s->addr.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	return dgram_ready(s);
}

/* arg: "host:port", then options; connected by tcp_connect once the handles exist. */
static int tcp_open(struct bh_sink *s, const char *arg)
{
	char hp[300];
	int err = syslog_opts(s, arg, hp, sizeof(hp));

	if (err)
		return err;
	syslog_init(s);
	return resolve(hp, SOCK_STREAM, &s->addr, &s->addrlen);
}

static size_t put_ts(struct bh_sink *s, char *o)
{
	struct timeval tv;
	uint32_t us;
	int i;

	gettimeofday(&tv, NULL);
	if (tv.tv_sec != s->ts_sec) {
		struct tm tm;
		time_t t = tv.tv_sec;

		gmtime_r(&t, &tm);
		strftime(s->ts_text, sizeof(s->ts_text), "%Y-%m-%dT%H:%M:%S", &tm);
		s->ts_sec = tv.tv_sec;
	}
	memcpy(o, s->ts_text, 19);
	o[19] = '.';
	us = (uint32_t)tv.tv_usec;
	for (i = 25; i >= 20; i--) {
		o[i] = (char)('0' + us % 10);
		us /= 10;
	}
	o[26] = 'Z';
	return 27;
}

/* Queues line as one RFC 5424 message; counted: with the RFC 6587 "LEN " prefix. */
static int frame(struct bh_sink *s, const char *line, size_t len, bool counted)
{
	char hdr[400], pre[24];
	size_t hl, pl = 0;
	int n;
	uint8_t *p;

	if (len && line[len - 1] == '\n')
		len--;
	n = snprintf(hdr, 8, "<%d>1 ", s->pri);
	hl = (size_t)n;
	hl += put_ts(s, hdr + hl);
	n = snprintf(hdr + hl, sizeof(hdr) - hl, " %s %s %d - - ", s->hostname, BH_SYSLOG_APP, s->pid);
	hl += (size_t)n < sizeof(hdr) - hl ? (size_t)n : sizeof(hdr) - hl - 1;
	if (counted)
		pl = (size_t)snprintf(pre, sizeof(pre), "%zu ", hl + len);
	p = bh__sink_reserve(s, pl + hl + len);
	if (!p)
		return -ENOBUFS;
	memcpy(p, pre, pl);
	memcpy(p + pl, hdr, hl);
	memcpy(p + pl + hl, line, len);
	bh__sink_commit(s, pl + hl + len);
	return 0;
}

static int dgram_write(struct bh_sink *s, const char *line, size_t len)
{
	return frame(s, line, len, false);
}

static void syslog_close(struct bh_sink *s)
{
	if (s->fd >= 0)
		close(s->fd);
}

const struct bh__sink_ops bh__sink_unix_ops = {
	.open = unix_open,
	.write = dgram_write,
	.close = syslog_close,
};

const struct bh__sink_ops bh__sink_udp_ops = {
	.open = udp_open,
	.write = dgram_write,
	.close = syslog_close,
};

/* ---- TCP ------------------------------------------------------------------------- */

static int tcp_write(struct bh_sink *s, const char *line, size_t len)
{
	return frame(s, line, len, true);
}

/* The connection is gone (err 0: on purpose); reconnect with backoff. */
static void tcp_lost(struct bh_sink *s, int err)
{
	if (err)
		s->st.errors++;
	/* The peer may hold half a frame: the rest of it must not start the new stream. */
	if (s->head_off)
		bh__sink_drop_head(s);
	bh__sink_poll_drop(s);
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
	s->connected = s->connecting = false;
	s->wants_out = false;
	if (s->closing)
		return;
	bh__sink_retry_in(s, s->backoff_ms);
	s->backoff_ms = s->backoff_ms * 2 > BH_TCP_BACKOFF_MAX_MS ? BH_TCP_BACKOFF_MAX_MS : s->backoff_ms * 2;
}

/* Starts a connection, or completes one that poll saw writable. */
static void tcp_connect(struct bh_sink *s)
{
	int fd;

	if (s->closing)
		return;
	if (s->connecting && s->fd >= 0) {
		/* poll saw the socket writable with no error: connected */
		s->connecting = false;
		s->connected = true;
		if (s->ever_connected)
			s->st.reconnects++;
		s->ever_connected = true;
		s->backoff_ms = 100;
		bh__sink_poll_set(s, false);
		bh_sink_flush(s);
		return;
	}
	if (s->poll_closing) {
		/* the previous connection's poll handle is not closed yet */
		bh__sink_retry_in(s, 10);
		return;
	}
	fd = socket(s->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		s->st.errors++;
		bh__sink_retry_in(s, s->backoff_ms);
		return;
	}
	if (connect(fd, (struct sockaddr *)&s->addr, s->addrlen) < 0 && errno != EINPROGRESS) {
		close(fd);
		s->st.errors++;
		bh__sink_retry_in(s, s->backoff_ms);
		s->backoff_ms = s->backoff_ms * 2 > BH_TCP_BACKOFF_MAX_MS ? BH_TCP_BACKOFF_MAX_MS :
			s->backoff_ms * 2;
		return;
	}
	/* Completion (or failure) is reported by poll as writability, even when immediate. */
	s->fd = fd;
	s->pollable = true;
	s->connecting = true;
	bh__sink_poll_set(s, false);
}

static bool tcp_poll(struct bh_sink *s, int status, int events)
{
	char buf[256];
	ssize_t n;

	if (status < 0) {
		tcp_lost(s, status);
		return true;
	}
	if (s->connecting) {
		int err = 0;
		socklen_t l = sizeof(err);

		if (getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &err, &l) < 0)
			err = errno;
		if (err)
			tcp_lost(s, -err);
		else
			tcp_connect(s);	/* completes the connection */
		return true;
	}
	if (events & UV_READABLE) {
		/* A syslog server sends nothing: EOF or an error means it is gone. */
		n = recv(s->fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
			tcp_lost(s, n == 0 ? -EPIPE : -errno);
			return true;
		}
	}
	return false;
}

static void tcp_retry(struct bh_sink *s)
{
	if (!s->connected && !s->connecting)
		tcp_connect(s);
	else
		bh_sink_flush(s);
}

static int tcp_reopen(struct bh_sink *s)
{
	if (s->connected || s->connecting)
		tcp_lost(s, 0);
	return 0;
}

const struct bh__sink_ops bh__sink_tcp_ops = {
	.open = tcp_open,
	.start = tcp_connect,
	.write = tcp_write,
	.reopen = tcp_reopen,
	.close = syslog_close,
	.lost = tcp_lost,
	.poll = tcp_poll,
	.retry = tcp_retry,
	.poll_events = UV_READABLE,
};
