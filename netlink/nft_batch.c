// SPDX-License-Identifier: GPL-2.0-or-later
/* The batch: an ordered list of nftables messages, serialised on demand. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/uio.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <libmnl/libmnl.h>
#include <libnftnl/batch.h>
#include <libnftnl/chain.h>
#include <libnftnl/common.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>

#include "netlink/nft.h"
#include "netlink/nft_int.h"

/*
 * Page size of the serialised batch. The kernel processes a batch only if
 * it arrives in one sendmsg(), so the pages go out together as an iovec
 * and their size only bounds how much is copied when a message overflows a
 * page: big pages mean few iovec entries even for 10,000-element sets.
 * The overrun area must hold the largest single message (64 KiB, as the
 * element list of a NEWSETELEM is one 16-bit-length attribute).
 */
#define BATCH_PAGE_SIZE (2u << 20)
#define BATCH_OVERRUN (UINT16_MAX + 4096u)
/* zeroed ahead of every message but element lists: tables, chains, sets and rules are smaller */
#define MSG_ZEROED 4096u

int bh_nft_batch_alloc(struct bh_nft_batch **out)
{
	*out = calloc(1, sizeof(**out));
	return *out ? 0 : -ENOMEM;
}

void bh_nft_batch_set_table_flags(struct bh_nft_batch *b, uint32_t flags)
{
	b->table_flags = flags;
}

static void obj_free(uint8_t kind, void *obj)
{
	switch (kind) {
	case BH_NFT__TABLE: nftnl_table_free(obj); break;
	case BH_NFT__CHAIN: nftnl_chain_free(obj); break;
	case BH_NFT__SET:
	case BH_NFT__ELEMS: nftnl_set_free(obj); break;
	case BH_NFT__RULE: nftnl_rule_free(obj); break;
	}
}

void bh_nft__elemsrc_free(struct bh_nft__elemsrc *es)
{
	if (!es)
		return;
	free(es->src);
	free(es->map);
	free(es);
}

void bh_nft_batch_free(struct bh_nft_batch *b)
{
	if (!b)
		return;
	for (size_t i = 0; i < b->n; i++) {
		obj_free(b->v[i].kind, b->v[i].obj);
		free(b->v[i].what);
		bh_nft__elemsrc_free(b->v[i].es);
	}
	free(b->v);
	free(b);
}

int bh_nft__push(struct bh_nft_batch *b, uint16_t type, uint16_t flags, uint8_t kind,
		 void *obj, struct bh_nft__elemsrc *es, const char *fmt, ...)
{
	struct bh_nft__msg *m;
	va_list ap;
	int len;

	if (!obj)
		goto nomem;
	if (b->n == b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 32;
		struct bh_nft__msg *v = realloc(b->v, cap * sizeof(*v));

		if (!v)
			goto nomem;
		b->v = v;
		b->cap = cap;
	}
	m = &b->v[b->n];
	va_start(ap, fmt);
	len = vasprintf(&m->what, fmt, ap);
	va_end(ap);
	if (len < 0)
		goto nomem;
	m->type = type;
	m->flags = flags;
	m->kind = kind;
	m->obj = obj;
	m->es = es;
	b->n++;
	return 0;
nomem:
	if (obj)
		obj_free(kind, obj);
	bh_nft__elemsrc_free(es);
	return -ENOMEM;
}

size_t bh_nft_batch_msgs(const struct bh_nft_batch *b)
{
	return b->n;
}

size_t bh_nft_batch_elems(const struct bh_nft_batch *b)
{
	return b->n_elems;
}

static void payload_build(struct nlmsghdr *nlh, const struct bh_nft__msg *m)
{
	switch (m->kind) {
	case BH_NFT__TABLE: nftnl_table_nlmsg_build_payload(nlh, m->obj); break;
	case BH_NFT__CHAIN: nftnl_chain_nlmsg_build_payload(nlh, m->obj); break;
	case BH_NFT__SET: nftnl_set_nlmsg_build_payload(nlh, m->obj); break;
	case BH_NFT__ELEMS: nftnl_set_elems_nlmsg_build_payload(nlh, m->obj); break;
	case BH_NFT__RULE: nftnl_rule_nlmsg_build_payload(nlh, m->obj); break;
	}
}

struct nftnl_batch *bh_nft_batch_serialize(const struct bh_nft_batch *b, unsigned int flags,
					   uint32_t seq0)
{
	struct nftnl_batch *nb = nftnl_batch_alloc(BATCH_PAGE_SIZE, BATCH_OVERRUN);
	struct nlmsghdr *nlh;
	uint32_t seq = seq0;

	if (!nb)
		return NULL;
	nftnl_batch_begin(nftnl_batch_buffer(nb), seq++);
	if (nftnl_batch_update(nb) < 0)
		goto fail;
	for (size_t i = 0; i < b->n; i++) {
		const struct bh_nft__msg *m = &b->v[i];

		void *at = nftnl_batch_buffer(nb);
		size_t zeroed = m->kind == BH_NFT__ELEMS ? BATCH_OVERRUN : MSG_ZEROED;

		/*
		 * libmnl before 1.0.5 leaves attribute padding as it finds it:
		 * zero the space first, so that no stale heap bytes reach the
		 * kernel and a batch always serialises to the same bytes.
		 */
		memset(at, 0, zeroed);
		nlh = nftnl_nlmsg_build_hdr(at, m->type, NFPROTO_INET, m->flags | NLM_F_ACK, seq);
		payload_build(nlh, m);
		if (nlh->nlmsg_len > zeroed) {
			memset(at, 0, BATCH_OVERRUN);
			nlh = nftnl_nlmsg_build_hdr(at, m->type, NFPROTO_INET,
						    m->flags | NLM_F_ACK, seq);
			payload_build(nlh, m);
		}
		seq++;
		if (nlh->nlmsg_len > BATCH_OVERRUN) {
			errno = EMSGSIZE;
			goto fail;
		}
		if (nftnl_batch_update(nb) < 0)
			goto fail;
	}
	if (!(flags & BH_NFT_DRY_RUN)) {
		nftnl_batch_end(nftnl_batch_buffer(nb), seq++);
		if (nftnl_batch_update(nb) < 0)
			goto fail;
	}
	return nb;
fail:
	nftnl_batch_free(nb);
	return NULL;
}

int bh_nft_batch_fprint(const struct bh_nft_batch *b, FILE *f)
{
	struct nftnl_batch *nb = bh_nft_batch_serialize(b, 0, 0);
	struct iovec *iov;
	int n;

	if (!nb)
		return -ENOMEM;
	n = nftnl_batch_iovec_len(nb);
	iov = calloc(n, sizeof(*iov));
	if (!iov) {
		nftnl_batch_free(nb);
		return -ENOMEM;
	}
	nftnl_batch_iovec(nb, iov, n);
	for (int i = 0; i < n; i++)
		mnl_nlmsg_fprintf(f, iov[i].iov_base, iov[i].iov_len, sizeof(struct nfgenmsg));
	free(iov);
	nftnl_batch_free(nb);
	return 0;
}

int bh_nft__batch_headers(struct nftnl_batch *nb, const struct nlmsghdr **hdrs, size_t n)
{
	int iovlen = nftnl_batch_iovec_len(nb);
	struct iovec *iov = calloc(iovlen > 0 ? iovlen : 1, sizeof(*iov));
	size_t k = 0;

	if (!iov)
		return -ENOMEM;
	nftnl_batch_iovec(nb, iov, iovlen);
	for (int i = 0; i < iovlen; i++) {
		const struct nlmsghdr *nlh = iov[i].iov_base;
		int len = iov[i].iov_len;

		for (; mnl_nlmsg_ok(nlh, len); nlh = mnl_nlmsg_next(nlh, &len)) {
			if (nlh->nlmsg_type == NFNL_MSG_BATCH_BEGIN ||
			    nlh->nlmsg_type == NFNL_MSG_BATCH_END)
				continue;
			if (k < n)
				hdrs[k] = nlh;
			k++;
		}
	}
	free(iov);
	return k == n ? 0 : -EPROTO;
}
