// SPDX-License-Identifier: GPL-2.0-or-later
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/array.h"
#include "policy/diag.h"

void bh_diag_init(struct bh_diag *d)
{
	memset(d, 0, sizeof(*d));
}

void bh_diag_deinit(struct bh_diag *d)
{
	for (size_t i = 0; i < d->n; i++) {
		free(d->v[i].msg);
		free((char *)d->v[i].loc.file);
	}
	free(d->v);
	memset(d, 0, sizeof(*d));
}

static void diag_vadd(struct bh_diag *d, enum bh_severity sev, const struct bh_loc *loc,
		      const char *fmt, va_list ap)
{
	struct bh_diag_entry *e;
	char *msg;

	if (bh_array_reserve(d->v, d->cap, d->n + 1, 8)) {
		d->oom = 1;
		return;
	}
	if (vasprintf(&msg, fmt, ap) < 0) {
		d->oom = 1;
		return;
	}
	e = &d->v[d->n];
	memset(&e->loc, 0, sizeof(e->loc));
	if (loc) {
		e->loc = *loc;
		/* entries own their file name: the loader's copy may be freed first */
		if (loc->file && !(e->loc.file = strdup(loc->file))) {
			free(msg);
			d->oom = 1;
			return;
		}
	}
	e->msg = msg;
	e->sev = sev;
	d->n++;
	if (sev == BH_SEV_WARNING)
		d->warnings++;
}

void bh_diag_add(struct bh_diag *d, const struct bh_loc *loc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	diag_vadd(d, BH_SEV_ERROR, loc, fmt, ap);
	va_end(ap);
}

void bh_diag_warn(struct bh_diag *d, const struct bh_loc *loc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	diag_vadd(d, BH_SEV_WARNING, loc, fmt, ap);
	va_end(ap);
}

/* ---- escaping ------------------------------------------------------------------ */

struct esc_out {
	char *dst;
	size_t cap;
	size_t wr;		/* bytes written to dst */
	size_t len;		/* bytes the whole escaped text needs */
	int full;		/* a piece did not fit: nothing more is written */
};

static void esc_put(struct esc_out *o, const char *p, size_t n)
{
	if (!o->full && o->wr + n < o->cap) {
		memcpy(o->dst + o->wr, p, n);
		o->wr += n;
	} else {
		o->full = 1;
	}
	o->len += n;
}

/*
 * Length of the valid UTF-8 sequence at s (1..4) with its code point in
 * *cp, or 0 when s does not start one. The string is NUL-terminated and a
 * NUL is never a continuation byte, so this never reads past its end.
 */
static size_t utf8_seq(const unsigned char *s, uint32_t *cp)
{
	unsigned char c = s[0], lo = 0x80, hi = 0xbf;
	size_t n;

	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf) {
		n = 2;
		*cp = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 3;
		*cp = c & 0x0f;
		if (c == 0xe0)
			lo = 0xa0;	/* overlong */
		else if (c == 0xed)
			hi = 0x9f;	/* surrogates */
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4;
		*cp = c & 0x07;
		if (c == 0xf0)
			lo = 0x90;	/* overlong */
		else if (c == 0xf4)
			hi = 0x8f;	/* above U+10FFFF */
	} else {
		return 0;
	}
	for (size_t i = 1; i < n; i++) {
		if (s[i] < lo || s[i] > hi)
			return 0;
		*cp = (*cp << 6) | (s[i] & 0x3f);
		lo = 0x80;
		hi = 0xbf;
	}
	return n;
}

/* Code points that are valid UTF-8 but still steer a terminal or reorder a line. */
static int cp_unsafe(uint32_t cp)
{
	return (cp >= 0x80 && cp <= 0x9f) || cp == 0x200e || cp == 0x200f ||
	       cp == 0x2028 || cp == 0x2029 || (cp >= 0x202a && cp <= 0x202e) ||
	       (cp >= 0x2066 && cp <= 0x2069);
}

size_t bh_diag_escape(char *dst, size_t cap, const char *src)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *s = (const unsigned char *)(src ? src : "");
	struct esc_out o = { .dst = dst, .cap = cap };

	while (*s) {
		unsigned char c = *s;
		char e[8];
		uint32_t cp;
		size_t n;

		if (c == '\\') {
			esc_put(&o, "\\\\", 2);
			s++;
			continue;
		}
		if (c < 0x20 || c == 0x7f) {
			if (c == '\t' || c == '\n' || c == '\r') {
				e[0] = '\\';
				e[1] = c == '\t' ? 't' : c == '\n' ? 'n' : 'r';
				esc_put(&o, e, 2);
			} else {
				e[0] = '\\', e[1] = 'x', e[2] = hex[c >> 4], e[3] = hex[c & 15];
				esc_put(&o, e, 4);
			}
			s++;
			continue;
		}
		n = utf8_seq(s, &cp);
		if (!n) {
			e[0] = '\\', e[1] = 'x', e[2] = hex[c >> 4], e[3] = hex[c & 15];
			esc_put(&o, e, 4);
			s++;
			continue;
		}
		if (cp_unsafe(cp)) {
			e[0] = '\\', e[1] = 'u';
			for (int i = 0; i < 4; i++)
				e[2 + i] = hex[(cp >> (12 - 4 * i)) & 15];
			esc_put(&o, e, 6);
		} else {
			esc_put(&o, (const char *)s, n);
		}
		s += n;
	}
	if (cap)
		dst[o.wr] = 0;
	return o.len;
}

char *bh_diag_escape_dup(const char *src)
{
	size_t n;
	char *d;

	if (!src)
		return NULL;
	n = bh_diag_escape(NULL, 0, src);
	d = malloc(n + 1);
	if (d)
		bh_diag_escape(d, n + 1, src);
	return d;
}

void bh_diag_fputs(const char *src, FILE *out)
{
	char buf[1024], *d;

	if (bh_diag_escape(buf, sizeof(buf), src) < sizeof(buf)) {
		fputs(buf, out);
		return;
	}
	d = bh_diag_escape_dup(src);
	/* out of memory: the part that fitted, never the raw text */
	fputs(d ? d : buf, out);
	free(d);
}

void bh_diag_print(const struct bh_diag *d, FILE *out)
{
	static const char *const sev_names[] = { [BH_SEV_ERROR] = "error", [BH_SEV_WARNING] = "warning" };

	for (size_t i = 0; i < d->n; i++) {
		const struct bh_loc *l = &d->v[i].loc;
		const char *sev = sev_names[d->v[i].sev];

		if (l->file) {
			bh_diag_fputs(l->file, out);
			if (l->line)
				fprintf(out, ":%u:%u", l->line, l->col);
			fputs(": ", out);
		}
		fputs(sev, out);
		fputs(": ", out);
		bh_diag_fputs(d->v[i].msg, out);
		fputc('\n', out);
	}
	if (d->oom)
		fprintf(out, "error: out of memory while recording diagnostics\n");
}
