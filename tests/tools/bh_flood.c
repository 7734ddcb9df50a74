// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Traffic for NFLOG tests and benchmarks (static, no library needed):
 *   bh_flood udp  DST PORT COUNT [SPORT]   COUNT datagrams from one socket (v4 or v6)
 *   bh_flood tcp  DST PORT                 one connection attempt (a SYN), given up after 300 ms
 *   bh_flood icmp DST                      one echo request (ICMP or ICMPv6)
 *   bh_flood flood DST PORT COUNT RATE [SECONDS]
 *       IPv4 UDP through a raw socket, every datagram from a different
 *       source port, sent with sendmmsg in batches of 64 paced to RATE
 *       datagrams/s (0 = as fast as possible); stops after COUNT datagrams
 *       or SECONDS. Prints "sent N in S s (R/s)".
 * Exit status 0 when everything was sent.
 */
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <fcntl.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#define BATCH 64

static int parse_dst(const char *s, uint16_t port, struct sockaddr_storage *ss, socklen_t *sl)
{
	struct sockaddr_in *a4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, s, &a4->sin_addr) == 1) {
		a4->sin_family = AF_INET;
		a4->sin_port = htons(port);
		*sl = sizeof(*a4);
		return AF_INET;
	}
	if (inet_pton(AF_INET6, s, &a6->sin6_addr) == 1) {
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons(port);
		*sl = sizeof(*a6);
		return AF_INET6;
	}
	fprintf(stderr, "bh_flood: bad address %s\n", s);
	exit(2);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int do_udp(int argc, char **argv)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	long count = atol(argv[4]), i;
	int fam = parse_dst(argv[2], (uint16_t)atoi(argv[3]), &ss, &sl);
	int fd = socket(fam, SOCK_DGRAM, 0);

	if (fd < 0)
		return 1;
	if (argc > 5) {
		struct sockaddr_storage src;
		socklen_t srcl;

		parse_dst(fam == AF_INET ? "0.0.0.0" : "::", (uint16_t)atoi(argv[5]), &src, &srcl);
		if (bind(fd, (struct sockaddr *)&src, srcl) < 0) {
			perror("bind");
			return 1;
		}
	}
	for (i = 0; i < count; i++)
		if (sendto(fd, "bulkhead", 8, 0, (struct sockaddr *)&ss, sl) < 0) {
			perror("sendto");
			return 1;
		}
	close(fd);
	return 0;
}

static int do_tcp(char **argv)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	int fam = parse_dst(argv[2], (uint16_t)atoi(argv[3]), &ss, &sl);
	int fd = socket(fam, SOCK_STREAM | SOCK_NONBLOCK, 0);
	struct pollfd pfd = { .fd = fd, .events = POLLOUT };

	if (fd < 0)
		return 1;
	if (connect(fd, (struct sockaddr *)&ss, sl) < 0 && errno != EINPROGRESS) {
		perror("connect");
		return 1;
	}
	poll(&pfd, 1, 300);
	close(fd);
	return 0;
}

static uint16_t csum(const void *p, size_t n, uint32_t sum)
{
	const uint8_t *b = p;

	for (; n > 1; n -= 2, b += 2)
		sum += (uint32_t)(b[0] << 8 | b[1]);
	if (n)
		sum += (uint32_t)b[0] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static int do_icmp(char **argv)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	int fam = parse_dst(argv[2], 0, &ss, &sl);
	int fd = socket(fam, SOCK_RAW, fam == AF_INET ? IPPROTO_ICMP : IPPROTO_ICMPV6);
	uint8_t m[16] = { fam == AF_INET ? 8 : 128, 0, 0, 0, 0x12, 0x34, 0, 1, 'b', 'h' };
	uint16_t c;

	if (fd < 0) {
		perror("socket");
		return 1;
	}
	if (fam == AF_INET) {	/* the kernel fills the ICMPv6 checksum itself */
		c = csum(m, sizeof(m), 0);
		m[2] = (uint8_t)(c >> 8);
		m[3] = (uint8_t)c;
	}
	if (sendto(fd, m, sizeof(m), 0, (struct sockaddr *)&ss, sl) < 0) {
		perror("sendto");
		return 1;
	}
	close(fd);
	return 0;
}

static int do_flood(int argc, char **argv)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	struct sockaddr_in src = { 0 };
	long count = atol(argv[4]), sent = 0;
	double rate = atof(argv[5]), limit = argc > 6 ? atof(argv[6]) : 3600, t0, t;
	uint8_t pkts[BATCH][36];
	struct iovec iov[BATCH];
	struct mmsghdr mm[BATCH];
	uint16_t sport = 1024;
	socklen_t srcl = sizeof(src);
	int fd, probe, i;

	if (parse_dst(argv[2], (uint16_t)atoi(argv[3]), &ss, &sl) != AF_INET) {
		fprintf(stderr, "bh_flood: flood is IPv4 only\n");
		return 2;
	}
	/* Learn the source address the route would use. */
	probe = socket(AF_INET, SOCK_DGRAM, 0);
	if (probe < 0 || connect(probe, (struct sockaddr *)&ss, sl) < 0 ||
	    getsockname(probe, (struct sockaddr *)&src, &srcl) < 0) {
		perror("route");
		return 1;
	}
	close(probe);
	fd = socket(AF_INET, SOCK_RAW, IPPROTO_RAW);
	if (fd < 0) {
		perror("socket");
		return 1;
	}
	memset(mm, 0, sizeof(mm));
	for (i = 0; i < BATCH; i++) {
		uint8_t *p = pkts[i];

		memset(p, 0, sizeof(pkts[i]));
		p[0] = 0x45;
		p[3] = 36;
		p[8] = 64;
		p[9] = IPPROTO_UDP;
		memcpy(p + 12, &src.sin_addr, 4);
		memcpy(p + 16, &((struct sockaddr_in *)&ss)->sin_addr, 4);
		memcpy(p + 22, &((struct sockaddr_in *)&ss)->sin_port, 2);
		p[25] = 16;	/* UDP length; checksum 0 = none (IPv4) */
		memcpy(p + 28, "bulkhead", 8);
		iov[i].iov_base = p;
		iov[i].iov_len = 36;
		mm[i].msg_hdr.msg_iov = &iov[i];
		mm[i].msg_hdr.msg_iovlen = 1;
		mm[i].msg_hdr.msg_name = &ss;
		mm[i].msg_hdr.msg_namelen = sl;
	}
	t0 = now();
	while (sent < count) {
		int n = count - sent < BATCH ? (int)(count - sent) : BATCH, r;

		t = now() - t0;
		if (t > limit)
			break;
		if (rate > 0 && sent > rate * t) {
			double ahead = sent / rate - t;

			if (ahead > 0.0002) {
				struct timespec d = { 0, (long)(ahead * 1e9) };

				nanosleep(&d, NULL);
			}
			continue;
		}
		for (i = 0; i < n; i++) {
			uint8_t *p = pkts[i];

			p[4] = (uint8_t)((sent + i) >> 8);
			p[5] = (uint8_t)(sent + i);
			p[20] = (uint8_t)(sport >> 8);
			p[21] = (uint8_t)sport;
			sport = sport == 65535 ? 1024 : sport + 1;
		}
		r = sendmmsg(fd, mm, (unsigned int)n, 0);
		if (r < 0) {
			if (errno == ENOBUFS || errno == EAGAIN)
				continue;
			perror("sendmmsg");
			return 1;
		}
		sent += r;
	}
	t = now() - t0;
	printf("sent %ld in %.3f s (%.0f/s)\n", sent, t, t > 0 ? sent / t : 0.0);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 5 && !strcmp(argv[1], "udp"))
		return do_udp(argc, argv);
	if (argc >= 4 && !strcmp(argv[1], "tcp"))
		return do_tcp(argv);
	if (argc >= 3 && !strcmp(argv[1], "icmp"))
		return do_icmp(argv);
	if (argc >= 6 && !strcmp(argv[1], "flood"))
		return do_flood(argc, argv);
	fprintf(stderr, "usage: bh_flood udp|tcp|icmp|flood ...\n");
	return 2;
}
