// SPDX-License-Identifier: GPL-2.0-or-later
/* The YAML node tree: positions, scalar styles and tags, streams, problems. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "policy/diag.h"
#include "policy/ytree.h"

static void parse(const char *y, struct bh_ystream *s, struct bh_diag *d, int want)
{
	bh_diag_init(d);
	assert_int_equal(bh_yaml_parse("t.yaml", y, strlen(y), d, s), want);
}

static void test_tree_and_positions(void **state)
{
	struct bh_ystream s;
	struct bh_diag d;
	const struct bh_ynode *root, *v;

	parse("a: 1\nb:\n  - x\n  - {c: \"80\", d: ~}\n", &s, &d, 0);
	assert_int_equal(s.n, 1);
	root = s.docs[0];
	assert_int_equal(root->kind, BH_Y_MAP);
	assert_int_equal(root->n, 2);
	assert_int_equal(root->line, 1);
	assert_int_equal(root->col, 1);
	assert_string_equal(root->pairs[1].key->str, "b");
	assert_int_equal(root->pairs[1].key->line, 2);
	v = bh_ynode_get(root, "b");
	assert_int_equal(v->kind, BH_Y_SEQ);
	assert_int_equal(v->n, 2);
	assert_int_equal(v->line, 3);
	assert_int_equal(v->col, 3);
	assert_string_equal(v->items[0]->str, "x");
	assert_int_equal(v->items[0]->col, 5);
	v = v->items[1];
	assert_int_equal(v->kind, BH_Y_MAP);
	assert_int_equal(v->col, 5);
	assert_string_equal(bh_ynode_get(v, "c")->str, "80");
	assert_int_equal(bh_ynode_get(v, "c")->col, 9);
	assert_null(bh_ynode_get(v, "zz"));
	assert_null(bh_ynode_get(bh_ynode_get(v, "c"), "c"));
	bh_ystream_deinit(&s);
	bh_diag_deinit(&d);
}

static void test_scalar_types(void **state)
{
	static const struct {
		const char *yaml, *kind;
		bool is_int;
		long long v;
	} cases[] = {
		{ "80", "an integer", true, 80 },
		{ "-7", "an integer", true, -7 },
		{ "+7", "an integer", true, 7 },
		{ "\"80\"", "a string", false, 0 },
		{ "'80'", "a string", false, 0 },
		{ "!!str 80", "a string", false, 0 },
		{ "!!int \"80\"", "an integer", true, 80 },
		{ "99999999999999999999", "a string", false, 0 },
		{ "8.5", "a string", false, 0 },
		{ "~", "null", false, 0 },
		{ "null", "null", false, 0 },
		{ "NULL", "null", false, 0 },
		{ "\"null\"", "a string", false, 0 },
		{ "!!null x", "null", false, 0 },
		{ "true", "a boolean", false, 0 },
		{ "\"true\"", "a string", false, 0 },
		{ "[]", "a list", false, 0 },
		{ "{}", "a mapping", false, 0 },
		{ "|\n  80\n", "a string", false, 0 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char y[128];
		struct bh_ystream s;
		struct bh_diag d;
		const struct bh_ynode *v;
		long long n = 0;

		snprintf(y, sizeof(y), "k: %s\n", cases[i].yaml);
		parse(y, &s, &d, 0);
		v = bh_ynode_get(s.docs[0], "k");
		assert_non_null(v);
		if (strcmp(bh_ynode_kind_name(v), cases[i].kind))
			fail_msg("%s: %s, expected %s", cases[i].yaml, bh_ynode_kind_name(v), cases[i].kind);
		assert_int_equal(bh_ynode_int(v, &n), cases[i].is_int);
		if (cases[i].is_int)
			assert_int_equal(n, cases[i].v);
		bh_ystream_deinit(&s);
		bh_diag_deinit(&d);
	}
}

static void test_streams(void **state)
{
	struct bh_ystream s;
	struct bh_diag d;

	parse("", &s, &d, 0);
	assert_int_equal(s.n, 0);
	bh_ystream_deinit(&s);
	bh_diag_deinit(&d);

	parse("# only a comment\n", &s, &d, 0);
	assert_int_equal(s.n, 0);
	bh_ystream_deinit(&s);
	bh_diag_deinit(&d);

	parse("---\n---\na: 1\n...\n---\n- 1\n", &s, &d, 0);
	assert_int_equal(s.n, 3);
	assert_true(bh_ynode_is_null(s.docs[0]));
	assert_int_equal(s.docs[1]->kind, BH_Y_MAP);
	assert_int_equal(s.docs[1]->line, 3);
	assert_int_equal(s.docs[2]->kind, BH_Y_SEQ);
	bh_ystream_deinit(&s);
	bh_diag_deinit(&d);
}

static void test_problems(void **state)
{
	struct bh_ystream s;
	struct bh_diag d;

	/* duplicates dropped, the first value kept */
	parse("a: 1\nb: 2\na: 3\n", &s, &d, -EINVAL);
	assert_int_equal(d.n, 1);
	assert_int_equal(d.v[0].loc.line, 3);
	assert_int_equal(d.v[0].loc.col, 1);
	assert_string_equal(d.v[0].msg, "duplicate key \"a\" (first defined at line 1, column 1)");
	assert_int_equal(s.docs[0]->n, 2);
	assert_string_equal(bh_ynode_get(s.docs[0], "a")->str, "1");
	bh_ystream_deinit(&s);
	bh_diag_deinit(&d);

	/* a syntax error keeps the documents before it */
	parse("a: 1\n---\nb: [1\n", &s, &d, -EINVAL);
	assert_int_equal(s.n, 1);
	assert_int_equal(d.n, 1);
	assert_string_equal(d.v[0].loc.file, "t.yaml");
	assert_int_equal(d.v[0].loc.line, 3);
	assert_int_equal(d.v[0].loc.col, 4);
	assert_string_equal(d.v[0].msg, "unclosed '[': the file ends at line 4, column 1 without a closing ']'");
	bh_ystream_deinit(&s);
	bh_diag_deinit(&d);

	/* anchors and aliases: reported, the alias reads as null */
	parse("a: &x 1\nb: *x\n", &s, &d, -EINVAL);
	assert_int_equal(d.n, 2);
	assert_string_equal(d.v[0].msg, "YAML anchors and aliases are not supported");
	assert_int_equal(d.v[1].loc.line, 2);
	assert_int_equal(d.v[1].loc.col, 4);
	assert_true(bh_ynode_is_null(bh_ynode_get(s.docs[0], "b")));
	bh_ystream_deinit(&s);
	bh_diag_deinit(&d);
}

/*
 * An unclosed '{', '[' or quote is located where it opens (libyaml notices
 * it only where the input ends); other syntax errors keep libyaml's place.
 */
static void test_unclosed(void **state)
{
	static const struct {
		const char *yaml;
		unsigned int line, col;
		const char *msg;
	} cases[] = {
		{ "a: 1\nb: {c: 1,\n  d: 2\n\n# the end\n", 2, 4,
		  "unclosed '{': the file ends at line 6, column 1 without a closing '}'" },
		{ "a: {b: 1", 1, 4, "unclosed '{': the file ends at line 2, column 1 without a closing '}'" },
		{ "a:\n  - [x, y\n", 2, 5, "unclosed '[': the file ends at line 3, column 1 without a closing ']'" },
		{ "a: \"x\n  y\n", 1, 4, "unclosed '\"': the file ends at line 3, column 1 without a closing '\"'" },
		{ "a: {b: 'it\n", 1, 8, "unclosed \"'\": the file ends at line 2, column 1 without a closing \"'\"" },
		{ "a: [1\n---\nb: 2\n", 1, 4,
		  "unclosed '[': the document ends at line 2, column 1 without a closing ']'" },
		{ "a: \"x\n...\n", 1, 4, "unclosed '\"': the document ends at line 2, column 1 without a closing '\"'" },
		/* "---x" is a plain scalar, not the end of the document */
		{ "a: [1\n---x\n", 1, 4, "unclosed '[': the file ends at line 3, column 1 without a closing ']'" },
		/* not at the end: libyaml's own location and words */
		{ "a: {b: [1, 2}\n", 1, 13,
		  "invalid YAML: did not find expected ',' or ']' (while parsing a flow sequence at line 1, column 8)" },
		{ "a: [1, 2}\n", 1, 9,
		  "invalid YAML: did not find expected ',' or ']' (while parsing a flow sequence at line 1, column 4)" },
		{ "a: {b: 1\nc: 2\n", 2, 2,
		  "invalid YAML: did not find expected ',' or '}' (while parsing a flow mapping at line 1, column 4)" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct bh_ystream s;
		struct bh_diag d;

		print_message("# case %zu\n", i);
		parse(cases[i].yaml, &s, &d, -EINVAL);
		assert_int_equal(d.n, 1);
		assert_string_equal(d.v[0].msg, cases[i].msg);
		assert_int_equal(d.v[0].loc.line, cases[i].line);
		assert_int_equal(d.v[0].loc.col, cases[i].col);
		bh_ystream_deinit(&s);
		bh_diag_deinit(&d);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tree_and_positions),
		cmocka_unit_test(test_scalar_types),
		cmocka_unit_test(test_streams),
		cmocka_unit_test(test_problems),
		cmocka_unit_test(test_unclosed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
