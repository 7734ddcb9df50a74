// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * bulkhead apply --inventory F --policies D: program every listed network
 * namespace once, each in one atomic nftables transaction.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cmd/cli.h"
#include "cmd/cmd.h"
#include "policy/compile.h"
#include "policy/diag.h"
#include "policy/model.h"
#include "netlink/netns.h"
#include "netlink/nft.h"

#define MAX_POLICY_PATHS 64

struct apply {
	const char *inv_path;
	const char *pol_paths[MAX_POLICY_PATHS];
	size_t n_pol_paths;
	struct bh_emit_opts opts;
	bool have_gen;
	bool dry_run;
	bool force;
	bool debug_netlink;
	struct bh_inventory *inv;
	struct bh_policy_set *pols;
	struct bh_compiled *c;
	char **failed;		/* per workload: why it cannot be programmed, or NULL */
};

static void apply_usage(FILE *f)
{
	fprintf(f, "Usage: bulkhead apply --inventory FILE --policies DIR|FILE [--policies ...]\n"
		   "                      [--dry-run] [--force] [--log-group N] [--log-rate N]\n"
		   "                      [--log-burst N] [--generation N]\n\n"
		   "Compile the policies for every workload of the inventory and program\n"
		   "table inet " BH_TABLE " in each workload's network namespace, one atomic\n"
		   "transaction per namespace. Workloads no policy isolates get no table.\n"
		   "Addresses missing from the inventory are read from the namespaces.\n\n"
		   "  --dry-run       let the kernel validate every transaction, commit none\n"
		   "  --force         reprogram namespaces whose table is already up to date\n"
		   "  --debug-netlink hexdump every message sent, on stderr\n"
		   "  --log-group N   NFLOG group of the log statements (default %d)\n"
		   "  --log-rate N    log lines per second per workload and direction,\n"
		   "                  0 = unlimited (default %d)\n"
		   "  --log-burst N   burst of the log limit (default %d)\n"
		   "  --generation N  generation in the log prefixes (default: a digest of\n"
		   "                  the namespace's ruleset, so applying again changes nothing)\n\n"
		   "Exit status: 0 every namespace enforced, 1 invalid input or a namespace\n"
		   "not enforced (the others are still programmed), 2 usage error.\n",
		   BH_LOG_GROUP, BH_LOG_RATE, BH_LOG_BURST);
}

/* 0, or the exit code of a usage error (2) or of --help (-1: print usage, exit 0). */
static int parse_args(struct apply *a, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "inventory", required_argument, NULL, 'i' },
		{ "policies", required_argument, NULL, 'p' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "force", no_argument, NULL, 'f' },
		{ "log-group", required_argument, NULL, 'g' },
		{ "generation", required_argument, NULL, 'G' },
		{ "log-rate", required_argument, NULL, 'r' },
		{ "log-burst", required_argument, NULL, 'b' },
		{ "debug-netlink", no_argument, NULL, 'D' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned long long v;
	int opt;

	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "+hi:p:nf", opts, NULL)) != -1) {
		switch (opt) {
		case 'i':
			a->inv_path = optarg;
			break;
		case 'p':
			if (a->n_pol_paths == MAX_POLICY_PATHS) {
				fprintf(stderr, "bulkhead apply: too many --policies\n");
				return 2;
			}
			a->pol_paths[a->n_pol_paths++] = optarg;
			break;
		case 'n':
			a->dry_run = true;
			break;
		case 'f':
			a->force = true;
			break;
		case 'D':
			a->debug_netlink = true;
			break;
		case 'g':
			if (bh_cli_number(optarg, UINT16_MAX, &v)) {
				fprintf(stderr, "bulkhead apply: bad --log-group '%s'\n", optarg);
				return 2;
			}
			a->opts.log_group = (uint16_t)v;
			break;
		case 'r':
		case 'b':
			if (bh_cli_number(optarg, UINT32_MAX, &v)) {
				fprintf(stderr, "bulkhead apply: bad --log-%s '%s'\n",
					opt == 'r' ? "rate" : "burst", optarg);
				return 2;
			}
			if (opt == 'r')
				a->opts.log_rate = (uint32_t)v;
			else
				a->opts.log_burst = (uint32_t)v;
			break;
		case 'G':
			if (bh_cli_number(optarg, UINT64_MAX, &v)) {
				fprintf(stderr, "bulkhead apply: bad --generation '%s'\n", optarg);
				return 2;
			}
			a->opts.generation = v;
			a->have_gen = true;
			break;
		case 'h':
			return -1;
		default:
			fprintf(stderr, "bulkhead apply: invalid option '%s'\n", argv[optind - 1]);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "bulkhead apply: unexpected argument '%s'\n", argv[optind]);
		return 2;
	}
	if (!a->inv_path || !a->n_pol_paths) {
		fprintf(stderr, "bulkhead apply: --inventory and --policies are required\n");
		return 2;
	}
	return 0;
}

/* Records why workload i is not enforced (the first reason counts). */
static void fail(struct apply *a, size_t i, const char *why)
{
	if (!a->failed[i])
		a->failed[i] = strdup(why);
}

/* Two workloads in one namespace would overwrite each other's table. */
static int check_shared_netns(const struct bh_inventory *inv)
{
	struct stat si, sj;
	int bad = 0;

	for (size_t i = 0; i < inv->n_wl; i++) {
		const struct bh_workload *wi = &inv->wl[i];
		bool have_i;

		if (!wi->netns)
			continue;
		have_i = stat(wi->netns, &si) == 0;
		for (size_t j = i + 1; j < inv->n_wl; j++) {
			const struct bh_workload *wj = &inv->wl[j];

			if (!wj->netns)
				continue;
			/* the same namespace can be reached by several paths */
			if (strcmp(wi->netns, wj->netns) &&
			    !(have_i && stat(wj->netns, &sj) == 0 && si.st_dev == sj.st_dev &&
			      si.st_ino == sj.st_ino))
				continue;
			fprintf(stderr, "%s:%u:%u: error: workloads %s/%s and %s/%s share the network "
				"namespace %s\n", wj->loc.file ? wj->loc.file : "inventory",
				wj->loc.line, wj->loc.col, wi->namespace, wi->name, wj->namespace,
				wj->name, wj->netns);
			bad = 1;
		}
	}
	return bad;
}

/* Reads the addresses of workloads whose inventory entry lists none. */
static void fill_ips(struct apply *a)
{
	for (size_t i = 0; i < a->inv->n_wl; i++) {
		struct bh_workload *w = &a->inv->wl[i];
		struct bh_addr *ips;
		size_t n;
		int ret;

		if (!w->ips_from_netns || !w->netns)
			continue;
		ret = bh_netns_addrs(w->netns, &ips, &n);
		if (ret) {
			char why[160];

			snprintf(why, sizeof(why), "cannot read its addresses: %s", strerror(-ret));
			fail(a, i, why);
			continue;
		}
		free(w->ips);
		w->ips = ips;
		w->n_ips = n;
	}
}

static uint64_t fnv1a(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (; *s; s++)
		h = (h ^ (uint8_t)*s) * 0x100000001b3ull;
	return h;
}

/*
 * The default generation: a digest of the table as rendered with
 * generation 0. Equal rulesets get equal generations, so a table already
 * carrying it is up to date and applying again changes nothing.
 */
static int content_generation(const struct apply *a, size_t g, uint64_t *gen)
{
	struct bh_emit_opts o = a->opts;
	char *text;

	o.generation = 0;
	text = bh_render_nft(a->c, g, NULL, &o);
	if (!text)
		return -ENOMEM;
	/* 48 bits: collisions are negligible and the number stays exact in JSON */
	*gen = fnv1a(text) & 0xffffffffffffull;
	if (!*gen)
		*gen = 1;
	free(text);
	return 0;
}

static void describe_dir(char *buf, size_t len, const struct bh_ruleset *rs)
{
	static const char *const name[BH_DIR_MAX] = { "ingress", "egress" };
	size_t n = 0;

	buf[0] = 0;
	for (int d = 0; d < BH_DIR_MAX; d++) {
		const struct bh_dir_rules *dr = &rs->dir[d];
		const char *what = dr->enforce.isolated ? (dr->has_audit ? "isolated, audited" :
			"isolated") : dr->has_audit ? "audited" : "open";

		n += snprintf(buf + n, n < len ? len - n : 0, "%s%s %s", d ? ", " : "", name[d], what);
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
		}
	return n;
}

static bool isolated(const struct bh_ruleset *rs)
{
	for (int d = 0; d < BH_DIR_MAX; d++)
		if (rs->dir[d].enforce.isolated || rs->dir[d].has_audit)
			return true;
	return false;
}

/* The batch as the kernel will get it, message by message (nft --debug=mnl). */
static void batch_dump(const struct bh_nft_batch *b, const char *netns)
{
	fprintf(stderr, "# batch for %s: %zu messages\n", netns, bh_nft_batch_msgs(b));
	bh_nft_batch_fprint(b, stderr);
}

/* Programs one workload's namespace. 0, or negative errno with err filled. */
static int program(struct apply *a, const struct bh_workload *w, size_t g, char *err,
		   size_t errlen, const char **verb)
{
	const struct bh_ruleset *rs = &a->c->groups[g];
	struct bh_emit_opts o = a->opts;
	struct bh_nft_batch *b = NULL;
	uint64_t cur = 0;
	int ret, have;

	if (!isolated(rs)) {
		*verb = a->dry_run ? "unisolated (dry run: table would be removed)" :
			"unisolated (no table)";
		if (a->dry_run)
			return 0;
		return bh_nft_delete(w->netns, err, errlen);
	}
	if (!a->have_gen && (ret = content_generation(a, g, &o.generation)))
		goto nomem;
	if (!a->force && !a->dry_run) {
		have = bh_nft_table_get(w->netns, &cur);
		if (have == 1 && cur == o.generation) {
			*verb = "enforced, unchanged";
			return 0;
		}
	}
	if ((ret = bh_nft_batch_alloc(&b)) || (ret = bh_nft_build_table(b, a->c, g, &o)))
		goto nomem;
	if (a->debug_netlink)
		batch_dump(b, w->netns);
	ret = bh_nft_apply(w->netns, b, a->dry_run ? BH_NFT_DRY_RUN : 0, err, errlen);
	*verb = a->dry_run ? "validated (dry run)" : "enforced";
	bh_nft_batch_free(b);
	return ret;
nomem:
	bh_nft_batch_free(b);
	snprintf(err, errlen, "%s", strerror(-ret));
	return ret;
}

static int load(struct apply *a)
{
	struct bh_diag diag;
	int bad = 0;

	bh_diag_init(&diag);
	if (bh_inventory_load(a->inv_path, &diag, &a->inv) < 0)
		bad = 1;
	if (bh_policy_set_load(a->pol_paths, a->n_pol_paths, &diag, &a->pols) < 0)
		bad = 1;
	if (bad || bh_diag_count(&diag)) {
		bh_diag_print(&diag, stderr);
		bad = 1;
	}
	bh_diag_deinit(&diag);
	if (!bad && check_shared_netns(a->inv))
		bad = 1;
	if (bad)
		fprintf(stderr, "bulkhead apply: invalid input, nothing changed\n");
	return bad;
}

int bh_cmd_apply(int argc, char **argv)
{
	struct apply a = { 0 };
	size_t n_ok = 0, n_bad = 0, n_skipped = 0;
	int rc;

	bh_emit_opts_default(&a.opts);
	rc = parse_args(&a, argc, argv);
	if (rc) {
		apply_usage(rc < 0 ? stdout : stderr);
		return rc < 0 ? 0 : rc;
	}
	if (load(&a)) {
		rc = 1;
		goto out;
	}
	a.failed = calloc(a.inv->n_wl + 1, sizeof(*a.failed));
	if (!a.failed) {
		fprintf(stderr, "bulkhead apply: out of memory\n");
		rc = 1;
		goto out;
	}
	fill_ips(&a);
	if (bh_compile(a.pols, a.inv, &a.c) < 0) {
		fprintf(stderr, "bulkhead apply: out of memory while compiling\n");
		rc = 1;
		goto out;
	}
	for (size_t i = 0; i < a.inv->n_wl; i++) {
		const struct bh_workload *w = &a.inv->wl[i];
		const struct bh_ruleset *rs = &a.c->groups[a.c->wl_group[i]];
		const char *verb = "";
		char err[512] = "", dirs[96];

		/* peers known only by address: they count for the others' rules */
		if (!w->netns) {
			n_skipped++;
			continue;
		}
		if (!a.failed[i] && program(&a, w, a.c->wl_group[i], err, sizeof(err), &verb) < 0)
			fail(&a, i, err[0] ? err : strerror(ENOMEM));
		if (a.failed[i]) {
			fprintf(stderr, "%s/%s: NOT enforced in %s: %s\n", w->namespace, w->name,
				w->netns, a.failed[i]);
			n_bad++;
			continue;
		}
		describe_dir(dirs, sizeof(dirs), rs);
		if (isolated(rs))
			printf("%s/%s: %s (%s, %zu set elements) in %s\n", w->namespace, w->name, verb,
			       dirs, count_elems(rs), w->netns);
		else
			printf("%s/%s: %s in %s\n", w->namespace, w->name, verb, w->netns);
		n_ok++;
	}
	if (n_skipped)
		printf("%zu workloads without a netns: not programmed, used as peers\n", n_skipped);
	fflush(stdout);
	if (n_bad)
		fprintf(stderr, "bulkhead apply: %zu of %zu namespaces not enforced\n", n_bad,
			n_ok + n_bad);
	rc = n_bad ? 1 : 0;
out:
	if (a.failed)
		for (size_t i = 0; i < a.inv->n_wl; i++)
			free(a.failed[i]);
	free(a.failed);
	bh_compiled_free(a.c);
	bh_policy_set_free(a.pols);
	bh_inventory_free(a.inv);
	return rc;
}
