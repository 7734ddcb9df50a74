// SPDX-License-Identifier: GPL-2.0-or-later
/* Packet header decoding: hand-built IPv4/IPv6 packets, truncations, fragments. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <cmocka.h>

#include "log/pkt.h"

static size_t v4(uint8_t *b, uint8_t proto, size_t ihl_words, uint16_t frag, size_t l4len)
{
	size_t ihl = ihl_words * 4, i;

	memset(b, 0, ihl + l4len);
	b[0] = (uint8_t)(0x40 | ihl_words);
	b[2] = (uint8_t)((ihl + l4len) >> 8);
	b[3] = (uint8_t)(ihl + l4len);
	b[6] = (uint8_t)(frag >> 8);
	b[7] = (uint8_t)frag;
	b[8] = 64;
	b[9] = proto;
	b[12] = 10; b[13] = 0; b[14] = 0; b[15] = 21;
	b[16] = 10; b[17] = 0; b[18] = 0; b[19] = 11;
	for (i = 20; i < ihl; i++)
		b[i] = 1;	/* NOP options */
	return ihl;
}

static void ports(uint8_t *h, uint16_t s, uint16_t d)
{
	h[0] = (uint8_t)(s >> 8); h[1] = (uint8_t)s;
	h[2] = (uint8_t)(d >> 8); h[3] = (uint8_t)d;
}

static void test_v4_tcp_syn(void **state)
{
	uint8_t b[128];
	struct bh_pkt p;
	size_t off = v4(b, IPPROTO_TCP, 5, 0x4000 /* DF */, 20);

	ports(b + off, 51234, 5432);
	b[off + 12] = 0x50;
	b[off + 13] = BH_TCP_SYN;
	assert_int_equal(bh_pkt_decode(b, off + 20, 0x0800, &p), 0);
	assert_int_equal(p.family, AF_INET);
	assert_int_equal(p.proto, IPPROTO_TCP);
	assert_true(p.has_ports);
	assert_int_equal(p.sport, 51234);
	assert_int_equal(p.dport, 5432);
	assert_int_equal(p.tcp_flags, BH_TCP_SYN);
	assert_false(p.truncated);
	assert_false(p.fragment);
	assert_int_equal(p.src.a[3], 21);
	assert_int_equal(p.dst.a[3], 11);
	assert_int_equal(p.ttl, 64);
	assert_int_equal(p.ip_len, 40);
	assert_string_equal(bh_pkt_proto_name(p.proto), "tcp");
}

static void test_v4_options_udp(void **state)
{
	uint8_t b[128];
	struct bh_pkt p;
	size_t off = v4(b, IPPROTO_UDP, 15, 0, 8);	/* 40 bytes of options */

	ports(b + off, 53, 9999);
	assert_int_equal(bh_pkt_decode(b, off + 8, 0, &p), 0);
	assert_int_equal(p.l4_off, 60);
	assert_int_equal(p.sport, 53);
	assert_int_equal(p.dport, 9999);
	/* cut inside the UDP header: still decoded, marked truncated */
	assert_int_equal(bh_pkt_decode(b, off + 3, 0, &p), 0);
	assert_true(p.truncated);
	assert_false(p.has_ports);
	/* cut inside the options: malformed */
	assert_int_equal(bh_pkt_decode(b, 40, 0, &p), -EINVAL);
}

static void test_v4_tcp_truncated_flags(void **state)
{
	uint8_t b[128];
	struct bh_pkt p;
	size_t off = v4(b, IPPROTO_TCP, 5, 0, 20);

	ports(b + off, 1, 2);
	assert_int_equal(bh_pkt_decode(b, off + 8, 0, &p), 0);
	assert_true(p.truncated);
	assert_true(p.has_ports);	/* ports fit, flags do not */
	assert_int_equal(p.tcp_flags, 0);
}

static void test_v4_fragments(void **state)
{
	uint8_t b[128];
	struct bh_pkt p;
	size_t off = v4(b, IPPROTO_UDP, 5, 0x2000 /* MF */, 8);

	ports(b + off, 7, 8);
	assert_int_equal(bh_pkt_decode(b, off + 8, 0, &p), 0);
	assert_true(p.fragment);
	assert_false(p.later_fragment);
	assert_true(p.has_ports);

	off = v4(b, IPPROTO_UDP, 5, 185 /* offset 1480 */, 8);
	ports(b + off, 7, 8);
	assert_int_equal(bh_pkt_decode(b, off + 8, 0, &p), 0);
	assert_true(p.fragment);
	assert_true(p.later_fragment);
	assert_false(p.has_ports);
	assert_int_equal(p.sport, 0);
}

static void test_v4_icmp(void **state)
{
	uint8_t b[128];
	struct bh_pkt p;
	size_t off = v4(b, IPPROTO_ICMP, 5, 0, 8);

	b[off] = 8;	/* echo request */
	b[off + 1] = 0;
	assert_int_equal(bh_pkt_decode(b, off + 8, 0, &p), 0);
	assert_true(p.has_icmp);
	assert_false(p.has_ports);
	assert_int_equal(p.icmp_type, 8);
	assert_string_equal(bh_pkt_proto_name(p.proto), "icmp");
	assert_int_equal(bh_pkt_decode(b, off + 1, 0, &p), 0);
	assert_true(p.truncated);
	assert_false(p.has_icmp);
}

static void test_v4_malformed(void **state)
{
	uint8_t b[128];
	struct bh_pkt p;

	v4(b, IPPROTO_TCP, 5, 0, 20);
	assert_int_equal(bh_pkt_decode(b, 19, 0, &p), -EINVAL);
	assert_int_equal(bh_pkt_decode(b, 0, 0, &p), -EINVAL);
	assert_int_equal(bh_pkt_decode(NULL, 0, 0, &p), -EINVAL);
	b[0] = 0x44;	/* IHL 16 bytes */
	assert_int_equal(bh_pkt_decode(b, 40, 0, &p), -EINVAL);
	b[0] = 0x45;
	assert_int_equal(bh_pkt_decode(b, 40, 0x86dd, &p), -EINVAL);	/* hw says IPv6 */
	b[2] = 0; b[3] = 10;	/* total length below header length */
	assert_int_equal(bh_pkt_decode(b, 40, 0, &p), -EINVAL);
	b[0] = 0x55;
	assert_int_equal(bh_pkt_decode(b, 40, 0, &p), -EINVAL);
}

static size_t v6(uint8_t *b, uint8_t nh, size_t plen)
{
	memset(b, 0, 40 + plen);
	b[0] = 0x60;
	b[4] = (uint8_t)(plen >> 8);
	b[5] = (uint8_t)plen;
	b[6] = nh;
	b[7] = 255;
	b[8] = 0xfd; b[23] = 0x21;
	b[24] = 0xfd; b[39] = 0x11;
	return 40;
}

static void test_v6_udp(void **state)
{
	uint8_t b[128];
	struct bh_pkt p;
	char s[64];
	size_t off = v6(b, IPPROTO_UDP, 8);

	ports(b + off, 4000, 53);
	assert_int_equal(bh_pkt_decode(b, off + 8, 0x86dd, &p), 0);
	assert_int_equal(p.family, AF_INET6);
	assert_int_equal(p.proto, IPPROTO_UDP);
	assert_int_equal(p.sport, 4000);
	assert_int_equal(p.dport, 53);
	assert_string_equal(inet_ntop(AF_INET6, p.src.a, s, sizeof(s)), "fd00::21");
	assert_string_equal(inet_ntop(AF_INET6, p.dst.a, s, sizeof(s)), "fd00::11");
	assert_int_equal(p.ip_len, 48);
}

/* hop-by-hop -> routing -> destination options -> AH -> fragment(first) -> TCP */
static void test_v6_ext_chain(void **state)
{
	uint8_t b[256];
	struct bh_pkt p;
	size_t off = v6(b, IPPROTO_HOPOPTS, 8 + 24 + 16 + 16 + 8 + 20);

	b[off] = IPPROTO_ROUTING; b[off + 1] = 0; off += 8;
	b[off] = IPPROTO_DSTOPTS; b[off + 1] = 2; off += 24;
	b[off] = IPPROTO_AH; b[off + 1] = 1; off += 16;
	b[off] = IPPROTO_FRAGMENT; b[off + 1] = 2; off += 16;	/* AH: (2+2)*4 */
	b[off] = IPPROTO_TCP; b[off + 2] = 0; b[off + 3] = 1; off += 8;	/* first fragment, M=1 */
	ports(b + off, 1111, 443);
	b[off + 13] = BH_TCP_SYN | BH_TCP_ACK;
	assert_int_equal(bh_pkt_decode(b, off + 20, 0, &p), 0);
	assert_int_equal(p.proto, IPPROTO_TCP);
	assert_true(p.fragment);
	assert_false(p.later_fragment);
	assert_int_equal(p.l4_off, off);
	assert_int_equal(p.sport, 1111);
	assert_int_equal(p.dport, 443);
	assert_int_equal(p.tcp_flags, BH_TCP_SYN | BH_TCP_ACK);
	assert_false(p.truncated);

	/* cut at every length: never an error past the fixed header, never a port that is not there */
	for (size_t l = 40; l < off + 4; l++) {
		assert_int_equal(bh_pkt_decode(b, l, 0, &p), 0);
		assert_true(p.truncated);
		assert_false(p.has_ports);
		assert_true(p.l4_off <= l);
	}
	for (size_t l = 0; l < 40; l++)
		assert_int_equal(bh_pkt_decode(b, l, 0, &p), -EINVAL);
}

static void test_v6_later_fragment(void **state)
{
	uint8_t b[128];
	struct bh_pkt p;
	size_t off = v6(b, IPPROTO_FRAGMENT, 16);

	b[off] = IPPROTO_UDP;
	b[off + 2] = 0x05; b[off + 3] = 0xa8;	/* offset 181*8 */
	ports(b + off + 8, 1, 2);
	assert_int_equal(bh_pkt_decode(b, off + 16, 0, &p), 0);
	assert_true(p.later_fragment);
	assert_int_equal(p.proto, IPPROTO_UDP);
	assert_false(p.has_ports);
}

static void test_v6_icmp6_and_none(void **state)
{
	uint8_t b[128];
	struct bh_pkt p;
	size_t off = v6(b, IPPROTO_ICMPV6, 8);

	b[off] = 128;
	assert_int_equal(bh_pkt_decode(b, off + 8, 0, &p), 0);
	assert_true(p.has_icmp);
	assert_int_equal(p.icmp_type, 128);
	assert_string_equal(bh_pkt_proto_name(p.proto), "ipv6-icmp");

	off = v6(b, 59 /* no next header */, 0);
	assert_int_equal(bh_pkt_decode(b, off, 0, &p), 0);
	assert_int_equal(p.proto, 59);
	assert_false(p.has_ports);
	assert_false(p.truncated);
}

static void test_v6_exthdr_loop_bounded(void **state)
{
	uint8_t b[40 + 8 * 40];
	struct bh_pkt p;
	size_t off = v6(b, IPPROTO_DSTOPTS, 8 * 40);

	for (int i = 0; i < 40; i++)
		b[off + 8 * i] = IPPROTO_DSTOPTS;
	assert_int_equal(bh_pkt_decode(b, sizeof(b), 0, &p), 0);
	assert_true(p.truncated);
	assert_false(p.has_ports);
}

static void test_sctp_ports(void **state)
{
	uint8_t b[128];
	struct bh_pkt p;
	size_t off = v4(b, IPPROTO_SCTP, 5, 0, 12);

	ports(b + off, 36412, 38412);
	assert_int_equal(bh_pkt_decode(b, off + 12, 0, &p), 0);
	assert_true(p.has_ports);
	assert_int_equal(p.sport, 36412);
	assert_int_equal(p.dport, 38412);
	assert_string_equal(bh_pkt_proto_name(p.proto), "sctp");
	assert_null(bh_pkt_proto_name(253));
}

/* Decoding a random buffer of every length must never read out of bounds (ASan watches). */
static void test_random_bytes(void **state)
{
	struct bh_pkt p;
	unsigned int seed = 1;

	for (int round = 0; round < 20000; round++) {
		size_t len = (size_t)(rand_r(&seed) % 120);
		uint8_t *b = malloc(len ? len : 1);

		assert_non_null(b);
		for (size_t i = 0; i < len; i++)
			b[i] = (uint8_t)rand_r(&seed);
		if (len)
			b[0] = (uint8_t)((round & 1 ? 0x40 : 0x60) | (b[0] & 0x0f));
		(void)bh_pkt_decode(b, len, 0, &p);
		assert_true(p.l4_off <= len);
		free(b);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_v4_tcp_syn),
		cmocka_unit_test(test_v4_options_udp),
		cmocka_unit_test(test_v4_tcp_truncated_flags),
		cmocka_unit_test(test_v4_fragments),
		cmocka_unit_test(test_v4_icmp),
		cmocka_unit_test(test_v4_malformed),
		cmocka_unit_test(test_v6_udp),
		cmocka_unit_test(test_v6_ext_chain),
		cmocka_unit_test(test_v6_later_fragment),
		cmocka_unit_test(test_v6_icmp6_and_none),
		cmocka_unit_test(test_v6_exthdr_loop_bounded),
		cmocka_unit_test(test_sctp_ports),
		cmocka_unit_test(test_random_bytes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
