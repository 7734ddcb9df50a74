// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The table of one group, following the layout contract in compile.h.
 * Messages go in the order nft uses for a table block: the table, every
 * chain, every named set with its elements, then the rules chain by chain
 * (an anonymous set right before the rule that uses it).
 */
#include <errno.h>
#include <stdio.h>
#include <netinet/in.h>
#include <linux/netfilter.h>
#include <linux/netlink.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <linux/netfilter/nf_tables.h>
#include <libnftnl/chain.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>

#include "policy/compile.h"
#include "netlink/nft.h"
#include "netlink/nft_int.h"

#define CT_INVALID 0x1u
#define CT_ESTABLISHED 0x2u
#define CT_RELATED 0x4u
#define COMMENT_MAX (BH_COMMENT_MAX - 1)

static const struct dir_desc {
	const char *d;		/* set name stem */
	const char *base;	/* base chain */
	const char *ch;		/* policy chain */
	uint32_t hook;
	uint32_t lo_key;	/* iif / oif */
	bool src;		/* the peer is the source address */
} dirs[BH_DIR_MAX] = {
	[BH_INGRESS] = { "in", "input", "ingress", NF_INET_LOCAL_IN, NFT_META_IIF, true },
	[BH_EGRESS] = { "out", "output", "egress", NF_INET_LOCAL_OUT, NFT_META_OIF, false },
};

struct build {
	struct bh_nft_batch *b;
	const struct bh_compiled *c;
	const struct bh_ruleset *rs;
	const struct bh_emit_opts *o;
	const char *chain;	/* chain of the rules being added */
	unsigned int rule_no;
};

/*
 * flags < 0: no NFTA_TABLE_FLAGS at all. The "add table" in front of a
 * delete only makes the delete succeed when the table is absent: on an
 * existing table it is an update, and an update that named other flags
 * would try to change them (the kernel refuses to drop PERSIST).
 */
static struct nftnl_table *table_new(int64_t flags)
{
	struct nftnl_table *t = nftnl_table_alloc();

	if (!t)
		return NULL;
	nftnl_table_set_u32(t, NFTNL_TABLE_FAMILY, NFPROTO_INET);
	if (flags >= 0)
		nftnl_table_set_u32(t, NFTNL_TABLE_FLAGS, (uint32_t)flags);
	if (nftnl_table_set_str(t, NFTNL_TABLE_NAME, BH_TABLE) < 0) {
		nftnl_table_free(t);
		return NULL;
	}
	return t;
}

int bh_nft_build_empty(struct bh_nft_batch *b)
{
	return bh_nft__push(b, NFT_MSG_NEWTABLE, NLM_F_CREATE, BH_NFT__TABLE,
			    table_new(b->table_flags), NULL, "table inet %s", BH_TABLE);
}

int bh_nft_build_delete(struct bh_nft_batch *b)
{
	int ret;

	/* adding first makes the delete succeed whether or not the table exists */
	ret = bh_nft__push(b, NFT_MSG_NEWTABLE, NLM_F_CREATE, BH_NFT__TABLE, table_new(-1), NULL,
			   "table inet %s", BH_TABLE);
	if (!ret)
		ret = bh_nft__push(b, NFT_MSG_DELTABLE, 0, BH_NFT__TABLE, table_new(-1), NULL,
				   "table inet %s (delete)", BH_TABLE);
	return ret;
}

static int chain_add(struct bh_nft_batch *b, const char *name, const struct dir_desc *base)
{
	struct nftnl_chain *c = nftnl_chain_alloc();

	if (!c)
		return -ENOMEM;
	nftnl_chain_set_u32(c, NFTNL_CHAIN_FAMILY, NFPROTO_INET);
	if (nftnl_chain_set_str(c, NFTNL_CHAIN_TABLE, BH_TABLE) < 0 ||
	    nftnl_chain_set_str(c, NFTNL_CHAIN_NAME, name) < 0)
		goto nomem;
	if (base) {
		if (nftnl_chain_set_str(c, NFTNL_CHAIN_TYPE, "filter") < 0)
			goto nomem;
		nftnl_chain_set_u32(c, NFTNL_CHAIN_HOOKNUM, base->hook);
		nftnl_chain_set_s32(c, NFTNL_CHAIN_PRIO, 0);
		nftnl_chain_set_u32(c, NFTNL_CHAIN_POLICY, NF_ACCEPT);
	}
	return bh_nft__push(b, NFT_MSG_NEWCHAIN, NLM_F_CREATE, BH_NFT__CHAIN, c, NULL,
			    "chain %s", name);
nomem:
	nftnl_chain_free(c);
	return -ENOMEM;
}

/*
 * The chains of one direction in the layout's order: per view, the admin
 * stage and its deny chain, the NetworkPolicy stage (or the trampoline),
 * the baseline stage and its deny chain; then the allow chain.
 */
static int dir_chain_names(const struct bh_layout_dir *l, const char **names, size_t max)
{
	size_t n = 0;

	for (int view = 0; view < 2 && n + 5 < max; view++) {
		const struct bh_layout_view *v = &l->view[view];

		if (view && !l->has_audit)
			break;
		if (v->stage[BH_TIER_ADMIN]) {
			names[n++] = v->chain[BH_TIER_ADMIN];
			names[n++] = v->deny[BH_TIER_ADMIN];
		}
		if (v->stage[BH_TIER_NP] || (!view && l->trampoline))
			names[n++] = v->chain[BH_TIER_NP];
		if (v->stage[BH_TIER_BASELINE]) {
			names[n++] = v->chain[BH_TIER_BASELINE];
			names[n++] = v->deny[BH_TIER_BASELINE];
		}
	}
	if (l->allow && n < max)
		names[n++] = l->ok2.chain;
	return (int)n;
}

static int chains_add(struct build *x)
{
	const char *names[16];
	int dir, ret;

	for (dir = 0; dir < BH_DIR_MAX; dir++)
		if ((ret = chain_add(x->b, dirs[dir].base, &dirs[dir])))
			return ret;
	for (dir = 0; dir < BH_DIR_MAX; dir++) {
		struct bh_layout_dir l;
		int n;

		bh_layout_dir(&x->rs->dir[dir], dir, &l);
		if (!l.active)
			continue;
		n = dir_chain_names(&l, names, sizeof(names) / sizeof(names[0]));
		for (int i = 0; i < n; i++)
			if ((ret = chain_add(x->b, names[i], NULL)))
				return ret;
	}
	return 0;
}

static int view_sets_add(struct build *x, const char *v, int dir, const struct bh_view *view)
{
	char name[32];
	int f, ret;

	/* a shape-only batch (element deltas) declares the peer sets, empty */
	bool none = x->b->shape_only;

	for (f = 0; f < BH_FAM_MAX; f++) {
		snprintf(name, sizeof(name), "%s%s%d_any", v, dirs[dir].d, f == BH_FAM_V4 ? 4 : 6);
		ret = bh_nft__set_add(x->b, name, f, false, view->any[f].v, none ? 0 : view->any[f].n);
		if (ret)
			return ret;
		snprintf(name, sizeof(name), "%s%s%d", v, dirs[dir].d, f == BH_FAM_V4 ? 4 : 6);
		ret = bh_nft__set_add(x->b, name, f, true, view->l4[f].v, none ? 0 : view->l4[f].n);
		if (ret)
			return ret;
	}
	return 0;
}

static int sets_add(struct build *x)
{
	int dir, ret;

	for (dir = 0; dir < BH_DIR_MAX; dir++)
		if (x->rs->dir[dir].enforce.isolated &&
		    (ret = view_sets_add(x, "", dir, &x->rs->dir[dir].enforce)))
			return ret;
	for (dir = 0; dir < BH_DIR_MAX; dir++)
		if (x->rs->dir[dir].has_audit && x->rs->dir[dir].audit.isolated &&
		    (ret = view_sets_add(x, "a", dir, &x->rs->dir[dir].audit)))
			return ret;
	return bh_nft__tier_maps_add(x->b, x->rs);
}

static struct nftnl_rule *rule_new(struct build *x)
{
	return bh_nft__rule_alloc(x->chain);
}

static int rule_push(struct build *x, struct nftnl_rule *r, int ret)
{
	if (ret) {
		nftnl_rule_free(r);
		return ret;
	}
	x->rule_no++;
	return bh_nft__push(x->b, NFT_MSG_NEWRULE, NLM_F_CREATE | NLM_F_APPEND, BH_NFT__RULE, r,
			    NULL, "rule %u of chain %s", x->rule_no, x->chain);
}

static void chain_start(struct build *x, const char *chain)
{
	x->chain = chain;
	x->rule_no = 0;
}

static int base_rules_add(struct build *x, int dir)
{
	const struct dir_desc *dd = &dirs[dir];
	static const uint32_t lo_ifindex = 1;	/* "lo" is ifindex 1 in every namespace */
	char comment[BH_COMMENT_MAX];
	struct bh_layout_dir l;
	struct nftnl_rule *r;
	uint32_t set_id;
	int ret;

	chain_start(x, dd->base);
	r = rule_new(x);
	if (!r)
		return -ENOMEM;
	ret = bh_nft__ct_state(r, CT_ESTABLISHED | CT_RELATED);
	if ((ret = rule_push(x, r, ret ? ret : bh_nft__verdict(r, NF_ACCEPT, NULL))))
		return ret;
	r = rule_new(x);
	if (!r)
		return -ENOMEM;
	ret = bh_nft__ct_state(r, CT_INVALID);
	if ((ret = rule_push(x, r, ret ? ret : bh_nft__verdict(r, NF_DROP, NULL))))
		return ret;
	r = rule_new(x);
	if (!r)
		return -ENOMEM;
	ret = bh_nft__meta_cmp(r, dd->lo_key, &lo_ifindex, sizeof(lo_ifindex));
	if ((ret = rule_push(x, r, ret ? ret : bh_nft__verdict(r, NF_ACCEPT, NULL))))
		return ret;
	if ((ret = bh_nft__nd_set_add(x->b, &set_id)))
		return ret;
	r = rule_new(x);
	if (!r)
		return -ENOMEM;
	ret = bh_nft__icmpv6_nd(r, set_id);
	if ((ret = rule_push(x, r, ret ? ret : bh_nft__verdict(r, NF_ACCEPT, NULL))))
		return ret;
	bh_layout_dir(&x->rs->dir[dir], dir, &l);
	if (!l.active)
		return 0;
	r = rule_new(x);
	if (!r)
		return -ENOMEM;
	bh_jump_comment(x->c, &x->rs->dir[dir], comment, sizeof(comment));
	ret = bh_nft__verdict(r, NFT_JUMP, l.entry);
	if (!ret)
		ret = bh_nft__rule_comment(r, comment);
	return rule_push(x, r, ret);
}

/* The id of the set called name added to b, 0 when none. */
static uint32_t set_id_of(const struct bh_nft_batch *b, const char *name)
{
	for (size_t i = 0; i < b->n; i++)
		if (b->v[i].kind == BH_NFT__SET &&
		    !strcmp(nftnl_set_get_str(b->v[i].obj, NFTNL_SET_NAME), name))
			return nftnl_set_get_u32(b->v[i].obj, NFTNL_SET_ID);
	return 0;
}

static int verdict_add(struct nftnl_rule *r, const struct bh_verdict *v)
{
	return v->go ? bh_nft__verdict(r, NFT_GOTO, v->chain) : bh_nft__verdict(r, NF_ACCEPT, NULL);
}

static int lookups_add(struct build *x, int dir, const char *v, const struct bh_verdict *ok)
{
	char set[32];
	struct nftnl_rule *r;
	int f, concat, ret;

	for (f = 0; f < BH_FAM_MAX; f++) {
		for (concat = 0; concat < 2; concat++) {
			snprintf(set, sizeof(set), "%s%s%d%s", v, dirs[dir].d, f == BH_FAM_V4 ? 4 : 6,
				 concat ? "" : "_any");
			r = rule_new(x);
			if (!r)
				return -ENOMEM;
			/* the set id lets the kernel find a set added in this same batch */
			ret = bh_nft__addr_lookup(r, f, dirs[dir].src, concat, set,
						  set_id_of(x->b, set));
			if (!ret)
				ret = verdict_add(r, ok);
			if ((ret = rule_push(x, r, ret)))
				return ret;
		}
	}
	return 0;
}

/*
 * [limit rate over R/second burst B packets counter V]
 * log prefix "bh/G/k/kind" group N
 * Over the limit a packet takes the chain's verdict V at once, counted.
 */
static int log_rules_add(struct build *x, int dir, char kind, char tier)
{
	struct bh_log_tag t = { x->o->generation, (uint8_t)dir, kind, tier };
	struct nftnl_rule *r;
	char prefix[64];
	int ret = 0;

	if (x->o->log_rate) {
		r = rule_new(x);
		if (!r)
			return -ENOMEM;
		/* a zero burst would never let a packet through: nft text says 1 */
		ret = bh_nft__limit_over(r, x->o->log_rate, x->o->log_burst ? x->o->log_burst : 1);
		if (!ret)
			ret = bh_nft__counter(r);
		if (!ret)
			ret = bh_nft__verdict(r, kind == 'd' ? NF_DROP : NF_ACCEPT, NULL);
		if ((ret = rule_push(x, r, ret)))
			return ret;
	}
	r = rule_new(x);
	if (!r)
		return -ENOMEM;
	bh_log_tag_format(&t, prefix, sizeof(prefix));
	return rule_push(x, r, bh_nft__log(r, prefix, x->o->log_group));
}

static int final_rule_add(struct build *x, bool counter, int verdict, const char *chain)
{
	struct nftnl_rule *r = rule_new(x);
	int ret = 0;

	if (!r)
		return -ENOMEM;
	if (counter)
		ret = bh_nft__counter(r);
	if (!ret)
		ret = bh_nft__verdict(r, verdict, chain);
	return rule_push(x, r, ret);
}

/* The vmap lookups of a cluster tier's stage: l4 then any, per family; then NEXT(T). */
static int stage_rules_add(struct build *x, int dir, const char *pre, unsigned int tier,
			   const struct bh_verdict *next)
{
	static const char *const tname[BH_TIER_MAX] = { "", "admin", "baseline" };
	struct nftnl_rule *r;
	char map[40];
	int ret;

	for (int f = 0; f < BH_FAM_MAX; f++) {
		for (int any = 0; any < 2; any++) {
			snprintf(map, sizeof(map), "%s%s%d_%s%s", pre, dirs[dir].d, f == BH_FAM_V4 ? 4 : 6,
				 tname[tier], any ? "_any" : "");
			r = rule_new(x);
			if (!r)
				return -ENOMEM;
			ret = bh_nft__addr_vmap(r, f, dirs[dir].src, !any, map, set_id_of(x->b, map));
			if ((ret = rule_push(x, r, ret)))
				return ret;
		}
	}
	r = rule_new(x);
	if (!r)
		return -ENOMEM;
	return rule_push(x, r, verdict_add(r, next));
}

/* A view's cluster tier: its stage chain and its deny chain. */
static int tier_chains_add(struct build *x, const struct bh_layout_dir *l, const struct bh_dir_rules *d,
			   int dir, int view, unsigned int tier)
{
	const struct bh_layout_view *v = &l->view[view];
	int ret;

	if (!v->stage[tier])
		return 0;
	chain_start(x, v->chain[tier]);
	if ((ret = stage_rules_add(x, dir, l->set_prefix[view], tier, &v->next[tier])))
		return ret;
	chain_start(x, v->deny[tier]);
	if (d->log != BH_LOG_NONE &&
	    (ret = log_rules_add(x, dir, view ? 'w' : 'd', tier == BH_TIER_ADMIN ? 'a' : 'b')))
		return ret;
	return view ? final_rule_add(x, false, NF_ACCEPT, NULL) : final_rule_add(x, true, NF_DROP, NULL);
}

/* A view's NetworkPolicy stage: the set lookups, then drop (enforce) or would-deny (audit). */
static int np_chain_add(struct build *x, const struct bh_layout_dir *l, const struct bh_dir_rules *d,
			int dir, int view)
{
	const struct bh_layout_view *v = &l->view[view];
	int ret;

	chain_start(x, v->chain[BH_TIER_NP]);
	if ((ret = lookups_add(x, dir, l->set_prefix[view], &v->ok)))
		return ret;
	if (d->log != BH_LOG_NONE && (ret = log_rules_add(x, dir, view ? 'w' : 'd', 0)))
		return ret;
	return view ? final_rule_add(x, false, NF_ACCEPT, NULL) : final_rule_add(x, true, NF_DROP, NULL);
}

static int dir_chains_add(struct build *x, int dir)
{
	const struct bh_dir_rules *d = &x->rs->dir[dir];
	struct bh_layout_dir l;
	int ret;

	bh_layout_dir(d, dir, &l);
	if (!l.active)
		return 0;
	for (int view = 0; view < 2; view++) {
		const struct bh_layout_view *v = &l.view[view];

		if (view && !l.has_audit)
			break;
		if ((ret = tier_chains_add(x, &l, d, dir, view, BH_TIER_ADMIN)))
			return ret;
		if (v->stage[BH_TIER_NP]) {
			if ((ret = np_chain_add(x, &l, d, dir, view)))
				return ret;
		} else if (!view && l.trampoline) {
			chain_start(x, v->chain[BH_TIER_NP]);
			if ((ret = final_rule_add(x, false, NFT_GOTO, l.view[1].entry)))
				return ret;
		}
		if ((ret = tier_chains_add(x, &l, d, dir, view, BH_TIER_BASELINE)))
			return ret;
	}
	if (l.allow) {
		chain_start(x, l.ok2.chain);
		if ((ret = log_rules_add(x, dir, 'a', 0)))
			return ret;
		if ((ret = final_rule_add(x, false, NF_ACCEPT, NULL)))
			return ret;
	}
	return 0;
}

int bh_nft_build_table(struct bh_nft_batch *b, const struct bh_compiled *c, size_t g,
		       const struct bh_emit_opts *o)
{
	struct build x = { .b = b, .c = c, .rs = &c->groups[g], .o = o };
	struct bh_nft_stamp st;
	struct nftnl_table *t;
	int dir, ret;

	/* add + delete + add: replaces the table in the same transaction, present or not */
	if ((ret = bh_nft_build_delete(b)))
		return ret;
	t = table_new(b->table_flags);
	st.generation = o->generation;
	st.digest = bh_nft_digest(c, g, o);
	if (t && bh_nft__stamp_set(t, &st) < 0) {
		nftnl_table_free(t);
		return -ENOMEM;
	}
	ret = bh_nft__push(b, NFT_MSG_NEWTABLE, NLM_F_CREATE, BH_NFT__TABLE, t, NULL,
			   "table inet %s", BH_TABLE);
	if (ret || (ret = chains_add(&x)) || (ret = sets_add(&x)))
		return ret;
	for (dir = 0; dir < BH_DIR_MAX; dir++)
		if ((ret = base_rules_add(&x, dir)))
			return ret;
	for (dir = 0; dir < BH_DIR_MAX; dir++)
		if ((ret = dir_chains_add(&x, dir)))
			return ret;
	return 0;
}
