// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Why the NFLOG reader parses with libmnl directly: the cost of turning one
 * kernel datagram (64 packet messages, shaped as nfnetlink_log builds them)
 * into events, with libnetfilter_log's nflog_handle_packet() + nflog_get_*()
 * and with bh_nflog_msg_parse(). No kernel traffic: the same buffer is
 * parsed over and over. Needs CAP_NET_ADMIN for libnetfilter_log's group
 * binding (run it in a scratch namespace: ip netns exec).
 *   nflog_parse_bench [ROUNDS]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <libnetfilter_log/libnetfilter_log.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_log.h>

#include "netlink/nflog.h"

#define GROUP 4242
#define PER_DGRAM 64

static size_t build(char *buf, size_t cap)
{
	size_t off = 0;
	uint8_t pkt[36] = { 0x45, 0, 0, 36, 0, 0, 0, 0, 64, 17, 0, 0, 10, 99, 0, 1, 10, 99, 0, 2,
			    0x30, 0x39, 0x1e, 0x61, 0, 16, 0, 0, 'b', 'u', 'l', 'k', 'h', 'e', 'a', 'd' };

	for (uint32_t i = 0; i < PER_DGRAM && off + 512 < cap; i++) {
		struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf + off);
		struct nfgenmsg *nfg;
		struct nfulnl_msg_packet_hdr ph = { .hw_protocol = htons(0x0800), .hook = 1 };

		nlh->nlmsg_type = (NFNL_SUBSYS_ULOG << 8) | NFULNL_MSG_PACKET;
		nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
		nfg->nfgen_family = 2;
		nfg->res_id = htons(GROUP);
		mnl_attr_put(nlh, NFULA_PACKET_HDR, sizeof(ph), &ph);
		mnl_attr_put_u32(nlh, NFULA_MARK, 0);
		mnl_attr_put_u32(nlh, NFULA_IFINDEX_INDEV, htonl(2));
		mnl_attr_put_strz(nlh, NFULA_PREFIX, "bh/1/i/d");
		mnl_attr_put_u32(nlh, NFULA_SEQ, htonl(i));
		mnl_attr_put_u32(nlh, NFULA_SEQ_GLOBAL, htonl(i));
		mnl_attr_put(nlh, NFULA_PAYLOAD, sizeof(pkt), pkt);
		off += nlh->nlmsg_len;
	}
	return off;
}

static volatile uint64_t sink;

static int nflog_cb(struct nflog_g_handle *gh, struct nfgenmsg *nfmsg, struct nflog_data *nfa, void *data)
{
	struct timeval tv;
	char *payload, *prefix;
	uint32_t seq = 0, gseq = 0;
	int plen;

	nflog_get_timestamp(nfa, &tv);
	prefix = nflog_get_prefix(nfa);
	plen = nflog_get_payload(nfa, &payload);
	nflog_get_seq(nfa, &seq);
	nflog_get_seq_global(nfa, &gseq);
	sink += (uint64_t)plen + nflog_get_indev(nfa) + seq + gseq + (prefix ? (uint8_t)prefix[0] : 0) +
		(uint8_t)payload[0];
	return 0;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	static char buf[65536], work[65536];
	long rounds = argc > 1 ? atol(argv[1]) : 50000;
	size_t len = build(buf, sizeof(buf));
	struct nflog_handle *h = nflog_open();
	struct nflog_g_handle *gh;
	double t0, t_lib, t_mnl;

	if (!h || !(gh = nflog_bind_group(h, GROUP))) {
		fprintf(stderr, "nflog_parse_bench: libnetfilter_log setup failed (CAP_NET_ADMIN?)\n");
		return 1;
	}
	nflog_callback_register(gh, nflog_cb, NULL);
	t0 = now();
	for (long r = 0; r < rounds; r++) {
		memcpy(work, buf, len);	/* nflog_handle_packet takes a writable buffer */
		nflog_handle_packet(h, work, (int)len);
	}
	t_lib = now() - t0;

	t0 = now();
	for (long r = 0; r < rounds; r++) {
		struct bh_nflog_event ev;
		const struct nlmsghdr *nlh;
		size_t off = 0;

		memcpy(work, buf, len);
		while ((nlh = bh_nflog_msg_next(work, len, &off)))
			if (bh_nflog_msg_parse(nlh, &ev) == 0)
				sink += ev.payload_len + ev.indev + ev.seq + ev.seq_global +
					(uint8_t)ev.prefix[0] + ev.payload[0];
	}
	t_mnl = now() - t0;
	printf("per event: libnetfilter_log %.1f ns, bh_nflog (libmnl) %.1f ns, ratio x%.2f\n",
	       t_lib * 1e9 / ((double)rounds * PER_DGRAM), t_mnl * 1e9 / ((double)rounds * PER_DGRAM),
	       t_lib / t_mnl);
	nflog_unbind_group(gh);
	nflog_close(h);
	return 0;
}
