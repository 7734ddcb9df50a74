/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef BH_JSONW_H
#define BH_JSONW_H

/*
 * Append-only JSON writer into a growable buffer owned by the writer
 * object (embed it; init/deinit). Once the buffer has grown to the size of
 * a typical line nothing is allocated any more: bh_jsonw_reset() keeps it.
 *
 * Commas and colons are placed automatically: call bh_jsonw_key() before
 * every value inside an object. Errors are sticky: after a failed
 * allocation every call is a no-op and bh_jsonw_err() returns -ENOMEM, so
 * callers check once at the end of a line.
 *
 * Strings are escaped exactly as RFC 8259 requires ('"', '\\', control
 * characters as \b \f \n \r \t or \u00XX) and invalid UTF-8 (overlong forms,
 * surrogates, code points above U+10FFFF, stray or cut continuation bytes)
 * is replaced by U+FFFD, one replacement per offending byte, so any input
 * produces valid JSON text.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct bh_addr;

struct bh_jsonw {
	char *buf;
	size_t len;
	size_t cap;
	int err;		/* 0 or -ENOMEM, sticky until reset */
	bool comma;		/* the next key or value needs a ',' first */
	int64_t ts_sec;		/* cached "YYYY-MM-DDTHH:MM:SS" of ts_sec */
	char ts_text[24];
};

void bh_jsonw_init(struct bh_jsonw *w);
/* Frees the buffer; w can be init'ed again. */
void bh_jsonw_deinit(struct bh_jsonw *w);
/* Empties the buffer (keeps its memory) and clears the error. */
void bh_jsonw_reset(struct bh_jsonw *w);
/* 0, or -ENOMEM when something could not be written since the last reset. */
static inline int bh_jsonw_err(const struct bh_jsonw *w) { return w->err; }

void bh_jsonw_obj_begin(struct bh_jsonw *w);
void bh_jsonw_obj_end(struct bh_jsonw *w);
void bh_jsonw_arr_begin(struct bh_jsonw *w);
void bh_jsonw_arr_end(struct bh_jsonw *w);
/* key is escaped like any string. */
void bh_jsonw_key(struct bh_jsonw *w, const char *key);

void bh_jsonw_str(struct bh_jsonw *w, const char *s);	/* NULL writes null */
void bh_jsonw_strn(struct bh_jsonw *w, const char *s, size_t n);
void bh_jsonw_int(struct bh_jsonw *w, int64_t v);
void bh_jsonw_uint(struct bh_jsonw *w, uint64_t v);
void bh_jsonw_bool(struct bh_jsonw *w, bool v);
void bh_jsonw_null(struct bh_jsonw *w);
/* An address as a string: dotted quad or RFC 5952 IPv6. */
void bh_jsonw_addr(struct bh_jsonw *w, const struct bh_addr *a);
/* RFC 3339 UTC with microseconds: "2026-11-29T02:40:35.123456Z". */
void bh_jsonw_time(struct bh_jsonw *w, int64_t sec, uint32_t usec);
/* Appends raw bytes as they are (caller guarantees valid JSON). */
void bh_jsonw_raw(struct bh_jsonw *w, const char *s, size_t n);

/*
 * Literal pieces that need no escaping, spelled at compile time:
 * BH_JSONW_KEY(w, "name") writes "name": and BH_JSONW_LIT(w, "text")
 * writes the value "text", both with a single copy.
 */
/* Internal: grows the buffer for n more bytes; false (and the sticky error) on failure. */
bool bh__jsonw_grow(struct bh_jsonw *w, size_t n);

static inline bool bh__jsonw_room(struct bh_jsonw *w, size_t n)
{
	if (__builtin_expect(w->cap - w->len >= n && !w->err, 1))
		return true;
	return bh__jsonw_grow(w, n);
}

/* Inline so that literal pieces become a few stores rather than a call and a memcpy. */
static inline void bh__jsonw_piece(struct bh_jsonw *w, const char *s, size_t n, bool comma_after)
{
	if (!bh__jsonw_room(w, n + 1))
		return;
	if (w->comma)
		w->buf[w->len++] = ',';
	__builtin_memcpy(w->buf + w->len, s, n);
	w->len += n;
	w->comma = comma_after;
}

static inline void bh_jsonw_key_raw(struct bh_jsonw *w, const char *quoted_colon, size_t n)
{
	bh__jsonw_piece(w, quoted_colon, n, false);
}

static inline void bh_jsonw_val_raw(struct bh_jsonw *w, const char *json, size_t n)
{
	bh__jsonw_piece(w, json, n, true);
}
#define BH_JSONW_KEY(w, lit) bh_jsonw_key_raw((w), "\"" lit "\":", sizeof("\"" lit "\":") - 1)
#define BH_JSONW_LIT(w, lit) bh_jsonw_val_raw((w), "\"" lit "\"", sizeof("\"" lit "\"") - 1)

/* key + value shorthands */
void bh_jsonw_kv_str(struct bh_jsonw *w, const char *key, const char *s);
void bh_jsonw_kv_int(struct bh_jsonw *w, const char *key, int64_t v);
void bh_jsonw_kv_uint(struct bh_jsonw *w, const char *key, uint64_t v);
void bh_jsonw_kv_bool(struct bh_jsonw *w, const char *key, bool v);
void bh_jsonw_kv_obj_begin(struct bh_jsonw *w, const char *key);
void bh_jsonw_kv_arr_begin(struct bh_jsonw *w, const char *key);

/*
 * Ends a line: appends '\n' and resets the comma state so another object
 * can follow in the same buffer. Returns 0 or -ENOMEM (the sticky error).
 */
int bh_jsonw_line_end(struct bh_jsonw *w);

#endif
