// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer harness for the YAML loaders: the input is loaded both as a
 * policy file and as an inventory; whatever loads is walked through the
 * model helpers. Any crash, leak or sanitizer report is a bug.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "policy/model.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void walk_selector(const struct bh_selector *s, const struct bh_labels *l)
{
	char *txt = bh_selector_format(s);

	free(txt);
	(void)bh_selector_matches(s, l);
}

static void walk_policies(const struct bh_policy_set *set)
{
	for (size_t i = 0; i < set->n; i++) {
		const struct bh_policy *p = &set->v[i];

		walk_selector(&p->pod_sel, &p->pod_sel.match);
		for (int d = 0; d < BH_DIR_MAX; d++) {
			for (size_t r = 0; r < p->n_rules[d]; r++) {
				const struct bh_rule *rule = &p->rules[d][r];

				for (size_t k = 0; k < rule->n_peers; k++) {
					const struct bh_peer *peer = &rule->peers[k];
					char buf[64];

					walk_selector(&peer->pod_sel, &p->pod_sel.match);
					walk_selector(&peer->ns_sel, &peer->pod_sel.match);
					if (peer->has_ipblock)
						bh_prefix_format(&peer->ipblock.cidr, buf, sizeof(buf));
				}
			}
		}
	}
}

static void walk_inventory(const struct bh_inventory *inv)
{
	for (size_t i = 0; i < inv->n_wl; i++) {
		const struct bh_workload *w = &inv->wl[i];

		if (bh_inventory_find(inv, w->namespace, w->name) != w)
			abort();
		for (size_t j = 0; j < w->n_ips; j++)
			if (!bh_inventory_find_ip(inv, &w->ips[j]))
				abort();
		if (!bh_inventory_ns(inv, w->namespace))
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bh_policy_set *set = NULL;
	struct bh_inventory *inv = NULL;
	struct bh_diag diag;

	bh_diag_init(&diag);
	if (bh_policy_set_load_buf("fuzz.yaml", (const char *)data, size, &diag, &set) == 0) {
		walk_policies(set);
		bh_policy_set_free(set);
	}
	if (bh_inventory_load_buf("fuzz.yaml", (const char *)data, size, &diag, &inv) == 0) {
		walk_inventory(inv);
		bh_inventory_free(inv);
	}
	bh_diag_deinit(&diag);
	return 0;
}
