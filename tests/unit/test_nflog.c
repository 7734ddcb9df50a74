// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * NFLOG message parsing on hand-built netlink messages (no kernel needed).
 * With arguments the binary is the reader used by tests/netns/t_nflog.sh:
 *   test_nflog listen GROUP COUNT TIMEOUT_MS [RCVBUF [DELAY_MS]]
 * opens the group in the current namespace, prints "ready", optionally
 * sleeps DELAY_MS (to let a flood overflow a small RCVBUF), then prints
 * one line per event and a final "stats ..." line.
 */
#include <errno.h>
#include <poll.h>
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
#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_log.h>
#include <cmocka.h>

#include "netlink/nflog.h"
#include "log/pkt.h"

static struct nlmsghdr *build(char *buf, const char *prefix, bool ts, const void *pl, size_t pl_len)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct nfgenmsg *nfg;
	struct nfulnl_msg_packet_hdr ph = { .hw_protocol = htons(0x0800), .hook = 1 };

	nlh->nlmsg_type = (NFNL_SUBSYS_ULOG << 8) | NFULNL_MSG_PACKET;
	nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = 2;
	nfg->res_id = htons(100);
	mnl_attr_put(nlh, NFULA_PACKET_HDR, sizeof(ph), &ph);
	if (prefix)
		mnl_attr_put_strz(nlh, NFULA_PREFIX, prefix);
	if (ts) {
		struct nfulnl_msg_packet_timestamp t = { .sec = htobe64(1795920035), .usec = htobe64(123456) };

		mnl_attr_put(nlh, NFULA_TIMESTAMP, sizeof(t), &t);
	}
	mnl_attr_put_u32(nlh, NFULA_IFINDEX_INDEV, htonl(7));
	mnl_attr_put_u32(nlh, NFULA_SEQ, htonl(41));
	mnl_attr_put_u32(nlh, NFULA_SEQ_GLOBAL, htonl(99));
	mnl_attr_put_u32(nlh, 200, 0);	/* an attribute from the future: ignored */
	if (pl)
		mnl_attr_put(nlh, NFULA_PAYLOAD, pl_len, pl);
	return nlh;
}

static void test_parse(void **state)
{
	char buf[4096];
	uint8_t pkt[28] = { 0x45, 0, 0, 28, 0, 0, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2,
			    0x30, 0x39, 0x00, 0x35, 0, 8, 0, 0 };
	struct bh_nflog_event ev;
	struct bh_pkt p;
	struct nlmsghdr *nlh = build(buf, "bh/1/i/d", true, pkt, sizeof(pkt));

	assert_int_equal(bh_nflog_msg_parse(nlh, &ev), 0);
	assert_string_equal(ev.prefix, "bh/1/i/d");
	assert_true(ev.ts_kernel);
	assert_int_equal(ev.ts.tv_sec, 1795920035);
	assert_int_equal(ev.ts.tv_usec, 123456);
	assert_int_equal(ev.hw_proto, 0x0800);
	assert_int_equal(ev.hook, 1);
	assert_int_equal(ev.indev, 7);
	assert_int_equal(ev.outdev, 0);
	assert_true(ev.has_seq);
	assert_int_equal(ev.seq, 41);
	assert_int_equal(ev.seq_global, 99);
	assert_int_equal(ev.group, 100);
	assert_int_equal(ev.payload_len, sizeof(pkt));
	assert_int_equal(bh_pkt_decode(ev.payload, ev.payload_len, ev.hw_proto, &p), 0);
	assert_int_equal(p.sport, 12345);
	assert_int_equal(p.dport, 53);
}

static void test_parse_odd(void **state)
{
	char buf[4096];
	struct bh_nflog_event ev;
	char longp[100];
	struct nlmsghdr *nlh;

	/* no prefix, no timestamp, no payload */
	nlh = build(buf, NULL, false, NULL, 0);
	assert_int_equal(bh_nflog_msg_parse(nlh, &ev), 0);
	assert_string_equal(ev.prefix, "");
	assert_false(ev.ts_kernel);
	assert_null(ev.payload);

	/* a prefix longer than ours is cut, not overflowed */
	memset(longp, 'x', sizeof(longp) - 1);
	longp[sizeof(longp) - 1] = 0;
	nlh = build(buf, longp, false, NULL, 0);
	assert_int_equal(bh_nflog_msg_parse(nlh, &ev), 0);
	assert_int_equal(strlen(ev.prefix), BH_NFLOG_PREFIX_MAX - 1);

	/* a short seq attribute is malformed */
	nlh = build(buf, "p", false, NULL, 0);
	mnl_attr_put(nlh, NFULA_MARK, 2, "ab");
	assert_int_equal(bh_nflog_msg_parse(nlh, &ev), -EINVAL);

	/* attribute length running past the message */
	nlh = build(buf, "p", false, NULL, 0);
	nlh->nlmsg_len -= 2;
	assert_int_equal(bh_nflog_msg_parse(nlh, &ev), -EINVAL);

	/* not a packet message */
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = NLMSG_DONE;
	assert_int_equal(bh_nflog_msg_parse(nlh, &ev), -ENOENT);
	/* a packet message without room for nfgenmsg */
	nlh->nlmsg_type = (NFNL_SUBSYS_ULOG << 8) | NFULNL_MSG_PACKET;
	assert_int_equal(bh_nflog_msg_parse(nlh, &ev), -EINVAL);
}

static void test_defaults(void **state)
{
	struct bh_nflog_opts o;

	bh_nflog_opts_default(&o);
	assert_true(o.copy_range >= 128 && o.copy_range <= 512);
	assert_true(o.nlbufsiz >= 4096 && o.nlbufsiz <= 131072);
	assert_true(o.qthreshold >= 1);
	assert_true(o.timeout_cs >= 1 && o.timeout_cs <= 100);
}

/* ---- listen mode (kernel test helper) ---------------------------------------- */

static int print_cb(const struct bh_nflog_event *ev, void *arg)
{
	long *left = arg;
	struct bh_pkt p;
	char s[64], d[64];

	(*left)--;
	if (bh_pkt_decode(ev->payload, ev->payload_len, ev->hw_proto, &p) < 0) {
		printf("event prefix=%s malformed len=%u\n", ev->prefix, ev->payload_len);
		return 0;
	}
	inet_ntop(p.family, p.src.a, s, sizeof(s));
	inet_ntop(p.family, p.dst.a, d, sizeof(d));
	printf("event prefix=%s fam=%d proto=%s src=%s dst=%s sport=%u dport=%u icmp=%d/%d flags=0x%02x"
	       " in=%u out=%u seq=%u trunc=%d\n",
	       ev->prefix, p.family == AF_INET ? 4 : 6, bh_pkt_proto_name(p.proto) ?: "?", s, d,
	       p.sport, p.dport, p.has_icmp ? p.icmp_type : -1, p.has_icmp ? p.icmp_code : -1,
	       p.tcp_flags, ev->indev, ev->outdev, ev->seq, p.truncated);
	return 0;
}

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int listen_main(int argc, char **argv)
{
	struct bh_nflog_opts o;
	struct bh_nflog *nl;
	const struct bh_nflog_stats *st;
	long left, deadline;
	int err;

	if (argc < 5)
		return 2;
	bh_nflog_opts_default(&o);
	if (argc > 5)
		o.rcvbuf = atoi(argv[5]);
	err = bh_nflog_open((uint16_t)atoi(argv[2]), &o, &nl);
	if (err) {
		printf("open: %s\n", strerror(-err));
		return 1;
	}
	printf("ready\n");
	fflush(stdout);
	if (argc > 6)
		usleep((useconds_t)atoi(argv[6]) * 1000);
	left = atol(argv[3]);
	deadline = now_ms() + atol(argv[4]);
	while (left > 0 && now_ms() < deadline) {
		struct pollfd pfd = { .fd = bh_nflog_fd(nl), .events = POLLIN };

		if (poll(&pfd, 1, 50) < 0)
			break;
		err = bh_nflog_read(nl, print_cb, &left, 16);
		if (err < 0) {
			printf("read: %s\n", strerror(-err));
			break;
		}
		fflush(stdout);
	}
	/* a last drain so every queued event is counted */
	(void)bh_nflog_read(nl, print_cb, &left, 100000);
	st = bh_nflog_stats(nl);
	printf("stats events=%llu overruns=%llu gaps=%llu malformed=%llu datagrams=%llu\n",
	       (unsigned long long)st->events, (unsigned long long)st->overruns,
	       (unsigned long long)st->seq_gaps, (unsigned long long)st->malformed,
	       (unsigned long long)st->datagrams);
	bh_nflog_close(nl);
	return 0;
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_parse_odd),
		cmocka_unit_test(test_defaults),
	};

	if (argc > 1 && !strcmp(argv[1], "listen"))
		return listen_main(argc, argv);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
