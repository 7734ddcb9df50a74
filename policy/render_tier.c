// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * nft text of the cluster-wide tiers (compile.h's layout): a verdict map
 * per view, direction, tier and family and kind, and a chain per stage
 * that looks the packet up in them, with the stage's deny chain.
 */
#include <stdio.h>

#include "policy/compile_int.h"

static const char *const dname[BH_DIR_MAX] = { "in", "out" };
static const char *const tname[BH_TIER_MAX] = { "", "admin", "baseline" };

static void put_map(FILE *f, const struct bh_layout_dir *l, int view, int d, unsigned int tier, int fam,
		    const struct bh_elems *es, bool l4)
{
	int fn = fam == BH_FAM_V4 ? 4 : 6;
	char verdict[48];

	fprintf(f, "\tmap %s%s%d_%s%s {\n\t\ttype ipv%d_addr%s : verdict\n\t\tflags interval\n",
		l->set_prefix[view], dname[d], fn, tname[tier], l4 ? "" : "_any", fn,
		l4 ? " . inet_proto . inet_service" : "");
	if (es->n) {
		fputs("\t\telements = { ", f);
		for (size_t i = 0; i < es->n; i++) {
			struct bh_verdict v = bh_layout_verdict(l, view, tier, es->v[i].action);

			if (i)
				fputs(",\n\t\t\t     ", f);
			bh__put_elem(f, fam, &es->v[i], l4);
			fprintf(f, " : %s", bh__verdict_text(&v, verdict, sizeof(verdict)));
		}
		fputs(" }\n", f);
	}
	fputs("\t}\n\n", f);
}

void bh__put_tier_maps(FILE *f, const struct bh_ruleset *rs)
{
	static const unsigned int tiers[] = { BH_TIER_ADMIN, BH_TIER_BASELINE };

	for (int view = 0; view < 2; view++)
		for (int d = 0; d < BH_DIR_MAX; d++) {
			const struct bh_dir_rules *dr = &rs->dir[d];
			const struct bh_view *v = view ? &dr->audit : &dr->enforce;
			struct bh_layout_dir l;

			if (view && !dr->has_audit)
				continue;
			bh_layout_dir(dr, d, &l);
			for (size_t t = 0; t < 2; t++) {
				const struct bh_stage *s = bh_view_stage(v, tiers[t]);

				if (!s->present)
					continue;
				for (int fam = 0; fam < BH_FAM_MAX; fam++) {
					put_map(f, &l, view, d, tiers[t], fam, &s->any[fam], false);
					put_map(f, &l, view, d, tiers[t], fam, &s->l4[fam], true);
				}
			}
		}
}

void bh__put_tier_chains(FILE *f, const struct bh_layout_dir *l, const struct bh_dir_rules *dr, int d,
			 int view, unsigned int tier, const struct bh_emit_opts *o)
{
	const struct bh_layout_view *v = &l->view[view];
	const char *pre = l->set_prefix[view];
	char x = d == BH_INGRESS ? 's' : 'd', next[48];

	if (!v->stage[tier])
		return;
	fprintf(f, "\tchain %s {\n", v->chain[tier]);
	/* addr . l4proto . port first: it holds the any-protocol rules too (compile.h) */
	fprintf(f, "\t\tip %caddr . meta l4proto . th dport vmap @%s%s4_%s\n", x, pre, dname[d], tname[tier]);
	fprintf(f, "\t\tip %caddr vmap @%s%s4_%s_any\n", x, pre, dname[d], tname[tier]);
	fprintf(f, "\t\tip6 %caddr . meta l4proto . th dport vmap @%s%s6_%s\n", x, pre, dname[d], tname[tier]);
	fprintf(f, "\t\tip6 %caddr vmap @%s%s6_%s_any\n", x, pre, dname[d], tname[tier]);
	fprintf(f, "\t\t%s\n\t}\n\n", bh__verdict_text(&v->next[tier], next, sizeof(next)));
	fprintf(f, "\tchain %s {\n", v->deny[tier]);
	if (dr->log != BH_LOG_NONE)
		bh__put_log(f, o, d, view ? 'w' : 'd', tier == BH_TIER_ADMIN ? 'a' : 'b');
	fputs(view ? "\t\taccept\n\t}\n\n" : "\t\tcounter drop\n\t}\n\n", f);
}
