// SPDX-License-Identifier: GPL-2.0-or-later
// fuzz-sources: log/pkt_decode.c log/dedup.c log/event.c log/jsonw.c
/*
 * Packet header decoding and everything downstream of it: the first byte
 * picks the hardware protocol hint and the log kind, the rest is the
 * packet as NFLOG would copy it (in a buffer of exactly that size, so
 * ASan sees any read past the end). A decoded packet is then keyed for
 * suppression and formatted as a log line with no inventory.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "policy/compile.h"
#include "log/dedup.h"
#include "log/event.h"
#include "log/jsonw.h"
#include "log/pkt.h"

static const uint16_t hw[4] = { 0, 0x0800, 0x86dd, 0x0806 };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct bh_jsonw w;
	static int init;
	struct bh_pkt p;
	struct bh_dedup_key k;
	uint8_t *buf;
	int r;

	if (!size)
		return 0;
	if (!init) {
		bh_jsonw_init(&w);
		init = 1;
	}
	buf = malloc(size - 1 ? size - 1 : 1);
	if (!buf)
		return 0;
	memcpy(buf, data + 1, size - 1);
	r = bh_pkt_decode(buf, size - 1, hw[data[0] & 3], &p);
	if (r == 0) {
		struct bh_log_tag tag = { .generation = data[0], .dir = (data[0] >> 2) & 1,
					  .kind = "dwa"[(data[0] >> 3) % 3] };
		struct bh_event_ctx ctx = { .hostname = "fuzz" };
		struct bh_event ev = { .tag = &tag, .pkt = &p };

		if (p.l4_off > size - 1 || (p.has_ports && p.has_icmp))
			abort();
		bh_dedup_key_from_pkt(&k, 1, tag.dir, &p);
		bh_jsonw_reset(&w);
		if (bh_event_format(&w, &ctx, &ev) == 0 && (!w.len || w.buf[w.len - 1] != '\n'))
			abort();
	} else if (r != -22) {
		abort();
	}
	free(buf);
	return 0;
}
