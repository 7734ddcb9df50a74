// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Allocation failure while building and serialising a table: the Nth
 * malloc, calloc or realloc fails, for every N until a build completes
 * without reaching it. Each run must end in -ENOMEM (NULL from the
 * serialiser), or in 0 with exactly the bytes of an undisturbed build (a
 * failure libc absorbed, as vasprintf does), never crash, and leak
 * nothing (LeakSanitizer at exit).
 */
#include <dlfcn.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <sys/uio.h>
#include <libnftnl/batch.h>

#include "netlink/nft.h"
#include "nft_fixture.h"

#include "oom_inject.h"

#define OUT_MAX (1 << 20)

/* One build and serialisation into out (*len bytes); 0 or -ENOMEM. */
static int build_once(struct fixture *f, uint8_t *out, size_t *len)
{
	struct bh_nft_batch *b = NULL;
	struct nftnl_batch *nb;
	struct iovec iov[16];
	int ret, n;

	*len = 0;
	ret = bh_nft_batch_alloc(&b);
	if (!ret)
		ret = bh_nft_build_table(b, &f->c, 0, &f->o);
	if (!ret)
		ret = bh_nft_build_delete(b);
	if (!ret) {
		nb = bh_nft_batch_serialize(b, 0, 1);
		if (nb) {
			n = nftnl_batch_iovec_len(nb);
			assert_true(n <= 16);
			nftnl_batch_iovec(nb, iov, n);
			for (int i = 0; i < n; i++) {
				assert_true(*len + iov[i].iov_len <= OUT_MAX);
				memcpy(out + *len, iov[i].iov_base, iov[i].iov_len);
				*len += iov[i].iov_len;
			}
			nftnl_batch_free(nb);
		} else {
			ret = -ENOMEM;
		}
	}
	bh_nft_batch_free(b);
	return ret;
}

static void fail_each(struct fixture *f)
{
	static uint8_t ref[OUT_MAX], got[OUT_MAX];
	size_t ref_len, got_len;
	long n;

	assert_int_equal(build_once(f, ref, &ref_len), 0);
	for (n = 0; n < 100000; n++) {
		int rc;

		failed = false;
		countdown = n;
		rc = build_once(f, got, &got_len);
		countdown = -1;
		if (!failed) {
			assert_int_equal(rc, 0);
			break;
		}
		if (rc == 0) {
			if (got_len != ref_len || memcmp(got, ref, ref_len))
				fail_msg("allocation %ld failed: build succeeded with different bytes", n);
			continue;
		}
		if (rc != -ENOMEM)
			fail_msg("allocation %ld failed: build returned %d", n, rc);
	}
	print_message("# %ld allocation failure points checked\n", n);
	assert_true(n > 50);
}

static void test_build_oom(void **state)
{
	struct fixture *f = fixture_new();

	fail_each(f);
	fixture_free(f);
}

static void test_build_oom_audit_log_all(void **state)
{
	struct fixture *f = fixture_new();
	struct bh_dir_rules *eg = &f->rs.dir[BH_EGRESS];

	eg->has_audit = true;
	eg->audit.isolated = true;
	eg->audit.isolated_by = f->isolators;
	eg->audit.n_isolated_by = 2;
	eg->log = BH_LOG_ALL;
	fail_each(f);
	eg->audit.isolated_by = NULL;
	fixture_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_build_oom),
		cmocka_unit_test(test_build_oom_audit_log_all),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
