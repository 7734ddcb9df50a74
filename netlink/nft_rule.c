// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Rule expressions. Each builder emits the same expressions, registers and
 * lengths that nft 1.0.x generates for the matching statement (checked with
 * `nft --debug=netlink`), so the kernel holds identical rules whichever
 * tool loaded them.
 */
#include <errno.h>
#include <stdio.h>
#include <netinet/in.h>
#include <linux/netfilter.h>
#include <linux/netlink.h>
#include <string.h>
#include <linux/netfilter/nf_tables.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <libnftnl/udata.h>

#include "policy/compile.h"
#include "netlink/nft_int.h"

struct nftnl_rule *bh_nft__rule_alloc(const char *chain)
{
	struct nftnl_rule *r = nftnl_rule_alloc();

	if (!r)
		return NULL;
	nftnl_rule_set_u32(r, NFTNL_RULE_FAMILY, NFPROTO_INET);
	if (nftnl_rule_set_str(r, NFTNL_RULE_TABLE, BH_TABLE) < 0 ||
	    nftnl_rule_set_str(r, NFTNL_RULE_CHAIN, chain) < 0) {
		nftnl_rule_free(r);
		return NULL;
	}
	return r;
}

int bh_nft__rule_comment(struct nftnl_rule *r, const char *comment)
{
	struct nftnl_udata_buf *ud = nftnl_udata_buf_alloc(NFTNL_UDATA_COMMENT_MAXLEN + 16);
	int ret = -ENOMEM;

	if (!ud)
		return -ENOMEM;
	if (nftnl_udata_put_strz(ud, NFTNL_UDATA_RULE_COMMENT, comment) &&
	    nftnl_rule_set_data(r, NFTNL_RULE_USERDATA, nftnl_udata_buf_data(ud),
				nftnl_udata_buf_len(ud)) == 0)
		ret = 0;
	nftnl_udata_buf_free(ud);
	return ret;
}

/* Allocates expression `name` and adds it to r; NULL on OOM. */
static struct nftnl_expr *expr_add(struct nftnl_rule *r, const char *name)
{
	struct nftnl_expr *e = nftnl_expr_alloc(name);

	if (e)
		nftnl_rule_add_expr(r, e);
	return e;
}

static int meta_load(struct nftnl_rule *r, uint32_t key, uint32_t dreg)
{
	struct nftnl_expr *e = expr_add(r, "meta");

	if (!e)
		return -ENOMEM;
	nftnl_expr_set_u32(e, NFTNL_EXPR_META_KEY, key);
	nftnl_expr_set_u32(e, NFTNL_EXPR_META_DREG, dreg);
	return 0;
}

static int cmp(struct nftnl_rule *r, uint32_t op, const void *val, uint32_t len)
{
	struct nftnl_expr *e = expr_add(r, "cmp");

	if (!e)
		return -ENOMEM;
	nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_SREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_OP, op);
	nftnl_expr_set(e, NFTNL_EXPR_CMP_DATA, val, len);
	return 0;
}

static int payload_load(struct nftnl_rule *r, uint32_t base, uint32_t off, uint32_t len,
			uint32_t dreg)
{
	struct nftnl_expr *e = expr_add(r, "payload");

	if (!e)
		return -ENOMEM;
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_DREG, dreg);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_BASE, base);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_OFFSET, off);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_LEN, len);
	return 0;
}

/* vmap: the map's data goes to the verdict register (nft's "vmap @map", "dreg 0") */
static int lookup(struct nftnl_rule *r, const char *set, uint32_t set_id, bool vmap)
{
	struct nftnl_expr *e = expr_add(r, "lookup");

	if (!e)
		return -ENOMEM;
	nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SREG, NFT_REG_1);
	if (vmap)
		nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_DREG, NFT_REG_VERDICT);
	if (nftnl_expr_set_str(e, NFTNL_EXPR_LOOKUP_SET, set) < 0)
		return -ENOMEM;
	nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SET_ID, set_id);
	return 0;
}

/* ct state MASK -> [ct load state][bitwise & MASK][cmp neq 0] */
int bh_nft__ct_state(struct nftnl_rule *r, uint32_t mask)
{
	static const uint32_t zero;
	struct nftnl_expr *e = expr_add(r, "ct");

	if (!e)
		return -ENOMEM;
	nftnl_expr_set_u32(e, NFTNL_EXPR_CT_KEY, NFT_CT_STATE);
	nftnl_expr_set_u32(e, NFTNL_EXPR_CT_DREG, NFT_REG_1);
	e = expr_add(r, "bitwise");
	if (!e)
		return -ENOMEM;
	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_SREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_DREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_LEN, sizeof(mask));
	nftnl_expr_set(e, NFTNL_EXPR_BITWISE_MASK, &mask, sizeof(mask));
	nftnl_expr_set(e, NFTNL_EXPR_BITWISE_XOR, &zero, sizeof(zero));
	return cmp(r, NFT_CMP_NEQ, &zero, sizeof(zero));
}

int bh_nft__meta_cmp(struct nftnl_rule *r, uint32_t key, const void *val, uint32_t len)
{
	int ret = meta_load(r, key, NFT_REG_1);

	return ret ? ret : cmp(r, NFT_CMP_EQ, val, len);
}

/* icmpv6 type @set: nft adds the l3 and l4 protocol dependencies in an inet table */
int bh_nft__icmpv6_nd(struct nftnl_rule *r, uint32_t set_id)
{
	static const uint8_t nfproto = NFPROTO_IPV6, l4 = IPPROTO_ICMPV6;
	int ret;

	if ((ret = bh_nft__meta_cmp(r, NFT_META_NFPROTO, &nfproto, 1)) ||
	    (ret = bh_nft__meta_cmp(r, NFT_META_L4PROTO, &l4, 1)) ||
	    (ret = payload_load(r, NFT_PAYLOAD_TRANSPORT_HEADER, 0, 1, NFT_REG_1)))
		return ret;
	return lookup(r, "__set%d", set_id, false);
}

/*
 * ip[6] {s,d}addr @set, or ip[6] {s,d}addr . meta l4proto . th dport @set.
 * In a concatenation every field takes whole 32-bit registers: the address
 * starts at reg 1, l4proto follows it (hton with size 2 over 1 byte, as nft
 * emits it; the kernel treats it as a no-op), then the port.
 */
static int addr_lookup(struct nftnl_rule *r, uint8_t fam, bool src, bool concat, const char *set,
		       uint32_t set_id, bool vmap)
{
	const uint8_t nfproto = fam == BH_FAM_V4 ? NFPROTO_IPV4 : NFPROTO_IPV6;
	const uint32_t alen = fam == BH_FAM_V4 ? 4 : 16;
	const uint32_t off = fam == BH_FAM_V4 ? (src ? 12 : 16) : (src ? 8 : 24);
	const uint32_t preg = fam == BH_FAM_V4 ? NFT_REG32_01 : NFT_REG_2;
	const uint32_t dreg = fam == BH_FAM_V4 ? NFT_REG32_02 : NFT_REG32_05;
	struct nftnl_expr *e;
	int ret;

	if ((ret = bh_nft__meta_cmp(r, NFT_META_NFPROTO, &nfproto, 1)) ||
	    (ret = payload_load(r, NFT_PAYLOAD_NETWORK_HEADER, off, alen, NFT_REG_1)))
		return ret;
	if (concat) {
		if ((ret = meta_load(r, NFT_META_L4PROTO, preg)))
			return ret;
		e = expr_add(r, "byteorder");
		if (!e)
			return -ENOMEM;
		nftnl_expr_set_u32(e, NFTNL_EXPR_BYTEORDER_SREG, preg);
		nftnl_expr_set_u32(e, NFTNL_EXPR_BYTEORDER_DREG, preg);
		nftnl_expr_set_u32(e, NFTNL_EXPR_BYTEORDER_OP, NFT_BYTEORDER_HTON);
		nftnl_expr_set_u32(e, NFTNL_EXPR_BYTEORDER_LEN, 1);
		nftnl_expr_set_u32(e, NFTNL_EXPR_BYTEORDER_SIZE, 2);
		if ((ret = payload_load(r, NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2, dreg)))
			return ret;
	}
	return lookup(r, set, set_id, vmap);
}

int bh_nft__addr_lookup(struct nftnl_rule *r, uint8_t fam, bool src, bool concat,
			const char *set, uint32_t set_id)
{
	return addr_lookup(r, fam, src, concat, set, set_id, false);
}

int bh_nft__addr_vmap(struct nftnl_rule *r, uint8_t fam, bool src, bool concat,
		      const char *map, uint32_t set_id)
{
	return addr_lookup(r, fam, src, concat, map, set_id, true);
}

int bh_nft__limit_over(struct nftnl_rule *r, uint64_t rate, uint32_t burst)
{
	struct nftnl_expr *e = expr_add(r, "limit");

	if (!e)
		return -ENOMEM;
	nftnl_expr_set_u64(e, NFTNL_EXPR_LIMIT_RATE, rate);
	nftnl_expr_set_u64(e, NFTNL_EXPR_LIMIT_UNIT, 1);	/* per second */
	nftnl_expr_set_u32(e, NFTNL_EXPR_LIMIT_BURST, burst);
	nftnl_expr_set_u32(e, NFTNL_EXPR_LIMIT_TYPE, NFT_LIMIT_PKTS);
	nftnl_expr_set_u32(e, NFTNL_EXPR_LIMIT_FLAGS, NFT_LIMIT_F_INV);	/* "over" */
	return 0;
}

int bh_nft__log(struct nftnl_rule *r, const char *prefix, uint16_t group)
{
	struct nftnl_expr *e = expr_add(r, "log");

	if (!e)
		return -ENOMEM;
	if (nftnl_expr_set_str(e, NFTNL_EXPR_LOG_PREFIX, prefix) < 0)
		return -ENOMEM;
	nftnl_expr_set_u16(e, NFTNL_EXPR_LOG_GROUP, group);
	return 0;
}

/* nft sends a counter without initial values */
int bh_nft__counter(struct nftnl_rule *r)
{
	return expr_add(r, "counter") ? 0 : -ENOMEM;
}

int bh_nft__verdict(struct nftnl_rule *r, int verdict, const char *chain)
{
	struct nftnl_expr *e = expr_add(r, "immediate");

	if (!e)
		return -ENOMEM;
	nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, NFT_REG_VERDICT);
	nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_VERDICT, verdict);
	if (chain && nftnl_expr_set_str(e, NFTNL_EXPR_IMM_CHAIN, chain) < 0)
		return -ENOMEM;
	return 0;
}
