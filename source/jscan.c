// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The streaming JSON scanner (source/jscan.h): one byte at a time through
 * a small state machine, so a chunk may end anywhere (inside a string, an
 * escape, a number). Memory is the struct itself: nesting, the keys of the
 * first BH_JSCAN_DEPTH levels and the value being reported.
 */
#include <errno.h>
#include <string.h>

#include "source/jscan.h"

enum {
	S_VALUE,	/* a value is due */
	S_ARR_FIRST,	/* after '[': a value or ']' */
	S_OBJ_FIRST,	/* after '{': a key or '}' */
	S_OBJ_KEY,	/* after ',' in an object: a key */
	S_COLON,	/* after a key */
	S_AFTER,	/* after a value: ',' or the closing bracket (or the end) */
	S_STR,		/* inside a string */
	S_ESC,		/* after '\' */
	S_HEX,		/* inside \uXXXX */
	S_LIT,		/* a number, true, false or null */
	S_ERROR,
};

void bh_jscan_init(struct bh_jscan *s, const struct bh_jscan_path *paths, size_t n_paths,
		   bh_jscan_cb cb, void *arg)
{
	memset(s, 0, sizeof(*s));
	s->paths = paths;
	s->n_paths = n_paths;
	s->cb = cb;
	s->arg = arg;
	s->state = S_VALUE;
	s->slot = -1;
}

/* Does the value about to start sit at one of the paths? Its index or -1. */
static long slot_of(const struct bh_jscan *s)
{
	if (!s->depth || s->depth > BH_JSCAN_DEPTH)
		return -1;
	for (size_t p = 0; p < s->n_paths; p++) {
		const char *const *k = s->paths[p].k;
		unsigned int i;

		for (i = 0; i < s->depth && k[i]; i++) {
			if (!strcmp(k[i], "*"))
				continue;
			if (s->kind[i] != '{' || s->key_bad[i] || strcmp(k[i], s->key[i]))
				break;
		}
		if (i == s->depth && !k[i])
			return (long)p;
	}
	return -1;
}

static void put_byte(struct bh_jscan *s, uint8_t c)
{
	if (s->in_key) {
		if (s->depth > BH_JSCAN_DEPTH)
			return;		/* deeper keys are never compared */
		if (c && s->key_len < BH_JSCAN_KEY)
			s->key[s->depth - 1][s->key_len++] = (char)c;
		else
			s->key_long = true;	/* too long, or a NUL: matches no path */
		return;
	}
	if (s->slot < 0)
		return;
	if (s->val_len < BH_JSCAN_VALUE)
		s->val[s->val_len++] = (char)c;
	else
		s->val_cut = true;
}

static void put_code(struct bh_jscan *s, uint32_t u)
{
	if (u < 0x80) {
		put_byte(s, (uint8_t)u);
	} else if (u < 0x800) {
		put_byte(s, (uint8_t)(0xc0 | u >> 6));
		put_byte(s, (uint8_t)(0x80 | (u & 0x3f)));
	} else if (u < 0x10000) {
		put_byte(s, (uint8_t)(0xe0 | u >> 12));
		put_byte(s, (uint8_t)(0x80 | ((u >> 6) & 0x3f)));
		put_byte(s, (uint8_t)(0x80 | (u & 0x3f)));
	} else {
		put_byte(s, (uint8_t)(0xf0 | u >> 18));
		put_byte(s, (uint8_t)(0x80 | ((u >> 12) & 0x3f)));
		put_byte(s, (uint8_t)(0x80 | ((u >> 6) & 0x3f)));
		put_byte(s, (uint8_t)(0x80 | (u & 0x3f)));
	}
}

/* A high surrogate not followed by its low half stands for U+FFFD. */
static void flush_surrogate(struct bh_jscan *s)
{
	if (s->hi_surrogate) {
		put_code(s, 0xfffd);
		s->hi_surrogate = 0;
	}
}

static void put_escape_u(struct bh_jscan *s, uint32_t u)
{
	if (u >= 0xd800 && u < 0xdc00) {
		flush_surrogate(s);
		s->hi_surrogate = u;
	} else if (u >= 0xdc00 && u < 0xe000) {
		if (s->hi_surrogate)
			put_code(s, 0x10000 + ((s->hi_surrogate - 0xd800) << 10) + (u - 0xdc00));
		else
			put_code(s, 0xfffd);
		s->hi_surrogate = 0;
	} else {
		flush_surrogate(s);
		put_code(s, u);
	}
}

static void value_begin(struct bh_jscan *s)
{
	s->slot = slot_of(s);
	s->val_len = 0;
	s->val_cut = false;
}

static void value_end(struct bh_jscan *s, bool is_string)
{
	if (s->slot >= 0) {
		s->val[s->val_len] = 0;
		s->cb(s->arg, (size_t)s->slot, s->val, s->val_len, is_string, s->val_cut);
	}
	s->slot = -1;
	s->state = S_AFTER;
}

static void string_begin(struct bh_jscan *s, bool key)
{
	s->in_key = key;
	s->hi_surrogate = 0;
	if (key) {
		s->key_len = 0;
		s->key_long = false;
	}
	s->state = S_STR;
}

static void string_end(struct bh_jscan *s)
{
	flush_surrogate(s);
	if (s->in_key) {
		s->in_key = false;
		if (s->depth <= BH_JSCAN_DEPTH) {
			s->key[s->depth - 1][s->key_len] = 0;
			s->key_bad[s->depth - 1] = s->key_long;
		}
		s->state = S_COLON;
		return;
	}
	value_end(s, true);
}

static bool is_ws(uint8_t c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static bool is_lit(uint8_t c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       c == '-' || c == '+' || c == '.';
}

static int hexval(uint8_t c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

static int push(struct bh_jscan *s, uint8_t kind)
{
	if (s->depth >= BH_JSCAN_NEST)
		return -1;
	s->kind[s->depth++] = kind;
	if (s->depth <= BH_JSCAN_DEPTH) {
		s->key[s->depth - 1][0] = 0;
		s->key_bad[s->depth - 1] = false;
	}
	s->state = kind == '{' ? S_OBJ_FIRST : S_ARR_FIRST;
	return 0;
}

/* A value starts with c. */
static int value_start(struct bh_jscan *s, uint8_t c)
{
	if (c == '{' || c == '[')
		return push(s, c);
	value_begin(s);
	if (c == '"') {
		string_begin(s, false);
		return 0;
	}
	if (c == '-' || (c >= '0' && c <= '9') || c == 't' || c == 'f' || c == 'n') {
		put_byte(s, c);
		s->state = S_LIT;
		return 0;
	}
	return -1;
}

/* One byte; -1 when the text cannot be JSON. */
static int step(struct bh_jscan *s, uint8_t c)
{
	static const char esc_from[] = "\"\\/bfnrt", esc_to[] = "\"\\/\b\f\n\r\t";
	const char *e;
	int h;

	switch (s->state) {
	case S_STR:
		if (c == '"') {
			string_end(s);
		} else if (c == '\\') {
			s->state = S_ESC;
		} else if (c < 0x20) {
			return -1;
		} else {
			flush_surrogate(s);
			put_byte(s, c);
		}
		return 0;
	case S_ESC:
		if (c == 'u') {
			s->u = 0;
			s->u_digits = 0;
			s->state = S_HEX;
			return 0;
		}
		if (!c || !(e = strchr(esc_from, c)))
			return -1;
		flush_surrogate(s);
		put_byte(s, (uint8_t)esc_to[e - esc_from]);
		s->state = S_STR;
		return 0;
	case S_HEX:
		if ((h = hexval(c)) < 0)
			return -1;
		s->u = s->u << 4 | (uint32_t)h;
		if (++s->u_digits == 4) {
			put_escape_u(s, s->u);
			s->state = S_STR;
		}
		return 0;
	case S_LIT:
		if (is_lit(c)) {
			put_byte(s, c);
			return 0;
		}
		value_end(s, false);
		return step(s, c);	/* the byte after the literal */
	default:
		break;
	}
	if (is_ws(c))
		return 0;
	switch (s->state) {
	case S_VALUE:
		return value_start(s, c);
	case S_ARR_FIRST:
		if (c == ']')
			goto close;
		return value_start(s, c);
	case S_OBJ_FIRST:
		if (c == '}')
			goto close;
		/* fall through */
	case S_OBJ_KEY:
		if (c != '"')
			return -1;
		string_begin(s, true);
		return 0;
	case S_COLON:
		if (c != ':')
			return -1;
		s->state = S_VALUE;
		return 0;
	case S_AFTER:
		if (!s->depth)
			return -1;	/* something after the document */
		if (c == ',') {
			s->state = s->kind[s->depth - 1] == '{' ? S_OBJ_KEY : S_VALUE;
			return 0;
		}
		if (c == (s->kind[s->depth - 1] == '{' ? '}' : ']'))
			goto close;
		return -1;
	default:
		return -1;
	}
close:
	s->depth--;
	s->state = S_AFTER;
	return 0;
}

int bh_jscan_feed(struct bh_jscan *s, const char *buf, size_t len)
{
	for (size_t i = 0; i < len && s->state != S_ERROR; i++)
		if (step(s, (uint8_t)buf[i]) < 0)
			s->state = S_ERROR;
	s->bytes += len;
	return s->state == S_ERROR ? -EINVAL : 0;
}

int bh_jscan_end(const struct bh_jscan *s)
{
	/* a number at the very end of the text ends with the text */
	if (s->state == S_LIT && !s->depth)
		return 0;
	return s->state == S_AFTER && !s->depth ? 0 : -EINVAL;
}
