// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * nft text of one group's table, following the layout documented in
 * compile.h. The netlink builder produces the same objects; a test loads
 * this text with nft -f and compares the listing with the builder's.
 */
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <arpa/inet.h>

#include "policy/compile_int.h"

void bh_emit_opts_default(struct bh_emit_opts *o)
{
	o->log_group = BH_LOG_GROUP;
	o->log_rate = BH_LOG_RATE;
	o->log_burst = BH_LOG_BURST;
	o->generation = 1;
}

/* ---- element lists ----------------------------------------------------------------- */

static void put_elements(FILE *f, int fam, const struct bh_elems *es, bool l4)
{
	if (!es->n)
		return;
	fputs("\t\telements = { ", f);
	for (size_t i = 0; i < es->n; i++) {
		if (i)
			fputs(",\n\t\t\t     ", f);
		bh__put_elem(f, fam, &es->v[i], l4);
	}
	fputs(" }\n", f);
}

/* ---- sets and chains ---------------------------------------------------------------- */

static const char *const dname[BH_DIR_MAX] = { "in", "out" };
static const char *const hookname[BH_DIR_MAX] = { "input", "output" };

static void put_sets(FILE *f, const char *view, int d, const struct bh_view *v)
{
	for (int fam = 0; fam < BH_FAM_MAX; fam++) {
		int fn = fam == BH_FAM_V4 ? 4 : 6;

		fprintf(f, "\tset %s%s%d_any {\n\t\ttype ipv%d_addr\n\t\tflags interval\n",
			view, dname[d], fn, fn);
		put_elements(f, fam, &v->any[fam], false);
		fputs("\t}\n\n", f);
		fprintf(f, "\tset %s%s%d {\n\t\ttype ipv%d_addr . inet_proto . inet_service\n"
			   "\t\tflags interval\n", view, dname[d], fn, fn);
		put_elements(f, fam, &v->l4[fam], true);
		fputs("\t}\n\n", f);
	}
}

static void put_lookups(FILE *f, const char *view, int d, const char *verdict)
{
	char x = d == BH_INGRESS ? 's' : 'd';

	fprintf(f, "\t\tip %caddr @%s%s4_any %s\n", x, view, dname[d], verdict);
	fprintf(f, "\t\tip %caddr . meta l4proto . th dport @%s%s4 %s\n", x, view, dname[d], verdict);
	fprintf(f, "\t\tip6 %caddr @%s%s6_any %s\n", x, view, dname[d], verdict);
	fprintf(f, "\t\tip6 %caddr . meta l4proto . th dport @%s%s6 %s\n", x, view, dname[d], verdict);
}

static void put_base_chain(FILE *f, const struct bh_compiled *c, const struct bh_ruleset *rs, int d)
{
	const struct bh_dir_rules *dr = &rs->dir[d];
	struct bh_layout_dir l;

	fprintf(f, "\tchain %s {\n\t\ttype filter hook %s priority filter; policy accept;\n",
		hookname[d], hookname[d]);
	fputs("\t\tct state established,related accept\n\t\tct state invalid drop\n", f);
	fprintf(f, "\t\t%s \"lo\" accept\n", d == BH_INGRESS ? "iif" : "oif");
	fputs("\t\ticmpv6 type { mld-listener-query, mld-listener-report, mld-listener-done, "
	      "nd-router-solicit, nd-router-advert, nd-neighbor-solicit, nd-neighbor-advert, "
	      "mld2-listener-report } accept\n", f);
	bh_layout_dir(dr, d, &l);
	if (l.active) {
		char why[BH_COMMENT_MAX];

		fprintf(f, "\t\tjump %s comment \"%s\"\n", l.entry, bh_jump_comment(c, dr, why, sizeof(why)));
	}
	fputs("\t}\n\n", f);
}

/* A NetworkPolicy stage: the set lookups, then the view's end (drop, or would-deny and accept). */
static void put_np_chain(FILE *f, const struct bh_layout_dir *l, const struct bh_dir_rules *dr, int d,
			 int view, const struct bh_emit_opts *o)
{
	const struct bh_layout_view *v = &l->view[view];
	char ok[48];

	fprintf(f, "\tchain %s {\n", v->chain[BH_TIER_NP]);
	bh__verdict_text(&v->ok, ok, sizeof(ok));
	put_lookups(f, l->set_prefix[view], d, ok);
	if (dr->log != BH_LOG_NONE)
		bh__put_log(f, o, d, view ? 'w' : 'd', 0);
	fputs(view ? "\t\taccept\n\t}\n\n" : "\t\tcounter drop\n\t}\n\n", f);
}

static void put_dir_chains(FILE *f, const struct bh_ruleset *rs, int d, const struct bh_emit_opts *o)
{
	const struct bh_dir_rules *dr = &rs->dir[d];
	struct bh_layout_dir l;

	bh_layout_dir(dr, d, &l);
	if (!l.active)
		return;
	for (int view = 0; view < 2; view++) {
		const struct bh_layout_view *v = &l.view[view];

		if (view && !l.has_audit)
			break;
		bh__put_tier_chains(f, &l, dr, d, view, BH_TIER_ADMIN, o);
		if (v->stage[BH_TIER_NP])
			put_np_chain(f, &l, dr, d, view, o);
		else if (!view && l.trampoline)
			fprintf(f, "\tchain %s {\n\t\tgoto %s\n\t}\n\n", v->chain[BH_TIER_NP],
				l.view[1].entry);
		bh__put_tier_chains(f, &l, dr, d, view, BH_TIER_BASELINE, o);
	}
	if (l.allow) {
		fprintf(f, "\tchain %s {\n", l.ok2.chain);
		bh__put_log(f, o, d, 'a', 0);
		fputs("\t\taccept\n\t}\n\n", f);
	}
}

char *bh_render_nft(const struct bh_compiled *c, size_t g, const char *wl_name,
		    const struct bh_emit_opts *o)
{
	const struct bh_ruleset *rs = &c->groups[g];
	struct bh_emit_opts def;
	size_t len = 0;
	char *buf = NULL;
	FILE *f;

	if (!o) {
		bh_emit_opts_default(&def);
		o = &def;
	}
	f = open_memstream(&buf, &len);
	if (!f)
		return NULL;
	if (wl_name)
		fprintf(f, "# %s\n", wl_name);
	fputs("table inet " BH_TABLE " {\n", f);
	for (int d = 0; d < BH_DIR_MAX; d++)
		if (rs->dir[d].enforce.isolated)
			put_sets(f, "", d, &rs->dir[d].enforce);
	for (int d = 0; d < BH_DIR_MAX; d++)
		if (rs->dir[d].has_audit && rs->dir[d].audit.isolated)
			put_sets(f, "a", d, &rs->dir[d].audit);
	bh__put_tier_maps(f, rs);
	for (int d = 0; d < BH_DIR_MAX; d++)
		put_base_chain(f, c, rs, d);
	for (int d = 0; d < BH_DIR_MAX; d++)
		put_dir_chains(f, rs, d, o);
	if (fclose(f)) {
		free(buf);
		return NULL;
	}
	/* every object above ends with a blank line; the table's brace follows the last one */
	if (len >= 2 && buf[len - 1] == '\n' && buf[len - 2] == '\n')
		len--;
	{
		char *t = realloc(buf, len + 3);

		if (!t) {
			free(buf);
			return NULL;
		}
		buf = t;
	}
	memcpy(buf + len, "}\n", 3);
	return buf;
}
