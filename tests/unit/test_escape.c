// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Escaping of input text before it reaches a terminal (policy/diag.h):
 * every byte value alone, UTF-8 edge cases, truncation, and the printed
 * diagnostics themselves.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "policy/diag.h"

static char *esc(const char *s)
{
	static char buf[4096];

	assert_true(bh_diag_escape(buf, sizeof(buf), s) < sizeof(buf));
	return buf;
}

/* Nothing a terminal acts on survives: no C0, no DEL, no byte >= 0x80 outside valid UTF-8. */
static void assert_terminal_safe(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	for (; *p; p++) {
		assert_false(*p < 0x20 || *p == 0x7f);
		assert_false(*p == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f);	/* U+0080..U+009F */
	}
}

static void test_escape_examples(void **state)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{ "plain text: a-b_c.d/e", "plain text: a-b_c.d/e" },
		{ "", "" },
		{ "\x1b[1A\x1b[2K\rok", "\\x1b[1A\\x1b[2K\\rok" },
		{ "tab\tnl\ncr\r", "tab\\tnl\\ncr\\r" },
		{ "bell\a del\x7f", "bell\\x07 del\\x7f" },
		{ "back\\slash", "back\\\\slash" },
		{ "\\x1b is text", "\\\\x1b is text" },	/* not confused with an escape */
		{ "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x90\xb3", "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x90\xb3" },
		{ "c1 \xc2\x9b" "31m", "c1 \\u009b31m" },		/* CSI as UTF-8 */
		{ "raw c1 \x9b" "31m", "raw c1 \\x9b31m" },		/* CSI as a raw 8-bit byte */
		{ "rlo \xe2\x80\xae x", "rlo \\u202e x" },
		{ "iso \xe2\x81\xa6 pdi \xe2\x81\xa9", "iso \\u2066 pdi \\u2069" },
		{ "ls \xe2\x80\xa8", "ls \\u2028" },
		{ "nbsp \xc2\xa0 ok", "nbsp \xc2\xa0 ok" },
		{ "overlong \xc0\xaf", "overlong \\xc0\\xaf" },
		{ "overlong3 \xe0\x80\xaf", "overlong3 \\xe0\\x80\\xaf" },
		{ "surrogate \xed\xa0\x80", "surrogate \\xed\\xa0\\x80" },
		{ "too big \xf4\x90\x80\x80", "too big \\xf4\\x90\\x80\\x80" },
		{ "truncated \xe2\x82", "truncated \\xe2\\x82" },
		{ "stray \x80\xbf", "stray \\x80\\xbf" },
		{ "\xff\xfe", "\\xff\\xfe" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *got = esc(cases[i].in);

		if (strcmp(got, cases[i].out))
			fail_msg("case %zu: escaped \"%s\", want \"%s\"", i, got, cases[i].out);
		assert_terminal_safe(got);
	}
	assert_string_equal(esc(NULL), "");
}

/* Every single byte, and every pair, comes out terminal-safe and decodes back. */
static size_t unescape(const char *s, unsigned char *out)
{
	size_t n = 0;

	while (*s) {
		if (*s != '\\') {
			out[n++] = (unsigned char)*s++;
			continue;
		}
		s++;
		switch (*s) {
		case '\\': out[n++] = '\\'; s++; break;
		case 't': out[n++] = '\t'; s++; break;
		case 'n': out[n++] = '\n'; s++; break;
		case 'r': out[n++] = '\r'; s++; break;
		case 'x': {
			unsigned int v;

			assert_int_equal(sscanf(s + 1, "%2x", &v), 1);
			out[n++] = (unsigned char)v;
			s += 3;
			break;
		}
		case 'u': {
			unsigned int cp;

			assert_int_equal(sscanf(s + 1, "%4x", &cp), 1);
			if (cp < 0x800) {
				out[n++] = (unsigned char)(0xc0 | cp >> 6);
			} else {
				out[n++] = (unsigned char)(0xe0 | cp >> 12);
				out[n++] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
			}
			out[n++] = (unsigned char)(0x80 | (cp & 0x3f));
			s += 5;
			break;
		}
		default:
			fail_msg("unknown escape \\%c", *s);
		}
	}
	return n;
}

static void test_escape_every_byte_roundtrips(void **state)
{
	unsigned char in[3] = { 0 }, back[64];

	for (unsigned int a = 1; a < 256; a++) {
		for (unsigned int b = 0; b < 256; b++) {
			const char *got;

			in[0] = (unsigned char)a;
			in[1] = (unsigned char)b;
			got = esc((const char *)in);
			assert_terminal_safe(got);
			assert_int_equal(unescape(got, back), b ? 2 : 1);
			assert_memory_equal(back, in, b ? 2 : 1);
		}
	}
}

static void test_escape_truncates_between_escapes(void **state)
{
	const char *in = "ab\x1b[2Kcd";	/* escaped: ab\x1b[2Kcd (11 bytes) */
	char buf[16];

	assert_int_equal(bh_diag_escape(NULL, 0, in), 11);
	for (size_t cap = 1; cap <= sizeof(buf); cap++) {
		size_t need;

		memset(buf, 'Z', sizeof(buf));
		need = bh_diag_escape(buf, cap, in);
		assert_int_equal(need, 11);
		assert_true(strlen(buf) < cap);
		assert_memory_equal(buf, "ab\\x1b[2Kcd", strlen(buf));
		/* a cut never leaves half an escape behind */
		assert_true(strlen(buf) <= 2 || strlen(buf) >= 6);
	}
	{
		char *d = bh_diag_escape_dup(in);

		assert_string_equal(d, "ab\\x1b[2Kcd");
		free(d);
	}
	assert_null(bh_diag_escape_dup(NULL));
}

static void test_diag_print_escapes(void **state)
{
	static const char want[] = "evil\\x1b]0;t\\x07.yaml:3:5: error: spec.\\x1b[1A\\x1b[2K\\rok: "
				   "unknown field\nerror: kkk";
	struct bh_diag d;
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	char big[3000];

	memset(big, 'k', sizeof(big) - 2);
	big[sizeof(big) - 2] = '\x1b';
	big[sizeof(big) - 1] = 0;
	bh_diag_init(&d);
	bh_diag_add(&d, &(struct bh_loc){ "evil\x1b]0;t\a.yaml", 3, 5 },
		    "spec.%s: unknown field", "\x1b[1A\x1b[2K\rok");
	bh_diag_add(&d, NULL, "%s", big);	/* longer than the print buffer */
	bh_diag_print(&d, f);
	fclose(f);
	assert_non_null(text);
	assert_true(len > strlen(want));
	assert_memory_equal(text, want, strlen(want));
	assert_non_null(strstr(text, "kk\\x1b\n"));
	assert_null(strchr(text, '\x1b'));
	assert_null(strchr(text, '\r'));
	free(text);
	bh_diag_deinit(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escape_examples),
		cmocka_unit_test(test_escape_every_byte_roundtrips),
		cmocka_unit_test(test_escape_truncates_between_escapes),
		cmocka_unit_test(test_diag_print_escapes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
