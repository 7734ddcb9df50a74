// SPDX-License-Identifier: GPL-2.0-or-later
/* lib/array: growth by doubling, failure leaves the array intact, bisections. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "oom_inject.h"
#include "lib/array.h"

struct pair {
	int key;
	int val;
};

static void test_reserve_grows(void **state)
{
	struct pair *v = NULL;
	size_t cap = 0, n = 0;

	for (int i = 0; i < 1000; i++) {
		assert_int_equal(bh_array_reserve(v, cap, n + 1, 16), 0);
		assert_true(cap >= n + 1);
		v[n++] = (struct pair){ i, -i };
	}
	/* doubling from 16: 16, 32, ..., 1024 */
	assert_int_equal(cap, 1024);
	for (int i = 0; i < 1000; i++)
		assert_int_equal(v[i].val, -i);
	/* room already there: nothing moves */
	{
		struct pair *before = v;

		assert_int_equal(bh_array_reserve(v, cap, 1000, 16), 0);
		assert_ptr_equal(v, before);
	}
	/* a jump past double the capacity */
	assert_int_equal(bh_array_reserve(v, cap, 5000, 16), 0);
	assert_int_equal(cap, 8192);
	free(v);
}

static void test_reserve_failure_keeps_array(void **state)
{
	int *v = NULL;
	size_t cap = 0;

	assert_int_equal(bh_array_reserve(v, cap, 4, 4), 0);
	for (int i = 0; i < 4; i++)
		v[i] = i + 1;
	countdown = 0;
	failed = false;
	assert_int_equal(bh_array_reserve(v, cap, 5, 4), -ENOMEM);
	countdown = -1;
	assert_true(failed);
	assert_int_equal(cap, 4);
	for (int i = 0; i < 4; i++)
		assert_int_equal(v[i], i + 1);
	/* a size in bytes that overflows is refused without allocating */
	assert_int_equal(bh_array_reserve(v, cap, SIZE_MAX / 2, 4), -ENOMEM);
	assert_int_equal(cap, 4);
	free(v);
}

static int int_key_cmp(const void *key, const void *elem)
{
	int k = *(const int *)key, e = ((const struct pair *)elem)->key;

	return k < e ? -1 : k > e;
}

static void test_sorted(void **state)
{
	/* keys with a run of equal ones */
	static const struct pair v[] = { { 1, 0 }, { 3, 1 }, { 3, 2 }, { 3, 3 }, { 7, 4 } };
	const size_t n = sizeof(v) / sizeof(v[0]);
	int k;
	const struct pair *hit;

	for (k = 0; k <= 8; k++) {
		size_t lo = bh_sorted_lower(&k, v, n, sizeof(v[0]), int_key_cmp);
		size_t up = bh_sorted_upper(&k, v, n, sizeof(v[0]), int_key_cmp);
		size_t want_lo = 0, want_up = 0;

		/* against a linear scan */
		while (want_lo < n && v[want_lo].key < k)
			want_lo++;
		while (want_up < n && v[want_up].key <= k)
			want_up++;
		assert_int_equal(lo, want_lo);
		assert_int_equal(up, want_up);
		hit = bh_sorted_find(&k, v, n, sizeof(v[0]), int_key_cmp);
		if (want_lo < n && v[want_lo].key == k)
			assert_ptr_equal(hit, &v[want_lo]);
		else
			assert_null(hit);
	}
	k = 3;
	hit = bh_sorted_find(&k, v, n, sizeof(v[0]), int_key_cmp);
	assert_int_equal(hit->val, 1);	/* the first of equal keys */
	assert_null(bh_sorted_find(&k, v, 0, sizeof(v[0]), int_key_cmp));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reserve_grows),
		cmocka_unit_test(test_reserve_failure_keeps_array),
		cmocka_unit_test(test_sorted),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
