// SPDX-License-Identifier: GPL-2.0-or-later
/* Repeated-attempt suppression: window, keys, eviction, per-workload summary. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <cmocka.h>

#include "log/dedup.h"
#include "log/pkt.h"

static struct bh_pkt mkpkt(uint16_t sport, uint16_t dport)
{
	struct bh_pkt p;

	memset(&p, 0, sizeof(p));
	p.family = AF_INET;
	p.proto = 6;
	p.src.family = p.dst.family = AF_INET;
	p.src.a[0] = 10; p.src.a[3] = 21;
	p.dst.a[0] = 10; p.dst.a[3] = 11;
	p.sport = sport;
	p.dport = dport;
	p.has_ports = true;
	return p;
}

static void test_window(void **state)
{
	struct bh_dedup d;
	struct bh_dedup_key k;
	struct bh_pkt p = mkpkt(51234, 5432);

	assert_int_equal(bh_dedup_init(&d, 64, 16, 30000), 0);
	bh_dedup_key_from_pkt(&k, 1, 0, &p);
	assert_true(bh_dedup_check(&d, &k, 1000));
	/* SYN retransmissions at +1 s, +3 s, +7 s: suppressed */
	assert_false(bh_dedup_check(&d, &k, 2000));
	assert_false(bh_dedup_check(&d, &k, 4000));
	assert_false(bh_dedup_check(&d, &k, 8000));
	assert_false(bh_dedup_check(&d, &k, 30999));
	/* window over: one more line, then quiet again */
	assert_true(bh_dedup_check(&d, &k, 31000));
	assert_false(bh_dedup_check(&d, &k, 31001));
	assert_int_equal(d.st.logged, 2);
	assert_int_equal(d.st.suppressed, 5);
	bh_dedup_deinit(&d);
}

static void test_key_fields(void **state)
{
	struct bh_dedup d;
	struct bh_dedup_key k;
	struct bh_pkt p = mkpkt(51234, 5432);

	assert_int_equal(bh_dedup_init(&d, 0, 0, 0), 0);
	bh_dedup_key_from_pkt(&k, 1, 0, &p);
	assert_true(bh_dedup_check(&d, &k, 0));
	/* new source port = new attempt */
	p.sport++;
	bh_dedup_key_from_pkt(&k, 1, 0, &p);
	assert_true(bh_dedup_check(&d, &k, 1));
	/* same flow seen in another workload's namespace */
	bh_dedup_key_from_pkt(&k, 2, 0, &p);
	assert_true(bh_dedup_check(&d, &k, 2));
	/* other direction */
	bh_dedup_key_from_pkt(&k, 2, 1, &p);
	assert_true(bh_dedup_check(&d, &k, 3));
	/* other protocol */
	p.proto = 17;
	bh_dedup_key_from_pkt(&k, 2, 1, &p);
	assert_true(bh_dedup_check(&d, &k, 4));
	/* other destination */
	p.dst.a[3] = 12;
	bh_dedup_key_from_pkt(&k, 2, 1, &p);
	assert_true(bh_dedup_check(&d, &k, 5));
	assert_false(bh_dedup_check(&d, &k, 6));
	assert_int_equal(d.st.logged, 6);
	bh_dedup_deinit(&d);
}

struct sum {
	uint32_t wl[8];
	uint64_t n[8];
	uint64_t first[8];
	int count;
};

static void sum_cb(uint32_t wl, uint64_t n, uint64_t first, void *arg)
{
	struct sum *s = arg;

	assert_true(s->count < 8);
	s->wl[s->count] = wl;
	s->n[s->count] = n;
	s->first[s->count] = first;
	s->count++;
}

static void test_summary(void **state)
{
	struct bh_dedup d;
	struct bh_dedup_key k;
	struct bh_pkt p = mkpkt(1000, 53);
	struct sum s = { 0 };
	int i;

	assert_int_equal(bh_dedup_init(&d, 1024, 4, 30000), 0);
	bh_dedup_key_from_pkt(&k, 7, 0, &p);
	for (i = 0; i < 10; i++)
		bh_dedup_check(&d, &k, 100 + (uint64_t)i);
	bh_dedup_key_from_pkt(&k, 9, 0, &p);
	for (i = 0; i < 4; i++)
		bh_dedup_check(&d, &k, 200 + (uint64_t)i);
	bh_dedup_summary(&d, sum_cb, &s);
	assert_int_equal(s.count, 2);
	for (i = 0; i < 2; i++) {
		if (s.wl[i] == 7) {
			assert_int_equal(s.n[i], 9);
			assert_int_equal(s.first[i], 101);
		} else {
			assert_int_equal(s.wl[i], 9);
			assert_int_equal(s.n[i], 3);
			assert_int_equal(s.first[i], 201);
		}
	}
	/* counters were cleared */
	memset(&s, 0, sizeof(s));
	bh_dedup_summary(&d, sum_cb, &s);
	assert_int_equal(s.count, 0);

	/* more workloads than summary slots: the rest goes to the "other" bucket */
	for (uint32_t w = 0; w < 6; w++) {
		bh_dedup_key_from_pkt(&k, 100 + w, 0, &p);
		bh_dedup_check(&d, &k, 1000);
		bh_dedup_check(&d, &k, 1001);
	}
	bh_dedup_summary(&d, sum_cb, &s);
	assert_int_equal(s.count, 5);
	uint64_t total = 0;
	bool other = false;

	for (i = 0; i < s.count; i++) {
		total += s.n[i];
		other |= s.wl[i] == BH_DEDUP_WL_OTHER;
	}
	assert_int_equal(total, 6);
	assert_true(other);
	bh_dedup_deinit(&d);
}

/* A small full table evicts instead of growing, and keeps working. */
static void test_full_table(void **state)
{
	struct bh_dedup d;
	struct bh_dedup_key k;
	struct bh_pkt p = mkpkt(0, 80);
	struct bh_dedup_entry *tab;
	int logged = 0;

	assert_int_equal(bh_dedup_init(&d, 16, 4, 30000), 0);
	tab = d.tab;
	for (uint16_t sp = 1; sp <= 1000; sp++) {
		p.sport = sp;
		bh_dedup_key_from_pkt(&k, 1, 0, &p);
		logged += bh_dedup_check(&d, &k, sp);
	}
	assert_int_equal(logged, 1000);
	assert_true(d.st.evicted >= 1000 - 16);
	assert_ptr_equal(d.tab, tab);
	/* the most recent one is still remembered */
	assert_false(bh_dedup_check(&d, &k, 1001));
	bh_dedup_deinit(&d);
}

static void test_icmp_key(void **state)
{
	struct bh_dedup d;
	struct bh_dedup_key k1, k2;
	struct bh_pkt p = mkpkt(0, 0);

	p.has_ports = false;
	p.proto = 1;
	p.has_icmp = true;
	p.icmp_type = 8;
	bh_dedup_key_from_pkt(&k1, 1, 0, &p);
	p.icmp_type = 13;
	bh_dedup_key_from_pkt(&k2, 1, 0, &p);
	assert_int_equal(bh_dedup_init(&d, 0, 0, 1000), 0);
	assert_true(bh_dedup_check(&d, &k1, 0));
	assert_true(bh_dedup_check(&d, &k2, 0));
	assert_false(bh_dedup_check(&d, &k1, 999));
	assert_true(bh_dedup_check(&d, &k1, 1000));
	bh_dedup_deinit(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_window),
		cmocka_unit_test(test_key_fields),
		cmocka_unit_test(test_summary),
		cmocka_unit_test(test_full_table),
		cmocka_unit_test(test_icmp_key),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
