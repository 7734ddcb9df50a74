// SPDX-License-Identifier: GPL-2.0-or-later
// fuzz-sources: netlink/nft_mon.c netlink/nl_close.c netlink/netns.c
/*
 * The nftables event parser on arbitrary datagrams, fed as the monitor
 * feeds them (bh_nft_mon_parse), in two pieces so that a transaction can
 * span datagrams. Every delivered transaction must be well formed.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "netlink/nft_mon.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(const struct bh_nft_txn *t, void *arg)
{
	if (t->n > BH_NFT_TXN_CHANGES || strlen(t->comm) >= sizeof(t->comm))
		abort();
	for (size_t i = 0; i < t->n; i++)
		if (t->v[i].object >= BH_NFT_OBJ_MAX || t->v[i].op >= BH_NFT_OP_MAX ||
		    strlen(t->v[i].table) >= sizeof(t->v[i].table) || !t->v[i].count)
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bh_nft_mon *m;
	size_t cut = size ? data[0] % (size + 1) : 0;
	void *buf;

	if (size > 1 << 20 || bh_nft_mon_alloc(&m))
		return 0;
	/* aligned like a receive buffer */
	buf = aligned_alloc(8, (size + 7) & ~(size_t)7);
	if (buf) {
		memcpy(buf, data, size);
		bh_nft_mon_parse(m, buf, cut, check, NULL);
		memmove(buf, (char *)buf + cut, size - cut);
		bh_nft_mon_parse(m, buf, size - cut, check, NULL);
		free(buf);
	}
	bh_nft_mon_close(m);
	return 0;
}
