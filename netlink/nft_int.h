/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef BH_NFT_INT_H
#define BH_NFT_INT_H

/* Internals shared by the nft_*.c files; not part of the module's contract. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct bh_elem;
struct bh_nft_stamp;
struct nftnl_rule;
struct nftnl_table;
struct nlmsghdr;

enum bh_nft__kind {
	BH_NFT__TABLE,
	BH_NFT__CHAIN,
	BH_NFT__SET,
	BH_NFT__ELEMS,
	BH_NFT__RULE,
};

/* What the elements of one NEWSETELEM message stand for (error messages). */
struct bh_nft__elemsrc {
	struct bh_elem *src;	/* copies of the compiled elements */
	size_t n_src;
	uint32_t *map;		/* netlink element i -> src index, UINT32_MAX: none */
	size_t n_map;
	uint8_t fam;		/* BH_FAM_V4 / BH_FAM_V6 */
	bool concat;
};

struct bh_nft__msg {
	uint16_t type;		/* NFT_MSG_* */
	uint16_t flags;		/* NLM_F_* besides REQUEST and ACK */
	uint8_t kind;		/* enum bh_nft__kind */
	void *obj;		/* nftnl_table / _chain / _set / _rule, owned */
	char *what;		/* "set in4", "rule 2 of chain ingress" */
	struct bh_nft__elemsrc *es;	/* BH_NFT__ELEMS only */
};

#define BH_NFT__NAME 256	/* NFT_NAME_MAXLEN */

struct bh_nft_batch {
	struct bh_nft__msg *v;
	size_t n, cap;
	uint32_t next_set_id;
	size_t n_elems;
	uint32_t table_flags;	/* NFTA_TABLE_FLAGS of the table the batch creates */
	bool shape_only;	/* peer sets without their elements (nft_delta.c) */
};

/* Append a message; takes ownership of obj and es (freed on failure too). 0 or -ENOMEM. */
int bh_nft__push(struct bh_nft_batch *b, uint16_t type, uint16_t flags, uint8_t kind,
		 void *obj, struct bh_nft__elemsrc *es, const char *fmt, ...)
	__attribute__((format(printf, 7, 8)));
/* nft_batch.c: the batch owns each message's element sources; accepts NULL. */
void bh_nft__elemsrc_free(struct bh_nft__elemsrc *es);

/* One kernel set element as the builder encodes a compiled one. */
struct bh_nft__rec {
	uint8_t key[24];
	uint8_t key_end[24];
	uint8_t len;		/* of key (and key_end) */
	bool has_end;		/* concatenations: KEY_END */
	bool open;		/* interval reaching the top: "interval open" userdata */
	uint32_t flags;		/* NFT_SET_ELEM_INTERVAL_END */
	uint32_t src;		/* index of the compiled element, UINT32_MAX: the end element at 0 */
};

/*
 * nft_elems.c: the kernel elements of a set holding e[0..n) (see the top of
 * nft_set.c for the encoding). 0 and *out (malloc'd, *n_out records), or -ENOMEM.
 */
int bh_nft__encode(const struct bh_elem *e, size_t n, uint8_t fam, bool concat,
		   struct bh_nft__rec **out, size_t *n_out);
/*
 * nft_elems.c: records [from, to) of r as one NEWSETELEM or DELSETELEM
 * message of set name (id: of a set added in the same batch, else 0).
 * With e, e[src_from..src_to) are the compiled elements the records came
 * from, for error messages. 0 or -ENOMEM.
 */
int bh_nft__elems_push(struct bh_nft_batch *b, uint16_t type, const char *name, uint32_t id,
		       const struct bh_nft__rec *r, size_t from, size_t to,
		       const struct bh_elem *e, uint32_t src_from, uint32_t src_to, uint8_t fam,
		       bool concat);

/* nft_set.c: a named interval set of group elements (any: address only; else concat). */
int bh_nft__set_add(struct bh_nft_batch *b, const char *name, uint8_t fam, bool concat,
		    const struct bh_elem *e, size_t n);
/*
 * nft_set.c: the same as a verdict map: element i maps to v[i] (accept, or
 * goto v[i].chain), as nft encodes `type ... : verdict; flags interval`.
 */
struct bh_verdict;
int bh_nft__map_add(struct bh_nft_batch *b, const char *name, uint8_t fam, bool concat,
		    const struct bh_elem *e, const struct bh_verdict *v, size_t n);
/* nft_set.c: the anonymous constant set of ICMPv6 neighbour discovery types; *id gets its id. */
int bh_nft__nd_set_add(struct bh_nft_batch *b, uint32_t *id);
/* nft_set.c: "10.0.0.1 . tcp . 80" into buf. */
void bh_nft__elem_format(const struct bh_elem *e, uint8_t fam, bool concat, char *buf, size_t len);

/* nft_tier.c: every verdict map of the tiers, in the layout's order. 0 or -ENOMEM. */
struct bh_ruleset;
int bh_nft__tier_maps_add(struct bh_nft_batch *b, const struct bh_ruleset *rs);

/* nft_rule.c: expression builders; each returns 0 or -ENOMEM. */
struct nftnl_rule *bh_nft__rule_alloc(const char *chain);
int bh_nft__rule_comment(struct nftnl_rule *r, const char *comment);
int bh_nft__ct_state(struct nftnl_rule *r, uint32_t mask);
int bh_nft__meta_cmp(struct nftnl_rule *r, uint32_t key, const void *val, uint32_t len);
int bh_nft__icmpv6_nd(struct nftnl_rule *r, uint32_t set_id);
int bh_nft__addr_lookup(struct nftnl_rule *r, uint8_t fam, bool src, bool concat,
			const char *set, uint32_t set_id);
/* the same, "... vmap @map": the map's verdict is the rule's */
int bh_nft__addr_vmap(struct nftnl_rule *r, uint8_t fam, bool src, bool concat,
		      const char *map, uint32_t set_id);
/* limit rate over RATE/second burst BURST packets */
int bh_nft__limit_over(struct nftnl_rule *r, uint64_t rate, uint32_t burst);
int bh_nft__log(struct nftnl_rule *r, const char *prefix, uint16_t group);
int bh_nft__counter(struct nftnl_rule *r);
int bh_nft__verdict(struct nftnl_rule *r, int verdict, const char *chain);

/* nft_stamp.c: write the stamp into a table's userdata (0 or -ENOMEM); read it back
 * (true when a stamp with a digest was found, else *st is zeroed). */
int bh_nft__stamp_set(struct nftnl_table *t, const struct bh_nft_stamp *st);
bool bh_nft__stamp_get(const struct nftnl_table *t, struct bh_nft_stamp *st);

/*
 * nft_digest.c: the digest of the table b builds with the peer sets'
 * elements left out: equal for two tables that differ in those at most.
 * 0 or -ENOMEM.
 */
int bh_nft__batch_shape(const struct bh_nft_batch *b, uint64_t *out);

/* nft_batch.c: every message header of a serialised batch, in order (BEGIN/END excluded). */
struct nftnl_batch;
int bh_nft__batch_headers(struct nftnl_batch *nb, const struct nlmsghdr **hdrs, size_t n);

/* nft_send.c: bh_nft_batch_send() with the caller's first sequence number. */
int bh_nft__batch_send(const struct bh_nft_batch *b, int fd, unsigned int flags, uint32_t seq0,
		       char *err, size_t errlen);

/* nft_conn.c: n sequence numbers of the connection; returns the first. */
struct bh_nft_conn;
uint32_t bh_nft__conn_seq(struct bh_nft_conn *c, uint32_t n);
/*
 * nft_conn.c: sends one request (a GET, dump or not) and runs cb over
 * every answer until the final ack or NLMSG_DONE. 0 or a negative errno
 * (the kernel's, e.g. -ENOENT).
 */
int bh_nft__conn_request(struct bh_nft_conn *c, struct nlmsghdr *nlh,
			 int (*cb)(const struct nlmsghdr *nlh, void *data), void *data);

/* Big-endian byte strings of interval ends: +1, and the all-ones/all-zero tests. */
static inline void bh__be_inc(uint8_t *a, size_t len)
{
	while (len-- > 0)
		if (++a[len])
			break;
}

static inline bool bh__all_ones(const uint8_t *a, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (a[i] != 0xff)
			return false;
	return true;
}

static inline bool bh__all_zero(const uint8_t *a, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (a[i])
			return false;
	return true;
}

#endif
