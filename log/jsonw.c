// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * JSON line writer. The string escaper is the hot spot: runs of bytes that
 * need nothing (printable ASCII other than '"' and '\\') are found with a
 * table and copied with one memcpy; only control characters, quotes and
 * bytes >= 0x80 (UTF-8 validation) take the slow path.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <arpa/inet.h>
#include <sys/socket.h>

#include "log/jsonw.h"
#include "policy/model.h"

/* First allocation: a denied-connection line is ~1 KiB. */
#define BH_JSONW_MIN_CAP 2048

/* 0: copy as is; 1: needs escaping; 2: start of a multibyte sequence to validate. */
static const uint8_t esc_class[256] = {
	[0x00 ... 0x1f] = 1,
	['"'] = 1,
	['\\'] = 1,
	[0x80 ... 0xff] = 2,
};

static const char hexd[] = "0123456789abcdef";

void bh_jsonw_init(struct bh_jsonw *w)
{
	memset(w, 0, sizeof(*w));
	w->ts_sec = INT64_MIN;
}

void bh_jsonw_deinit(struct bh_jsonw *w)
{
	free(w->buf);
	bh_jsonw_init(w);
}

void bh_jsonw_reset(struct bh_jsonw *w)
{
	w->len = 0;
	w->err = 0;
	w->comma = false;
}

bool bh__jsonw_grow(struct bh_jsonw *w, size_t need)
{
	size_t cap = w->cap ? w->cap : BH_JSONW_MIN_CAP;
	char *nb;

	if (w->err)
		return false;
	while (cap - w->len < need) {
		if (cap > SIZE_MAX / 2) {
			w->err = -ENOMEM;
			return false;
		}
		cap *= 2;
	}
	nb = realloc(w->buf, cap);
	if (!nb) {
		w->err = -ENOMEM;
		return false;
	}
	w->buf = nb;
	w->cap = cap;
	return true;
}

/* Make room for n more bytes; false after an allocation failure. */
static inline bool reserve(struct bh_jsonw *w, size_t n)
{
	if (__builtin_expect(w->cap - w->len >= n && !w->err, 1))
		return true;
	return bh__jsonw_grow(w, n);
}

static inline void put(struct bh_jsonw *w, const char *s, size_t n)
{
	if (!reserve(w, n))
		return;
	memcpy(w->buf + w->len, s, n);
	w->len += n;
}

static inline void putc_(struct bh_jsonw *w, char c)
{
	if (!reserve(w, 1))
		return;
	w->buf[w->len++] = c;
}

/* Before any value or key: a comma when something precedes at this level. */
static inline void sep(struct bh_jsonw *w)
{
	if (w->comma)
		putc_(w, ',');
}

void bh_jsonw_raw(struct bh_jsonw *w, const char *s, size_t n)
{
	put(w, s, n);
}

void bh_jsonw_obj_begin(struct bh_jsonw *w)
{
	bh__jsonw_piece(w, "{", 1, false);
}

void bh_jsonw_obj_end(struct bh_jsonw *w)
{
	w->comma = false;
	bh__jsonw_piece(w, "}", 1, true);
}

void bh_jsonw_arr_begin(struct bh_jsonw *w)
{
	sep(w);
	putc_(w, '[');
	w->comma = false;
}

void bh_jsonw_arr_end(struct bh_jsonw *w)
{
	putc_(w, ']');
	w->comma = true;
}

/*
 * Length of the valid UTF-8 sequence at s (at most n bytes), or 0 when the
 * bytes there are not one (RFC 3629 table 4: no overlongs, no surrogates,
 * nothing above U+10FFFF).
 */
static size_t utf8_valid(const uint8_t *s, size_t n)
{
	uint8_t c = s[0];

	if (c >= 0xc2 && c <= 0xdf)
		return n >= 2 && (s[1] & 0xc0) == 0x80 ? 2 : 0;
	if (c >= 0xe0 && c <= 0xef) {
		uint8_t lo = c == 0xe0 ? 0xa0 : 0x80, hi = c == 0xed ? 0x9f : 0xbf;

		return n >= 3 && s[1] >= lo && s[1] <= hi && (s[2] & 0xc0) == 0x80 ? 3 : 0;
	}
	if (c >= 0xf0 && c <= 0xf4) {
		uint8_t lo = c == 0xf0 ? 0x90 : 0x80, hi = c == 0xf4 ? 0x8f : 0xbf;

		return n >= 4 && s[1] >= lo && s[1] <= hi && (s[2] & 0xc0) == 0x80 &&
		       (s[3] & 0xc0) == 0x80 ? 4 : 0;
	}
	return 0;
}

/*
 * Index of the first byte at or after i that is not plain ASCII to copy as
 * is (control, '"', '\\', >= 0x80), eight bytes at a time.
 */
static inline size_t plain_run(const uint8_t *s, size_t i, size_t n)
{
	const uint64_t ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL;

	while (i + 8 <= n) {
		uint64_t x, q, b;

		memcpy(&x, s + i, 8);
		q = x ^ (ones * '"');
		b = x ^ (ones * '\\');
		/* high bit set in a byte lane when that byte is < 0x20, '"', '\\' or >= 0x80 */
		if (((x - ones * 0x20) | (q - ones) | (b - ones) | x) & highs)
			break;
		i += 8;
	}
	while (i < n && !esc_class[s[i]])
		i++;
	return i;
}

static void put_escaped(struct bh_jsonw *w, const char *str, size_t n)
{
	const uint8_t *s = (const uint8_t *)str;
	size_t i = 0;

	/* Worst case is 6 output bytes per input byte (\u00XX); reserve it once. */
	if (n > (SIZE_MAX - 2) / 6) {
		w->err = -ENOMEM;
		return;
	}
	if (!reserve(w, n * 6 + 2))
		return;
	char *o = w->buf + w->len;

	*o++ = '"';
	while (i < n) {
		size_t run = plain_run(s, i, n);

		if (run > i) {
			memcpy(o, s + i, run - i);
			o += run - i;
			i = run;
			if (i == n)
				break;
		}
		uint8_t c = s[i];

		if (esc_class[c] == 2) {
			size_t l = utf8_valid(s + i, n - i);

			if (l) {
				memcpy(o, s + i, l);
				o += l;
				i += l;
			} else {
				/* U+FFFD REPLACEMENT CHARACTER */
				*o++ = (char)0xef;
				*o++ = (char)0xbf;
				*o++ = (char)0xbd;
				i++;
			}
			continue;
		}
		*o++ = '\\';
		switch (c) {
		case '"':  *o++ = '"'; break;
		case '\\': *o++ = '\\'; break;
		case '\b': *o++ = 'b'; break;
		case '\f': *o++ = 'f'; break;
		case '\n': *o++ = 'n'; break;
		case '\r': *o++ = 'r'; break;
		case '\t': *o++ = 't'; break;
		default:
			*o++ = 'u';
			*o++ = '0';
			*o++ = '0';
			*o++ = hexd[c >> 4];
			*o++ = hexd[c & 15];
		}
		i++;
	}
	*o++ = '"';
	w->len = (size_t)(o - w->buf);
}

void bh_jsonw_key(struct bh_jsonw *w, const char *key)
{
	sep(w);
	put_escaped(w, key, strlen(key));
	putc_(w, ':');
	w->comma = false;
}

void bh_jsonw_strn(struct bh_jsonw *w, const char *s, size_t n)
{
	sep(w);
	put_escaped(w, s, n);
	w->comma = true;
}

void bh_jsonw_str(struct bh_jsonw *w, const char *s)
{
	if (!s)
		bh_jsonw_null(w);
	else
		bh_jsonw_strn(w, s, strlen(s));
}

static size_t fmt_u64(char *out, uint64_t v)
{
	char tmp[20];
	size_t n = 0, i;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	for (i = 0; i < n; i++)
		out[i] = tmp[n - 1 - i];
	return n;
}

void bh_jsonw_uint(struct bh_jsonw *w, uint64_t v)
{
	sep(w);
	if (reserve(w, 20))
		w->len += fmt_u64(w->buf + w->len, v);
	w->comma = true;
}

void bh_jsonw_int(struct bh_jsonw *w, int64_t v)
{
	sep(w);
	if (reserve(w, 21)) {
		uint64_t u = (uint64_t)v;

		if (v < 0) {
			w->buf[w->len++] = '-';
			u = (uint64_t)0 - u;
		}
		w->len += fmt_u64(w->buf + w->len, u);
	}
	w->comma = true;
}

void bh_jsonw_bool(struct bh_jsonw *w, bool v)
{
	sep(w);
	if (v)
		put(w, "true", 4);
	else
		put(w, "false", 5);
	w->comma = true;
}

void bh_jsonw_null(struct bh_jsonw *w)
{
	sep(w);
	put(w, "null", 4);
	w->comma = true;
}

void bh_jsonw_addr(struct bh_jsonw *w, const struct bh_addr *a)
{
	char tmp[INET6_ADDRSTRLEN];

	sep(w);
	if (a->family == AF_INET) {
		/* Hand-rolled: inet_ntop costs more than the rest of the line. */
		if (reserve(w, 17)) {
			char *o = w->buf + w->len;
			int i;

			*o++ = '"';
			for (i = 0; i < 4; i++) {
				if (i)
					*o++ = '.';
				o += fmt_u64(o, a->a[i]);
			}
			*o++ = '"';
			w->len = (size_t)(o - w->buf);
		}
	} else if (a->family == AF_INET6 && inet_ntop(AF_INET6, a->a, tmp, sizeof(tmp))) {
		putc_(w, '"');
		put(w, tmp, strlen(tmp));
		putc_(w, '"');
	} else {
		put(w, "null", 4);
	}
	w->comma = true;
}

static inline char *put2(char *o, unsigned int v)
{
	o[0] = (char)('0' + v / 10 % 10);
	o[1] = (char)('0' + v % 10);
	return o + 2;
}

void bh_jsonw_time(struct bh_jsonw *w, int64_t sec, uint32_t usec)
{
	int i;

	if (usec > 999999)
		usec = 999999;
	if (sec != w->ts_sec) {
		/* gmtime_r per line would dominate; lines come in bursts of one second. */
		struct tm tm;
		time_t t = (time_t)sec;
		char *o = w->ts_text;
		unsigned int y;

		if (!gmtime_r(&t, &tm) || tm.tm_year + 1900 < 0 || tm.tm_year + 1900 > 9999) {
			memset(&tm, 0, sizeof(tm));
			tm.tm_year = 70;
			tm.tm_mday = 1;
		}
		y = (unsigned int)(tm.tm_year + 1900);
		o = put2(o, y / 100);
		o = put2(o, y % 100);
		*o++ = '-';
		o = put2(o, (unsigned int)tm.tm_mon + 1);
		*o++ = '-';
		o = put2(o, (unsigned int)tm.tm_mday);
		*o++ = 'T';
		o = put2(o, (unsigned int)tm.tm_hour);
		*o++ = ':';
		o = put2(o, (unsigned int)tm.tm_min);
		*o++ = ':';
		o = put2(o, (unsigned int)tm.tm_sec);
		*o = '\0';
		w->ts_sec = sec;
	}
	sep(w);
	if (reserve(w, 30)) {
		char *o = w->buf + w->len;

		*o++ = '"';
		memcpy(o, w->ts_text, 19);
		o += 19;
		*o++ = '.';
		for (i = 5; i >= 0; i--) {
			o[i] = (char)('0' + usec % 10);
			usec /= 10;
		}
		o += 6;
		*o++ = 'Z';
		*o++ = '"';
		w->len = (size_t)(o - w->buf);
	}
	w->comma = true;
}

void bh_jsonw_kv_str(struct bh_jsonw *w, const char *key, const char *s)
{
	bh_jsonw_key(w, key);
	bh_jsonw_str(w, s);
}

void bh_jsonw_kv_int(struct bh_jsonw *w, const char *key, int64_t v)
{
	bh_jsonw_key(w, key);
	bh_jsonw_int(w, v);
}

void bh_jsonw_kv_uint(struct bh_jsonw *w, const char *key, uint64_t v)
{
	bh_jsonw_key(w, key);
	bh_jsonw_uint(w, v);
}

void bh_jsonw_kv_bool(struct bh_jsonw *w, const char *key, bool v)
{
	bh_jsonw_key(w, key);
	bh_jsonw_bool(w, v);
}

void bh_jsonw_kv_obj_begin(struct bh_jsonw *w, const char *key)
{
	bh_jsonw_key(w, key);
	bh_jsonw_obj_begin(w);
}

void bh_jsonw_kv_arr_begin(struct bh_jsonw *w, const char *key)
{
	bh_jsonw_key(w, key);
	bh_jsonw_arr_begin(w);
}

int bh_jsonw_line_end(struct bh_jsonw *w)
{
	putc_(w, '\n');
	w->comma = false;
	return w->err;
}
