// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Content of table inet bulkhead as one 64-bit digest, computed the same
 * way from a batch (what we sent) and from a dump (what the kernel holds),
 * so the periodic resync can tell a table that was changed by hand from
 * the one we programmed, not only a missing one. Every object becomes one
 * canonical line: the attributes that define it, none of the kernel's
 * bookkeeping (handles, use counts, counter values, set ids). Lines are
 * hashed and summed, so the order of chains, sets and elements does not
 * matter; a rule's line carries its chain and position, so rule order does.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <libmnl/libmnl.h>
#include <libnftnl/chain.h>
#include <libnftnl/common.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>

#include "lib/array.h"
#include "policy/compile.h"
#include "netlink/nft.h"
#include "netlink/nft_conn.h"
#include "netlink/nft_int.h"

#define LINE_MAX_LEN 4096

struct canon {
	uint64_t sum;
	uint64_t lines;
	bh_nft_canon_cb cb;	/* sees every line (tests, debugging) */
	void *arg;
	char chain[BH_NFT__NAME];	/* of the rules being added, and their count */
	uint32_t rule_no;
	bool shape;		/* leave out the peer sets' elements */
	int err;
};

static uint64_t mix(uint64_t h)
{
	/* splitmix64's finaliser: summed hashes must not cancel */
	h ^= h >> 30;
	h *= 0xbf58476d1ce4e5b9ull;
	h ^= h >> 27;
	h *= 0x94d049bb133111ebull;
	return h ^ (h >> 31);
}

static void line(struct canon *x, const char *s)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (; *s; s++)
		h = (h ^ (uint8_t)*s) * 0x100000001b3ull;
	x->sum += mix(h);
	x->lines++;
}

static void emit(struct canon *x, const char *s)
{
	line(x, s);
	if (x->cb)
		x->cb(s, x->arg);
}

/* Anonymous sets are "__set%d" in a batch and "__set<N>" in the kernel. */
static const char *set_name(const char *n)
{
	return !strncmp(n, "__set", 5) ? "__set" : n;
}

static size_t hex(char *p, size_t left, const void *data, uint32_t len)
{
	const uint8_t *d = data;
	size_t k = 0;

	for (uint32_t i = 0; i < len && k + 3 < left; i++)
		k += (size_t)snprintf(p + k, left - k, "%02x", d[i]);
	return k;
}

static void table_line(struct canon *x, const struct nftnl_table *t)
{
	char s[128];

	/*
	 * Persist is content; owner is a state: the kernel clears it when the
	 * owning socket closes (an apply that exited, an agent that died).
	 */
	snprintf(s, sizeof(s), "table %s flags 0x%x",
		 nftnl_table_get_str(t, NFTNL_TABLE_NAME),
		 nftnl_table_is_set(t, NFTNL_TABLE_FLAGS) ?
		 nftnl_table_get_u32(t, NFTNL_TABLE_FLAGS) & BH_NFT_F_PERSIST : 0);
	emit(x, s);
}

static void chain_line(struct canon *x, const struct nftnl_chain *c)
{
	char s[256];
	int k;

	k = snprintf(s, sizeof(s), "chain %s", nftnl_chain_get_str(c, NFTNL_CHAIN_NAME));
	if (nftnl_chain_is_set(c, NFTNL_CHAIN_HOOKNUM))
		snprintf(s + k, sizeof(s) - k, " type %s hook %u prio %d policy %u",
			 nftnl_chain_get_str(c, NFTNL_CHAIN_TYPE),
			 nftnl_chain_get_u32(c, NFTNL_CHAIN_HOOKNUM),
			 nftnl_chain_get_s32(c, NFTNL_CHAIN_PRIO),
			 nftnl_chain_is_set(c, NFTNL_CHAIN_POLICY) ?
			 nftnl_chain_get_u32(c, NFTNL_CHAIN_POLICY) : NF_ACCEPT);
	emit(x, s);
}

static void set_line(struct canon *x, const struct nftnl_set *st)
{
	char s[512];
	uint32_t len = 0;
	const void *ud;
	size_t k;

	k = (size_t)snprintf(s, sizeof(s), "set %s flags 0x%x key %u/%u udata ",
			     set_name(nftnl_set_get_str(st, NFTNL_SET_NAME)),
			     nftnl_set_get_u32(st, NFTNL_SET_FLAGS),
			     nftnl_set_get_u32(st, NFTNL_SET_KEY_TYPE),
			     nftnl_set_get_u32(st, NFTNL_SET_KEY_LEN));
	ud = nftnl_set_get_data(st, NFTNL_SET_USERDATA, &len);
	if (ud && k < sizeof(s))
		hex(s + k, sizeof(s) - k, ud, len);
	emit(x, s);
}

/* The peer sets element deltas change: [a]{in,out}{4,6}[_any] (nft_build.c). */
static bool peer_set(const char *n)
{
	if (*n == 'a')
		n++;
	if (!strncmp(n, "in", 2))
		n += 2;
	else if (!strncmp(n, "out", 3))
		n += 3;
	else
		return false;
	if (*n != '4' && *n != '6')
		return false;
	n++;
	return !*n || !strcmp(n, "_any");
}

static void elems_lines(struct canon *x, struct nftnl_set *st)
{
	struct nftnl_set_elems_iter *it;
	const char *name = set_name(nftnl_set_get_str(st, NFTNL_SET_NAME));
	struct nftnl_set_elem *e;

	if (x->shape && peer_set(name))
		return;
	it = nftnl_set_elems_iter_create(st);
	if (!it) {
		x->err = -ENOMEM;
		return;
	}
	/* _next() returns the current element and moves on */
	while ((e = nftnl_set_elems_iter_next(it))) {
		char s[256];
		uint32_t len = 0;
		const void *d;
		size_t k;

		k = (size_t)snprintf(s, sizeof(s), "elem %s flags 0x%x key ", name,
				     nftnl_set_elem_is_set(e, NFTNL_SET_ELEM_FLAGS) ?
				     nftnl_set_elem_get_u32(e, NFTNL_SET_ELEM_FLAGS) : 0);
		d = nftnl_set_elem_get(e, NFTNL_SET_ELEM_KEY, &len);
		k += hex(s + k, sizeof(s) - k, d, d ? len : 0);
		if (nftnl_set_elem_is_set(e, NFTNL_SET_ELEM_KEY_END)) {
			k += (size_t)snprintf(s + k, sizeof(s) - k, " end ");
			d = nftnl_set_elem_get(e, NFTNL_SET_ELEM_KEY_END, &len);
			k += hex(s + k, sizeof(s) - k, d, len);
		}
		if (nftnl_set_elem_is_set(e, NFTNL_SET_ELEM_USERDATA)) {
			k += (size_t)snprintf(s + k, sizeof(s) - k, " udata ");
			d = nftnl_set_elem_get(e, NFTNL_SET_ELEM_USERDATA, &len);
			hex(s + k, sizeof(s) - k, d, len);
		}
		emit(x, s);
	}
	nftnl_set_elems_iter_destroy(it);
}

struct rule_text {
	char *s;
	size_t k, len;
};

static int expr_text(struct nftnl_expr *e, void *data)
{
	struct rule_text *t = data;
	const char *name = nftnl_expr_get_str(e, NFTNL_EXPR_NAME);
	char buf[512];

	if (!strcmp(name, "counter")) {
		/* its values are traffic, not content */
		snprintf(buf, sizeof(buf), "counter");
	} else if (!strcmp(name, "lookup")) {
		snprintf(buf, sizeof(buf), "lookup reg %u set %s flags 0x%x",
			 nftnl_expr_get_u32(e, NFTNL_EXPR_LOOKUP_SREG),
			 set_name(nftnl_expr_get_str(e, NFTNL_EXPR_LOOKUP_SET)),
			 nftnl_expr_is_set(e, NFTNL_EXPR_LOOKUP_FLAGS) ?
			 nftnl_expr_get_u32(e, NFTNL_EXPR_LOOKUP_FLAGS) : 0);
	} else {
		int n = snprintf(buf, sizeof(buf), "%s ", name);

		nftnl_expr_snprintf(buf + n, sizeof(buf) - n, e, NFTNL_OUTPUT_DEFAULT, 0);
	}
	if (t->k < t->len)
		t->k += (size_t)snprintf(t->s + t->k, t->len - t->k, " [%s]", buf);
	return 0;
}

static void rule_line(struct canon *x, struct nftnl_rule *r)
{
	const char *chain = nftnl_rule_get_str(r, NFTNL_RULE_CHAIN);
	char s[LINE_MAX_LEN];
	struct rule_text t = { s, 0, sizeof(s) };
	uint32_t len = 0;
	const void *ud;

	if (strcmp(chain, x->chain)) {
		snprintf(x->chain, sizeof(x->chain), "%s", chain);
		x->rule_no = 0;
	}
	t.k = (size_t)snprintf(s, sizeof(s), "rule %s %u", chain, x->rule_no++);
	nftnl_expr_foreach(r, expr_text, &t);
	ud = nftnl_rule_get_data(r, NFTNL_RULE_USERDATA, &len);
	if (ud && t.k + 8 < sizeof(s)) {
		t.k += (size_t)snprintf(s + t.k, sizeof(s) - t.k, " udata ");
		hex(s + t.k, sizeof(s) - t.k, ud, len);
	}
	emit(x, s);
}

static int batch_canon(const struct bh_nft_batch *b, struct canon *x)
{
	size_t from = 0;

	/* the table is what follows the last "delete table" of a replacement */
	for (size_t i = 0; i < b->n; i++)
		if (b->v[i].type == NFT_MSG_DELTABLE)
			from = i + 1;
	for (size_t i = from; i < b->n && !x->err; i++) {
		const struct bh_nft__msg *m = &b->v[i];

		switch (m->kind) {
		case BH_NFT__TABLE: table_line(x, m->obj); break;
		case BH_NFT__CHAIN: chain_line(x, m->obj); break;
		case BH_NFT__SET: set_line(x, m->obj); break;
		case BH_NFT__ELEMS: elems_lines(x, m->obj); break;
		case BH_NFT__RULE: rule_line(x, m->obj); break;
		}
	}
	return x->err;
}

int bh_nft_batch_digest(const struct bh_nft_batch *b, uint64_t *out, bh_nft_canon_cb cb,
			void *arg)
{
	struct canon x = { .cb = cb, .arg = arg };
	int ret = batch_canon(b, &x);

	*out = x.sum;
	return ret;
}

int bh_nft__batch_shape(const struct bh_nft_batch *b, uint64_t *out)
{
	struct canon x = { .shape = true };
	int ret = batch_canon(b, &x);

	*out = x.sum;
	return ret;
}

/* ---- the kernel's side ------------------------------------------------------------- */

struct dump {
	struct canon *x;
	char **sets;		/* names of the table's sets, for their elements */
	size_t n_sets, cap;
};

static int table_cb(const struct nlmsghdr *nlh, void *data)
{
	struct dump *d = data;
	struct nftnl_table *t = nftnl_table_alloc();

	if (!t)
		return MNL_CB_ERROR;
	if (nftnl_table_nlmsg_parse(nlh, t) == 0)
		table_line(d->x, t);
	nftnl_table_free(t);
	return MNL_CB_OK;
}

static int chain_cb(const struct nlmsghdr *nlh, void *data)
{
	struct dump *d = data;
	struct nftnl_chain *c = nftnl_chain_alloc();

	if (!c)
		return MNL_CB_ERROR;
	if (nftnl_chain_nlmsg_parse(nlh, c) == 0 &&
	    !strcmp(nftnl_chain_get_str(c, NFTNL_CHAIN_TABLE), BH_TABLE))
		chain_line(d->x, c);
	nftnl_chain_free(c);
	return MNL_CB_OK;
}

static int set_cb(const struct nlmsghdr *nlh, void *data)
{
	struct dump *d = data;
	struct nftnl_set *s = nftnl_set_alloc();
	int ret = MNL_CB_OK;

	if (!s)
		return MNL_CB_ERROR;
	if (nftnl_set_nlmsg_parse(nlh, s) == 0 &&
	    !strcmp(nftnl_set_get_str(s, NFTNL_SET_TABLE), BH_TABLE)) {
		set_line(d->x, s);
		if (bh_array_reserve(d->sets, d->cap, d->n_sets + 1, 16))
			ret = MNL_CB_ERROR;
		if (ret == MNL_CB_OK &&
		    !(d->sets[d->n_sets++] = strdup(nftnl_set_get_str(s, NFTNL_SET_NAME)))) {
			d->n_sets--;
			ret = MNL_CB_ERROR;
		}
	}
	nftnl_set_free(s);
	return ret;
}

static int elem_cb(const struct nlmsghdr *nlh, void *data)
{
	struct dump *d = data;
	struct nftnl_set *s = nftnl_set_alloc();

	if (!s)
		return MNL_CB_ERROR;
	if (nftnl_set_elems_nlmsg_parse(nlh, s) == 0)
		elems_lines(d->x, s);
	nftnl_set_free(s);
	return d->x->err ? MNL_CB_ERROR : MNL_CB_OK;
}

static int rule_cb(const struct nlmsghdr *nlh, void *data)
{
	struct dump *d = data;
	struct nftnl_rule *r = nftnl_rule_alloc();

	if (!r)
		return MNL_CB_ERROR;
	if (nftnl_rule_nlmsg_parse(nlh, r) == 0 &&
	    !strcmp(nftnl_rule_get_str(r, NFTNL_RULE_TABLE), BH_TABLE))
		rule_line(d->x, r);
	nftnl_rule_free(r);
	return MNL_CB_OK;
}

/* A GET (dump when flags has NLM_F_DUMP) of one object type in table inet bulkhead. */
static int get(struct bh_nft_conn *c, uint16_t type, uint16_t flags, const char *set,
	       mnl_cb_t cb, struct dump *d)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh;

	memset(buf, 0, sizeof(buf));	/* no uninitialised padding reaches the kernel */
	nlh = nftnl_nlmsg_build_hdr(buf, type, NFPROTO_INET, flags, bh_nft__conn_seq(c, 1));
	if (set) {
		struct nftnl_set *s = nftnl_set_alloc();

		if (!s)
			return -ENOMEM;
		nftnl_set_set_str(s, NFTNL_SET_TABLE, BH_TABLE);
		nftnl_set_set_str(s, NFTNL_SET_NAME, set);
		nftnl_set_elems_nlmsg_build_payload(nlh, s);
		nftnl_set_free(s);
	} else {
		mnl_attr_put_strz(nlh, 1, BH_TABLE);	/* NFTA_{TABLE_NAME,CHAIN,SET,RULE}_TABLE */
	}
	return bh_nft__conn_request(c, nlh, cb, d);
}

int bh_nft_conn_digest(struct bh_nft_conn *c, uint64_t *out, bh_nft_canon_cb cb, void *arg)
{
	struct canon x = { .cb = cb, .arg = arg };
	struct dump d = { .x = &x };
	int ret;

	*out = 0;
	ret = get(c, NFT_MSG_GETTABLE, NLM_F_ACK, NULL, table_cb, &d);
	if (ret == -ENOENT)
		return 0;
	if (!ret)
		ret = get(c, NFT_MSG_GETCHAIN, NLM_F_DUMP, NULL, chain_cb, &d);
	if (!ret)
		ret = get(c, NFT_MSG_GETSET, NLM_F_DUMP, NULL, set_cb, &d);
	for (size_t i = 0; !ret && i < d.n_sets; i++)
		ret = get(c, NFT_MSG_GETSETELEM, NLM_F_DUMP, d.sets[i], elem_cb, &d);
	if (!ret)
		ret = get(c, NFT_MSG_GETRULE, NLM_F_DUMP, NULL, rule_cb, &d);
	for (size_t i = 0; i < d.n_sets; i++)
		free(d.sets[i]);
	free(d.sets);
	if (!ret && x.err)
		ret = x.err;
	*out = x.sum;
	return ret ? ret : 1;
}
