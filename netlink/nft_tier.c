// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The verdict maps of the cluster-wide tiers, as compile.h's layout lists
 * them: per view, direction, tier (when the stage is present) and family,
 * the address map then the address . l4proto . port map, each element
 * mapped to the verdict its rule's action leads to.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "policy/compile.h"
#include "netlink/nft_int.h"

static const char *const dname[BH_DIR_MAX] = { "in", "out" };
static const char *const tname[BH_TIER_MAX] = { "", "admin", "baseline" };

static int map_add(struct bh_nft_batch *b, const struct bh_layout_dir *l, int view, int d,
		   unsigned int tier, int fam, const struct bh_elems *es, bool l4)
{
	struct bh_verdict *v = calloc(es->n ? es->n : 1, sizeof(*v));
	char name[40];
	int ret;

	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < es->n; i++)
		v[i] = bh_layout_verdict(l, view, tier, es->v[i].action);
	snprintf(name, sizeof(name), "%s%s%d_%s%s", l->set_prefix[view], dname[d],
		 fam == BH_FAM_V4 ? 4 : 6, tname[tier], l4 ? "" : "_any");
	ret = bh_nft__map_add(b, name, (uint8_t)fam, l4, es->v, v, es->n);
	free(v);
	return ret;
}

int bh_nft__tier_maps_add(struct bh_nft_batch *b, const struct bh_ruleset *rs)
{
	static const unsigned int tiers[] = { BH_TIER_ADMIN, BH_TIER_BASELINE };
	int ret;

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

				for (int fam = 0; s->present && fam < BH_FAM_MAX; fam++)
					if ((ret = map_add(b, &l, view, d, tiers[t], fam, &s->any[fam], false)) ||
					    (ret = map_add(b, &l, view, d, tiers[t], fam, &s->l4[fam], true)))
						return ret;
			}
		}
	return 0;
}
