// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * bulkhead apply --inventory F --policies D: program every listed network
 * namespace once, each in one atomic nftables transaction, through the
 * agent's reconciler (agent/reconcile.h): the same digest decides what is
 * up to date, read back from the stamp of the table in each namespace.
 */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agent/reconcile.h"
#include "agent/state.h"
#include "cmd/cli.h"
#include "cmd/cmd.h"
#include "netlink/netns.h"
#include "netlink/nft.h"
#include "policy/compile.h"
#include "policy/diag.h"
#include "policy/model.h"

static const enum bh_opt_id shared[] = {
	BH_O_INVENTORY, BH_O_POLICIES, BH_O_LOG_GROUP, BH_O_LOG_RATE, BH_O_LOG_BURST,
	BH_O_GENERATION, BH_O_TABLE_MODE, BH_O_LIMITS BH_O_HELP,
};

enum { L_DRY_RUN, L_FORCE, L_DEBUG_NETLINK };

static const struct bh_cli_local local[] = {
	[L_DRY_RUN] = { "dry-run", 'n', no_argument, NULL,
			"let the kernel validate every transaction, commit none" },
	[L_FORCE] = { "force", 'f', no_argument, NULL,
		      "reprogram namespaces whose table is already up to date" },
	[L_DEBUG_NETLINK] = { "debug-netlink", 0, no_argument, NULL,
			      "hexdump every batch sent, on stderr" },
};

static const struct bh_cli_spec spec = {
	.cmd = "apply",
	.synopsis = "apply --inventory FILE --policies PATH [--policies ...] [options]",
	.about = "Compile the policies for every workload of the inventory and program\n"
		 "table inet " BH_TABLE " in each workload's network namespace, one atomic\n"
		 "transaction per namespace. Workloads no policy isolates get no table.\n"
		 "Addresses missing from the inventory are read from the namespaces.\n"
		 "A namespace whose table carries the digest of the wanted ruleset is\n"
		 "left alone (\"enforced, unchanged\"). What is programmed gets the\n"
		 "generation --generation N, else one more than the highest found in the\n"
		 "namespaces' tables; a table programmed again unchanged keeps its own.\n"
		 "Tables are owned and persistent where the kernel supports it\n"
		 "(--table-mode): kept in force after apply exits, and refused to other\n"
		 "processes while one runs that owns them (a running agent).",
	.shared = shared,
	.n_shared = sizeof(shared) / sizeof(shared[0]),
	.local = local,
	.n_local = sizeof(local) / sizeof(local[0]),
	.exit_status = "Exit status: 0 every namespace enforced, 1 a namespace not enforced\n"
		       "(the others are still programmed), 2 usage error or invalid or\n"
		       "unreadable input (nothing is touched then).",
};

struct apply {
	struct bh_cli args;
	unsigned int flags;	/* BH_REC_* */
	bool debug_netlink;
	struct bh_cli_inputs in;
	int *addr_err;		/* per workload: reading its addresses failed (negative errno) */
	struct bh_reconcile rec;
};

static int on_local(void *ctx, size_t idx, const char *arg)
{
	struct apply *a = ctx;

	if (idx == L_DRY_RUN)
		a->flags |= BH_REC_DRY_RUN | BH_REC_FORCE;	/* validate every namespace */
	else if (idx == L_FORCE)
		a->flags |= BH_REC_FORCE;
	else
		a->debug_netlink = true;
	return 0;
}

static uint64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static bool isolated(const struct bh_ruleset *rs)
{
	for (int d = 0; d < BH_DIR_MAX; d++)
		if (bh_dir_active(&rs->dir[d]))
			return true;
	return false;
}

/* "ingress isolated, egress open"; with tiers "ingress admin tier + isolated, egress baseline tier" */
static void describe_dir(char *buf, size_t len, const struct bh_ruleset *rs)
{
	static const char *const name[BH_DIR_MAX] = { "ingress", "egress" };
	size_t n = 0;

	buf[0] = 0;
	for (int d = 0; d < BH_DIR_MAX; d++) {
		const struct bh_dir_rules *dr = &rs->dir[d];
		const char *what = dr->enforce.isolated ? (dr->has_audit ? "isolated, audited" :
			"isolated") : dr->has_audit ? "audited" : "open";
		bool admin = dr->enforce.admin.present, base = dr->enforce.baseline.present;

		if (!dr->enforce.isolated && !dr->has_audit && (admin || base))
			what = "";
		n += snprintf(buf + n, n < len ? len - n : 0, "%s%s %s%s%s%s%s", d ? ", " : "", name[d],
			      admin ? "admin tier" : "", admin && base ? " + " : "",
			      base ? "baseline tier" : "", (admin || base) && *what ? " + " : "", what);
	}
}

static size_t count_elems(const struct bh_ruleset *rs)
{
	size_t n = 0;

	for (int d = 0; d < BH_DIR_MAX; d++)
		for (int f = 0; f < BH_FAM_MAX; f++) {
			if (rs->dir[d].enforce.isolated)
				n += rs->dir[d].enforce.any[f].n + rs->dir[d].enforce.l4[f].n;
			if (rs->dir[d].has_audit)
				n += rs->dir[d].audit.any[f].n + rs->dir[d].audit.l4[f].n;
			for (int v = 0; v < 2; v++) {
				const struct bh_view *view = v ? &rs->dir[d].audit : &rs->dir[d].enforce;

				n += view->admin.any[f].n + view->admin.l4[f].n;
				n += view->baseline.any[f].n + view->baseline.l4[f].n;
			}
		}
	return n;
}

/*
 * Everything that can be known before touching a namespace: valid inputs,
 * no namespace reached by two paths, addresses, the compiled rulesets.
 * 0, or the exit code (printed).
 */
static int prepare(struct apply *a)
{
	struct bh_cli_inputs *in = &a->in;
	struct bh_diag diag;
	int r;

	if (bh_cli_load(a->args.inventory, a->args.policies, a->args.n_policies, false,
			&a->args.limits, in)) {
		fprintf(stderr, "bulkhead apply: invalid input, nothing changed\n");
		return BH_EXIT_CANNOT;
	}
	bh_diag_init(&diag);
	r = bh_netns_check_distinct(in->inv, &diag);
	bh_diag_print(&diag, stderr);
	bh_diag_deinit(&diag);
	if (r) {
		fprintf(stderr, "bulkhead apply: %s, nothing changed\n",
			r < 0 ? strerror(-r) : "invalid input");
		return BH_EXIT_CANNOT;
	}
	a->addr_err = calloc(in->inv->n_wl + 1, sizeof(*a->addr_err));
	if (!a->addr_err || bh_netns_resolve_ips(in->inv, a->addr_err) < 0) {
		fprintf(stderr, "bulkhead apply: out of memory, nothing changed\n");
		return BH_EXIT_CANNOT;
	}
	/* with the addresses read: the element limit counts them */
	bh_diag_init(&diag);
	r = bh_compile_limited(in->pols, in->inv, &a->args.limits, &diag, &in->c);
	bh_diag_print(&diag, stderr);
	bh_diag_deinit(&diag);
	if (r < 0) {
		fprintf(stderr, "bulkhead apply: %s, nothing changed\n",
			r == -E2BIG ? "invalid input" : "out of memory");
		return BH_EXIT_CANNOT;
	}
	return 0;
}

/* One line per workload: stdout when enforced, stderr when not. 1 when not enforced. */
static int report(const struct apply *a, size_t i)
{
	const struct bh_workload *w = &a->in.inv->wl[i];
	const struct bh_ruleset *rs = &a->in.c->groups[a->in.c->wl_group[i]];
	const struct bh_rec_wl *e = bh_reconcile_find(&a->rec, w->namespace, w->name);
	bool dry = a->flags & BH_REC_DRY_RUN;
	const char *verb;
	char dirs[96];

	if (a->addr_err[i] || !e || e->did == BH_REC_FAILED) {
		/* the first reason counts: its peers' sets lack its addresses */
		if (a->addr_err[i])
			fprintf(stderr, "%s/%s: NOT enforced in %s: cannot read its addresses: %s\n",
				w->namespace, w->name, w->netns, strerror(-a->addr_err[i]));
		else
			fprintf(stderr, "%s/%s: NOT enforced in %s: %s\n", w->namespace, w->name,
				w->netns, e && e->last_error ? e->last_error : strerror(ENOMEM));
		return 1;
	}
	if (!isolated(rs)) {
		verb = dry && e->did == BH_REC_REMOVED ? "unisolated (dry run: table would be removed)"
						      : "unisolated (no table)";
		printf("%s/%s: %s in %s\n", w->namespace, w->name, verb, w->netns);
		return 0;
	}
	verb = e->did == BH_REC_UNCHANGED ? "enforced, unchanged" :
	       dry ? "validated (dry run)" : "enforced";
	describe_dir(dirs, sizeof(dirs), rs);
	printf("%s/%s: %s (%s, %zu set elements) in %s\n", w->namespace, w->name, verb, dirs,
	       count_elems(rs), w->netns);
	return 0;
}

int bh_cmd_apply(int argc, char **argv)
{
	struct apply a = { 0 };
	size_t n_ok = 0, n_bad = 0, n_skipped = 0;
	enum bh_nft_mode mode;
	struct bh_gen g = { 0 };
	uint64_t max_gen, t0;
	char why[128];
	int rc;

	rc = bh_cli_parse(&spec, argc, argv, &a.args, on_local, &a);
	if (rc)
		return rc < 0 ? BH_EXIT_OK : rc;
	if (!a.args.inventory || !a.args.n_policies)
		return bh_cli_usage_error(&spec, "--inventory and --policies are required");
	if (bh_nft_mode_parse(a.args.table_mode, &mode) < 0)
		return bh_cli_usage_error(&spec, "--table-mode is auto, owned or unowned, not '%s'",
					  a.args.table_mode);
	rc = prepare(&a);
	if (rc)
		goto out;
	bh_reconcile_init(&a.rec, &a.args.emit, NULL);
	if (bh_nft_mode_resolve(mode, &a.rec.table_flags, why, sizeof(why)) < 0) {
		fprintf(stderr, "bulkhead apply: --table-mode owned: %s, nothing changed\n", why);
		rc = BH_EXIT_CANNOT;
		goto out_rec;
	}
	a.rec.no_empty_table = true;
	a.rec.dump = a.debug_netlink ? stderr : NULL;
	g.inv = a.in.inv;
	g.comp = a.in.c;
	/* --force with --generation: nothing to learn from the tables in place */
	max_gen = 0;
	if ((!(a.flags & BH_REC_FORCE) || !a.args.have_generation) &&
	    bh_reconcile_adopt(&a.rec, &g, &max_gen) < 0)
		goto nomem;
	g.id = a.args.have_generation ? a.args.emit.generation : max_gen + 1;
	if (bh_reconcile_run(&a.rec, &g, a.flags, NULL, NULL) == -ENOMEM)
		goto nomem;
	for (size_t i = 0; i < a.in.inv->n_wl; i++) {
		/* peers known only by address: they count for the others' rules */
		if (!a.in.inv->wl[i].netns)
			n_skipped++;
		else if (report(&a, i))
			n_bad++;
		else
			n_ok++;
	}
	if (n_skipped)
		printf("%zu workloads without a netns: not programmed, used as peers\n", n_skipped);
	fflush(stdout);
	if (n_bad)
		fprintf(stderr, "bulkhead apply: %zu of %zu namespaces not enforced\n", n_bad,
			n_ok + n_bad);
	rc = n_bad ? BH_EXIT_NO : BH_EXIT_OK;
	goto out_rec;
nomem:
	fprintf(stderr, "bulkhead apply: out of memory\n");
	rc = BH_EXIT_NO;	/* namespaces may have been touched: not all enforced */
out_rec:
	/*
	 * Every namespace's socket closes here, together: the first close may
	 * wait for an RCU grace period, the others find nothing left to wait for.
	 */
	t0 = now_us();
	bh_reconcile_deinit(&a.rec);
	if (a.debug_netlink)
		fprintf(stderr, "# closing the namespaces' netlink sockets: %.1f ms\n",
			(now_us() - t0) / 1000.0);
out:
	free(a.addr_err);
	bh_cli_inputs_free(&a.in);
	return rc;
}
