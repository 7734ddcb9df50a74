// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * What a namespace costs per transaction, against the kernel's RCU grace
 * period on socket close. For N namespaces (paths on the command line):
 *   - one socket per transaction (open, replace the table, close): what
 *     bulkhead did before long-lived connections;
 *   - one long-lived connection per namespace, each transaction on it;
 *   - closing those N connections at the end, on the spot (the one-shot
 *     apply's case: the first close waits, the others do not);
 *   - N workloads leaving at once: delete each table and close its
 *     connection through the closer thread, timed as the event loop sees
 *     it, then the time until the worker has closed everything.
 * Ratios are against the first figure, in the same run.
 *   conn_bench ROUNDS NETNS...
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "policy/compile.h"
#include "netlink/nl_close.h"
#include "netlink/nft.h"
#include "netlink/nft_conn.h"

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* A small isolated table: two peers on one port, both directions open. */
static struct bh_nft_batch *table_batch(uint32_t flags)
{
	static struct bh_policy pol = { .namespace = "bench", .name = "p" };
	static struct bh_policy_set pols = { .v = &pol, .n = 1 };
	static uint32_t by[1] = { 0 };
	static struct bh_elem e[2];
	static struct bh_ruleset rs;
	static struct bh_compiled c = { .pols = &pols, .groups = &rs, .n_groups = 1 };
	struct bh_emit_opts o;
	struct bh_nft_batch *b;

	rs.dir[BH_INGRESS].enforce.isolated = true;
	rs.dir[BH_INGRESS].enforce.isolated_by = by;
	rs.dir[BH_INGRESS].enforce.n_isolated_by = 1;
	for (int i = 0; i < 2; i++) {
		e[i].lo[0] = e[i].hi[0] = 10;
		e[i].lo[3] = e[i].hi[3] = (uint8_t)(1 + 2 * i);
		e[i].proto = 6;
		e[i].port_lo = e[i].port_hi = 8080;
	}
	rs.dir[BH_INGRESS].enforce.l4[BH_FAM_V4].v = e;
	rs.dir[BH_INGRESS].enforce.l4[BH_FAM_V4].n = 2;
	bh_emit_opts_default(&o);
	o.generation = 1;
	if (bh_nft_batch_alloc(&b))
		return NULL;
	bh_nft_batch_set_table_flags(b, flags);
	if (bh_nft_build_table(b, &c, 0, &o)) {
		bh_nft_batch_free(b);
		return NULL;
	}
	return b;
}

int main(int argc, char **argv)
{
	struct bh_nft_batch *b = table_batch(BH_NFT_F_OWNED), *del = NULL;
	int rounds = argc > 1 ? atoi(argv[1]) : 0, n = argc - 2;
	struct bh_nft_conn **c = calloc(n > 0 ? n : 1, sizeof(*c));
	double t, per_tx, conn_tx, close_all, leave_loop, leave_done;
	struct bh_nl_close_stats s0, s1;
	char err[256];

	if (rounds < 1 || n < 1 || !b || !c || bh_nft_batch_alloc(&del) || bh_nft_build_delete(del)) {
		fprintf(stderr, "usage: conn_bench ROUNDS NETNS...\n");
		return 2;
	}
	printf("%d namespaces, %d rounds of one table replacement each\n", n, rounds);
	/* one socket per transaction (unowned: each socket would own it otherwise) */
	bh_nft_batch_set_table_flags(b, 0);
	t = now_ms();
	for (int r = 0; r < rounds; r++)
		for (int i = 0; i < n; i++)
			if (bh_nft_apply(argv[2 + i], b, 0, err, sizeof(err))) {
				fprintf(stderr, "%s: %s\n", argv[2 + i], err);
				return 1;
			}
	per_tx = (now_ms() - t) / (rounds * n);
	/* long-lived, owned */
	bh_nft_batch_free(b);
	b = table_batch(BH_NFT_F_OWNED);
	for (int i = 0; i < n; i++)
		if (bh_nft_conn_open(argv[2 + i], &c[i], err, sizeof(err))) {
			fprintf(stderr, "%s\n", err);
			return 1;
		}
	t = now_ms();
	for (int r = 0; r < rounds; r++)
		for (int i = 0; i < n; i++)
			if (bh_nft_conn_send(c[i], b, 0, err, sizeof(err))) {
				fprintf(stderr, "%s: %s\n", argv[2 + i], err);
				return 1;
			}
	conn_tx = (now_ms() - t) / (rounds * n);
	t = now_ms();
	for (int i = 0; i < n; i++)
		bh_nft_conn_close(c[i]);
	close_all = now_ms() - t;
	/* every workload leaves at once: delete, close through the worker */
	for (int i = 0; i < n; i++)
		if (bh_nft_conn_open(argv[2 + i], &c[i], err, sizeof(err)) ||
		    bh_nft_conn_send(c[i], b, 0, err, sizeof(err))) {
			fprintf(stderr, "%s\n", err);
			return 1;
		}
	bh_nl_closer_start();
	bh_nl_close_stats_get(&s0);
	t = now_ms();
	for (int i = 0; i < n; i++) {
		if (bh_nft_conn_send(c[i], del, 0, err, sizeof(err))) {
			fprintf(stderr, "%s: %s\n", argv[2 + i], err);
			return 1;
		}
		bh_nft_conn_close(c[i]);
	}
	leave_loop = now_ms() - t;
	bh_nl_closer_stop();
	leave_done = now_ms() - t;
	bh_nl_close_stats_get(&s1);

	printf("%-58s %9.3f ms\n", "transaction on its own socket (open, send, close)", per_tx);
	printf("%-58s %9.3f ms   x%.1f\n", "transaction on the namespace's long-lived connection",
	       conn_tx, per_tx / conn_tx);
	printf("%-58s %9.3f ms   (%.3f ms each)\n", "closing every connection at the end", close_all,
	       close_all / n);
	printf("%-58s %9.3f ms   (%.3f ms each)\n", "all leave: delete + close, as the loop sees it",
	       leave_loop, leave_loop / n);
	printf("%-58s %9.3f ms   (%.1f ms of it in close())\n",
	       "all leave: until the worker closed them all", leave_done,
	       (s1.total_us - s0.total_us) / 1e3);
	printf("summary: per namespace and transaction: %.3f ms on its own socket, %.3f ms on a long-lived connection (x%.1f)\n",
	       per_tx, conn_tx, per_tx / conn_tx);
	printf("summary: %d workloads leaving at once: the loop spends %.1f ms, the closer thread %.1f ms in close() (%llu closes); closing %d connections at the end of apply: %.1f ms\n",
	       n, leave_loop, (s1.total_us - s0.total_us) / 1e3,
	       (unsigned long long)(s1.deferred - s0.deferred), n, close_all);
	bh_nft_batch_free(b);
	bh_nft_batch_free(del);
	free(c);
	return 0;
}
