// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The streaming JSON scanner: the values at the caller's paths, the same
 * whatever the chunking (down to one byte at a time), escapes decoded as
 * jansson decodes them, long values cut, a 20 MiB document scanned in
 * constant memory, and text that is not JSON refused.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <jansson.h>

#include "source/jscan.h"

#define MAXV 8

struct got {
	char v[MAXV][BH_JSCAN_VALUE + 1];
	size_t len[MAXV];
	int n[MAXV];
	bool str[MAXV], cut[MAXV];
	char order[64][16];
	int n_order;
};

static void on_val(void *arg, size_t slot, const char *val, size_t len, bool is_string, bool cut)
{
	struct got *g = arg;

	assert_true(slot < MAXV);
	memcpy(g->v[slot], val, len + 1);
	g->len[slot] = len;
	g->n[slot]++;
	g->str[slot] = is_string;
	g->cut[slot] = cut;
	if (g->n_order < 64)
		snprintf(g->order[g->n_order++], 16, "%.15s", val);
}

static const struct bh_jscan_path inspect_paths[] = {
	{ { "Id" } },
	{ { "State", "Running" } },
	{ { "NetworkSettings", "SandboxKey" } },
	{ { "Config", "Labels", "bulkhead.io/name" } },
	{ { "Config", "Labels", "a&b" } },
	{ { "Created" } },
};
#define N_INSPECT (sizeof(inspect_paths) / sizeof(inspect_paths[0]))

static const char inspect_doc[] =
	"{\"Id\":\"abc123\",\"Created\":\"2024-05-01T10:20:30.5Z\",\n"
	" \"State\":{\"Status\":\"running\",\"Running\":true,\"Pid\":42},\n"
	" \"Name\":\"/web\",\"Args\":[\"x\",{\"Id\":\"not this one\"}],\n"
	" \"Config\":{\"Env\":[\"A=1\"],\"Labels\":{\"bulkhead.io/name\":\"caf\\u00e9 \\ud83d\\ude00\\n\\\"q\\\"\",\n"
	"   \"a\\u0026b\":\"\\u003cv\\u003e\",\"other\":\"x\"}},\n"
	" \"NetworkSettings\":{\"Networks\":{\"n\":{\"IPAddress\":\"10.0.0.2\"}},\"SandboxKey\":\"/var/run/docker/netns/1\"}}";

/* What jansson says is at the path. */
static const char *jansson_at(const json_t *root, const struct bh_jscan_path *p)
{
	const json_t *v = root;

	for (int i = 0; p->k[i]; i++)
		v = json_object_get(v, p->k[i]);
	return json_is_string(v) ? json_string_value(v) : json_is_true(v) ? "true" : NULL;
}

static void scan_chunked(const char *doc, size_t len, size_t chunk, struct got *g,
			 const struct bh_jscan_path *paths, size_t n)
{
	struct bh_jscan *s = malloc(sizeof(*s));

	assert_non_null(s);
	memset(g, 0, sizeof(*g));
	bh_jscan_init(s, paths, n, on_val, g);
	for (size_t off = 0; off < len; off += chunk)
		assert_int_equal(bh_jscan_feed(s, doc + off, off + chunk > len ? len - off : chunk), 0);
	assert_int_equal(bh_jscan_end(s), 0);
	free(s);
}

static void test_inspect_paths_any_chunking(void **state)
{
	json_t *root = json_loads(inspect_doc, 0, NULL);
	struct got *whole = malloc(sizeof(*whole)), *g = malloc(sizeof(*g));

	assert_non_null(root);
	scan_chunked(inspect_doc, strlen(inspect_doc), strlen(inspect_doc), whole, inspect_paths, N_INSPECT);
	for (size_t i = 0; i < N_INSPECT; i++) {
		const char *want = jansson_at(root, &inspect_paths[i]);

		assert_non_null(want);
		assert_int_equal(whole->n[i], 1);
		assert_string_equal(whole->v[i], want);
		assert_false(whole->cut[i]);
	}
	assert_false(whole->str[1]);	/* Running: a literal */
	assert_true(whole->str[0]);
	for (size_t chunk = 1; chunk < 40; chunk++) {
		scan_chunked(inspect_doc, strlen(inspect_doc), chunk, g, inspect_paths, N_INSPECT);
		for (size_t i = 0; i < N_INSPECT; i++) {
			assert_int_equal(g->n[i], 1);
			assert_string_equal(g->v[i], whole->v[i]);
		}
	}
	json_decref(root);
	free(whole);
	free(g);
}

static void test_array_wildcard(void **state)
{
	static const struct bh_jscan_path ids[] = { { { "*", "Id" } } };
	static const char doc[] = "[{\"Id\":\"a\",\"Labels\":{\"Id\":\"no\"}},{\"Names\":[\"/x\"],\"Id\":\"b\"},{}]";
	struct got *g = malloc(sizeof(*g));

	scan_chunked(doc, strlen(doc), 3, g, ids, 1);
	assert_int_equal(g->n[0], 2);
	assert_int_equal(g->n_order, 2);
	assert_string_equal(g->order[0], "a");
	assert_string_equal(g->order[1], "b");
	free(g);
}

static void test_long_value_cut(void **state)
{
	static const struct bh_jscan_path p[] = { { { "k" } } };
	size_t n = BH_JSCAN_VALUE * 3;
	char *doc = malloc(n + 16);
	struct got *g = malloc(sizeof(*g));

	memcpy(doc, "{\"k\":\"", 6);
	memset(doc + 6, 'x', n);
	memcpy(doc + 6 + n, "\"}", 3);
	scan_chunked(doc, strlen(doc), 1000, g, p, 1);
	assert_int_equal(g->n[0], 1);
	assert_true(g->cut[0]);
	assert_int_equal(g->len[0], BH_JSCAN_VALUE);
	free(doc);
	free(g);
}

/* 20 MiB of environment before the field that matters: found, in the struct's memory. */
static void test_huge_document(void **state)
{
	static const struct bh_jscan_path p[] = { { { "NetworkSettings", "SandboxKey" } },
						  { { "Id" } } };
	size_t pad = 20u << 20, len;
	char *doc = malloc(pad + 256);
	struct got *g = malloc(sizeof(*g));

	len = (size_t)sprintf(doc, "{\"Id\":\"big\",\"Config\":{\"Env\":[\"PAD=");
	memset(doc + len, 'p', pad);
	len += pad;
	len += (size_t)sprintf(doc + len, "\"]},\"NetworkSettings\":{\"SandboxKey\":\"/run/netns/big\"}}");
	scan_chunked(doc, len, 16384, g, p, 2);
	assert_string_equal(g->v[0], "/run/netns/big");
	assert_string_equal(g->v[1], "big");
	free(doc);
	free(g);
}

static int scan_text(const char *t, bool end)
{
	static const struct bh_jscan_path p[] = { { { "a" } } };
	static struct got g;
	struct bh_jscan s;
	int r;

	memset(&g, 0, sizeof(g));
	bh_jscan_init(&s, p, 1, on_val, &g);
	r = bh_jscan_feed(&s, t, strlen(t));
	return r ? r : end ? bh_jscan_end(&s) : 0;
}

static void test_not_json(void **state)
{
	char deep[600];

	assert_int_equal(scan_text("{\"a\":1}", true), 0);
	assert_int_equal(scan_text(" [1, 2.5e3, true, null, \"x\"] ", true), 0);
	assert_int_equal(scan_text("{\"a\":}", false), -EINVAL);
	assert_int_equal(scan_text("{\"a\":1} x", false), -EINVAL);
	assert_int_equal(scan_text("{\"a\" 1}", false), -EINVAL);
	assert_int_equal(scan_text("{a:1}", false), -EINVAL);
	assert_int_equal(scan_text("[1,2}", false), -EINVAL);
	assert_int_equal(scan_text("\"\\q\"", false), -EINVAL);
	assert_int_equal(scan_text("\"\\u12g4\"", false), -EINVAL);
	assert_int_equal(scan_text("\"a\nb\"", false), -EINVAL);
	assert_int_equal(scan_text("{\"a\":\"unterminated", true), -EINVAL);
	assert_int_equal(scan_text("{\"a\":[", true), -EINVAL);
	memset(deep, '[', sizeof(deep) - 1);
	deep[sizeof(deep) - 1] = 0;
	assert_int_equal(scan_text(deep, false), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_inspect_paths_any_chunking),
		cmocka_unit_test(test_array_wildcard),
		cmocka_unit_test(test_long_value_cut),
		cmocka_unit_test(test_huge_document),
		cmocka_unit_test(test_not_json),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
