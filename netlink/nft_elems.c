// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Compiled peer elements as the kernel elements the builder makes of them
 * (records), for element deltas: the same encoding as nft_set.c's (interval
 * starts, end elements at hi + 1 flagged INTERVAL_END, an end element at 0
 * in front of a set whose first interval does not start at 0, the "interval
 * open" userdata on an interval that reaches the top; one KEY/KEY_END
 * element per concatenation), kept in step with it by the tests that
 * compare a delta's result with the full build's (tests/unit/test_nft_conn.c,
 * tests/netns/t_builder_matches_text.sh).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <linux/netfilter.h>
#include <linux/netlink.h>
#include <linux/netfilter/nf_tables.h>
#include <libnftnl/set.h>

#include "policy/compile.h"
#include "netlink/nft_int.h"

static struct nftnl_set *set_new(const char *name, uint32_t id)
{
	struct nftnl_set *s = nftnl_set_alloc();

	if (!s)
		return NULL;
	nftnl_set_set_u32(s, NFTNL_SET_FAMILY, NFPROTO_INET);
	if (id)	/* a set added in the same batch; existing sets go by name */
		nftnl_set_set_u32(s, NFTNL_SET_ID, id);
	if (nftnl_set_set_str(s, NFTNL_SET_TABLE, BH_TABLE) < 0 ||
	    nftnl_set_set_str(s, NFTNL_SET_NAME, name) < 0) {
		nftnl_set_free(s);
		return NULL;
	}
	return s;
}

static const uint8_t open_udata[] = { 0x01, 0x04, 0x01, 0x00, 0x00, 0x00 };

/* Adds one kernel element to s. 0 or -ENOMEM. */
static int rec_add(struct nftnl_set *s, const struct bh_nft__rec *r, bool udata)
{
	struct nftnl_set_elem *e = nftnl_set_elem_alloc();

	if (!e)
		return -ENOMEM;
	if (nftnl_set_elem_set(e, NFTNL_SET_ELEM_KEY, r->key, r->len) < 0 ||
	    (r->has_end && nftnl_set_elem_set(e, NFTNL_SET_ELEM_KEY_END, r->key_end, r->len) < 0) ||
	    (udata && r->open && nftnl_set_elem_set(e, NFTNL_SET_ELEM_USERDATA, open_udata,
						    sizeof(open_udata)) < 0)) {
		nftnl_set_elem_free(e);
		return -ENOMEM;
	}
	if (r->flags)
		nftnl_set_elem_set_u32(e, NFTNL_SET_ELEM_FLAGS, r->flags);
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

static struct bh_nft__rec *rec_next(struct bh_nft__rec *v, size_t *n, uint32_t src, uint32_t len)
{
	struct bh_nft__rec *r = &v[(*n)++];

	memset(r, 0, sizeof(*r));
	r->src = src;
	r->len = (uint8_t)len;
	return r;
}

int bh_nft__encode(const struct bh_elem *e, size_t n, uint8_t fam, bool concat,
		   struct bh_nft__rec **out, size_t *n_out)
{
	const uint32_t alen = fam == BH_FAM_V4 ? 4 : 16;
	struct bh_nft__rec *v, *r;
	size_t k = 0;

	*out = NULL;
	*n_out = 0;
	v = malloc((2 * n + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		const struct bh_elem *x = &e[i];

		if (concat) {
			r = rec_next(v, &k, i, alen + 8);
			concat_key(r->key, x->lo, alen, x->proto, x->port_lo);
			concat_key(r->key_end, x->hi, alen, x->proto, x->port_hi);
			r->has_end = true;
			continue;
		}
		if (i == 0 && !bh__all_zero(x->lo, alen)) {
			r = rec_next(v, &k, UINT32_MAX, alen);
			r->flags = NFT_SET_ELEM_INTERVAL_END;
		}
		r = rec_next(v, &k, i, alen);
		memcpy(r->key, x->lo, alen);
		r->open = bh__all_ones(x->hi, alen);
		if (r->open)
			continue;
		r = rec_next(v, &k, i, alen);
		memcpy(r->key, x->hi, alen);
		bh__be_inc(r->key, alen);
		r->flags = NFT_SET_ELEM_INTERVAL_END;
	}
	*out = v;
	*n_out = k;
	return 0;
}

/*
 * Appends records [from, to) of r as one element message of set name (id:
 * the set added in this batch, 0: an existing set). With e, e[src_from..)
 * are the compiled elements the records came from (error messages).
 */
int bh_nft__elems_push(struct bh_nft_batch *b, uint16_t type, const char *name, uint32_t id,
		       const struct bh_nft__rec *r, size_t from, size_t to,
		       const struct bh_elem *e, uint32_t src_from, uint32_t src_to, uint8_t fam,
		       bool concat)
{
	struct bh_nft__elemsrc *es = NULL;
	struct nftnl_set *s = set_new(name, id);
	bool add = type == NFT_MSG_NEWSETELEM;
	int ret = -ENOMEM;

	if (!s)
		goto fail;
	if (e) {
		es = calloc(1, sizeof(*es));
		if (!es)
			goto fail;
		es->fam = fam;
		es->concat = concat;
		es->n_src = src_to - src_from;
		es->src = malloc((es->n_src ? es->n_src : 1) * sizeof(*es->src));
		es->map = malloc((to - from + 1) * sizeof(*es->map));
		if (!es->src || !es->map)
			goto fail;
		memcpy(es->src, e + src_from, es->n_src * sizeof(*es->src));
	}
	for (size_t i = from; i < to; i++) {
		if (es)
			es->map[es->n_map++] = r[i].src == UINT32_MAX ? UINT32_MAX : r[i].src - src_from;
		/* a delete names the element by key (and end); userdata is not part of it */
		if ((ret = rec_add(s, &r[i], add)))
			goto fail;
	}
	if (e)
		b->n_elems += src_to - src_from;
	return bh_nft__push(b, type, add ? NLM_F_CREATE : 0, BH_NFT__ELEMS, s, es, "set %s%s",
			    name, add ? "" : " (delete)");
fail:
	if (s)	/* libnftnl's free functions do not take NULL */
		nftnl_set_free(s);
	bh_nft__elemsrc_free(es);
	return ret;
}

