// SPDX-License-Identifier: GPL-2.0-or-later
// fuzz-sources: netlink/nflog.c netlink/nl_close.c log/pkt_decode.c
/*
 * The NFLOG attribute parser on arbitrary datagrams, walked as the reader
 * walks them (bh_nflog_msg_next), each event's payload then fed to
 * the packet decoder. The buffer is exactly the input's size.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <libmnl/libmnl.h>

#include "netlink/nflog.h"
#include "log/pkt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bh_nflog_event ev;
	const struct nlmsghdr *nlh;
	struct bh_pkt p;
	void *buf;
	size_t off = 0;

	if (size > 1 << 20)
		return 0;
	/* aligned like a receive buffer */
	buf = aligned_alloc(8, (size + 7) & ~(size_t)7);
	if (!buf)
		return 0;
	memcpy(buf, data, size);
	while ((nlh = bh_nflog_msg_next(buf, size, &off))) {
		if (bh_nflog_msg_parse(nlh, &ev) != 0)
			continue;
		if (strlen(ev.prefix) >= sizeof(ev.prefix))
			abort();
		if (ev.payload && ((const uint8_t *)ev.payload < (const uint8_t *)buf ||
				   (const uint8_t *)ev.payload + ev.payload_len > (const uint8_t *)buf + size))
			abort();
		(void)bh_pkt_decode(ev.payload, ev.payload_len, ev.hw_proto, &p);
	}
	free(buf);
	return 0;
}
