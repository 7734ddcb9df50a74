// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Sets and their elements, encoded as nft 1.0.x encodes them so that
 * `nft list` prints our sets exactly like sets it loaded itself:
 *  - set userdata: key byte order, and for a concatenation the typeof
 *    nest nft writes for a concat key (type 13, empty data);
 *  - single-field interval sets hold interval starts and, unless the
 *    interval reaches the top of the address space, an end element at
 *    hi + 1 flagged INTERVAL_END; a set whose first interval does not
 *    start at 0 begins with an end element at 0; an interval that reaches
 *    the top carries the "interval open" element userdata;
 *  - concatenated interval sets hold one element with KEY and KEY_END;
 *    every field takes whole 32-bit words (proto in the first byte of its
 *    word, the port in network order in the first two bytes of its word);
 *  - verdict maps (the tiers) are the same sets with the MAP flag, data
 *    type verdict, the data byte order and data interval userdata nft
 *    writes for them, and the verdict on each interval's start element.
 */
#include <errno.h>
#include <stdio.h>
#include <netinet/in.h>
#include <linux/netfilter.h>
#include <linux/netlink.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <linux/netfilter/nf_tables.h>
#include <libnftnl/set.h>
#include <libnftnl/udata.h>

#include "policy/compile.h"
#include "netlink/nft_int.h"

/* nft datatype ids (datatype.h) and their concatenation encoding */
#define TYPE_IPADDR 7
#define TYPE_IP6ADDR 8
#define TYPE_INET_PROTOCOL 12
#define TYPE_INET_SERVICE 13
#define TYPE_ICMPV6_TYPE 29
#define TYPE_BITS 6
#define BYTEORDER_BIG_ENDIAN 2
#define EXPR_CONCAT 13

/*
 * Elements per NEWSETELEM message: the element list is one attribute, and
 * an attribute's length is 16 bits. 512 IPv6 concatenations with key and
 * key end take about 40 KiB.
 */
#define ELEMS_PER_MSG 512

/*
 * The anonymous set of `icmpv6 type { mld-listener-query, ... }`, userdata as
 * nft writes it: neighbour discovery (133-136) and multicast listener
 * discovery (130-132, 143) are link plumbing that isolation must not break
 * (and dropped MLD reports would only fill the log).
 */
static const uint8_t nd_types[] = { 130, 131, 132, 133, 134, 135, 136, 143 };
static const uint8_t nd_udata[] = {
	0x00, 0x04, 0x02, 0x00, 0x00, 0x00,		/* key byteorder: big endian */
	0x03, 0x14,					/* key typeof { */
	0x00, 0x04, 0x07, 0x00, 0x00, 0x00,		/*   expr: payload */
	0x01, 0x0c,					/*   data { */
	0x00, 0x04, 0x0e, 0x00, 0x00, 0x00,		/*     base: icmpv6 */
	0x01, 0x04, 0x01, 0x00, 0x00, 0x00,		/*     field: type } } */
};

static struct nftnl_set *set_new(const char *name, uint32_t id)
{
	struct nftnl_set *s = nftnl_set_alloc();

	if (!s)
		return NULL;
	nftnl_set_set_u32(s, NFTNL_SET_FAMILY, NFPROTO_INET);
	nftnl_set_set_u32(s, NFTNL_SET_ID, id);
	if (nftnl_set_set_str(s, NFTNL_SET_TABLE, BH_TABLE) < 0 ||
	    nftnl_set_set_str(s, NFTNL_SET_NAME, name) < 0) {
		nftnl_set_free(s);
		return NULL;
	}
	return s;
}

static int set_udata(struct nftnl_set *s, bool concat, bool map)
{
	struct nftnl_udata_buf *ud = nftnl_udata_buf_alloc(64);
	struct nftnl_udata *n1, *n2;
	int ret = -ENOMEM;

	if (!ud)
		return -ENOMEM;
	if (!nftnl_udata_put_u32(ud, NFTNL_UDATA_SET_KEYBYTEORDER, concat ? 0 : BYTEORDER_BIG_ENDIAN))
		goto out;
	if (map && !nftnl_udata_put_u32(ud, NFTNL_UDATA_SET_DATABYTEORDER, 0))
		goto out;
	if (concat) {
		n1 = nftnl_udata_nest_start(ud, NFTNL_UDATA_SET_KEY_TYPEOF);
		if (!n1 || !nftnl_udata_put_u32(ud, NFTNL_UDATA_SET_TYPEOF_EXPR, EXPR_CONCAT))
			goto out;
		n2 = nftnl_udata_nest_start(ud, NFTNL_UDATA_SET_TYPEOF_DATA);
		if (!n2)
			goto out;
		nftnl_udata_nest_end(ud, n2);
		nftnl_udata_nest_end(ud, n1);
	}
	if (map && !nftnl_udata_put_u32(ud, NFTNL_UDATA_SET_DATA_INTERVAL, 0))
		goto out;
	if (nftnl_set_set_data(s, NFTNL_SET_USERDATA, nftnl_udata_buf_data(ud),
			       nftnl_udata_buf_len(ud)) == 0)
		ret = 0;
out:
	nftnl_udata_buf_free(ud);
	return ret;
}

/* Adds one element; key_end and v (a map element's verdict) may be NULL. 0 or -ENOMEM. */
static int elem_add(struct nftnl_set *s, const void *key, const void *key_end, uint32_t len,
		    uint32_t flags, bool open, const struct bh_verdict *v)
{
	static const uint8_t open_udata[] = { 0x01, 0x04, 0x01, 0x00, 0x00, 0x00 };
	struct nftnl_set_elem *e = nftnl_set_elem_alloc();

	if (!e)
		return -ENOMEM;
	if (nftnl_set_elem_set(e, NFTNL_SET_ELEM_KEY, key, len) < 0 ||
	    (key_end && nftnl_set_elem_set(e, NFTNL_SET_ELEM_KEY_END, key_end, len) < 0) ||
	    (open && nftnl_set_elem_set(e, NFTNL_SET_ELEM_USERDATA, open_udata,
					sizeof(open_udata)) < 0)) {
		nftnl_set_elem_free(e);
		return -ENOMEM;
	}
	if (flags)
		nftnl_set_elem_set_u32(e, NFTNL_SET_ELEM_FLAGS, flags);
	if (v) {
		nftnl_set_elem_set_u32(e, NFTNL_SET_ELEM_VERDICT, v->go ? (uint32_t)NFT_GOTO : NF_ACCEPT);
		if (v->go && nftnl_set_elem_set_str(e, NFTNL_SET_ELEM_CHAIN, v->chain) < 0) {
			nftnl_set_elem_free(e);
			return -ENOMEM;
		}
	}
	nftnl_set_elem_add(s, e);
	return 0;
}

static void concat_key(uint8_t *k, const uint8_t *addr, uint32_t alen, uint8_t proto, uint16_t port)
{
	uint16_t p = htons(port);

	memset(k, 0, alen + 8);
	memcpy(k, addr, alen);
	k[alen] = proto;
	memcpy(k + alen + 4, &p, 2);
}

/* Appends elements [from, to) of e as one NEWSETELEM message. */
static int elems_push(struct bh_nft_batch *b, const char *name, uint32_t id, uint8_t fam,
		      bool concat, const struct bh_elem *e, const struct bh_verdict *v, size_t from,
		      size_t to)
{
	static const uint8_t zero[16];
	const uint32_t alen = fam == BH_FAM_V4 ? 4 : 16;
	struct bh_nft__elemsrc *es = calloc(1, sizeof(*es));
	struct nftnl_set *s = set_new(name, id);
	uint8_t k[24], kend[24];
	size_t i, cap = 2 * (to - from) + 1;
	int ret = -ENOMEM;

	if (!es || !s)
		goto fail;
	es->fam = fam;
	es->concat = concat;
	es->n_src = to - from;
	es->src = malloc(es->n_src * sizeof(*es->src));
	es->map = malloc(cap * sizeof(*es->map));
	if (!es->src || !es->map)
		goto fail;
	memcpy(es->src, e + from, es->n_src * sizeof(*es->src));
	for (i = from; i < to; i++) {
		const struct bh_elem *x = &e[i];
		uint32_t src = i - from;

		if (concat) {
			concat_key(k, x->lo, alen, x->proto, x->port_lo);
			concat_key(kend, x->hi, alen, x->proto, x->port_hi);
			es->map[es->n_map++] = src;
			if ((ret = elem_add(s, k, kend, alen + 8, 0, false, v ? &v[i] : NULL)))
				goto fail;
			continue;
		}
		if (i == 0 && !bh__all_zero(x->lo, alen)) {
			es->map[es->n_map++] = UINT32_MAX;
			if ((ret = elem_add(s, zero, NULL, alen, NFT_SET_ELEM_INTERVAL_END, false, NULL)))
				goto fail;
		}
		es->map[es->n_map++] = src;
		if ((ret = elem_add(s, x->lo, NULL, alen, 0, bh__all_ones(x->hi, alen), v ? &v[i] : NULL)))
			goto fail;
		if (bh__all_ones(x->hi, alen))
			continue;
		memcpy(k, x->hi, alen);
		bh__be_inc(k, alen);
		es->map[es->n_map++] = src;
		if ((ret = elem_add(s, k, NULL, alen, NFT_SET_ELEM_INTERVAL_END, false, NULL)))
			goto fail;
	}
	b->n_elems += to - from;
	return bh_nft__push(b, NFT_MSG_NEWSETELEM, NLM_F_CREATE, BH_NFT__ELEMS, s, es,
			    "set %s", name);
fail:
	if (s)	/* libnftnl's free functions do not take NULL */
		nftnl_set_free(s);
	bh_nft__elemsrc_free(es);
	return ret;
}

static int set_add(struct bh_nft_batch *b, const char *name, uint8_t fam, bool concat,
		   const struct bh_elem *e, const struct bh_verdict *v, size_t n)
{
	static const uint8_t fields[BH_FAM_MAX][3] = { { 4, 1, 2 }, { 16, 1, 2 } };
	const uint32_t addr_type = fam == BH_FAM_V4 ? TYPE_IPADDR : TYPE_IP6ADDR;
	const uint32_t alen = fam == BH_FAM_V4 ? 4 : 16;
	uint32_t id = ++b->next_set_id;
	struct nftnl_set *s = set_new(name, id);
	size_t i;
	int ret;

	if (!s)
		return -ENOMEM;
	if (v) {
		nftnl_set_set_u32(s, NFTNL_SET_DATA_TYPE, NFT_DATA_VERDICT);
		nftnl_set_set_u32(s, NFTNL_SET_DATA_LEN, 0);
	}
	if (concat) {
		nftnl_set_set_u32(s, NFTNL_SET_FLAGS, NFT_SET_INTERVAL | NFT_SET_CONCAT | (v ? NFT_SET_MAP : 0));
		nftnl_set_set_u32(s, NFTNL_SET_KEY_TYPE,
				  ((addr_type << TYPE_BITS | TYPE_INET_PROTOCOL) << TYPE_BITS) |
				  TYPE_INET_SERVICE);
		nftnl_set_set_u32(s, NFTNL_SET_KEY_LEN, alen + 8);
		if (nftnl_set_set_data(s, NFTNL_SET_DESC_CONCAT, fields[fam], sizeof(fields[fam])) < 0)
			goto nomem;
	} else {
		nftnl_set_set_u32(s, NFTNL_SET_FLAGS, NFT_SET_INTERVAL | (v ? NFT_SET_MAP : 0));
		nftnl_set_set_u32(s, NFTNL_SET_KEY_TYPE, addr_type);
		nftnl_set_set_u32(s, NFTNL_SET_KEY_LEN, alen);
	}
	if (set_udata(s, concat, v != NULL))
		goto nomem;
	ret = bh_nft__push(b, NFT_MSG_NEWSET, NLM_F_CREATE, BH_NFT__SET, s, NULL, "set %s", name);
	for (i = 0; !ret && i < n; i += ELEMS_PER_MSG)
		ret = elems_push(b, name, id, fam, concat, e, v, i,
				 n - i > ELEMS_PER_MSG ? i + ELEMS_PER_MSG : n);
	return ret;
nomem:
	nftnl_set_free(s);
	return -ENOMEM;
}

int bh_nft__set_add(struct bh_nft_batch *b, const char *name, uint8_t fam, bool concat,
		    const struct bh_elem *e, size_t n)
{
	return set_add(b, name, fam, concat, e, NULL, n);
}

int bh_nft__map_add(struct bh_nft_batch *b, const char *name, uint8_t fam, bool concat,
		    const struct bh_elem *e, const struct bh_verdict *v, size_t n)
{
	static const struct bh_verdict none;

	/* an empty map still gets its MAP flag and data type */
	return set_add(b, name, fam, concat, e, v ? v : &none, n);
}

int bh_nft__nd_set_add(struct bh_nft_batch *b, uint32_t *id)
{
	struct nftnl_set *s, *es;
	size_t i;
	int ret;

	*id = ++b->next_set_id;
	s = set_new("__set%d", *id);
	if (!s)
		return -ENOMEM;
	nftnl_set_set_u32(s, NFTNL_SET_FLAGS, NFT_SET_ANONYMOUS | NFT_SET_CONSTANT);
	nftnl_set_set_u32(s, NFTNL_SET_KEY_TYPE, TYPE_ICMPV6_TYPE);
	nftnl_set_set_u32(s, NFTNL_SET_KEY_LEN, 1);
	nftnl_set_set_u32(s, NFTNL_SET_DESC_SIZE, sizeof(nd_types));
	if (nftnl_set_set_data(s, NFTNL_SET_USERDATA, nd_udata, sizeof(nd_udata)) < 0) {
		nftnl_set_free(s);
		return -ENOMEM;
	}
	ret = bh_nft__push(b, NFT_MSG_NEWSET, NLM_F_CREATE, BH_NFT__SET, s, NULL,
			   "set of ICMPv6 neighbour discovery types");
	if (ret)
		return ret;
	es = set_new("__set%d", *id);
	if (!es)
		return -ENOMEM;
	for (i = 0; i < sizeof(nd_types); i++) {
		if (elem_add(es, &nd_types[i], NULL, 1, 0, false, NULL)) {
			nftnl_set_free(es);
			return -ENOMEM;
		}
	}
	return bh_nft__push(b, NFT_MSG_NEWSETELEM, NLM_F_CREATE, BH_NFT__ELEMS, es, NULL,
			    "set of ICMPv6 neighbour discovery types");
}

static const char *proto_name(uint8_t p, char *buf, size_t len)
{
	switch (p) {
	case IPPROTO_TCP: return "tcp";
	case IPPROTO_UDP: return "udp";
	case IPPROTO_SCTP: return "sctp";
	}
	snprintf(buf, len, "%u", p);
	return buf;
}

/* Smallest prefix length whose network is lo and broadcast is hi, or -1. */
static int prefix_len(const uint8_t *lo, const uint8_t *hi, int alen)
{
	int bits = 0, i, b;

	for (i = 0; i < alen && lo[i] == hi[i]; i++)
		bits += 8;
	if (i == alen)
		return bits;
	for (b = 7; b >= 0 && ((lo[i] ^ hi[i]) & (1 << b)) == 0; b--)
		bits++;
	/* the rest: lo all zero and hi all one */
	for (int j = b; j >= 0; j--)
		if ((lo[i] & (1 << j)) || !(hi[i] & (1 << j)))
			return -1;
	for (i++; i < alen; i++)
		if (lo[i] != 0 || hi[i] != 0xff)
			return -1;
	return bits;
}

void bh_nft__elem_format(const struct bh_elem *e, uint8_t fam, bool concat, char *buf, size_t len)
{
	const int af = fam == BH_FAM_V4 ? AF_INET : AF_INET6;
	const int alen = fam == BH_FAM_V4 ? 4 : 16;
	char lo[INET6_ADDRSTRLEN], hi[INET6_ADDRSTRLEN], addr[2 * INET6_ADDRSTRLEN + 8];
	char ports[16], pbuf[8];
	int plen;

	inet_ntop(af, e->lo, lo, sizeof(lo));
	inet_ntop(af, e->hi, hi, sizeof(hi));
	plen = prefix_len(e->lo, e->hi, alen);
	if (plen == alen * 8)
		snprintf(addr, sizeof(addr), "%s", lo);
	else if (plen >= 0)
		snprintf(addr, sizeof(addr), "%s/%d", lo, plen);
	else
		snprintf(addr, sizeof(addr), "%s-%s", lo, hi);
	if (!concat) {
		snprintf(buf, len, "%s", addr);
		return;
	}
	if (e->port_lo == e->port_hi)
		snprintf(ports, sizeof(ports), "%u", e->port_lo);
	else
		snprintf(ports, sizeof(ports), "%u-%u", e->port_lo, e->port_hi);
	snprintf(buf, len, "%s . %s . %s", addr, proto_name(e->proto, pbuf, sizeof(pbuf)), ports);
}
