/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef BH_COMMUNITY_ID_H
#define BH_COMMUNITY_ID_H

/*
 * Community ID v1 (the corelight community-id-spec): the flow hash that
 * Zeek, Suricata, Elastic and Arkime also write, so a denied line joins
 * the same flow seen by those tools. SHA-1 over
 *   seed (2 bytes, network order), the two addresses and ports ordered so
 *   both directions hash alike, the protocol, one zero byte, the ports
 * then base64 with a "1:" prefix. ICMP and ICMPv6 use type and code as
 * ports; a type with a counterpart (echo request/reply, ...) uses the
 * counterpart as the second port and is ordered like a two-way flow, any
 * other type keeps (type, code) in packet order. Pure: no allocation.
 */

#include <stdbool.h>
#include <stdint.h>

struct bh_pkt;

/* "1:" + 28 base64 characters + NUL */
#define BH_COMMUNITY_ID_SIZE 31

/* A flow as the spec sees it. */
struct bh_cid_flow {
	uint8_t family;		/* AF_INET or AF_INET6 */
	uint8_t proto;		/* IANA protocol number */
	const uint8_t *src, *dst;	/* 4 or 16 bytes, network order */
	bool has_ports;		/* TCP, UDP, SCTP ports, or ICMP type/code, are known */
	uint16_t sport, dport;	/* host order; ICMP/ICMPv6: type, code */
};

/* Writes the Community ID of f to out (NUL-terminated). Returns the length (30). */
int bh_community_id_flow(uint16_t seed, const struct bh_cid_flow *f, char out[BH_COMMUNITY_ID_SIZE]);

/*
 * The same for a decoded packet: ports when the layer-4 header was there,
 * ICMP type/code when that was, else addresses and protocol only (a later
 * fragment, a cut header). Returns the length.
 */
int bh_community_id_pkt(uint16_t seed, const struct bh_pkt *p, char out[BH_COMMUNITY_ID_SIZE]);

#endif
