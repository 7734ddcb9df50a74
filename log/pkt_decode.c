// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * IPv4 / IPv6 header decoding for logged packets. Every read is checked
 * against the buffer length; the IPv6 extension header walk is bounded.
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include "log/pkt.h"

#define ETH_P_IP_ 0x0800
#define ETH_P_IPV6_ 0x86DD

/* More extension headers than this is an attack, not a packet. */
#define BH_PKT_MAX_EXTHDRS 16

static inline uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static const char *const proto_names[256] = {
	[IPPROTO_ICMP] = "icmp",
	[IPPROTO_IGMP] = "igmp",
	[IPPROTO_TCP] = "tcp",
	[IPPROTO_UDP] = "udp",
	[IPPROTO_IPV6] = "ipv6",
	[IPPROTO_GRE] = "gre",
	[IPPROTO_ESP] = "esp",
	[IPPROTO_AH] = "ah",
	[IPPROTO_ICMPV6] = "ipv6-icmp",
	[IPPROTO_SCTP] = "sctp",
	[IPPROTO_UDPLITE] = "udplite",
};

const char *bh_pkt_proto_name(uint8_t proto)
{
	return proto_names[proto];
}

/* Layer 4: the header starts at off; whatever is missing marks truncated. */
static void decode_l4(const uint8_t *b, size_t len, size_t off, struct bh_pkt *p)
{
	size_t avail = off <= len ? len - off : 0;
	const uint8_t *h = b + off;

	p->l4_off = (uint16_t)(off <= len ? off : len);
	switch (p->proto) {
	case IPPROTO_TCP:
		if (avail < 14) {
			p->truncated = true;
			if (avail < 4)
				return;
		} else {
			p->tcp_flags = h[13];
		}
		break;
	case IPPROTO_UDP:
	case IPPROTO_UDPLITE:
	case IPPROTO_SCTP:
		if (avail < 4) {
			p->truncated = true;
			return;
		}
		break;
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		if (avail < 2) {
			p->truncated = true;
			return;
		}
		p->icmp_type = h[0];
		p->icmp_code = h[1];
		p->has_icmp = true;
		return;
	default:
		return;
	}
	p->sport = rd16(h);
	p->dport = rd16(h + 2);
	p->has_ports = true;
}

static int decode_v4(const uint8_t *b, size_t len, struct bh_pkt *p)
{
	size_t ihl;
	uint16_t frag;

	if (len < 20 || (b[0] >> 4) != 4)
		return -EINVAL;
	ihl = (size_t)(b[0] & 0x0f) * 4;
	if (ihl < 20 || ihl > len)
		return -EINVAL;
	p->family = AF_INET;
	p->ip_len = rd16(b + 2);
	if (p->ip_len < ihl)
		return -EINVAL;
	p->ttl = b[8];
	p->proto = b[9];
	p->src.family = p->dst.family = AF_INET;
	memcpy(p->src.a, b + 12, 4);
	memcpy(p->dst.a, b + 16, 4);
	frag = rd16(b + 6);
	if (frag & 0x3fff) {	/* MF set or offset non-zero */
		p->fragment = true;
		if (frag & 0x1fff) {
			p->later_fragment = true;
			p->l4_off = (uint16_t)ihl;
			return 0;
		}
	}
	decode_l4(b, len, ihl, p);
	return 0;
}

static int decode_v6(const uint8_t *b, size_t len, struct bh_pkt *p)
{
	size_t off = 40;
	uint8_t nh;
	int i;

	if (len < 40 || (b[0] >> 4) != 6)
		return -EINVAL;
	p->family = AF_INET6;
	p->ip_len = (uint16_t)(rd16(b + 4) + 40 > 0xffff ? 0xffff : rd16(b + 4) + 40);
	p->ttl = b[7];
	p->src.family = p->dst.family = AF_INET6;
	memcpy(p->src.a, b + 8, 16);
	memcpy(p->dst.a, b + 24, 16);
	nh = b[6];
	for (i = 0; i < BH_PKT_MAX_EXTHDRS; i++) {
		size_t hl;

		switch (nh) {
		case IPPROTO_HOPOPTS:
		case IPPROTO_ROUTING:
		case IPPROTO_DSTOPTS:
			if (off + 2 > len)
				goto cut;
			hl = ((size_t)b[off + 1] + 1) * 8;
			break;
		case IPPROTO_AH:
			if (off + 2 > len)
				goto cut;
			hl = ((size_t)b[off + 1] + 2) * 4;
			break;
		case IPPROTO_FRAGMENT: {
			uint16_t fo;

			if (off + 8 > len)
				goto cut;
			fo = rd16(b + off + 2);
			p->fragment = true;
			if (fo & 0xfff8) {
				/* Non-first fragment: what follows is data, not a header. */
				p->proto = b[off];
				p->later_fragment = true;
				p->l4_off = (uint16_t)(off + 8);
				return 0;
			}
			hl = 8;
			break;
		}
		default:
			/* TCP, UDP, ICMPv6, ESP, NONE (59), anything else: stop here. */
			p->proto = nh;
			decode_l4(b, len, off, p);
			return 0;
		}
		nh = b[off];
		off += hl;
	}
	/* Too many extension headers: report what we know. */
	p->proto = nh;
	p->truncated = true;
	p->l4_off = (uint16_t)(off <= len ? off : len);
	return 0;
cut:
	p->proto = nh;
	p->truncated = true;
	p->l4_off = (uint16_t)(off <= len ? off : len);
	return 0;
}

int bh_pkt_decode(const void *buf, size_t len, uint16_t hw_proto, struct bh_pkt *p)
{
	const uint8_t *b = buf;
	unsigned int ver;

	memset(p, 0, sizeof(*p));
	if (!b || len < 1)
		return -EINVAL;
	ver = b[0] >> 4;
	if (hw_proto == ETH_P_IP_ && ver != 4)
		return -EINVAL;
	if (hw_proto == ETH_P_IPV6_ && ver != 6)
		return -EINVAL;
	if (ver == 4)
		return decode_v4(b, len, p);
	if (ver == 6)
		return decode_v6(b, len, p);
	return -EINVAL;
}
