// SPDX-License-Identifier: GPL-2.0-or-later
/* JSON writer: every output is parsed back with jansson. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <cmocka.h>
#include <jansson.h>

#include "log/jsonw.h"
#include "policy/model.h"

/* Parse w's buffer (one line) with jansson; fails the test when it is not JSON. */
static json_t *parse(struct bh_jsonw *w)
{
	json_error_t err;
	json_t *j;

	assert_int_equal(bh_jsonw_err(w), 0);
	assert_true(w->len > 0);
	assert_int_equal(w->buf[w->len - 1], '\n');
	j = json_loadb(w->buf, w->len - 1, JSON_ALLOW_NUL, &err);
	if (!j)
		fail_msg("not JSON (%s): %.*s", err.text, (int)w->len, w->buf);
	return j;
}

static void test_nested(void **state)
{
	struct bh_jsonw w;
	json_t *j;
	struct bh_addr a4 = { .family = AF_INET, .a = { 10, 0, 0, 21 } };
	struct bh_addr a6 = { .family = AF_INET6, .a = { 0xfd, [15] = 1 } };

	bh_jsonw_init(&w);
	bh_jsonw_obj_begin(&w);
	bh_jsonw_kv_str(&w, "a", "b");
	bh_jsonw_kv_int(&w, "neg", INT64_MIN);
	bh_jsonw_kv_uint(&w, "big", 9007199254740991ULL);
	bh_jsonw_kv_bool(&w, "t", true);
	bh_jsonw_kv_bool(&w, "f", false);
	bh_jsonw_key(&w, "n");
	bh_jsonw_null(&w);
	bh_jsonw_kv_obj_begin(&w, "o");
	bh_jsonw_kv_arr_begin(&w, "arr");
	bh_jsonw_str(&w, "x");
	bh_jsonw_int(&w, 0);
	bh_jsonw_obj_begin(&w);
	bh_jsonw_obj_end(&w);
	bh_jsonw_arr_begin(&w);
	bh_jsonw_arr_end(&w);
	bh_jsonw_addr(&w, &a4);
	bh_jsonw_addr(&w, &a6);
	bh_jsonw_arr_end(&w);
	bh_jsonw_obj_end(&w);
	bh_jsonw_kv_str(&w, "null", NULL);
	bh_jsonw_obj_end(&w);
	assert_int_equal(bh_jsonw_line_end(&w), 0);
	j = parse(&w);
	assert_string_equal(json_string_value(json_object_get(j, "a")), "b");
	assert_true(json_integer_value(json_object_get(j, "neg")) == INT64_MIN);
	assert_true(json_integer_value(json_object_get(j, "big")) == 9007199254740991LL);
	assert_true(json_is_true(json_object_get(j, "t")));
	assert_true(json_is_false(json_object_get(j, "f")));
	assert_true(json_is_null(json_object_get(j, "n")));
	assert_true(json_is_null(json_object_get(j, "null")));
	json_t *arr = json_object_get(json_object_get(j, "o"), "arr");
	assert_int_equal(json_array_size(arr), 6);
	assert_string_equal(json_string_value(json_array_get(arr, 4)), "10.0.0.21");
	assert_string_equal(json_string_value(json_array_get(arr, 5)), "fd00::1");
	json_decref(j);

	/* a second line in the same buffer after reset */
	bh_jsonw_reset(&w);
	bh_jsonw_obj_begin(&w);
	bh_jsonw_kv_int(&w, "k", -5);
	bh_jsonw_obj_end(&w);
	bh_jsonw_line_end(&w);
	assert_int_equal(w.len, 9);
	assert_memory_equal(w.buf, "{\"k\":-5}\n", 9);
	bh_jsonw_deinit(&w);
}

/* Writes one {"k": s} line and returns the string jansson reads back (caller frees). */
static char *roundtrip(const char *s, size_t n, size_t *out_len)
{
	struct bh_jsonw w;
	json_t *j;
	char *r;

	bh_jsonw_init(&w);
	bh_jsonw_obj_begin(&w);
	bh_jsonw_key(&w, "k");
	bh_jsonw_strn(&w, s, n);
	bh_jsonw_obj_end(&w);
	bh_jsonw_line_end(&w);
	/* no raw control characters may remain */
	for (size_t i = 0; i + 1 < w.len; i++)
		assert_true((unsigned char)w.buf[i] >= 0x20);
	j = parse(&w);
	json_t *v = json_object_get(j, "k");
	assert_non_null(v);
	*out_len = json_string_length(v);
	r = malloc(*out_len + 1);
	memcpy(r, json_string_value(v), *out_len + 1);
	json_decref(j);
	bh_jsonw_deinit(&w);
	return r;
}

static void test_escapes(void **state)
{
	const char in[] = "q\"b\\s/\b\f\n\r\t\x01\x1f\x7f end";
	size_t n;
	char *r = roundtrip(in, sizeof(in) - 1, &n);

	assert_int_equal(n, sizeof(in) - 1);
	assert_memory_equal(r, in, n);
	free(r);

	/* embedded NUL survives as \u0000 */
	r = roundtrip("a\0b", 3, &n);
	assert_int_equal(n, 3);
	assert_memory_equal(r, "a\0b", 3);
	free(r);

	struct bh_jsonw w;

	bh_jsonw_init(&w);
	bh_jsonw_str(&w, "\x01\t");
	assert_int_equal(w.len, 10);
	assert_memory_equal(w.buf, "\"\\u0001\\t\"", 10);
	bh_jsonw_deinit(&w);
}

static void test_utf8(void **state)
{
	static const struct {
		const char *in;
		const char *out;
	} cases[] = {
		{ "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80" },
		{ "\xff", "\xef\xbf\xbd" },
		{ "a\x80z", "a\xef\xbf\xbdz" },
		{ "\xc0\xaf", "\xef\xbf\xbd\xef\xbf\xbd" },		/* overlong '/' */
		{ "\xe0\x80\xaf", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" },	/* overlong */
		{ "\xed\xa0\x80", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" },	/* surrogate D800 */
		{ "\xf4\x90\x80\x80", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" },	/* > U+10FFFF */
		{ "\xe2\x82", "\xef\xbf\xbd\xef\xbf\xbd" },		/* cut at the end */
		{ "\xf0\x9f\x98", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" },
		{ "\xe2\x82x", "\xef\xbf\xbd\xef\xbf\xbdx" },
		{ "\xef\xbf\xbf", "\xef\xbf\xbf" },			/* U+FFFF is a valid scalar */
		{ "\xf4\x8f\xbf\xbf", "\xf4\x8f\xbf\xbf" },		/* U+10FFFF */
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t n;
		char *r = roundtrip(cases[i].in, strlen(cases[i].in), &n);

		assert_int_equal(n, strlen(cases[i].out));
		assert_memory_equal(r, cases[i].out, n);
		free(r);
	}
}

/* Random bytes as keys and values: always valid JSON, always valid UTF-8. */
static void test_random_strings(void **state)
{
	unsigned int seed = 7;
	struct bh_jsonw w;

	bh_jsonw_init(&w);
	for (int round = 0; round < 3000; round++) {
		char s[64], k[16];
		size_t n = (size_t)rand_r(&seed) % sizeof(s);

		for (size_t i = 0; i < n; i++)
			s[i] = (char)rand_r(&seed);
		for (size_t i = 0; i + 1 < sizeof(k); i++)
			k[i] = (char)(1 + rand_r(&seed) % 255);
		k[sizeof(k) - 1] = 0;
		bh_jsonw_reset(&w);
		bh_jsonw_obj_begin(&w);
		bh_jsonw_key(&w, k);
		bh_jsonw_strn(&w, s, n);
		bh_jsonw_obj_end(&w);
		bh_jsonw_line_end(&w);
		json_decref(parse(&w));
	}
	bh_jsonw_deinit(&w);
}

static void test_time(void **state)
{
	struct bh_jsonw w;

	bh_jsonw_init(&w);
	bh_jsonw_time(&w, 1795920035, 123456);	/* 2026-11-29T02:40:35 */
	bh_jsonw_time(&w, 1795920035, 7);	/* cached second */
	bh_jsonw_time(&w, 0, 0);
	bh_jsonw_time(&w, 951782400, 999999);	/* 2000-02-29 */
	const char want[] = "\"2026-11-29T02:40:35.123456Z\",\"2026-11-29T02:40:35.000007Z\","
			    "\"1970-01-01T00:00:00.000000Z\",\"2000-02-29T00:00:00.999999Z\"";

	assert_int_equal(w.len, sizeof(want) - 1);
	assert_memory_equal(w.buf, want, w.len);
	bh_jsonw_deinit(&w);
}

static void test_growth_and_reuse(void **state)
{
	struct bh_jsonw w;
	char big[10000];
	char *first;

	memset(big, 'x', sizeof(big));
	bh_jsonw_init(&w);
	bh_jsonw_obj_begin(&w);
	bh_jsonw_key(&w, "big");
	bh_jsonw_strn(&w, big, sizeof(big));
	bh_jsonw_obj_end(&w);
	bh_jsonw_line_end(&w);
	json_decref(parse(&w));
	first = w.buf;
	/* a warm writer does not reallocate for lines that fit */
	for (int i = 0; i < 100; i++) {
		bh_jsonw_reset(&w);
		bh_jsonw_obj_begin(&w);
		bh_jsonw_kv_str(&w, "k", "v");
		bh_jsonw_obj_end(&w);
		bh_jsonw_line_end(&w);
	}
	assert_ptr_equal(w.buf, first);
	bh_jsonw_deinit(&w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nested),
		cmocka_unit_test(test_escapes),
		cmocka_unit_test(test_utf8),
		cmocka_unit_test(test_random_strings),
		cmocka_unit_test(test_time),
		cmocka_unit_test(test_growth_and_reuse),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
