// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Community ID v1. The hash input is at most 40 bytes (2 seed + 2 x 16
 * addresses + protocol + pad + 2 x 2 ports), so SHA-1 here is a single
 * compression of one padded 64-byte block: no streaming state, nothing
 * allocated, about as costly as formatting one address.
 */
#include <string.h>
#include <sys/socket.h>

#include "log/community_id.h"
#include "log/pkt.h"

/* Counterparts of ICMP types (Zeek's ICMP4_counterpart, as the spec's reference uses). */
static const struct icmp_pair {
	uint8_t type, other;
} icmp4_pairs[] = {
	{ 8, 0 }, { 0, 8 },		/* echo request / reply */
	{ 13, 14 }, { 14, 13 },		/* timestamp */
	{ 15, 16 }, { 16, 15 },		/* information */
	{ 10, 9 },			/* router solicitation -> advertisement (one way only) */
	{ 17, 18 }, { 18, 17 },		/* address mask */
}, icmp6_pairs[] = {
	{ 128, 129 }, { 129, 128 },	/* echo request / reply */
	{ 133, 134 }, { 134, 133 },	/* router solicitation / advertisement */
	{ 135, 136 }, { 136, 135 },	/* neighbor solicitation / advertisement */
	{ 130, 131 }, { 131, 130 },	/* multicast listener query / report */
	{ 139, 140 }, { 140, 139 },	/* node information query / reply */
	{ 144, 145 }, { 145, 144 },	/* home agent address discovery */
};

/* true and *other when type has a counterpart. */
static bool icmp_counterpart(uint8_t proto, uint8_t type, uint16_t *other)
{
	const struct icmp_pair *t = proto == 1 ? icmp4_pairs : icmp6_pairs;
	size_t n = proto == 1 ? sizeof(icmp4_pairs) / sizeof(icmp4_pairs[0])
			      : sizeof(icmp6_pairs) / sizeof(icmp6_pairs[0]);

	for (size_t i = 0; i < n; i++)
		if (t[i].type == type) {
			*other = t[i].other;
			return true;
		}
	return false;
}

/* ---- SHA-1 of one message of at most 55 bytes (FIPS 180-4) ------------------- */

static inline uint32_t rol(uint32_t x, unsigned int n)
{
	return x << n | x >> (32 - n);
}

/* The message schedule in a 16-word ring; four loops without branches (rounds by kind). */
#define W(i) (w[(i) & 15] = rol(w[((i) + 13) & 15] ^ w[((i) + 8) & 15] ^ w[((i) + 2) & 15] ^ w[(i) & 15], 1))
#define STEP(f, k, x)                                                           \
	do {                                                                   \
		uint32_t t_ = rol(a, 5) + (f) + e + (k) + (x);                       \
		e = d, d = c, c = rol(b, 30), b = a, a = t_;                          \
	} while (0)

static void sha1_short(const uint8_t *msg, size_t len, uint8_t out[20])
{
	uint8_t blk[64] = { 0 };
	uint32_t w[16], h[5] = { 0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476, 0xc3d2e1f0 };
	uint32_t a, b, c, d, e;
	int i;

	memcpy(blk, msg, len);
	blk[len] = 0x80;
	blk[62] = (uint8_t)((len * 8) >> 8);
	blk[63] = (uint8_t)(len * 8);
	for (i = 0; i < 16; i++)
		w[i] = (uint32_t)blk[4 * i] << 24 | (uint32_t)blk[4 * i + 1] << 16 |
		       (uint32_t)blk[4 * i + 2] << 8 | blk[4 * i + 3];
	a = h[0], b = h[1], c = h[2], d = h[3], e = h[4];
	for (i = 0; i < 16; i++)
		STEP((b & c) | (~b & d), 0x5a827999, w[i]);
	for (; i < 20; i++)
		STEP((b & c) | (~b & d), 0x5a827999, W(i));
	for (; i < 40; i++)
		STEP(b ^ c ^ d, 0x6ed9eba1, W(i));
	for (; i < 60; i++)
		STEP((b & c) | (b & d) | (c & d), 0x8f1bbcdc, W(i));
	for (; i < 80; i++)
		STEP(b ^ c ^ d, 0xca62c1d6, W(i));
	h[0] += a, h[1] += b, h[2] += c, h[3] += d, h[4] += e;
	for (i = 0; i < 5; i++) {
		out[4 * i] = (uint8_t)(h[i] >> 24);
		out[4 * i + 1] = (uint8_t)(h[i] >> 16);
		out[4 * i + 2] = (uint8_t)(h[i] >> 8);
		out[4 * i + 3] = (uint8_t)h[i];
	}
}

static int base64_20(const uint8_t in[20], char *o)
{
	static const char tab[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	int n = 0;

	for (int i = 0; i < 18; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];

		o[n++] = tab[v >> 18];
		o[n++] = tab[(v >> 12) & 63];
		o[n++] = tab[(v >> 6) & 63];
		o[n++] = tab[v & 63];
	}
	/* 2 bytes left: 3 characters and one '=' */
	uint32_t v = (uint32_t)in[18] << 16 | (uint32_t)in[19] << 8;

	o[n++] = tab[v >> 18];
	o[n++] = tab[(v >> 12) & 63];
	o[n++] = tab[(v >> 6) & 63];
	o[n++] = '=';
	o[n] = 0;
	return n;
}

int bh_community_id_flow(uint16_t seed, const struct bh_cid_flow *f, char out[BH_COMMUNITY_ID_SIZE])
{
	size_t alen = f->family == AF_INET6 ? 16 : 4, n = 0;
	const uint8_t *a1 = f->src, *a2 = f->dst;
	uint16_t p1 = f->sport, p2 = f->dport;
	bool one_way = false, swap;
	uint8_t buf[40], dig[20];
	int c;

	if (f->has_ports && (f->proto == 1 || f->proto == 58)) {
		uint16_t other;

		if (icmp_counterpart(f->proto, (uint8_t)f->sport, &other))
			p2 = other;
		else
			one_way = true;	/* (type, code) as sent, never reordered */
	}
	c = memcmp(a1, a2, alen);
	swap = !one_way && (c > 0 || (c == 0 && f->has_ports && p1 > p2));
	if (swap) {
		const uint8_t *ta = a1;
		uint16_t tp = p1;

		a1 = a2, a2 = ta, p1 = p2, p2 = tp;
	}
	buf[n++] = (uint8_t)(seed >> 8);
	buf[n++] = (uint8_t)seed;
	memcpy(buf + n, a1, alen);
	n += alen;
	memcpy(buf + n, a2, alen);
	n += alen;
	buf[n++] = f->proto;
	buf[n++] = 0;
	if (f->has_ports) {
		buf[n++] = (uint8_t)(p1 >> 8);
		buf[n++] = (uint8_t)p1;
		buf[n++] = (uint8_t)(p2 >> 8);
		buf[n++] = (uint8_t)p2;
	}
	sha1_short(buf, n, dig);
	out[0] = '1';
	out[1] = ':';
	return 2 + base64_20(dig, out + 2);
}

int bh_community_id_pkt(uint16_t seed, const struct bh_pkt *p, char out[BH_COMMUNITY_ID_SIZE])
{
	struct bh_cid_flow f = {
		.family = p->family,
		.proto = p->proto,
		.src = p->src.a,
		.dst = p->dst.a,
	};

	if (p->has_ports) {
		f.has_ports = true;
		f.sport = p->sport;
		f.dport = p->dport;
	} else if (p->has_icmp) {
		f.has_ports = true;
		f.sport = p->icmp_type;
		f.dport = p->icmp_code;
	}
	return bh_community_id_flow(seed, &f, out);
}
