// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The stamp bulkhead leaves in its table: the digest of what was built and
 * the generation in the log prefixes, as userdata of the table object
 * (NFTA_TABLE_USERDATA, TLVs in libnftnl's udata format). Reading the table
 * back (one GETTABLE, no rule dump) tells whether a namespace is up to
 * date. nft only interprets TLV type 0 (the table comment) and skips the
 * others, so `nft list` shows nothing of the stamp.
 */
#include <endian.h>
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <libnftnl/table.h>
#include <libnftnl/udata.h>

#include "policy/compile.h"
#include "netlink/nft.h"
#include "netlink/nft_int.h"

/* TLV types, far from NFTNL_UDATA_TABLE_COMMENT (0) and any near-future nft type. */
#define UDATA_GENERATION 0xb0
#define UDATA_DIGEST 0xb1

/* Bump when the table layout built from the same input changes: old tables get rebuilt. */
#define LAYOUT_VERSION 1

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 0x100000001b3ull;
	return h;
}

static uint64_t fnv_u64(uint64_t h, uint64_t v)
{
	return fnv(h, &v, sizeof(v));
}

static uint64_t view_names(uint64_t h, const struct bh_compiled *c, const struct bh_view *v)
{
	for (size_t i = 0; i < v->n_isolated_by; i++) {
		const struct bh_policy *p = &c->pols->v[v->isolated_by[i]];

		h = fnv(h, p->namespace, strlen(p->namespace) + 1);
		h = fnv(h, p->name, strlen(p->name) + 1);
	}
	return fnv(h, "|", 1);
}

/* The cluster-wide policies named in the comments (nothing hashed when no tier applies). */
static uint64_t stage_names(uint64_t h, const struct bh_compiled *c, const struct bh_view *v)
{
	const struct bh_stage *st[2] = { &v->admin, &v->baseline };

	for (int k = 0; k < 2; k++)
		for (size_t i = 0; st[k]->present && i < st[k]->n_selected_by; i++) {
			const char *name = c->pols->cnp[st[k]->selected_by[i]].name;

			h = fnv(h, name, strlen(name) + 1);
		}
	return h;
}

uint64_t bh_nft_digest(const struct bh_compiled *c, size_t g, const struct bh_emit_opts *o)
{
	const struct bh_ruleset *rs = &c->groups[g];
	uint64_t h = 0xcbf29ce484222325ull;

	h = fnv_u64(h, LAYOUT_VERSION);
	/* the compiler's hash covers sets, isolation, audit and log modes */
	h = fnv_u64(h, rs->hash);
	/* the emit options that change the table (the generation does not count) */
	h = fnv_u64(h, o->log_group);
	h = fnv_u64(h, o->log_rate);
	h = fnv_u64(h, o->log_burst);
	/* the jump comments name the isolating policies; the hash has their indices only */
	for (int d = 0; d < BH_DIR_MAX; d++) {
		h = view_names(h, c, &rs->dir[d].enforce);
		h = stage_names(h, c, &rs->dir[d].enforce);
		if (rs->dir[d].has_audit) {
			h = view_names(h, c, &rs->dir[d].audit);
			h = stage_names(h, c, &rs->dir[d].audit);
		}
	}
	return h ? h : 1;	/* 0 means "unknown" */
}

int bh_nft__stamp_set(struct nftnl_table *t, const struct bh_nft_stamp *st)
{
	struct nftnl_udata_buf *u = nftnl_udata_buf_alloc(64);
	uint64_t gen = htobe64(st->generation), dig = htobe64(st->digest);
	int ret = -ENOMEM;

	if (!u)
		return -ENOMEM;
	if (nftnl_udata_put(u, UDATA_GENERATION, sizeof(gen), &gen) &&
	    nftnl_udata_put(u, UDATA_DIGEST, sizeof(dig), &dig) &&
	    nftnl_table_set_data(t, NFTNL_TABLE_USERDATA, nftnl_udata_buf_data(u),
				 nftnl_udata_buf_len(u)) == 0)
		ret = 0;
	nftnl_udata_buf_free(u);
	return ret;
}

static int stamp_cb(const struct nftnl_udata *attr, void *data)
{
	struct bh_nft_stamp *st = data;
	uint64_t v;

	/* unknown types (a comment nft wrote) are skipped */
	if (nftnl_udata_len(attr) != sizeof(v))
		return 0;
	memcpy(&v, nftnl_udata_get(attr), sizeof(v));
	if (nftnl_udata_type(attr) == UDATA_GENERATION)
		st->generation = be64toh(v);
	else if (nftnl_udata_type(attr) == UDATA_DIGEST)
		st->digest = be64toh(v);
	return 0;
}

bool bh_nft__stamp_get(const struct nftnl_table *t, struct bh_nft_stamp *st)
{
	const void *data;
	uint32_t len = 0;

	memset(st, 0, sizeof(*st));
	if (!nftnl_table_is_set(t, NFTNL_TABLE_USERDATA))
		return false;
	data = nftnl_table_get_data(t, NFTNL_TABLE_USERDATA, &len);
	if (!data || nftnl_udata_parse(data, len, stamp_cb, st) < 0) {
		memset(st, 0, sizeof(*st));
		return false;
	}
	return st->digest != 0;
}
