// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The watch's second net (agent/watch.h): bh_watch_check() finds inputs
 * whose inode, size or mtime changed since the callback last reported
 * them, ignores files the loader ignores, and is quiet once reported.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "agent/watch.h"

static unsigned int reported;

static void on_change(struct bh_watch *w, unsigned int what, uint64_t first_ns)
{
	reported |= what;
	uv_stop(w->poll.loop);
}

static void put(const char *dir, const char *name, const char *text)
{
	char p[512];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	f = fopen(p, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

/* Run the loop until the callback reported something (bounded by a timer). */
static void stop_cb(uv_timer_t *t)
{
	uv_stop(t->loop);
}

static unsigned int deliver(uv_loop_t *loop, unsigned int ms)
{
	uv_timer_t t;

	reported = 0;
	uv_timer_init(loop, &t);
	uv_timer_start(&t, stop_cb, ms, 0);
	uv_run(loop, UV_RUN_DEFAULT);
	uv_close((uv_handle_t *)&t, NULL);
	uv_run(loop, UV_RUN_NOWAIT);
	return reported;
}

static void test_watch_check_finds_changes(void **state)
{
	char dir[] = "/tmp/bh-test-wcheck.XXXXXX", other[128], p[128], q[256], inv[256];
	struct bh_watch w = { 0 };
	uv_loop_t loop;

	assert_non_null(mkdtemp(dir));
	snprintf(other, sizeof(other), "%s/elsewhere", dir);
	snprintf(p, sizeof(p), "%s/pol", dir);
	assert_int_equal(mkdir(other, 0700), 0);
	assert_int_equal(mkdir(p, 0700), 0);
	put(other, "a.yaml", "x: 1\n");
	snprintf(q, sizeof(q), "%s/a.yaml", other);
	snprintf(inv, sizeof(inv), "%s/a.yaml", p);
	assert_int_equal(link(q, inv), 0);	/* pol/a.yaml is a hard link */
	put(dir, "inv.yaml", "workloads: []\n");
	snprintf(inv, sizeof(inv), "%s/inv.yaml", dir);

	assert_int_equal(uv_loop_init(&loop), 0);
	assert_int_equal(bh_watch_start(&loop, &w, p, inv, 10, on_change), 0);
	assert_int_equal(bh_watch_check(&w), 0);	/* nothing changed since start */

	/* written through the other directory: inotify on pol/ sees nothing */
	put(other, "a.yaml", "x: 22\n");
	assert_int_equal(bh_watch_check(&w), BH_WATCH_POLICIES);
	assert_int_equal(deliver(&loop, 2000), BH_WATCH_POLICIES);
	assert_int_equal(bh_watch_check(&w), 0);	/* reported: quiet again */

	/* files the loader ignores change nothing */
	put(p, "notes.txt", "x");
	put(p, ".hidden.yaml", "x");
	assert_int_equal(deliver(&loop, 300), 0);
	assert_int_equal(bh_watch_check(&w), 0);

	/* a new policy file, a removed one, the inventory */
	put(p, "b.yml", "y: 1\n");
	deliver(&loop, 2000);
	assert_int_equal(bh_watch_check(&w), 0);
	unlink(inv);
	assert_int_equal(bh_watch_check(&w) & BH_WATCH_INVENTORY, BH_WATCH_INVENTORY);
	deliver(&loop, 2000);
	put(dir, "inv.yaml", "workloads: []\n");
	assert_int_equal(bh_watch_check(&w) & BH_WATCH_INVENTORY, BH_WATCH_INVENTORY);
	deliver(&loop, 2000);
	assert_int_equal(bh_watch_check(&w), 0);

	bh_watch_close(&w, NULL);
	uv_run(&loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&loop), 0);
	snprintf(p, sizeof(p), "rm -rf %s", dir);
	assert_int_equal(system(p), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_watch_check_finds_changes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
