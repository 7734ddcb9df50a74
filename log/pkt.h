/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef BH_PKT_H
#define BH_PKT_H

/*
 * Decoding of the packet headers NFLOG copies to us (the payload starts at
 * the network header). Only headers are looked at; the copy range is
 * usually cut short, so a layer-4 header that does not fit is reported as
 * truncated rather than as an error. Nothing is allocated and nothing past
 * `len` is ever read.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "policy/model.h"

/* TCP flag bits as in the TCP header (byte 13). */
#define BH_TCP_FIN 0x01
#define BH_TCP_SYN 0x02
#define BH_TCP_RST 0x04
#define BH_TCP_PSH 0x08
#define BH_TCP_ACK 0x10
#define BH_TCP_URG 0x20
#define BH_TCP_ECE 0x40
#define BH_TCP_CWR 0x80

struct bh_pkt {
	uint8_t family;		/* AF_INET or AF_INET6 */
	uint8_t proto;		/* layer-4 protocol after IPv6 extension headers */
	uint8_t ttl;		/* TTL / hop limit */
	uint8_t tcp_flags;	/* BH_TCP_*, when proto is TCP and not truncated */
	struct bh_addr src;
	struct bh_addr dst;
	uint16_t sport;		/* host byte order; valid when has_ports */
	uint16_t dport;
	uint8_t icmp_type;	/* valid when has_icmp (ICMP or ICMPv6) */
	uint8_t icmp_code;
	bool has_ports;		/* TCP, UDP, SCTP, UDP-Lite first fragment with its header */
	bool has_icmp;
	bool fragment;		/* part of a fragmented datagram */
	bool later_fragment;	/* a non-first fragment: carries no layer-4 header */
	bool truncated;		/* the layer-4 header (or an extension header) was cut */
	uint16_t ip_len;	/* total length claimed by the IP header */
	uint16_t l4_off;	/* offset of the layer-4 header in the buffer */
};

/*
 * Decode buf[0..len) as an IPv4 or IPv6 packet. hw_proto is the
 * NFULA_PACKET_HDR hardware protocol in host byte order (ETH_P_IP,
 * ETH_P_IPV6) or 0 when unknown: then the IP version nibble decides.
 * Returns 0 and fills *p (p->truncated set when layer-4 data is missing),
 * or -EINVAL when the network header itself is malformed or cut.
 */
int bh_pkt_decode(const void *buf, size_t len, uint16_t hw_proto, struct bh_pkt *p);

/* IANA keyword used by ECS network.transport: "tcp", "udp", "icmp", "ipv6-icmp", "sctp"... or NULL. */
const char *bh_pkt_proto_name(uint8_t proto);

#endif
