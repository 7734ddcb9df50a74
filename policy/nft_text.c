// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The small pieces of nft text both renderers write (render_nft.c for the
 * table and its NetworkPolicy sets, render_tier.c for the tiers): the
 * NFLOG prefix, one element, a LOG(kind, V) pair, a verdict.
 */
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <arpa/inet.h>

#include "policy/compile_int.h"

static const char dir_char[BH_DIR_MAX] = { 'i', 'e' };

void bh_log_tag_format(const struct bh_log_tag *t, char *buf, size_t len)
{
	if (t->tier)
		snprintf(buf, len, "bh/%" PRIu64 "/%c/%c/%c", t->generation, dir_char[t->dir & 1], t->kind,
			 t->tier);
	else
		snprintf(buf, len, "bh/%" PRIu64 "/%c/%c", t->generation, dir_char[t->dir & 1], t->kind);
}

int bh_log_tag_parse(const char *s, struct bh_log_tag *t)
{
	char d, k, *end;
	unsigned long long g;

	if (strncmp(s, "bh/", 3))
		return -EINVAL;
	errno = 0;
	g = strtoull(s + 3, &end, 10);
	if (errno || end == s + 3 || *end != '/')
		return -EINVAL;
	d = end[1];
	k = end[3];
	if (end[2] != '/' || !k || (d != 'i' && d != 'e') || (k != 'd' && k != 'w' && k != 'a'))
		return -EINVAL;
	/* a tier's deny: "/a" or "/b" after d or w */
	if (end[4] && (end[4] != '/' || (end[5] != 'a' && end[5] != 'b') || end[6] || k == 'a'))
		return -EINVAL;
	t->generation = g;
	t->dir = d == 'i' ? BH_INGRESS : BH_EGRESS;
	t->kind = k;
	t->tier = end[4] ? end[5] : 0;
	return 0;
}

/* ---- element text ----------------------------------------------------------------- */

static void put_addr(FILE *f, int fam, const uint8_t *a)
{
	char buf[INET6_ADDRSTRLEN];

	inet_ntop(fam == BH_FAM_V4 ? AF_INET : AF_INET6, a, buf, sizeof(buf));
	fputs(buf, f);
}

static void put_range(FILE *f, int fam, const uint8_t *lo, const uint8_t *hi)
{
	bh_u128 l = bh__addr_to_u128(lo, fam), h = bh__addr_to_u128(hi, fam);
	bh_u128 size = h - l;	/* size + 1 addresses */
	int bits = fam == BH_FAM_V4 ? 32 : 128;

	put_addr(f, fam, lo);
	if (l == h)
		return;
	/* a whole prefix reads better than a range */
	if (((size + 1) & size) == 0 && (l & size) == 0) {
		int len = bits;

		while (size) {
			size >>= 1;
			len--;
		}
		fprintf(f, "/%d", len);
		return;
	}
	fputc('-', f);
	put_addr(f, fam, hi);
}

static const char *proto_name(uint8_t p)
{
	switch (p) {
	case IPPROTO_TCP: return "tcp";
	case IPPROTO_UDP: return "udp";
	case IPPROTO_SCTP: return "sctp";
	}
	return NULL;
}

void bh__put_elem(FILE *f, int fam, const struct bh_elem *e, bool l4)
{
	put_range(f, fam, e->lo, e->hi);
	if (!l4)
		return;
	if (proto_name(e->proto))
		fprintf(f, " . %s . ", proto_name(e->proto));
	else
		fprintf(f, " . %u . ", e->proto);
	if (e->port_lo == e->port_hi)
		fprintf(f, "%u", e->port_lo);
	else
		fprintf(f, "%u-%u", e->port_lo, e->port_hi);
}

/*
 * The log limit cuts the log, never the verdict: packets over the limit
 * take the chain's verdict at once, through a counter the agent reads to
 * report how many attempts went unlogged; the others are logged and go on.
 */
void bh__put_log(FILE *f, const struct bh_emit_opts *o, int d, char kind, char tier)
{
	struct bh_log_tag t = { o->generation, (uint8_t)d, kind, tier };
	char prefix[64];

	bh_log_tag_format(&t, prefix, sizeof(prefix));
	if (o->log_rate)
		fprintf(f, "\t\tlimit rate over %u/second burst %u packets counter %s\n", o->log_rate,
			o->log_burst ? o->log_burst : 1, kind == 'd' ? "drop" : "accept");
	fprintf(f, "\t\tlog prefix \"%s\" group %u\n", prefix, o->log_group);
}

char *bh__verdict_text(const struct bh_verdict *v, char *buf, size_t len)
{
	if (v->go)
		snprintf(buf, len, "goto %s", v->chain);
	else
		snprintf(buf, len, "accept");
	return buf;
}
