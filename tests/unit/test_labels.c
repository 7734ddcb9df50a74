// SPDX-License-Identifier: GPL-2.0-or-later
/* Labels, selectors and addresses. */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <cmocka.h>

#include "policy/model.h"

static void labels_of(struct bh_labels *l, const char *const *kv)
{
	l->v = NULL;
	l->n = 0;
	for (; kv[0]; kv += 2)
		assert_int_equal(bh_labels_set(l, kv[0], kv[1]), 0);
}

static void test_labels_sorted_and_replace(void **state)
{
	struct bh_labels l, c;

	labels_of(&l, (const char *const[]){ "tier", "db", "app", "shop", "zone", "a", NULL });
	assert_int_equal(l.n, 3);
	assert_string_equal(l.v[0].key, "app");
	assert_string_equal(l.v[1].key, "tier");
	assert_string_equal(l.v[2].key, "zone");
	assert_string_equal(bh_labels_get(&l, "tier"), "db");
	assert_null(bh_labels_get(&l, "nope"));
	assert_int_equal(bh_labels_set(&l, "tier", "web"), 0);
	assert_int_equal(l.n, 3);
	assert_string_equal(bh_labels_get(&l, "tier"), "web");

	assert_int_equal(bh_labels_copy(&c, &l), 0);
	bh_labels_deinit(&l);
	assert_int_equal(c.n, 3);
	assert_string_equal(bh_labels_get(&c, "zone"), "a");
	assert_string_equal(bh_labels_get(&c, "app"), "shop");
	bh_labels_deinit(&c);
	assert_null(bh_labels_get(&c, "app"));
	assert_null(bh_labels_get(NULL, "app"));
}

static void expr_set(struct bh_sel_expr *e, const char *key, enum bh_sel_op op,
		     const char *const *vals)
{
	e->key = strdup(key);
	e->op = op;
	e->n_values = 0;
	e->values = NULL;
	for (; vals && *vals; vals++) {
		e->values = realloc(e->values, (e->n_values + 1) * sizeof(char *));
		e->values[e->n_values++] = strdup(*vals);
	}
}

static void test_selector_empty_matches_all(void **state)
{
	struct bh_selector s = { 0 };
	struct bh_labels none = { 0 }, some;
	char *txt;

	labels_of(&some, (const char *const[]){ "app", "web", NULL });
	assert_true(bh_selector_matches(&s, &none));
	assert_true(bh_selector_matches(&s, &some));
	txt = bh_selector_format(&s);
	assert_string_equal(txt, "<all>");
	free(txt);
	bh_labels_deinit(&some);
}

static void test_selector_match_labels(void **state)
{
	struct bh_selector s = { 0 };
	struct bh_labels a, b, c;

	labels_of(&s.match, (const char *const[]){ "app", "web", "tier", "front", NULL });
	labels_of(&a, (const char *const[]){ "app", "web", "tier", "front", "x", "y", NULL });
	labels_of(&b, (const char *const[]){ "app", "web", NULL });
	labels_of(&c, (const char *const[]){ "app", "web", "tier", "back", NULL });
	assert_true(bh_selector_matches(&s, &a));
	assert_false(bh_selector_matches(&s, &b));
	assert_false(bh_selector_matches(&s, &c));
	bh_labels_deinit(&a);
	bh_labels_deinit(&b);
	bh_labels_deinit(&c);
	bh_selector_deinit(&s);
	assert_int_equal(s.match.n, 0);
}

/* The four operators, including NotIn and DoesNotExist on absent keys. */
static void test_selector_expressions(void **state)
{
	static const char *const ab[] = { "a", "b", NULL };
	static const struct {
		enum bh_sel_op op;
		const char *const *vals;
		bool absent, value_in, value_out;
	} cases[] = {
		{ BH_SEL_IN, ab, false, true, false },
		{ BH_SEL_NOT_IN, ab, true, false, true },
		{ BH_SEL_EXISTS, NULL, false, true, true },
		{ BH_SEL_DOES_NOT_EXIST, NULL, true, false, false },
	};
	struct bh_labels absent, in, out;

	labels_of(&absent, (const char *const[]){ "other", "a", NULL });
	labels_of(&in, (const char *const[]){ "k", "b", NULL });
	labels_of(&out, (const char *const[]){ "k", "c", "other", "a", NULL });
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct bh_selector s = { 0 };

		s.exprs = calloc(1, sizeof(*s.exprs));
		s.n_exprs = 1;
		expr_set(&s.exprs[0], "k", cases[i].op, cases[i].vals);
		assert_int_equal(bh_selector_matches(&s, &absent), cases[i].absent);
		assert_int_equal(bh_selector_matches(&s, &in), cases[i].value_in);
		assert_int_equal(bh_selector_matches(&s, &out), cases[i].value_out);
		bh_selector_deinit(&s);
	}
	bh_labels_deinit(&absent);
	bh_labels_deinit(&in);
	bh_labels_deinit(&out);
}

/* matchLabels and every expression must all hold. */
static void test_selector_and(void **state)
{
	struct bh_selector s = { 0 };
	struct bh_labels l1, l2, l3;
	char *txt;

	labels_of(&s.match, (const char *const[]){ "app", "web", NULL });
	s.exprs = calloc(3, sizeof(*s.exprs));
	s.n_exprs = 3;
	expr_set(&s.exprs[0], "tier", BH_SEL_IN, (const char *const[]){ "b", "a", NULL });
	expr_set(&s.exprs[1], "x", BH_SEL_DOES_NOT_EXIST, NULL);
	expr_set(&s.exprs[2], "y", BH_SEL_EXISTS, NULL);
	labels_of(&l1, (const char *const[]){ "app", "web", "tier", "a", "y", "", NULL });
	labels_of(&l2, (const char *const[]){ "app", "web", "tier", "a", "y", "1", "x", "1", NULL });
	labels_of(&l3, (const char *const[]){ "app", "api", "tier", "a", "y", "1", NULL });
	assert_true(bh_selector_matches(&s, &l1));
	assert_false(bh_selector_matches(&s, &l2));
	assert_false(bh_selector_matches(&s, &l3));

	txt = bh_selector_format(&s);
	assert_string_equal(txt, "app=web,tier in (a,b),!x,y");
	free(txt);
	s.exprs[0].op = BH_SEL_NOT_IN;
	txt = bh_selector_format(&s);
	assert_string_equal(txt, "app=web,tier notin (a,b),!x,y");
	free(txt);
	bh_labels_deinit(&l1);
	bh_labels_deinit(&l2);
	bh_labels_deinit(&l3);
	bh_selector_deinit(&s);
}

static void test_addr_parse_format(void **state)
{
	static const struct {
		const char *in, *out;
		int family;
	} good[] = {
		{ "10.0.0.1", "10.0.0.1", AF_INET },
		{ "0.0.0.0", "0.0.0.0", AF_INET },
		{ "fd00::1", "fd00::1", AF_INET6 },
		{ "FD00:0:0::0001", "fd00::1", AF_INET6 },
		{ "::ffff:10.0.0.1", "::ffff:10.0.0.1", AF_INET6 },
	};
	static const char *const bad[] = {
		"", "10.0.0", "10.0.0.256", "10.0.0.1/32", "fd00:::1", "abc", " 10.0.0.1", "010.0.0.1",
	};
	struct bh_addr a;
	char buf[64];

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		assert_int_equal(bh_addr_parse(good[i].in, &a), 0);
		assert_int_equal(a.family, good[i].family);
		assert_string_equal(bh_addr_format(&a, buf, sizeof(buf)), good[i].out);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(bh_addr_parse(bad[i], &a), -EINVAL);
	assert_int_equal(bh_addr_parse(NULL, &a), -EINVAL);
}

static void test_prefix_parse(void **state)
{
	static const struct {
		const char *in, *out;
	} good[] = {
		{ "10.0.0.0/8", "10.0.0.0/8" },
		{ "0.0.0.0/0", "0.0.0.0/0" },
		{ "10.77.0.5/32", "10.77.0.5/32" },
		{ "172.16.0.0/12", "172.16.0.0/12" },
		{ "fd77::/64", "fd77::/64" },
		{ "::/0", "::/0" },
		{ "fd77::1/128", "fd77::1/128" },
		{ "fd77:0:0:ff80::/57", "fd77:0:0:ff80::/57" },
	};
	static const char *const bad[] = {
		"10.0.0.1/24",	/* host bits */
		"10.0.0.0/33", "10.0.0.0/", "10.0.0.0", "/8", "10.0.0.0/08", "10.0.0.0/-1",
		"10.0.0.0/8x", "10.0.0.300/24", "fd77::1/64", "fd77::/129", "fd77::/1000",
		"10.0.0.0/+8", "10.0.0.0/8/8", "",
	};
	struct bh_prefix p;
	char buf[64];
	bool host;

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		assert_int_equal(bh_prefix_parse(good[i].in, &p), 0);
		assert_string_equal(bh_prefix_format(&p, buf, sizeof(buf)), good[i].out);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (bh_prefix_parse(bad[i], &p) != -EINVAL)
			fail_msg("accepted \"%s\"", bad[i]);
	}
	assert_int_equal(bh_prefix_parse_loose("10.0.0.1/24", &p, &host), 0);
	assert_true(host);
	assert_string_equal(bh_prefix_format(&p, buf, sizeof(buf)), "10.0.0.0/24");
	assert_int_equal(bh_prefix_parse_loose("fd77::1/64", &p, &host), 0);
	assert_true(host);
	assert_string_equal(bh_prefix_format(&p, buf, sizeof(buf)), "fd77::/64");
	assert_int_equal(bh_prefix_parse_loose("10.0.0.0/24", &p, &host), 0);
	assert_false(host);
}

static void test_prefix_contains(void **state)
{
	static const struct {
		const char *prefix, *addr;
		bool in;
	} cases[] = {
		{ "10.0.0.0/8", "10.255.1.2", true },
		{ "10.0.0.0/8", "11.0.0.0", false },
		{ "10.77.0.0/23", "10.77.1.255", true },
		{ "10.77.0.0/23", "10.77.2.0", false },
		{ "0.0.0.0/0", "1.2.3.4", true },
		{ "0.0.0.0/0", "fd00::1", false },
		{ "fd77::/64", "fd77::abcd", true },
		{ "fd77::/64", "fd77:0:0:1::1", false },
		{ "fd77::/61", "fd77:0:0:7::1", true },
		{ "fd77::/61", "fd77:0:0:8::1", false },
		{ "::/0", "10.0.0.1", false },
		{ "10.0.0.1/32", "10.0.0.1", true },
		{ "10.0.0.1/32", "10.0.0.2", false },
	};
	struct bh_prefix p;
	struct bh_addr a;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(bh_prefix_parse(cases[i].prefix, &p), 0);
		assert_int_equal(bh_addr_parse(cases[i].addr, &a), 0);
		if (bh_prefix_contains(&p, &a) != cases[i].in)
			fail_msg("%s in %s: expected %d", cases[i].addr, cases[i].prefix, cases[i].in);
	}
}

static void test_addr_cmp(void **state)
{
	static const char *const ordered[] = {
		"0.0.0.0", "9.255.255.255", "10.0.0.1", "10.0.0.2", "10.0.1.0", "255.255.255.255",
		"::", "::1", "fd00::1", "fd77::1", "ffff::",
	};
	const size_t n = sizeof(ordered) / sizeof(ordered[0]);

	for (size_t i = 0; i < n; i++) {
		for (size_t j = 0; j < n; j++) {
			struct bh_addr x, y;
			int c;

			assert_int_equal(bh_addr_parse(ordered[i], &x), 0);
			assert_int_equal(bh_addr_parse(ordered[j], &y), 0);
			c = bh_addr_cmp(&x, &y);
			if ((i < j && c >= 0) || (i == j && c != 0) || (i > j && c <= 0))
				fail_msg("cmp(%s, %s) = %d", ordered[i], ordered[j], c);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_labels_sorted_and_replace),
		cmocka_unit_test(test_selector_empty_matches_all),
		cmocka_unit_test(test_selector_match_labels),
		cmocka_unit_test(test_selector_expressions),
		cmocka_unit_test(test_selector_and),
		cmocka_unit_test(test_addr_parse_format),
		cmocka_unit_test(test_prefix_parse),
		cmocka_unit_test(test_prefix_contains),
		cmocka_unit_test(test_addr_cmp),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
