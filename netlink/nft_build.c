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

static struct nftnl_table *table_new(void)
{
	struct nftnl_table *t = nftnl_table_alloc();

	if (!t)
		return NULL;
	nftnl_table_set_u32(t, NFTNL_TABLE_FAMILY, NFPROTO_INET);
	nftnl_table_set_u32(t, NFTNL_TABLE_FLAGS, 0);
	if (nftnl_table_set_str(t, NFTNL_TABLE_NAME, BH_TABLE) < 0) {
		nftnl_table_free(t);
		return NULL;
	}
	return t;
}

int bh_nft_build_delete(struct bh_nft_batch *b)
{
	int ret;

	/* adding first makes the delete succeed whether or not the table exists */
	ret = bh_nft__push(b, NFT_MSG_NEWTABLE, NLM_F_CREATE, BH_NFT__TABLE, table_new(), NULL,
			   "table inet %s", BH_TABLE);
	if (!ret)
		ret = bh_nft__push(b, NFT_MSG_DELTABLE, 0, BH_NFT__TABLE, table_new(), NULL,
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

static bool has_chain(const struct bh_dir_rules *d)
{
	return d->enforce.isolated || d->has_audit;
}

/* "ingress", "ingress_audit", "ingress_allow" into buf */
static const char *chain_name(char *buf, size_t len, int dir, const char *suffix)
{
	snprintf(buf, len, "%s%s", dirs[dir].ch, suffix);
	return buf;
}

static int chains_add(struct build *x)
{
	char name[32];
	int dir, ret;

	for (dir = 0; dir < BH_DIR_MAX; dir++)
		if ((ret = chain_add(x->b, dirs[dir].base, &dirs[dir])))
			return ret;
	for (dir = 0; dir < BH_DIR_MAX; dir++) {
		const struct bh_dir_rules *d = &x->rs->dir[dir];

		if (!has_chain(d))
			continue;
		if ((ret = chain_add(x->b, chain_name(name, sizeof(name), dir, ""), NULL)))
			return ret;
		if (d->has_audit &&
		    (ret = chain_add(x->b, chain_name(name, sizeof(name), dir, "_audit"), NULL)))
			return ret;
		if (d->log == BH_LOG_ALL &&
		    (ret = chain_add(x->b, chain_name(name, sizeof(name), dir, "_allow"), NULL)))
			return ret;
	}
	return 0;
}

static int view_sets_add(struct build *x, const char *v, int dir, const struct bh_view *view)
{
	char name[32];
	int f, ret;

	for (f = 0; f < BH_FAM_MAX; f++) {
		snprintf(name, sizeof(name), "%s%s%d_any", v, dirs[dir].d, f == BH_FAM_V4 ? 4 : 6);
		ret = bh_nft__set_add(x->b, name, f, false, view->any[f].v, view->any[f].n);
		if (ret)
			return ret;
		snprintf(name, sizeof(name), "%s%s%d", v, dirs[dir].d, f == BH_FAM_V4 ? 4 : 6);
		ret = bh_nft__set_add(x->b, name, f, true, view->l4[f].v, view->l4[f].n);
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
		if (x->rs->dir[dir].has_audit &&
		    (ret = view_sets_add(x, "a", dir, &x->rs->dir[dir].audit)))
			return ret;
	return 0;
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

/* "isolated by ns/a, ns/b", cut to COMMENT_MAX bytes; NULL on OOM */
static char *isolation_comment(const struct build *x, const struct bh_dir_rules *d)
{
	const struct bh_view *v = d->enforce.isolated ? &d->enforce : &d->audit;
	const char *lead = d->enforce.isolated ? "isolated by " : "audit: isolated by ";
	size_t len = strlen(lead) + 1, i;
	char *s, *p;

	if (d->enforce.cause) {
		if (asprintf(&s, "isolated: %s", d->enforce.cause) < 0)
			return NULL;
		if (strlen(s) > COMMENT_MAX)
			memcpy(s + COMMENT_MAX - 3, "...", 4);
		return s;
	}

	for (i = 0; i < v->n_isolated_by; i++) {
		const struct bh_policy *pol = &x->c->pols->v[v->isolated_by[i]];

		len += strlen(pol->namespace) + strlen(pol->name) + 3;
	}
	s = malloc(len);
	if (!s)
		return NULL;
	p = s + sprintf(s, "%s", lead);
	for (i = 0; i < v->n_isolated_by; i++) {
		const struct bh_policy *pol = &x->c->pols->v[v->isolated_by[i]];

		p += sprintf(p, "%s%s/%s", i ? ", " : "", pol->namespace, pol->name);
	}
	/* as the text renderer does: 117 bytes and "..." */
	if (strlen(s) > COMMENT_MAX)
		memcpy(s + COMMENT_MAX - 3, "...", 4);
	return s;
}

static int base_rules_add(struct build *x, int dir)
{
	const struct dir_desc *dd = &dirs[dir];
	const struct bh_dir_rules *d = &x->rs->dir[dir];
	static const uint32_t lo_ifindex = 1;	/* "lo" is ifindex 1 in every namespace */
	struct nftnl_rule *r;
	uint32_t set_id;
	char *comment;
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
	if (!has_chain(d))
		return 0;
	r = rule_new(x);
	if (!r)
		return -ENOMEM;
	comment = isolation_comment(x, d);
	ret = comment ? bh_nft__verdict(r, NFT_JUMP, dd->ch) : -ENOMEM;
	if (!ret)
		ret = bh_nft__rule_comment(r, comment);
	free(comment);
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

/* A verdict statement: accept, or goto chain CH+suffix. */
struct verdict {
	int code;
	const char *suffix;
};

static int lookups_add(struct build *x, int dir, const char *v, struct verdict ok)
{
	char set[32], chain[32];
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
				ret = bh_nft__verdict(r, ok.code, ok.suffix ?
						      chain_name(chain, sizeof(chain), dir, ok.suffix) :
						      NULL);
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
static int log_rules_add(struct build *x, int dir, char kind)
{
	struct bh_log_tag t = { x->o->generation, (uint8_t)dir, kind, 0 };
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

static int dir_chains_add(struct build *x, int dir)
{
	const struct bh_dir_rules *d = &x->rs->dir[dir];
	char ch[32], audit[32], allow[32];
	struct verdict ok2 = { NF_ACCEPT, NULL }, ok;
	int ret;

	if (!has_chain(d))
		return 0;
	chain_name(ch, sizeof(ch), dir, "");
	chain_name(audit, sizeof(audit), dir, "_audit");
	chain_name(allow, sizeof(allow), dir, "_allow");
	if (d->log == BH_LOG_ALL)
		ok2 = (struct verdict){ NFT_GOTO, "_allow" };
	ok = d->has_audit ? (struct verdict){ NFT_GOTO, "_audit" } : ok2;

	chain_start(x, ch);
	if (d->enforce.isolated) {
		if ((ret = lookups_add(x, dir, "", ok)))
			return ret;
		if (d->log != BH_LOG_NONE && (ret = log_rules_add(x, dir, 'd')))
			return ret;
		if ((ret = final_rule_add(x, true, NF_DROP, NULL)))
			return ret;
	} else if ((ret = final_rule_add(x, false, NFT_GOTO, audit))) {
		return ret;
	}
	if (d->has_audit) {
		chain_start(x, audit);
		if ((ret = lookups_add(x, dir, "a", ok2)))
			return ret;
		if (d->log != BH_LOG_NONE && (ret = log_rules_add(x, dir, 'w')))
			return ret;
		if ((ret = final_rule_add(x, false, NF_ACCEPT, NULL)))
			return ret;
	}
	if (d->log == BH_LOG_ALL) {
		chain_start(x, allow);
		if ((ret = log_rules_add(x, dir, 'a')))
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
	t = table_new();
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
