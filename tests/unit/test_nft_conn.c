// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The long-lived connection against a kernel, each test in a child with
 * its own network namespace: owned and persistent tables (refused to any
 * other socket, kept when the owner closes, adopted by the next), the
 * owner named by pid, the run-time probe, content digests equal for what
 * was sent and what the kernel holds (and different once it is changed),
 * element deltas that leave exactly the table a full replacement makes,
 * and closes handed to the closer thread.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>
#include <cmocka.h>

#include "netlink/nl_close.h"
#include "netlink/nft.h"
#include "netlink/nft_conn.h"
#include "nft_fixture.h"

#define CHECK(cond, code)                                                                  \
	do {                                                                               \
		if (!(cond)) {                                                             \
			fprintf(stderr, "%s:%d: %s\n", __FILE__, __LINE__, #cond);         \
			return code;                                                       \
		}                                                                          \
	} while (0)

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

/* The fixture's table with flags, sent over c. 0 or the kernel's error. */
static int send_table(struct bh_nft_conn *c, struct fixture *f, uint32_t flags)
{
	struct bh_nft_batch *b;
	char err[256];
	int ret;

	if (bh_nft_batch_alloc(&b))
		return -ENOMEM;
	bh_nft_batch_set_table_flags(b, flags);
	ret = bh_nft_build_table(b, &f->c, 0, &f->o);
	if (!ret)
		ret = bh_nft_conn_send(c, b, 0, err, sizeof(err));
	bh_nft_batch_free(b);
	return ret;
}

static int owned_tables(void)
{
	struct fixture *f = fixture_new();
	struct bh_nft_conn *a, *b, *c;
	struct bh_nft_state st;
	struct bh_nft_owner o;
	uint32_t g0, g1;
	char err[256];

	CHECK(bh_nft_probe_owned() == 1, 2);
	CHECK(!bh_nft_conn_open(NULL, &a, err, sizeof(err)), 3);
	CHECK(!bh_nft_conn_open(NULL, &b, err, sizeof(err)), 3);
	CHECK(!bh_nft_conn_genid(a, &g0), 4);
	CHECK(!send_table(a, f, BH_NFT_F_OWNED), 4);
	CHECK(!bh_nft_conn_genid(b, &g1) && g1 == g0 + 1, 4);
	CHECK(bh_nft_conn_table_read(b, &st) == 1, 5);
	CHECK(st.flags == BH_NFT_F_OWNED && st.has_owner && st.owner == bh_nft_conn_portid(a), 5);
	CHECK(st.generation == 42, 5);
	/* the owner replaces it again; anyone else is refused, replacing or deleting */
	f->o.generation = 43;
	CHECK(!send_table(a, f, BH_NFT_F_OWNED), 6);
	CHECK(send_table(b, f, BH_NFT_F_OWNED) == -EPERM, 7);
	CHECK(send_table(b, f, 0) == -EPERM, 7);
	CHECK(bh_nft_delete(NULL, err, sizeof(err)) == -EPERM, 7);
	/* refused transactions commit nothing */
	CHECK(!bh_nft_conn_genid(b, &g1) && g1 == g0 + 2, 7);
	CHECK(bh_nft_owner_describe(NULL, err, sizeof(err)) == 1, 8);
	CHECK(strstr(err, "owned by process ") != NULL, 8);
	/* the owner is this process */
	CHECK(!bh_nft_owner_find(NULL, st.owner, &o) && o.pid == getpid() && o.comm[0], 8);
	/* the owner goes: the table stays, without owner */
	bh_nft_conn_close(a);
	CHECK(bh_nft_conn_table_read(b, &st) == 1, 9);
	CHECK(st.flags == BH_NFT_F_PERSIST && !st.has_owner && st.generation == 43, 9);
	/* adopted by a replacement from another socket, owner set again */
	f->o.generation = 44;
	CHECK(!send_table(b, f, BH_NFT_F_OWNED), 10);
	CHECK(!bh_nft_conn_open(NULL, &c, err, sizeof(err)), 3);
	CHECK(bh_nft_conn_table_read(c, &st) == 1, 11);
	CHECK(st.flags == BH_NFT_F_OWNED && st.owner == bh_nft_conn_portid(b) &&
	      st.generation == 44, 11);
	/* an unowned replacement by the owner gives the ownership up */
	CHECK(!send_table(b, f, 0), 12);
	CHECK(bh_nft_conn_table_read(c, &st) == 1 && st.flags == 0 && !st.has_owner, 12);
	CHECK(!send_table(c, f, 0), 13);
	bh_nft_conn_close(b);
	bh_nft_conn_close(c);
	fixture_free(f);
	return 0;
}

static void test_owned_tables(void **state)
{
	in_netns(state, owned_tables);
}

static int netns_identity(void)
{
	struct bh_nft_conn *c;
	char err[256];

	CHECK(!bh_nft_conn_open(NULL, &c, err, sizeof(err)), 2);
	CHECK(bh_nft_conn_same_netns(c, NULL) == 1, 3);
	CHECK(bh_nft_conn_same_netns(c, "/nonexistent/ns") == -ENOENT, 5);
	/* this thread moves on to another namespace; the connection stays behind */
	CHECK(unshare(CLONE_NEWNET) == 0, 4);
	CHECK(bh_nft_conn_same_netns(c, NULL) == 0, 4);
	bh_nft_conn_close(c);
	CHECK(bh_nft_conn_open("/nonexistent/ns", &c, err, sizeof(err)) == -ENOENT, 6);
	CHECK(strstr(err, "/nonexistent/ns") != NULL, 6);
	return 0;
}

static void test_netns_identity(void **state)
{
	in_netns(state, netns_identity);
}

/* ---- digests ------------------------------------------------------------------------ */

struct lines {
	char *v[512];
	size_t n;
};

static void collect(const char *line, void *arg)
{
	struct lines *l = arg;

	if (l->n < 512)
		l->v[l->n++] = strdup(line);
}

static int str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Prints the lines that differ; 0 when the two sets of lines are equal. */
static int lines_diff(struct lines *a, struct lines *b)
{
	size_t i = 0, j = 0;
	int bad = 0;

	qsort(a->v, a->n, sizeof(char *), str_cmp);
	qsort(b->v, b->n, sizeof(char *), str_cmp);
	while (i < a->n || j < b->n) {
		int c = i == a->n ? 1 : j == b->n ? -1 : strcmp(a->v[i], b->v[j]);

		if (c < 0)
			fprintf(stderr, "sent only:   %s\n", a->v[i++]), bad = 1;
		else if (c > 0)
			fprintf(stderr, "kernel only: %s\n", b->v[j++]), bad = 1;
		else
			i++, j++;
	}
	for (i = 0; i < a->n; i++)
		free(a->v[i]);
	for (j = 0; j < b->n; j++)
		free(b->v[j]);
	a->n = b->n = 0;
	return bad;
}

static int digests(void)
{
	struct fixture *f = fixture_new();
	static struct lines ls, lk;
	struct bh_nft_batch *b;
	struct bh_nft_conn *c;
	uint64_t sent, held;
	char err[256];

	/* every chain kind: log all, audit on egress */
	f->rs.dir[BH_INGRESS].log = BH_LOG_ALL;
	f->rs.dir[BH_EGRESS].has_audit = true;
	CHECK(!bh_nft_conn_open(NULL, &c, err, sizeof(err)), 2);
	CHECK(bh_nft_conn_digest(c, &held, NULL, NULL) == 0, 3);
	CHECK(!bh_nft_batch_alloc(&b), 2);
	bh_nft_batch_set_table_flags(b, BH_NFT_F_OWNED);
	CHECK(!bh_nft_build_table(b, &f->c, 0, &f->o), 2);
	CHECK(!bh_nft_conn_send(c, b, 0, err, sizeof(err)), 4);
	CHECK(!bh_nft_batch_digest(b, &sent, collect, &ls), 5);
	CHECK(bh_nft_conn_digest(c, &held, collect, &lk) == 1, 5);
	CHECK(!lines_diff(&ls, &lk), 6);
	CHECK(sent == held && sent != 0, 6);
	/* traffic changes counters, not content */
	CHECK(system("ping -c1 -W1 127.0.0.1 >/dev/null 2>&1; exit 0") == 0, 7);
	CHECK(bh_nft_conn_digest(c, &held, NULL, NULL) == 1 && held == sent, 7);
	bh_nft_batch_free(b);
	/* the same table unowned: other processes can change it, and it shows */
	CHECK(!bh_nft_batch_alloc(&b), 2);
	CHECK(!bh_nft_build_table(b, &f->c, 0, &f->o), 2);
	CHECK(!bh_nft_conn_send(c, b, 0, err, sizeof(err)), 8);
	CHECK(!bh_nft_batch_digest(b, &sent, NULL, NULL), 8);
	CHECK(bh_nft_conn_digest(c, &held, NULL, NULL) == 1 && held == sent, 8);
	CHECK(system("nft add element inet bulkhead in4_any '{ 192.168.7.0/24 }'") == 0, 9);
	CHECK(bh_nft_conn_digest(c, &held, NULL, NULL) == 1 && held != sent, 9);
	CHECK(!bh_nft_conn_send(c, b, 0, err, sizeof(err)), 10);
	CHECK(bh_nft_conn_digest(c, &held, NULL, NULL) == 1 && held == sent, 10);
	CHECK(system("nft insert rule inet bulkhead input accept") == 0, 11);
	CHECK(bh_nft_conn_digest(c, &held, NULL, NULL) == 1 && held != sent, 11);
	bh_nft_batch_free(b);
	bh_nft_conn_close(c);
	fixture_free(f);
	return 0;
}

static void test_digests(void **state)
{
	in_netns(state, digests);
}

/* ---- element deltas -------------------------------------------------------------------- */

static uint32_t rnd_state = 12345;

static uint32_t rnd(uint32_t n)
{
	rnd_state = rnd_state * 1103515245u + 12345u;
	return (rnd_state >> 8) % n;
}

/* n sorted, disjoint random elements of one kind in 10.rnd.0.0/16 or fd00::/112 */
static void random_elems(struct bh_elems *out, int fam, bool concat, size_t n)
{
	struct bh_elem *e = calloc(n ? n : 1, sizeof(*e));
	uint32_t at = rnd(4);

	assert_non_null(e);
	for (size_t i = 0; i < n; i++) {
		uint32_t lo = at + rnd(3), hi = lo + rnd(3);

		at = hi + 1 + rnd(3);
		if (fam == BH_FAM_V4) {
			e[i].lo[0] = e[i].hi[0] = 10;
			e[i].lo[2] = (uint8_t)(lo >> 8), e[i].lo[3] = (uint8_t)lo;
			e[i].hi[2] = (uint8_t)(hi >> 8), e[i].hi[3] = (uint8_t)hi;
		} else {
			e[i].lo[0] = e[i].hi[0] = 0xfd;
			e[i].lo[14] = (uint8_t)(lo >> 8), e[i].lo[15] = (uint8_t)lo;
			e[i].hi[14] = (uint8_t)(hi >> 8), e[i].hi[15] = (uint8_t)hi;
		}
		if (concat) {
			e[i].proto = 6;
			e[i].port_lo = (uint16_t)(80 + rnd(3));
			e[i].port_hi = (uint16_t)(e[i].port_lo + rnd(2));
		}
	}
	/* sometimes an interval that starts at 0 or reaches the top */
	if (n && !concat && rnd(4) == 0)
		memset(e[0].lo, 0, 16);
	if (n && !concat && rnd(4) == 0)
		memset(e[n - 1].hi, 0xff, 16);
	free(out->v);
	out->v = e;
	out->n = n;
}

static void randomise(struct fixture *f)
{
	struct bh_view *in = &f->rs.dir[BH_INGRESS].enforce;

	for (int fam = 0; fam < BH_FAM_MAX; fam++) {
		random_elems(&in->any[fam], fam, false, rnd(6));
		random_elems(&in->l4[fam], fam, true, rnd(6));
	}
}

/* The fixture's full table (owned), for a snapshot and the shape a delta must keep. */
static struct bh_nft_batch *full_table(struct fixture *f)
{
	struct bh_nft_batch *b;

	if (bh_nft_batch_alloc(&b))
		return NULL;
	bh_nft_batch_set_table_flags(b, BH_NFT_F_OWNED);
	if (bh_nft_build_table(b, &f->c, 0, &f->o)) {
		bh_nft_batch_free(b);
		return NULL;
	}
	return b;
}

/* 0 when a delta from snap to the fixture's table is refused and adds nothing. */
static int refused(struct fixture *f, const struct bh_nft_snap *snap)
{
	struct bh_nft_batch *b;
	int ret;

	if (bh_nft_batch_alloc(&b))
		return 2;
	ret = bh_nft_build_delta(b, snap, &f->c, 0, &f->o) == 0 && !bh_nft_batch_msgs(b) ? 0 : 1;
	bh_nft_batch_free(b);
	return ret;
}

static int deltas(void)
{
	struct fixture *f = fixture_new();
	struct bh_nft_snap *snap = NULL;
	struct bh_nft_batch *b, *full;
	struct bh_nft_conn *c;
	uint64_t want, held;
	char err[256];
	int rounds = 0;

	CHECK(!bh_nft_conn_open(NULL, &c, err, sizeof(err)), 2);
	CHECK(!send_table(c, f, BH_NFT_F_OWNED), 3);
	CHECK(!bh_nft_snap_alloc(&f->c, 0, &f->o, &snap), 2);
	for (int r = 0; r < 60; r++) {
		randomise(f);
		/* the full table: its digest is what the delta must reach */
		CHECK((full = full_table(f)), 2);
		CHECK(!bh_nft_batch_digest(full, &want, NULL, NULL), 2);
		CHECK(!bh_nft_batch_alloc(&b), 2);
		CHECK(bh_nft_build_delta(b, snap, &f->c, 0, &f->o) == 1, 4);
		if (bh_nft_batch_msgs(b) &&
		    bh_nft_conn_send(c, b, 0, err, sizeof(err))) {
			fprintf(stderr, "round %d: %s\n", r, err);
			return 5;
		}
		rounds += bh_nft_batch_msgs(b) > 0;
		bh_nft_batch_free(b);
		CHECK(bh_nft_conn_digest(c, &held, NULL, NULL) == 1, 6);
		if (held != want) {
			fprintf(stderr, "round %d: the delta left another table\n", r);
			return 7;
		}
		bh_nft_snap_free(snap);
		CHECK(!bh_nft_snap_alloc(&f->c, 0, &f->o, &snap), 2);
		bh_nft_batch_free(full);
	}
	CHECK(rounds > 40, 8);
	/* a change beyond elements is refused: a policy more in the comment, ... */
	f->rs.dir[BH_INGRESS].enforce.n_isolated_by = 1;
	CHECK(!refused(f, snap), 9);
	f->rs.dir[BH_INGRESS].enforce.n_isolated_by = 2;
	/* ... another log mode, another log rate, another generation in the prefixes */
	f->rs.dir[BH_INGRESS].log = BH_LOG_ALL;
	CHECK(!refused(f, snap), 9);
	f->rs.dir[BH_INGRESS].log = BH_LOG_DENIED;
	f->o.log_rate = 7;
	CHECK(!refused(f, snap), 9);
	f->o.log_rate = BH_LOG_RATE;
	/* the same table is no refusal, whatever generation the caller would give it */
	f->o.generation++;
	CHECK(refused(f, snap) == 1, 10);
	f->o.generation--;
	bh_nft_snap_free(snap);
	bh_nft_conn_close(c);
	fixture_free(f);
	return 0;
}

static void test_deltas(void **state)
{
	in_netns(state, deltas);
}

/* ---- closes ---------------------------------------------------------------------------- */

static int deferred_closes(void)
{
	struct fixture *f = fixture_new();
	struct bh_nl_close_stats s0, s1;
	struct bh_nft_conn *c[20];
	char err[256];
	int fds[20];

	CHECK(!bh_nl_closer_start(), 2);
	bh_nl_close_stats_get(&s0);
	for (int i = 0; i < 20; i++) {
		CHECK(!bh_nft_conn_open(NULL, &c[i], err, sizeof(err)), 3);
		fds[i] = bh_nft_conn_fd(c[i]);
		/* a replacement deletes: the next close would wait for a grace period */
		CHECK(!send_table(c[i], f, 0), 4);
	}
	for (int i = 0; i < 20; i++)
		bh_nft_conn_close(c[i]);
	bh_nl_closer_stop();
	bh_nl_close_stats_get(&s1);
	CHECK(s1.closed - s0.closed == 20 && s1.deferred - s0.deferred == 20, 5);
	CHECK(s1.pending == 0, 5);
	for (int i = 0; i < 20; i++)
		CHECK(fcntl(fds[i], F_GETFD) < 0 && errno == EBADF, 6);
	/* without the worker a close happens on the spot */
	CHECK(!bh_nft_conn_open(NULL, &c[0], err, sizeof(err)), 3);
	fds[0] = bh_nft_conn_fd(c[0]);
	bh_nft_conn_close(c[0]);
	CHECK(fcntl(fds[0], F_GETFD) < 0 && errno == EBADF, 7);
	bh_nl_close_stats_get(&s0);
	CHECK(s0.closed == s1.closed + 1 && s0.deferred == s1.deferred, 7);
	fixture_free(f);
	return 0;
}

static void test_deferred_closes(void **state)
{
	in_netns(state, deferred_closes);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_owned_tables),
		cmocka_unit_test(test_netns_identity),
		cmocka_unit_test(test_digests),
		cmocka_unit_test(test_deltas),
		cmocka_unit_test(test_deferred_closes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
