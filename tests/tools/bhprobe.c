// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * bhprobe: the traffic helper of the end-to-end tests and benchmarks.
 * Plain C, no dependencies, built static so it runs in minimal images.
 *
 *   bhprobe serve [tcp|udp] PORT... [--max-seconds N]
 *       listen on :: (dual stack) on every port and echo; "tcp"/"udp"
 *       switch the protocol of the ports that follow (default tcp)
 *   bhprobe connect tcp|udp ADDR PORT [--timeout-ms N]
 *       exit 0 when a TCP connection is established and a byte echoed, or a
 *       UDP datagram answered; 1 when refused or timed out
 *   bhprobe connect-loop ADDR PORT --count N [--timeout-ms N]
 *       N TCP connections one after another (connect, echo a byte, close);
 *       prints "N conns in S s: R conns/s, C us cpu/conn" (C: this process's
 *       user+system time, which includes the softirq work its packets cause
 *       on the way through veth); exit 1 if any failed
 *   bhprobe hold ADDR PORT --count N [--interval-ms N] [--timeout-ms N]
 *       one TCP connection that echoes a byte every interval, N times;
 *       exit 0 when every byte came back over the same connection
 *   bhprobe wait-listen tcp|udp PORT [--timeout-ms N]
 *       wait until the port is bound in this namespace (reads /proc/net,
 *       never binds the port itself)
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_FDS 1024

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int usage(void)
{
	fprintf(stderr,
		"usage: bhprobe serve [tcp|udp] PORT... [--max-seconds N]\n"
		"       bhprobe connect tcp|udp ADDR PORT [--timeout-ms N]\n"
		"       bhprobe connect-loop ADDR PORT --count N [--timeout-ms N]\n"
		"       bhprobe hold ADDR PORT --count N [--interval-ms N] [--timeout-ms N]\n"
		"       bhprobe wait-listen tcp|udp PORT [--timeout-ms N]\n");
	return 2;
}

static int parse_num(const char *s, long min, long max, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

/* Parses ADDR PORT into a sockaddr (IPv4 or IPv6 literal). */
static int parse_addr(const char *addr, const char *port, struct sockaddr_storage *ss,
		      socklen_t *len)
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
	long p;

	if (parse_num(port, 1, 65535, &p))
		return -1;
	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, addr, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons(p);
		*len = sizeof(*s4);
		return 0;
	}
	if (inet_pton(AF_INET6, addr, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(p);
		*len = sizeof(*s6);
		return 0;
	}
	return -1;
}

static int set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	return fl < 0 ? -1 : fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

/* ---- serve ------------------------------------------------------------------------ */

struct slot {
	int fd;
	int kind;	/* 0 tcp listener, 1 udp socket, 2 tcp connection */
};

static int listen_on(int udp, long port)
{
	struct sockaddr_in6 s6 = { .sin6_family = AF_INET6, .sin6_port = htons(port),
				   .sin6_addr = IN6ADDR_ANY_INIT };
	int fd = socket(AF_INET6, (udp ? SOCK_DGRAM : SOCK_STREAM) | SOCK_CLOEXEC, 0);
	int zero = 0, one = 1;

	if (fd < 0)
		return -1;
	setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&s6, sizeof(s6)) < 0 || (!udp && listen(fd, 1024) < 0) ||
	    set_nonblock(fd) < 0) {
		fprintf(stderr, "bhprobe: %s port %ld: %s\n", udp ? "udp" : "tcp", port, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

static int cmd_serve(int argc, char **argv)
{
	static struct pollfd pfd[MAX_FDS];
	static struct slot slot[MAX_FDS];
	long max_seconds = 0, port;
	long long deadline;
	int n = 0, udp = 0, i;
	char buf[65536];

	for (i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "tcp") || !strcmp(argv[i], "udp")) {
			udp = argv[i][0] == 'u';
		} else if (!strcmp(argv[i], "--max-seconds") && i + 1 < argc) {
			if (parse_num(argv[++i], 1, 86400 * 7, &max_seconds))
				return usage();
		} else if (!parse_num(argv[i], 1, 65535, &port) && n < MAX_FDS / 2) {
			slot[n].fd = listen_on(udp, port);
			if (slot[n].fd < 0)
				return 1;
			slot[n].kind = udp;
			n++;
		} else {
			return usage();
		}
	}
	if (!n)
		return usage();
	deadline = max_seconds ? now_ms() + max_seconds * 1000 : 0;
	for (;;) {
		int timeout = -1, ready;

		if (deadline) {
			long long left = deadline - now_ms();

			if (left <= 0)
				return 0;
			timeout = left > 1000 ? 1000 : (int)left;
		}
		for (i = 0; i < n; i++) {
			pfd[i].fd = slot[i].fd;
			pfd[i].events = POLLIN;
		}
		ready = poll(pfd, n, timeout);
		if (ready < 0 && errno != EINTR)
			return 1;
		for (i = 0; ready > 0 && i < n; i++) {
			struct sockaddr_storage peer;
			socklen_t plen = sizeof(peer);
			ssize_t len;
			int c;

			if (!pfd[i].revents)
				continue;
			switch (slot[i].kind) {
			case 0:
				while ((c = accept4(slot[i].fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
					if (n == MAX_FDS) {
						close(c);
						continue;
					}
					slot[n].fd = c;
					slot[n].kind = 2;
					pfd[n].revents = 0;
					n++;
				}
				break;
			case 1:
				while ((len = recvfrom(slot[i].fd, buf, sizeof(buf), 0,
						       (struct sockaddr *)&peer, &plen)) >= 0) {
					sendto(slot[i].fd, buf, len, 0, (struct sockaddr *)&peer, plen);
					plen = sizeof(peer);
				}
				break;
			case 2:
				len = read(slot[i].fd, buf, sizeof(buf));
				if (len > 0) {
					if (write(slot[i].fd, buf, len) == len)
						break;
				} else if (len < 0 && errno == EAGAIN) {
					break;
				}
				/* EOF or error: drop the connection */
				close(slot[i].fd);
				slot[i] = slot[n - 1];
				pfd[i] = pfd[n - 1];
				n--;
				i--;
				break;
			}
		}
	}
}

/* ---- clients ---------------------------------------------------------------------- */

/* Waits for fd to become ready for events until deadline (ms). 1 ready, 0 timeout. */
static int wait_fd(int fd, short events, long long deadline)
{
	struct pollfd p = { .fd = fd, .events = events };

	for (;;) {
		long long left = deadline - now_ms();
		int r;

		if (left <= 0)
			return 0;
		r = poll(&p, 1, (int)left);
		if (r > 0)
			return 1;
		if (r < 0 && errno != EINTR)
			return 0;
	}
}

/* A connected TCP socket, or -1 (refused, unreachable or timed out). */
static int tcp_connect(const struct sockaddr_storage *ss, socklen_t len, long long deadline)
{
	int fd = socket(ss->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int err = 0, one = 1;
	socklen_t elen = sizeof(err);

	if (fd < 0)
		return -1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(fd, (const struct sockaddr *)ss, len) < 0 && errno != EINPROGRESS)
		goto fail;
	if (!wait_fd(fd, POLLOUT, deadline))
		goto fail;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen) < 0 || err)
		goto fail;
	return fd;
fail:
	close(fd);
	return -1;
}

/* Sends one byte and waits for it to come back. 0 or -1. */
static int echo_byte(int fd, char c, long long deadline)
{
	char r;

	if (write(fd, &c, 1) != 1)
		return -1;
	for (;;) {
		ssize_t n;

		if (!wait_fd(fd, POLLIN, deadline))
			return -1;
		n = read(fd, &r, 1);
		if (n == 1)
			return r == c ? 0 : -1;
		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
			return -1;
	}
}

/* Closes with a reset so thousands of connections leave no TIME_WAIT behind. */
static void close_reset(int fd)
{
	struct linger lg = { 1, 0 };

	setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	close(fd);
}

static int udp_probe(const struct sockaddr_storage *ss, socklen_t len, long long deadline)
{
	int fd = socket(ss->ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	char out[] = "bhprobe", in[16];
	int ret = -1;

	if (fd < 0)
		return -1;
	if (connect(fd, (const struct sockaddr *)ss, len) < 0)
		goto out;
	/* a few tries: the first datagram may wait for neighbour resolution */
	for (int tries = 0; tries < 3 && ret; tries++) {
		long long step = now_ms() + (deadline - now_ms()) / (3 - tries);

		if (send(fd, out, sizeof(out), 0) < 0 && errno != ECONNREFUSED)
			break;
		while (wait_fd(fd, POLLIN, step)) {
			ssize_t n = recv(fd, in, sizeof(in), 0);

			if (n == (ssize_t)sizeof(out) && !memcmp(in, out, sizeof(out))) {
				ret = 0;
				break;
			}
			if (n < 0 && errno != EAGAIN)
				goto out;
		}
	}
out:
	close(fd);
	return ret;
}

struct client_opts {
	long timeout_ms, count, interval_ms;
};

static int parse_client_opts(int argc, char **argv, struct client_opts *o)
{
	for (int i = 0; i < argc; i++) {
		long *dst = NULL;

		if (!strcmp(argv[i], "--timeout-ms"))
			dst = &o->timeout_ms;
		else if (!strcmp(argv[i], "--count"))
			dst = &o->count;
		else if (!strcmp(argv[i], "--interval-ms"))
			dst = &o->interval_ms;
		if (!dst || i + 1 >= argc || parse_num(argv[++i], 1, 100000000, dst))
			return -1;
	}
	return 0;
}

static int cmd_connect(int argc, char **argv)
{
	struct client_opts o = { .timeout_ms = 1000 };
	struct sockaddr_storage ss;
	socklen_t len;
	long long deadline;
	int udp, fd, ret;

	if (argc < 3 || (strcmp(argv[0], "tcp") && strcmp(argv[0], "udp")) ||
	    parse_addr(argv[1], argv[2], &ss, &len) || parse_client_opts(argc - 3, argv + 3, &o))
		return usage();
	udp = argv[0][0] == 'u';
	deadline = now_ms() + o.timeout_ms;
	if (udp)
		return udp_probe(&ss, len, deadline) ? 1 : 0;
	fd = tcp_connect(&ss, len, deadline);
	if (fd < 0)
		return 1;
	ret = echo_byte(fd, 'x', deadline);
	close(fd);
	return ret ? 1 : 0;
}

static int cmd_connect_loop(int argc, char **argv)
{
	struct client_opts o = { .timeout_ms = 1000, .count = 1000 };
	struct sockaddr_storage ss;
	struct rusage ru0, ru1;
	socklen_t len;
	long i, failed = 0;
	double t0, dt, cpu;

	if (argc < 2 || parse_addr(argv[0], argv[1], &ss, &len) ||
	    parse_client_opts(argc - 2, argv + 2, &o))
		return usage();
	getrusage(RUSAGE_SELF, &ru0);
	t0 = now_s();
	for (i = 0; i < o.count; i++) {
		long long deadline = now_ms() + o.timeout_ms;
		int fd = tcp_connect(&ss, len, deadline);

		if (fd < 0 || echo_byte(fd, 'x', deadline)) {
			failed++;
			if (fd >= 0)
				close(fd);
			continue;
		}
		close_reset(fd);
	}
	dt = now_s() - t0;
	getrusage(RUSAGE_SELF, &ru1);
	cpu = (ru1.ru_utime.tv_sec - ru0.ru_utime.tv_sec + ru1.ru_stime.tv_sec - ru0.ru_stime.tv_sec) * 1e6 +
	      (ru1.ru_utime.tv_usec - ru0.ru_utime.tv_usec + ru1.ru_stime.tv_usec - ru0.ru_stime.tv_usec);
	printf("%ld conns in %.3f s: %.0f conns/s, %.1f us cpu/conn", o.count - failed, dt,
	       dt > 0 ? (o.count - failed) / dt : 0.0, o.count > failed ? cpu / (o.count - failed) : 0.0);
	if (failed)
		printf(" (%ld failed)", failed);
	printf("\n");
	return failed ? 1 : 0;
}

static int cmd_hold(int argc, char **argv)
{
	struct client_opts o = { .timeout_ms = 1000, .count = 10, .interval_ms = 100 };
	struct sockaddr_storage ss;
	socklen_t len;
	int fd, ret = 0;

	if (argc < 2 || parse_addr(argv[0], argv[1], &ss, &len) ||
	    parse_client_opts(argc - 2, argv + 2, &o))
		return usage();
	fd = tcp_connect(&ss, len, now_ms() + o.timeout_ms);
	if (fd < 0) {
		fprintf(stderr, "bhprobe hold: cannot connect\n");
		return 1;
	}
	for (long i = 0; i < o.count; i++) {
		if (echo_byte(fd, 'a' + i % 26, now_ms() + o.timeout_ms)) {
			fprintf(stderr, "bhprobe hold: echo %ld of %ld lost\n", i + 1, o.count);
			ret = 1;
			break;
		}
		usleep(o.interval_ms * 1000);
	}
	close(fd);
	return ret;
}

/*
 * Looks for a socket bound to PORT in /proc/net/<proto>{,6} of this process's
 * network namespace: a TCP socket in LISTEN (state 0A), or any UDP socket.
 * Reading the table never takes the port, so a server starting at the same
 * instant cannot lose its bind() to the probe.
 * Returns 1 when found, 0 when not, -1 when neither table can be read.
 */
static int port_bound(int udp, long port)
{
	static const char *const tables[2][2] = {
		{ "/proc/net/tcp", "/proc/net/tcp6" },
		{ "/proc/net/udp", "/proc/net/udp6" },
	};
	int readable = 0;

	for (int i = 0; i < 2; i++) {
		FILE *f = fopen(tables[udp][i], "re");
		char line[512];

		if (!f)
			continue;
		readable = 1;
		if (!fgets(line, sizeof(line), f)) {	/* header */
			fclose(f);
			continue;
		}
		while (fgets(line, sizeof(line), f)) {
			char local[128];
			unsigned int lport, state;
			char *colon;

			if (sscanf(line, " %*u: %127s %*s %x", local, &state) != 2)
				continue;
			colon = strrchr(local, ':');
			if (!colon || sscanf(colon + 1, "%x", &lport) != 1)
				continue;
			if (lport == port && (udp || state == 0x0A)) {
				fclose(f);
				return 1;
			}
		}
		fclose(f);
	}
	return readable ? 0 : -1;
}

static int cmd_wait_listen(int argc, char **argv)
{
	struct client_opts o = { .timeout_ms = 3000 };
	long long deadline;
	long port;
	int udp;

	if (argc < 2 || (strcmp(argv[0], "tcp") && strcmp(argv[0], "udp")) ||
	    parse_num(argv[1], 1, 65535, &port) || parse_client_opts(argc - 2, argv + 2, &o))
		return usage();
	udp = argv[0][0] == 'u';
	deadline = now_ms() + o.timeout_ms;
	do {	/* bound: the deadline */
		int r = port_bound(udp, port);

		if (r < 0) {
			fprintf(stderr, "bhprobe wait-listen: cannot read /proc/net: %s\n",
				strerror(errno));
			return 1;
		}
		if (r)
			return 0;
		usleep(20000);
	} while (now_ms() < deadline);
	fprintf(stderr, "bhprobe wait-listen: %s port %ld not bound after %ld ms\n",
		argv[0], port, o.timeout_ms);
	return 1;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return usage();
	if (!strcmp(argv[1], "serve"))
		return cmd_serve(argc - 2, argv + 2);
	if (!strcmp(argv[1], "connect"))
		return cmd_connect(argc - 2, argv + 2);
	if (!strcmp(argv[1], "connect-loop"))
		return cmd_connect_loop(argc - 2, argv + 2);
	if (!strcmp(argv[1], "hold"))
		return cmd_hold(argc - 2, argv + 2);
	if (!strcmp(argv[1], "wait-listen"))
		return cmd_wait_listen(argc - 2, argv + 2);
	return usage();
}
