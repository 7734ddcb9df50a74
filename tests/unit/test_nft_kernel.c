// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The nftables builder and sender against a kernel, each test in a child
 * process with its own network namespace (skipped where unshare is not
 * allowed): a 20,000-element table applied, replaced and deleted, and a
 * transaction the kernel rejects in the middle, whose error must name the
 * set element and leave the previous table in place.
 */
#include <errno.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <unistd.h>
#include <sys/wait.h>
#include <cmocka.h>

#include "netlink/nft.h"
#include "nft_fixture.h"

/* ---- against a kernel, in a child's own network namespace ------------------------------ */

/* Runs fn in a child inside a new network namespace; skips without one. */
static void in_netns(void **state, int (*fn)(void))
{
	pid_t pid = fork();
	int st;

	assert_true(pid >= 0);
	if (pid == 0) {
		if (unshare(CLONE_NEWNET) < 0)
			_exit(77);
		_exit(fn());
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	if (WEXITSTATUS(st) == 77)
		skip();
	assert_int_equal(WEXITSTATUS(st), 0);
}

static int large_apply(void)
{
	struct fixture *f = big_fixture(20000);
	struct bh_nft_batch *b;
	struct bh_nft_stamp st;
	char err[256];
	uint64_t gen = 0;
	int ret;

	if (bh_nft_batch_alloc(&b) || bh_nft_build_table(b, &f->c, 0, &f->o))
		return 2;
	ret = bh_nft_apply(NULL, b, 0, err, sizeof(err));
	if (ret) {
		fprintf(stderr, "apply: %s\n", err);
		return 3;
	}
	if (bh_nft_table_get(NULL, &gen) != 1 || gen != 42)
		return 4;
	/* the stamp reads back with one GETTABLE */
	if (bh_nft_table_stamp(NULL, &st) != 1 || st.generation != 42 ||
	    st.digest != bh_nft_digest(&f->c, 0, &f->o))
		return 8;
	/* and once more on top of itself: the replacement path */
	if (bh_nft_apply(NULL, b, 0, err, sizeof(err))) {
		fprintf(stderr, "apply again: %s\n", err);
		return 5;
	}
	if (bh_nft_delete(NULL, err, sizeof(err)) || bh_nft_table_get(NULL, NULL) != 0 ||
	    bh_nft_table_stamp(NULL, &st) != 0)
		return 6;
	if (bh_nft_delete(NULL, err, sizeof(err)))	/* absent is fine */
		return 7;
	bh_nft_batch_free(b);
	fixture_free(f);
	return 0;
}

static void test_kernel_large_table(void **state)
{
	in_netns(state, large_apply);
}

static int rejected_apply(void)
{
	struct fixture *f = fixture_new();
	struct bh_elems *l4 = &f->rs.dir[BH_INGRESS].enforce.l4[BH_FAM_V4];
	struct bh_nft_batch *b;
	char err[256];
	uint64_t gen = 0;
	int ret;

	if (bh_nft_batch_alloc(&b) || bh_nft_build_table(b, &f->c, 0, &f->o) ||
	    bh_nft_apply(NULL, b, 0, err, sizeof(err)))
		return 2;
	bh_nft_batch_free(b);
	/* generation 43 with overlapping concatenated intervals: the kernel says EEXIST */
	f->o.generation = 43;
	l4->v[1].proto = 6;
	l4->v[1].port_lo = 80;
	l4->v[1].port_hi = 90;
	v4(l4->v[1].lo, "10.1.0.1");
	v4(l4->v[1].hi, "10.1.0.1");
	if (bh_nft_batch_alloc(&b) || bh_nft_build_table(b, &f->c, 0, &f->o))
		return 3;
	ret = bh_nft_apply(NULL, b, 0, err, sizeof(err));
	if (ret != -EEXIST) {
		fprintf(stderr, "expected EEXIST, got %d: %s\n", ret, err);
		return 4;
	}
	if (strcmp(err, "set in4: element 10.1.0.1 . tcp . 80-90: File exists")) {
		fprintf(stderr, "unexpected error text: %s\n", err);
		return 5;
	}
	/* the previous table is still there, generation 42 */
	if (bh_nft_table_get(NULL, &gen) != 1 || gen != 42)
		return 6;
	/* the dry run validates the same way without committing */
	ret = bh_nft_apply(NULL, b, BH_NFT_DRY_RUN, err, sizeof(err));
	if (ret != -EEXIST)
		return 7;
	bh_nft_batch_free(b);
	fixture_free(f);
	return 0;
}

static void test_kernel_rejection_names_element(void **state)
{
	in_netns(state, rejected_apply);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kernel_large_table),
		cmocka_unit_test(test_kernel_rejection_names_element),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
