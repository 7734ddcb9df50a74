// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * IPv4 / IPv6 addresses and prefixes. Parsing goes through inet_pton, so
 * only the canonical textual forms are accepted (no "10.1", no octal).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "policy/model.h"

static unsigned int addr_bytes(const struct bh_addr *a)
{
	return a->family == AF_INET ? 4 : 16;
}

int bh_addr_parse(const char *s, struct bh_addr *out)
{
	struct bh_addr a;

	memset(&a, 0, sizeof(a));
	if (!s || !*s)
		return -EINVAL;
	if (inet_pton(AF_INET, s, a.a) == 1) {
		a.family = AF_INET;
	} else if (inet_pton(AF_INET6, s, a.a) == 1) {
		a.family = AF_INET6;
	} else {
		return -EINVAL;
	}
	*out = a;
	return 0;
}

/* Zeroes the bits after len; returns true when any of them was set. */
static bool prefix_mask(struct bh_addr *a, unsigned int len)
{
	unsigned int nbytes = addr_bytes(a);
	bool had = false;

	for (unsigned int i = 0; i < nbytes; i++) {
		unsigned int bit = i * 8;
		uint8_t keep;

		if (bit + 8 <= len)
			continue;
		keep = bit >= len ? 0 : (uint8_t)(0xff << (8 - (len - bit)));
		if (a->a[i] & ~keep)
			had = true;
		a->a[i] &= keep;
	}
	return had;
}

int bh_prefix_parse_loose(const char *s, struct bh_prefix *out, bool *host_bits)
{
	char buf[INET6_ADDRSTRLEN + 8];
	const char *slash, *d;
	struct bh_prefix p;
	unsigned int len = 0, max;
	size_t alen;

	if (!s)
		return -EINVAL;
	slash = strchr(s, '/');
	if (!slash)
		return -EINVAL;
	alen = (size_t)(slash - s);
	if (alen == 0 || alen >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, alen);
	buf[alen] = '\0';
	memset(&p, 0, sizeof(p));
	if (bh_addr_parse(buf, &p.addr) < 0)
		return -EINVAL;
	max = addr_bytes(&p.addr) * 8;
	d = slash + 1;
	/* digits only, no sign, no leading zero, at most 3 of them */
	if (!*d || strlen(d) > 3 || (d[0] == '0' && d[1]))
		return -EINVAL;
	for (; *d; d++) {
		if (*d < '0' || *d > '9')
			return -EINVAL;
		len = len * 10 + (unsigned int)(*d - '0');
	}
	if (len > max)
		return -EINVAL;
	p.len = (uint8_t)len;
	if (host_bits)
		*host_bits = prefix_mask(&p.addr, len);
	else
		prefix_mask(&p.addr, len);
	*out = p;
	return 0;
}

int bh_prefix_parse(const char *s, struct bh_prefix *out)
{
	struct bh_prefix p;
	bool host = false;

	if (bh_prefix_parse_loose(s, &p, &host) < 0 || host)
		return -EINVAL;
	*out = p;
	return 0;
}

char *bh_addr_format(const struct bh_addr *a, char *buf, size_t len)
{
	if (!inet_ntop(a->family == AF_INET ? AF_INET : AF_INET6, a->a, buf, (socklen_t)len))
		snprintf(buf, len, "?");
	return buf;
}

char *bh_prefix_format(const struct bh_prefix *p, char *buf, size_t len)
{
	char tmp[INET6_ADDRSTRLEN];

	bh_addr_format(&p->addr, tmp, sizeof(tmp));
	snprintf(buf, len, "%s/%u", tmp, p->len);
	return buf;
}

bool bh_prefix_contains(const struct bh_prefix *p, const struct bh_addr *a)
{
	unsigned int full, rem;

	if (p->addr.family != a->family)
		return false;
	full = p->len / 8;
	rem = p->len % 8;
	if (memcmp(p->addr.a, a->a, full))
		return false;
	if (rem) {
		uint8_t mask = (uint8_t)(0xff << (8 - rem));

		if ((p->addr.a[full] & mask) != (a->a[full] & mask))
			return false;
	}
	return true;
}

int bh_addr_cmp(const struct bh_addr *x, const struct bh_addr *y)
{
	if (x->family != y->family)
		return x->family < y->family ? -1 : 1;
	return memcmp(x->a, y->a, addr_bytes(x));
}

bool bh_ipblock_contains(const struct bh_ipblock *b, const struct bh_addr *a)
{
	if (!bh_prefix_contains(&b->cidr, a))
		return false;
	for (size_t i = 0; i < b->n_except; i++)
		if (bh_prefix_contains(&b->except[i], a))
			return false;
	return true;
}
