// SPDX-License-Identifier: GPL-2.0-or-later
/* bulkhead diff: what a change of policies opens and closes, from both compiled sides. */
#include <errno.h>
#include <ftw.h>
#include <getopt.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cmd/cli.h"
#include "cmd/cmd.h"
#include "cmd/diff_flows.h"
#include "log/jsonw.h"
#include "policy/diff.h"
#include "policy/explain.h"

static const enum bh_opt_id shared[] = { BH_O_INVENTORY, BH_O_LIMITS BH_O_HELP };

enum { L_OLD, L_NEW, L_FORMAT, L_FLOWS, L_GIT };

static const struct bh_cli_local local[] = {
	[L_OLD] = { "old", 0, required_argument, "PATH", "the policies before the change" },
	[L_NEW] = { "new", 0, required_argument, "PATH", "the policies after the change" },
	[L_FORMAT] = { "format", 0, required_argument, "FMT", "text (default), json or markdown" },
	[L_FLOWS] = { "flows", 0, required_argument, "FILE",
		      "the agent's log ('-': stdin): recorded flows the new side changes" },
	[L_GIT] = { "git", 0, required_argument, "DIR",
		    "--old and --new are git revisions of the policy directory DIR" },
};

static const struct bh_cli_spec spec = {
	.cmd = "diff",
	.synopsis = "diff --inventory FILE --old PATH --new PATH [--format text|json|markdown]\n"
		    "       [--flows FILE]... [--git DIR]",
	.about = "Lists the connections a change of policies opens and closes, between\n"
		 "every pair of workloads of the inventory and with outside addresses,\n"
		 "for every port of TCP, UDP and SCTP, from the same compiled rules the\n"
		 "kernel gets. Each entry names the rules deciding both ends (the new\n"
		 "side for opened connections, the old side for closed ones). Changes\n"
		 "to policies in audit mode alone are listed under audit. Outside\n"
		 "ranges may cover inventory addresses: those are listed as pairs.\n"
		 "--flows FILE (repeatable) replays the agent's JSON lines.",
	.shared = shared,
	.n_shared = sizeof(shared) / sizeof(shared[0]),
	.local = local,
	.n_local = sizeof(local) / sizeof(local[0]),
	.exit_status = "Exit status: 0 reachability identical, 1 something opened or closed (or\n"
		       "a recorded flow changes verdict), 2 usage error, unreadable or invalid\n"
		       "input on either side.",
};

enum fmt { F_TEXT, F_JSON, F_MD };

struct diff_args {
	const char *old, *new;
	enum fmt fmt;
	const char *flows[BH_CLI_MAX_POLICIES];
	size_t n_flows;
	const char *git;
};

static int on_local(void *ctx, size_t idx, const char *arg)
{
	static const char *const fmts[] = { [F_TEXT] = "text", [F_JSON] = "json", [F_MD] = "markdown" };
	struct diff_args *x = ctx;

	switch (idx) {
	case L_OLD:
		x->old = arg;
		return 0;
	case L_NEW:
		x->new = arg;
		return 0;
	case L_GIT:
		x->git = arg;
		return 0;
	case L_FLOWS:
		if (x->n_flows == BH_CLI_MAX_POLICIES) {
			bh_cli_usage_error(&spec, "at most %d --flows", BH_CLI_MAX_POLICIES);
			return -1;
		}
		x->flows[x->n_flows++] = arg;
		return 0;
	}
	for (size_t i = 0; i < sizeof(fmts) / sizeof(fmts[0]); i++)
		if (!strcmp(arg, fmts[i])) {
			x->fmt = (enum fmt)i;
			return 0;
		}
	bh_cli_usage_error(&spec, "invalid format '%s' (expected text, json or markdown)", arg);
	return -1;
}

/* The strings of one entry. */
struct row {
	char from[1024], to[1024];
	char ports[16];
	char egress[400], ingress[400];
	const char *proto;
	const char *change;	/* audit entries: "opened" or "closed" */
};

struct cidr_buf {
	char *s;
	size_t len, off;
};

static void add_cidr(void *ctx, const struct bh_prefix *p)
{
	struct cidr_buf *b = ctx;
	char t[80];
	int n;

	bh_prefix_format(p, t, sizeof(t));
	n = snprintf(b->s + b->off, b->len - b->off, "%s%s", b->off > 8 ? "," : "", t);
	if (n > 0 && (size_t)n < b->len - b->off)
		b->off += (size_t)n;
}

static void end_name(const struct bh_inventory *inv, const struct bh_diff_entry *e, size_t wl,
		     char *buf, size_t len)
{
	struct cidr_buf b = { buf, len, 0 };

	if (wl != BH_DIFF_OUTSIDE) {
		snprintf(buf, len, "%s/%s", inv->wl[wl].namespace, inv->wl[wl].name);
		return;
	}
	b.off = (size_t)snprintf(buf, len, "outside:");
	bh_diff_cidrs(e->lo, e->hi, e->fam, add_cidr, &b);
}

static void by_name(const struct bh_compiled *c, const struct bh_diff_by *by, char *buf, size_t len)
{
	static const char *const what[] = {
		[BH_BY_NOT_ISOLATED] = "not isolated",
		[BH_BY_NOT_ENFORCED] = "not enforced",
		[BH_BY_DENIED] = "denied",
	};

	if (by->what == BH_BY_RULE)
		bh_rule_id_format(c, by->rule, buf, len);
	else
		snprintf(buf, len, "%s", what[by->what]);
}

static void row_of(const struct bh_compiled *const c[2], const struct bh_diff_entry *e,
		   struct row *r)
{
	const struct bh_compiled *side = c[e->new_side];

	end_name(c[0]->inv, e, e->from, r->from, sizeof(r->from));
	end_name(c[0]->inv, e, e->to, r->to, sizeof(r->to));
	if (e->port_lo <= 1 && e->port_hi == 65535)
		snprintf(r->ports, sizeof(r->ports), "all");
	else if (e->port_lo == e->port_hi)
		snprintf(r->ports, sizeof(r->ports), "%u", e->port_lo);
	else
		snprintf(r->ports, sizeof(r->ports), "%u-%u", e->port_lo, e->port_hi);
	r->proto = bh_proto_name(e->proto);
	by_name(side, &e->egress_by, r->egress, sizeof(r->egress));
	by_name(side, &e->ingress_by, r->ingress, sizeof(r->ingress));
	r->change = e->kind == BH_DIFF_AUDIT_OPENED ? "opened" : "closed";
}

static const char *const section[] = { "opened", "closed", "audit" };

static size_t section_of(const struct bh_diff_entry *e)
{
	return e->kind >= BH_DIFF_AUDIT_OPENED ? 2 : e->kind;
}

static void print_text(const struct bh_compiled *const c[2], const struct bh_diff *d,
		       const struct bh_flows *fl)
{
	bool any = false;

	for (size_t s = 0; s < 3; s++) {
		bool head = false;

		for (size_t i = 0; i < d->n; i++) {
			struct row r;

			if (section_of(&d->v[i]) != s)
				continue;
			if (!head)
				printf("%s%s:\n", any ? "\n" : "", section[s]);
			head = any = true;
			row_of(c, &d->v[i], &r);
			printf("  %s%s%s -> %s %s %s (egress: %s; ingress: %s)\n", s == 2 ? r.change : "",
			       s == 2 ? ": " : "", r.from, r.to, r.proto, r.ports, r.egress, r.ingress);
		}
	}
	bh_flows_print_text(fl, !any);
}

static void print_md(const struct bh_compiled *const c[2], const struct bh_diff *d,
		     const struct bh_flows *fl)
{
	if (!d->n && !fl->n) {
		puts("**bulkhead diff**: no change of reachability.");
		return;
	}
	puts("**bulkhead diff**: reachability changes\n");
	for (size_t s = 0; s < 3; s++) {
		bool head = false;

		for (size_t i = 0; i < d->n; i++) {
			struct row r;

			if (section_of(&d->v[i]) != s)
				continue;
			if (!head)
				printf("#### %s\n\n| %sfrom | to | protocol | ports | egress by | ingress by |\n"
				       "|%s---|---|---|---|---|---|\n", section[s], s == 2 ? "change | " : "",
				       s == 2 ? "---|" : "");
			head = true;
			row_of(c, &d->v[i], &r);
			printf("| %s%s`%s` | `%s` | %s | %s | `%s` | `%s` |\n", s == 2 ? r.change : "",
			       s == 2 ? " | " : "", r.from, r.to, r.proto, r.ports,
			       r.egress, r.ingress);
		}
		if (head)
			putchar('\n');
	}
	bh_flows_print_md(fl);
}

static int print_json(const struct bh_compiled *const c[2], const struct bh_diff *d,
		      const struct bh_flows *fl)
{
	struct bh_jsonw w;
	int ret;

	bh_jsonw_init(&w);
	bh_jsonw_obj_begin(&w);
	for (size_t s = 0; s < 3; s++) {
		bh_jsonw_key(&w, section[s]);
		bh_jsonw_arr_begin(&w);
		for (size_t i = 0; i < d->n; i++) {
			struct row r;

			if (section_of(&d->v[i]) != s)
				continue;
			row_of(c, &d->v[i], &r);
			bh_jsonw_obj_begin(&w);
			if (s == 2) {
				bh_jsonw_key(&w, "change");
				bh_jsonw_str(&w, r.change);
			}
			bh_jsonw_key(&w, "from");
			bh_jsonw_str(&w, r.from);
			bh_jsonw_key(&w, "to");
			bh_jsonw_str(&w, r.to);
			bh_jsonw_key(&w, "protocol");
			bh_jsonw_str(&w, r.proto);
			bh_jsonw_key(&w, "ports");
			bh_jsonw_str(&w, r.ports);
			bh_jsonw_key(&w, "egress_by");
			bh_jsonw_str(&w, r.egress);
			bh_jsonw_key(&w, "ingress_by");
			bh_jsonw_str(&w, r.ingress);
			bh_jsonw_obj_end(&w);
		}
		bh_jsonw_arr_end(&w);
	}
	bh_flows_json(&w, fl);
	bh_jsonw_obj_end(&w);
	ret = bh_jsonw_err(&w);
	if (!ret)
		printf("%.*s\n", (int)w.len, w.buf);
	bh_jsonw_deinit(&w);
	return ret;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path) ? -1 : 0;
}

/* Removes the extracted tree of a side (nothing when tmp is empty). */
static void side_remove(const char *tmp)
{
	if (tmp[0])
		nftw(tmp, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static int wait_ok(pid_t pid)
{
	int st;

	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

/*
 * The policy directory DIR at revision rev, extracted into a new temporary
 * directory (its path into tmp): `git -C DIR archive REV | tar -x`.
 * 0, or -1 after printing why.
 */
static int side_from_git(const char *dir, const char *rev, const char *side, char *tmp, size_t len)
{
	const char *t = getenv("TMPDIR");
	pid_t git, tar;
	int p[2];

	tmp[0] = '\0';
	if (rev[0] == '-') {
		fprintf(stderr, "bulkhead diff: the %s side: '%s' is not a revision\n", side, rev);
		return -1;
	}
	snprintf(tmp, len, "%s/bh-diff.XXXXXX", t && t[0] ? t : "/tmp");
	if (!mkdtemp(tmp) || pipe(p)) {
		fprintf(stderr, "bulkhead diff: %s: %s\n", tmp, strerror(errno));
		tmp[0] = '\0';
		return -1;
	}
	git = fork();
	if (git == 0) {
		dup2(p[1], STDOUT_FILENO);
		close(p[0]);
		close(p[1]);
		execlp("git", "git", "-C", dir, "archive", "--format=tar", rev, (char *)NULL);
		_exit(127);
	}
	tar = git < 0 ? -1 : fork();
	if (tar == 0) {
		dup2(p[0], STDIN_FILENO);
		close(p[0]);
		close(p[1]);
		execlp("tar", "tar", "-x", "-C", tmp, (char *)NULL);
		_exit(127);
	}
	close(p[0]);
	close(p[1]);
	if ((git < 0 || wait_ok(git)) | (tar < 0 || wait_ok(tar))) {
		fprintf(stderr, "bulkhead diff: the %s side: could not read revision '%s' of %s with git\n",
			side, rev, dir);
		return -1;
	}
	return 0;
}

int bh_cmd_diff(int argc, char **argv)
{
	struct diff_args x = { .fmt = F_TEXT };
	struct bh_flows fl = { 0 };
	char tmp[2][PATH_MAX] = { "", "" };
	const char *path[2];
	struct bh_cli_inputs in[2];
	const struct bh_compiled *c[2];
	struct bh_diff d;
	struct bh_cli a;
	int ret;

	ret = bh_cli_parse(&spec, argc, argv, &a, on_local, &x);
	if (ret)
		return ret < 0 ? 0 : ret;
	if (!a.inventory || !x.old || !x.new)
		return bh_cli_usage_error(&spec, "need --inventory, --old and --new");
	path[0] = x.old;
	path[1] = x.new;
	memset(in, 0, sizeof(in));
	ret = BH_EXIT_CANNOT;
	if (x.git) {
		if (side_from_git(x.git, x.old, "old", tmp[0], sizeof(tmp[0])) ||
		    side_from_git(x.git, x.new, "new", tmp[1], sizeof(tmp[1])))
			goto out;
		path[0] = tmp[0];
		path[1] = tmp[1];
	}
	if (bh_cli_load(a.inventory, &path[0], 1, true, &a.limits, &in[0])) {
		fprintf(stderr, "bulkhead diff: the old side (%s) is invalid or unreadable\n", x.old);
		goto out;
	}
	if (bh_cli_load(a.inventory, &path[1], 1, true, &a.limits, &in[1])) {
		fprintf(stderr, "bulkhead diff: the new side (%s) is invalid or unreadable\n", x.new);
		goto out;
	}
	/* both sides come from the one inventory file: the same workloads in the same order */
	c[0] = in[0].c;
	c[1] = in[1].c;
	for (size_t i = 0; i < x.n_flows; i++)
		if (bh_flows_read(x.flows[i], c[1], &fl))
			goto out;
	bh_flows_replay(c[1], &fl);
	if (bh_diff_compute(c[0], c[1], &d)) {
		fprintf(stderr, "bulkhead diff: out of memory\n");
		goto out;
	}
	ret = bh_diff_changed(&d) || fl.n ? BH_EXIT_NO : BH_EXIT_OK;
	if (x.fmt == F_MD)
		print_md(c, &d, &fl);
	else if (x.fmt == F_TEXT)
		print_text(c, &d, &fl);
	else if (print_json(c, &d, &fl)) {
		fprintf(stderr, "bulkhead diff: out of memory\n");
		ret = BH_EXIT_CANNOT;
	}
	bh_diff_free(&d);
out:
	bh_flows_free(&fl);
	bh_cli_inputs_free(&in[1]);
	bh_cli_inputs_free(&in[0]);
	side_remove(tmp[1]);
	side_remove(tmp[0]);
	return ret;
}
