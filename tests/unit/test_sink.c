// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Sinks on a real libuv loop: file rotation without loss, RFC 5424 over a
 * unix datagram socket, the queue bound, TCP octet counting and reconnect;
 * file sinks that refuse symlinks and FIFOs without blocking, end a line cut
 * by ENOSPC (a tiny tmpfs) before the next one, and report failed reopens.
 * With arguments the binary is the sender used by tests/netns/t_rsyslog.sh:
 *   test_sink send SPEC COUNT   writes COUNT numbered JSON lines to SPEC
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <cmocka.h>
#include <uv.h>

#include "log/out.h"
#include "log/sink.h"

static int closed;

static void on_closed(void *arg)
{
	(*(int *)arg)++;
}

static void run_some(uv_loop_t *loop, int rounds)
{
	for (int i = 0; i < rounds; i++)
		uv_run(loop, UV_RUN_NOWAIT);
}

static void close_and_finish(uv_loop_t *loop, struct bh_sink *s)
{
	closed = 0;
	bh_sink_close(s, on_closed, &closed);
	uv_run(loop, UV_RUN_DEFAULT);
	assert_int_equal(closed, 1);
	assert_int_equal(uv_loop_close(loop), 0);
}

static char *tmpdir(void)
{
	static char d[64];

	snprintf(d, sizeof(d), "/tmp/bh-sink.XXXXXX");
	assert_non_null(mkdtemp(d));
	return d;
}

static int count_lines(const char *path, int *first, int *last)
{
	FILE *f = fopen(path, "r");
	char buf[256];
	int n = 0, v;

	if (!f)
		return -1;
	while (fgets(buf, sizeof(buf), f)) {
		assert_int_equal(sscanf(buf, "{\"n\":%d}\n", &v), 1);
		if (!n)
			*first = v;
		else
			assert_int_equal(v, *last + 1);	/* in order, none missing */
		*last = v;
		n++;
	}
	fclose(f);
	return n;
}

static void test_specs(void **state)
{
	uv_loop_t loop;
	struct bh_sink *s;

	uv_loop_init(&loop);
	assert_int_equal(bh_sink_open_from_spec(&loop, "", &s), -EINVAL);
	assert_int_equal(bh_sink_open_from_spec(&loop, "bogus:thing", &s), -EINVAL);
	assert_int_equal(bh_sink_open_from_spec(&loop, "syslog+carrier:pigeon", &s), -EINVAL);
	assert_int_equal(bh_sink_open_from_spec(&loop, "syslog+udp:nohostport", &s), -EINVAL);
	assert_int_equal(bh_sink_open_from_spec(&loop, "syslog+tcp:[::1]", &s), -EINVAL);
	assert_int_equal(bh_sink_open_from_spec(&loop, "file:/nonexistent-dir/x", &s), -ENOENT);
	assert_int_equal(bh_sink_open_from_spec(&loop, "syslog+udp:127.0.0.1:514", &s), 0);
	assert_string_equal(bh_sink_spec(s), "syslog+udp:127.0.0.1:514");
	close_and_finish(&loop, s);
}

static void test_file_rotation(void **state)
{
	uv_loop_t loop;
	struct bh_sink *s;
	char spec[160], path[128], rotated[140], line[64];
	struct bh_sink_stats st;
	char *d = tmpdir();
	int first = -1, n1, n2, l1, l2;

	snprintf(path, sizeof(path), "%s/bulkhead.log", d);
	snprintf(rotated, sizeof(rotated), "%s/bulkhead.log.1", d);
	snprintf(spec, sizeof(spec), "file:%s", path);
	uv_loop_init(&loop);
	assert_int_equal(bh_sink_open_from_spec(&loop, spec, &s), 0);
	for (int i = 0; i < 3000; i++) {
		int n = snprintf(line, sizeof(line), "{\"n\":%d}\n", i);

		assert_int_equal(bh_sink_write(s, line, (size_t)n), 0);
		if (i == 1000) {
			/* logrotate: rename while lines are still queued, then reopen */
			assert_int_equal(rename(path, rotated), 0);
			assert_int_equal(bh_sink_reopen(s), 0);
		}
		if (i % 500 == 0)
			run_some(&loop, 1);
	}
	run_some(&loop, 2);
	bh_sink_stats(s, &st);
	assert_int_equal(st.written, 3000);
	assert_int_equal(st.dropped, 0);
	assert_int_equal(st.queued, 0);
	close_and_finish(&loop, s);
	n1 = count_lines(rotated, &first, &l1);
	assert_int_equal(first, 0);
	n2 = count_lines(path, &first, &l2);
	assert_int_equal(first, l1 + 1);
	assert_int_equal(n1 + n2, 3000);
	assert_int_equal(l2, 2999);
	unlink(path);
	unlink(rotated);
	rmdir(d);
}

static int unix_receiver(const char *path, int rcvbuf)
{
	struct sockaddr_un un = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0);

	assert_true(fd >= 0);
	if (rcvbuf)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	snprintf(un.sun_path, sizeof(un.sun_path), "%s", path);
	assert_int_equal(bind(fd, (struct sockaddr *)&un, sizeof(un)), 0);
	return fd;
}

/* "<134>1 2026-11-29T02:40:35.123456Z host bulkhead 123 - - MSG" -> MSG, or NULL */
static const char *check_5424(const char *m)
{
	char host[256];
	int pid, y, mo, d, h, mi, sec, us, off = 0;

	if (sscanf(m, "<134>1 %4d-%2d-%2dT%2d:%2d:%2d.%6dZ %255s bulkhead %d - - %n", &y, &mo, &d, &h,
		   &mi, &sec, &us, host, &pid, &off) != 9 || !off)
		return NULL;
	if (pid != getpid())
		return NULL;
	return m + off;
}

static void test_unix_syslog(void **state)
{
	uv_loop_t loop;
	struct bh_sink *s;
	char spec[160], path[128], buf[1024];
	char *d = tmpdir();
	int fd, i;

	snprintf(path, sizeof(path), "%s/log.sock", d);
	fd = unix_receiver(path, 0);
	snprintf(spec, sizeof(spec), "syslog+unix:%s", path);
	uv_loop_init(&loop);
	assert_int_equal(bh_sink_open_from_spec(&loop, spec, &s), 0);
	assert_int_equal(bh_sink_write(s, "{\"a\":1}\n", 8), 0);
	assert_int_equal(bh_sink_write(s, "{\"b\":\"x y\"}\n", 12), 0);
	run_some(&loop, 2);
	for (i = 0; i < 2; i++) {
		ssize_t n = recv(fd, buf, sizeof(buf) - 1, 0);
		const char *msg;

		assert_true(n > 0);
		buf[n] = 0;
		msg = check_5424(buf);
		if (!msg)
			fail_msg("not RFC 5424: %s", buf);
		assert_string_equal(msg, i ? "{\"b\":\"x y\"}" : "{\"a\":1}");
	}
	close_and_finish(&loop, s);
	close(fd);
	unlink(path);

	/* no receiver: the line is dropped and counted, nothing blocks */
	uv_loop_init(&loop);
	assert_int_equal(bh_sink_open_from_spec(&loop, spec, &s), 0);
	bh_sink_write(s, "{}\n", 3);
	run_some(&loop, 2);
	struct bh_sink_stats st;

	bh_sink_stats(s, &st);
	assert_int_equal(st.dropped, 1);
	assert_true(st.errors >= 1);
	close_and_finish(&loop, s);
	rmdir(d);
}

/* Facility and severity per sink: named or numbered, in the PRI of every message. */
static void test_syslog_priority(void **state)
{
	static const struct {
		const char *opts;
		int pri;	/* -1: refused */
	} cases[] = {
		{ "", 134 },
		{ "?facility=daemon&severity=notice", 29 },
		{ "?severity=err&facility=local7", 187 },
		{ "?facility=3&severity=5", 29 },
		{ "?facility=kern&severity=emerg", 0 },
		{ "?severity=debug", 135 },
		{ "?facility=authpriv", 86 },
		{ "?facility=bogus", -1 },
		{ "?facility=24", -1 },
		{ "?severity=8", -1 },
		{ "?priority=info", -1 },
		{ "?facility", -1 },
		{ "?facility=local0&", -1 },
	};
	char spec[200], path[128], buf[1024];
	char *d = tmpdir();
	uv_loop_t loop;
	struct bh_sink *s;
	int fd;

	snprintf(path, sizeof(path), "%s/log.sock", d);
	fd = unix_receiver(path, 0);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char want[16];
		ssize_t n;

		snprintf(spec, sizeof(spec), "syslog+unix:%s%s", path, cases[i].opts);
		uv_loop_init(&loop);
		if (cases[i].pri < 0) {
			if (bh_sink_open_from_spec(&loop, spec, &s) != -EINVAL)
				fail_msg("%s: accepted", spec);
			assert_int_equal(uv_loop_close(&loop), 0);
			continue;
		}
		assert_int_equal(bh_sink_open_from_spec(&loop, spec, &s), 0);
		assert_int_equal(bh_sink_write(s, "{}\n", 3), 0);
		run_some(&loop, 2);
		n = recv(fd, buf, sizeof(buf) - 1, 0);
		assert_true(n > 0);
		buf[n] = 0;
		snprintf(want, sizeof(want), "<%d>1 ", cases[i].pri);
		if (strncmp(buf, want, strlen(want)))
			fail_msg("%s: got %.20s, want %s", spec, buf, want);
		close_and_finish(&loop, s);
	}
	/* the bare kinds take options too */
	uv_loop_init(&loop);
	assert_int_equal(bh_sink_open_from_spec(&loop, "syslog?facility=daemon", &s), 0);
	close_and_finish(&loop, s);
	uv_loop_init(&loop);
	assert_int_equal(bh_sink_open_from_spec(&loop, "syslog+udp:127.0.0.1:514?severity=warning", &s), 0);
	close_and_finish(&loop, s);
	uv_loop_init(&loop);
	assert_int_equal(bh_sink_open_from_spec(&loop, "syslog+udp:127.0.0.1:514?severity=loud", &s), -EINVAL);
	assert_int_equal(uv_loop_close(&loop), 0);
	close(fd);
	unlink(path);
	rmdir(d);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void test_queue_bound(void **state)
{
	uv_loop_t loop;
	struct bh_sink *s;
	struct bh_sink_stats st;
	char spec[160], path[128], line[200];
	char *d = tmpdir();
	int fd, ok = 0, dropped = 0;
	double t0;

	snprintf(path, sizeof(path), "%s/slow.sock", d);
	fd = unix_receiver(path, 4096);	/* never read */
	snprintf(spec, sizeof(spec), "syslog+unix:%s", path);
	memset(line, 'x', sizeof(line));
	line[sizeof(line) - 1] = '\n';
	uv_loop_init(&loop);
	assert_int_equal(bh_sink_open_from_spec(&loop, spec, &s), 0);
	bh_sink_set_queue_max(s, 64 * 1024);
	t0 = now_s();
	for (int i = 0; i < 20000; i++) {
		if (bh_sink_write(s, line, sizeof(line)) == 0)
			ok++;
		else
			dropped++;
		if (i % 100 == 0)
			run_some(&loop, 1);
	}
	assert_true(now_s() - t0 < 5.0);	/* never blocked */
	bh_sink_stats(s, &st);
	assert_true(dropped > 0);
	assert_true(st.queued <= 64 * 1024);
	assert_int_equal(st.dropped, (uint64_t)dropped);
	assert_int_equal(st.written + st.queued / 1 > 0, 1);
	close_and_finish(&loop, s);
	close(fd);
	unlink(path);
	rmdir(d);
}

/* Reads octet-counted frames from buf; returns how many complete ones, checking each. */
static int parse_frames(const char *buf, size_t len, int *next)
{
	size_t off = 0;
	int frames = 0;

	while (off < len) {
		char *sp;
		unsigned long l = strtoul(buf + off, &sp, 10);
		char msg[512];
		const char *m;
		int v;

		assert_int_equal(*sp, ' ');
		sp++;
		if ((size_t)(sp - buf) + l > len)
			break;
		assert_true(l < sizeof(msg));
		memcpy(msg, sp, l);
		msg[l] = 0;
		m = check_5424(msg);
		assert_non_null(m);
		assert_int_equal(sscanf(m, "{\"n\":%d}", &v), 1);
		assert_int_equal(v, *next);
		(*next)++;
		frames++;
		off = (size_t)(sp - buf) + l;
	}
	return frames;
}

static int tcp_accept(int lfd, uv_loop_t *loop)
{
	for (int i = 0; i < 400; i++) {
		int c = accept(lfd, NULL, NULL);

		if (c >= 0)
			return c;
		run_some(loop, 1);
		usleep(5000);
	}
	return -1;
}

static int tcp_read_frames(int c, uv_loop_t *loop, int want, int *next)
{
	char buf[65536];
	size_t len = 0;
	int got = 0;

	for (int i = 0; i < 400 && got < want; i++) {
		ssize_t n;

		run_some(loop, 1);
		n = recv(c, buf + len, sizeof(buf) - len, MSG_DONTWAIT);
		if (n > 0) {
			len += (size_t)n;
			int start = *next;

			*next = start;
			got = parse_frames(buf, len, next);
			*next = start + got;
		} else {
			usleep(5000);
		}
	}
	return got;
}

static void test_tcp_reconnect(void **state)
{
	uv_loop_t loop;
	struct bh_sink *s;
	struct bh_sink_stats st;
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t al = sizeof(a);
	char spec[64], line[64];
	int lfd, c, next = 0, i;

	lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	assert_int_equal(bind(lfd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(lfd, 4), 0);
	getsockname(lfd, (struct sockaddr *)&a, &al);
	snprintf(spec, sizeof(spec), "syslog+tcp:127.0.0.1:%u", ntohs(a.sin_port));
	uv_loop_init(&loop);
	assert_int_equal(bh_sink_open_from_spec(&loop, spec, &s), 0);
	for (i = 0; i < 50; i++)
		bh_sink_write(s, line, (size_t)snprintf(line, sizeof(line), "{\"n\":%d}\n", i));
	c = tcp_accept(lfd, &loop);
	assert_true(c >= 0);
	assert_int_equal(tcp_read_frames(c, &loop, 50, &next), 50);

	/* the server goes away; lines written meanwhile wait and arrive after the reconnect */
	close(c);
	run_some(&loop, 3);
	for (; i < 80; i++)
		bh_sink_write(s, line, (size_t)snprintf(line, sizeof(line), "{\"n\":%d}\n", i));
	c = tcp_accept(lfd, &loop);
	assert_true(c >= 0);
	assert_int_equal(tcp_read_frames(c, &loop, 30, &next), 30);
	bh_sink_stats(s, &st);
	assert_int_equal(st.reconnects, 1);
	assert_int_equal(st.written, 80);
	assert_int_equal(st.dropped, 0);
	close_and_finish(&loop, s);
	close(c);
	close(lfd);
}

/*
 * stdout as a pipe that fills up: writes hit EAGAIN (and partial writes),
 * the sink waits for POLLOUT, and every byte still arrives in order.
 */
static void test_stdout_pipe_backpressure(void **state)
{
	uv_loop_t loop;
	struct bh_sink *s;
	struct bh_sink_stats st;
	int p[2], saved, next = 0, i;
	char line[300], buf[8192], *acc;
	size_t acc_len = 0, want = 0;

	assert_int_equal(pipe(p), 0);
	fflush(stdout);
	saved = dup(STDOUT_FILENO);
	assert_true(saved >= 0);
	assert_true(dup2(p[1], STDOUT_FILENO) >= 0);
	close(p[1]);
	fcntl(p[0], F_SETFL, O_NONBLOCK);
	acc = malloc(4 << 20);
	assert_non_null(acc);

	uv_loop_init(&loop);
	assert_int_equal(bh_sink_open_from_spec(&loop, "-", &s), 0);
	/* ~1.2 MB, far more than the 64 KiB a pipe holds */
	for (i = 0; i < 4000; i++) {
		int n = snprintf(line, sizeof(line), "{\"n\":%d,\"pad\":\"%0250d\"}\n", i, 0);

		assert_int_equal(bh_sink_write(s, line, (size_t)n), 0);
		want += (size_t)n;
	}
	for (i = 0; i < 20000 && acc_len < want; i++) {
		ssize_t r;

		uv_run(&loop, UV_RUN_NOWAIT);
		r = read(p[0], buf, sizeof(buf));
		if (r > 0) {
			assert_true(acc_len + (size_t)r <= (4u << 20));
			memcpy(acc + acc_len, buf, (size_t)r);
			acc_len += (size_t)r;
		}
	}
	bh_sink_stats(s, &st);
	closed = 0;
	bh_sink_close(s, on_closed, &closed);
	uv_run(&loop, UV_RUN_DEFAULT);

	/* put stdout back before cmocka prints anything */
	fflush(stdout);
	dup2(saved, STDOUT_FILENO);
	close(saved);
	close(p[0]);
	assert_int_equal(uv_loop_close(&loop), 0);
	assert_int_equal(closed, 1);
	assert_int_equal(acc_len, want);
	assert_int_equal(st.written, 4000);
	assert_int_equal(st.dropped, 0);
	for (char *l = acc; l < acc + acc_len; next++) {
		int v;
		char *nl = memchr(l, '\n', (size_t)(acc + acc_len - l));

		assert_non_null(nl);
		assert_int_equal(sscanf(l, "{\"n\":%d,", &v), 1);
		assert_int_equal(v, next);
		l = nl + 1;
	}
	assert_int_equal(next, 4000);
	free(acc);
}

/* ---- file sinks: what the path may be, cut lines, failed reopens ------------------- */

static char *slurp(const char *path, size_t *len)
{
	static char buf[1 << 16];
	int fd = open(path, O_RDONLY);
	ssize_t n;

	assert_true(fd >= 0);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	assert_true(n >= 0);
	buf[n] = 0;
	*len = (size_t)n;
	return buf;
}

static void write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

static void test_file_symlink_refused(void **state)
{
	char *d = tmpdir(), target[128], link[128], spec[160];
	struct bh_sink *s = NULL;
	uv_loop_t loop;
	size_t len;

	snprintf(target, sizeof(target), "%s/precious", d);
	snprintf(link, sizeof(link), "%s/link.json", d);
	snprintf(spec, sizeof(spec), "file:%s", link);
	write_file(target, "keep\n");
	assert_int_equal(symlink(target, link), 0);
	uv_loop_init(&loop);
	assert_int_equal(bh_sink_open_from_spec(&loop, spec, &s), -ELOOP);
	assert_int_equal(bh_sink_open_from_spec(&loop, link, &s), -ELOOP);
	assert_int_equal(uv_loop_close(&loop), 0);
	assert_string_equal(slurp(target, &len), "keep\n");
	unlink(link);
	unlink(target);
	rmdir(d);
}

static void on_alarm(int sig)
{
	static const char m[] = "# blocked opening or reopening a FIFO\n";

	(void)!write(2, m, sizeof(m) - 1);
	_exit(1);
}

/* A FIFO (no reader) is refused at open and at reopen, at once, and the old file stays. */
static void test_file_fifo_refused(void **state)
{
	char *d = tmpdir(), fifo[128], path[128], moved[140], spec[160];
	struct bh_sink *s = NULL;
	struct bh_sink_stats st;
	uv_loop_t loop;
	size_t len;

	snprintf(fifo, sizeof(fifo), "%s/fifo", d);
	snprintf(path, sizeof(path), "%s/log.json", d);
	snprintf(moved, sizeof(moved), "%s/log.json.1", d);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	signal(SIGALRM, on_alarm);
	alarm(10);
	uv_loop_init(&loop);
	snprintf(spec, sizeof(spec), "file:%s", fifo);
	assert_int_equal(bh_sink_open_from_spec(&loop, spec, &s), -EINVAL);

	snprintf(spec, sizeof(spec), "file:%s", path);
	assert_int_equal(bh_sink_open_from_spec(&loop, spec, &s), 0);
	assert_int_equal(bh_sink_write(s, "{\"n\":1}\n", 8), 0);
	run_some(&loop, 1);
	assert_int_equal(rename(path, moved), 0);
	assert_int_equal(rename(fifo, path), 0);
	assert_int_equal(bh_sink_reopen(s), -EINVAL);
	alarm(0);
	assert_int_equal(bh_sink_write(s, "{\"n\":2}\n", 8), 0);
	run_some(&loop, 1);
	bh_sink_stats(s, &st);
	assert_int_equal(st.reopen_errors, 1);
	assert_true(st.errors >= 1);
	assert_int_equal(st.written, 2);
	close_and_finish(&loop, s);
	assert_string_equal(slurp(moved, &len), "{\"n\":1}\n{\"n\":2}\n");
	unlink(path);
	unlink(moved);
	rmdir(d);
}

/* A failed reopen through bh_out: reported as a lifecycle line, counted. */
static void test_out_reopen_failure_reported(void **state)
{
	char *d = tmpdir(), path[128], moved[140];
	char *specs[1] = { path };
	struct bh_out o;
	uv_loop_t loop;
	const char *bad = NULL;
	size_t len;
	char *text;

	snprintf(path, sizeof(path), "%s/log.json", d);
	snprintf(moved, sizeof(moved), "%s/log.json.1", d);
	uv_loop_init(&loop);
	assert_int_equal(bh_out_open(&o, &loop, specs, 1, "node", &bad), 0);
	assert_int_equal(rename(path, moved), 0);
	assert_int_equal(mkdir(path, 0700), 0);	/* what is at the path now cannot be a log */
	assert_int_equal(bh_out_reopen(&o), -EISDIR);
	assert_int_equal(bh_out_reopen_errors(&o), 1);
	run_some(&loop, 2);
	bh_out_close(&o);
	uv_run(&loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&loop), 0);
	text = slurp(moved, &len);
	assert_non_null(strstr(text, "\"action\":\"log-reopen-failed\""));
	assert_non_null(strstr(text, "\"sink\":\""));
	assert_int_equal(text[len - 1], '\n');
	rmdir(path);
	unlink(moved);
	rmdir(d);
}

/* A file left ending inside a line (a crash, a full disk) gets the newline first. */
static void test_file_ends_mid_line(void **state)
{
	char *d = tmpdir(), path[128];
	struct bh_sink *s;
	uv_loop_t loop;
	size_t len;

	snprintf(path, sizeof(path), "%s/log.json", d);
	write_file(path, "{\"n\":0}\n{\"n\":1,\"cut");
	uv_loop_init(&loop);
	assert_int_equal(bh_sink_open_from_spec(&loop, path, &s), 0);
	assert_int_equal(bh_sink_write(s, "{\"n\":2}\n", 8), 0);
	run_some(&loop, 1);
	close_and_finish(&loop, s);
	assert_string_equal(slurp(path, &len), "{\"n\":0}\n{\"n\":1,\"cut\n{\"n\":2}\n");
	unlink(path);
	rmdir(d);
}

#define CUT_LINE 100	/* 8192 bytes of room is no whole number of lines */

static size_t cut_line(char *buf, int n)
{
	int l = snprintf(buf, CUT_LINE + 1, "{\"n\":%04d,\"pad\":\"%0*d\"}\n", n, CUT_LINE - 20, 0);

	assert_int_equal(l, CUT_LINE);
	return CUT_LINE;
}

/*
 * ENOSPC on a real file system (a 16 KiB tmpfs in a mount namespace of this
 * process): writev writes part of a burst, then fails; the cut line is ended
 * with a newline before the next line, which starts a line of its own.
 */
static void test_file_enospc_cut_line(void **state)
{
	char *d = tmpdir(), mnt[128], path[160], filler[160], line[CUT_LINE + 1];
	struct bh_sink *s;
	struct bh_sink_stats st;
	uv_loop_t loop;
	size_t len, nlines = 0, prefixes = 0;
	char *text, *p;
	int fd;

	if (geteuid() != 0 || unshare(CLONE_NEWNS) < 0 ||
	    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
		rmdir(d);
		skip();
	}
	snprintf(mnt, sizeof(mnt), "%s", d);
	assert_int_equal(mount("tmpfs", mnt, "tmpfs", 0, "size=16k"), 0);
	snprintf(path, sizeof(path), "%s/log.json", mnt);
	snprintf(filler, sizeof(filler), "%s/filler", mnt);
	fd = open(filler, O_WRONLY | O_CREAT, 0600);
	assert_true(fd >= 0);
	memset(line, 'f', sizeof(line));
	for (int i = 0; i < 16384 / (int)sizeof(line) + 1; i++)
		if (write(fd, line, sizeof(line)) < 0)
			break;
	close(fd);
	/* leave two pages of room */
	assert_int_equal(truncate(filler, 16384 - 8192), 0);

	uv_loop_init(&loop);
	assert_int_equal(bh_sink_open_from_spec(&loop, path, &s), 0);
	for (int i = 0; i < 150; i++)
		bh_sink_write(s, line, cut_line(line, i));
	run_some(&loop, 2);
	bh_sink_stats(s, &st);
	assert_true(st.errors >= 1);
	assert_true(st.dropped >= 1);
	text = slurp(path, &len);
	assert_true(len > 0 && text[len - 1] != '\n');	/* the disk cut a line */

	assert_int_equal(unlink(filler), 0);	/* room again */
	bh_sink_write(s, line, cut_line(line, 9999));
	run_some(&loop, 2);
	close_and_finish(&loop, s);

	/* lines 0..k-1 whole, line k cut and ended, then line 9999 whole */
	text = slurp(path, &len);
	assert_int_equal(text[len - 1], '\n');
	for (p = text; p < text + len; nlines++) {
		char *nl = memchr(p, '\n', (size_t)(text + len - p));
		size_t l = (size_t)(nl - p) + 1;

		if (nl + 1 == text + len) {
			cut_line(line, 9999);
			assert_int_equal(l, CUT_LINE);
		} else {
			cut_line(line, (int)nlines);
		}
		if (l == CUT_LINE) {
			assert_memory_equal(p, line, l);
		} else {
			assert_true(l < CUT_LINE);
			assert_memory_equal(p, line, l - 1);
			prefixes++;
		}
		p = nl + 1;
	}
	assert_int_equal(prefixes, 1);
	assert_true(nlines > 2);
	unlink(path);
	umount(mnt);
	rmdir(d);
}

/* ---- send mode (for the rsyslog test) ---------------------------------------------- */

static int send_main(const char *spec, long count)
{
	uv_loop_t loop;
	struct bh_sink *s;
	struct bh_sink_stats st;
	char line[256];
	int err, i;

	uv_loop_init(&loop);
	err = bh_sink_open_from_spec(&loop, spec, &s);
	if (err) {
		fprintf(stderr, "open %s: %s\n", spec, strerror(-err));
		return 1;
	}
	for (long n = 0; n < count; n++) {
		int l = snprintf(line, sizeof(line),
				 "{\"n\":%ld,\"msg\":\"denied \\\"quoted\\\" caf\xc3\xa9\",\"tab\":\"a\\tb\"}\n", n);

		if (bh_sink_write(s, line, (size_t)l) < 0)
			fprintf(stderr, "line %ld dropped\n", n);
		if (n % 64 == 63)
			run_some(&loop, 1);
	}
	for (i = 0; i < 1000; i++) {
		bh_sink_stats(s, &st);
		if (!st.queued)
			break;
		uv_run(&loop, UV_RUN_NOWAIT);
		usleep(2000);
	}
	bh_sink_stats(s, &st);
	printf("written=%llu dropped=%llu errors=%llu\n", (unsigned long long)st.written,
	       (unsigned long long)st.dropped, (unsigned long long)st.errors);
	bh_sink_close(s, NULL, NULL);
	uv_run(&loop, UV_RUN_DEFAULT);
	return uv_loop_close(&loop) == 0 && st.dropped == 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_specs),
		cmocka_unit_test(test_file_rotation),
		cmocka_unit_test(test_unix_syslog),
		cmocka_unit_test(test_syslog_priority),
		cmocka_unit_test(test_queue_bound),
		cmocka_unit_test(test_tcp_reconnect),
		cmocka_unit_test(test_stdout_pipe_backpressure),
		cmocka_unit_test(test_file_symlink_refused),
		cmocka_unit_test(test_file_fifo_refused),
		cmocka_unit_test(test_out_reopen_failure_reported),
		cmocka_unit_test(test_file_ends_mid_line),
		cmocka_unit_test(test_file_enospc_cut_line),
	};

	if (argc == 4 && !strcmp(argv[1], "send"))
		return send_main(argv[2], atol(argv[3]));
	return cmocka_run_group_tests(tests, NULL, NULL);
}
