// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Fail closed, without a kernel: a workload marked isolated compiles to a
 * table with no allows in either direction whatever the policies say, is
 * selected by no policy and matched by no peer; the merge gives an
 * identity to one claimant in a fixed order (inventory, then a container
 * not already isolated, then the earliest created, then the smallest id)
 * and keeps every other one isolated under a name of its own; each new
 * isolation is reported once.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "agent/state.h"
#include "policy/compile.h"

/* Everything in namespace x may talk to everything in x; db is isolated by policy. */
static const char pols[] =
	"apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
	"metadata: {name: open, namespace: x}\n"
	"spec:\n  podSelector: {}\n  policyTypes: [Ingress, Egress]\n"
	"  ingress: [{from: [{podSelector: {}}]}]\n  egress: [{to: [{podSelector: {}}]}]\n";

static const char inv[] =
	"workloads:\n"
	"  - {name: web, namespace: x, labels: {app: web}, netns: /n/web, ips: [10.0.0.1]}\n"
	"  - {name: db, namespace: x, labels: {app: db}, netns: /n/db, ips: [10.0.0.3]}\n";

static void load(struct bh_state *st)
{
	struct bh_policy_set *ps = NULL;
	struct bh_inventory *in = NULL;
	struct bh_diag d;

	bh_diag_init(&d);
	assert_int_equal(bh_policy_set_load_buf("p.yaml", pols, strlen(pols), &d, &ps), 0);
	assert_int_equal(bh_state_policies_set(st, ps), 0);
	assert_int_equal(bh_inventory_load_buf("i.yaml", inv, strlen(inv), &d, &in), 0);
	bh_state_inventory_set(st, in);
	bh_diag_deinit(&d);
}

static struct bh_workload *container(struct bh_workload *w, const char *id, const char *name,
				     int64_t created, const char *netns, const char *ip)
{
	static struct bh_addr a;

	memset(w, 0, sizeof(*w));
	assert_int_equal(bh_addr_parse(ip, &a), 0);
	w->namespace = (char *)"x";
	w->name = (char *)name;
	w->container_id = (char *)id;
	w->created_ns = created;
	w->netns = (char *)netns;
	w->ips = &a;
	w->n_ips = 1;
	assert_int_equal(bh_labels_set(&w->labels, "app", "web"), 0);
	return w;
}

static const struct bh_workload *find(const struct bh_state *st, const char *name)
{
	return bh_inventory_find(bh_state_current(st)->inv, "x", name);
}

static const struct bh_ruleset *ruleset_of(const struct bh_state *st, const char *name)
{
	const struct bh_gen *g = bh_state_current(st);
	const struct bh_workload *w = find(st, name);

	assert_non_null(w);
	return &g->comp->groups[g->comp->wl_group[w - g->inv->wl]];
}

static bool view_has(const struct bh_view *v, const char *ip)
{
	struct bh_addr a;

	assert_int_equal(bh_addr_parse(ip, &a), 0);
	return bh_view_allows(v, &a, 6, 80, NULL);
}

static int reported;
static char last_cause[64], last_name[128];

static void on_new(void *arg, const struct bh_workload *w, const struct bh_gen_iso *why)
{
	reported++;
	snprintf(last_cause, sizeof(last_cause), "%s", w->isolated);
	snprintf(last_name, sizeof(last_name), "%s", w->name);
}

static void test_isolated_compiles_to_deny_all(void **state)
{
	struct bh_state st;
	struct bh_workload w;
	const struct bh_ruleset *rs;
	char *text;

	bh_state_init(&st);
	load(&st);
	container(&w, "c1", "cache", 100, "/n/cache", "10.0.0.9");
	w.isolated = "inspect-failed";
	assert_int_equal(bh_state_docker_upsert(&st, &w), 0);
	bh_labels_deinit(&w.labels);
	assert_int_equal(bh_state_compile(&st), 0);

	rs = ruleset_of(&st, "cache");
	for (int d = 0; d < BH_DIR_MAX; d++) {
		const struct bh_view *v = &rs->dir[d].enforce;

		assert_true(v->isolated);
		assert_string_equal(v->cause, "inspect-failed");
		assert_int_equal(v->n_isolated_by, 0);	/* no policy selects it */
		for (int f = 0; f < BH_FAM_MAX; f++)
			assert_int_equal(v->any[f].n + v->l4[f].n, 0);
		assert_false(rs->dir[d].has_audit);
		assert_int_equal(rs->dir[d].log, BH_LOG_DENIED);
	}
	/* its labels match the open policy's peers, yet no peer set holds it */
	rs = ruleset_of(&st, "web");
	assert_true(view_has(&rs->dir[BH_INGRESS].enforce, "10.0.0.3"));
	assert_false(view_has(&rs->dir[BH_INGRESS].enforce, "10.0.0.9"));
	assert_false(view_has(&rs->dir[BH_EGRESS].enforce, "10.0.0.9"));
	assert_true(ruleset_of(&st, "web")->hash != ruleset_of(&st, "cache")->hash);

	text = bh_render_nft(bh_state_current(&st)->comp,
			     bh_state_current(&st)->comp->wl_group[find(&st, "cache") -
								   bh_state_current(&st)->inv->wl],
			     "x/cache", NULL);
	assert_non_null(text);
	assert_non_null(strstr(text, "jump ingress comment \"isolated: inspect-failed\""));
	assert_non_null(strstr(text, "jump egress comment \"isolated: inspect-failed\""));
	assert_null(strstr(text, "elements"));
	free(text);
	bh_state_deinit(&st);
}

static void test_identity_precedence(void **state)
{
	struct bh_state st;
	struct bh_workload w;
	const struct bh_gen_iso *why;

	bh_state_init(&st);
	load(&st);
	/* c9 was created first: it owns x/api; c1 (later) loses though its id is smaller */
	assert_int_equal(bh_state_docker_upsert(&st, container(&w, "c1", "api", 200, "/n/c1", "10.0.1.1")), 0);
	bh_labels_deinit(&w.labels);
	assert_int_equal(bh_state_docker_upsert(&st, container(&w, "c9", "api", 100, "/n/c9", "10.0.1.9")), 0);
	bh_labels_deinit(&w.labels);
	/* same creation time: the smaller id wins (c3 over c4) */
	assert_int_equal(bh_state_docker_upsert(&st, container(&w, "c4", "job", 300, "/n/c4", "10.0.1.4")), 0);
	bh_labels_deinit(&w.labels);
	assert_int_equal(bh_state_docker_upsert(&st, container(&w, "c3", "job", 300, "/n/c3", "10.0.1.3")), 0);
	bh_labels_deinit(&w.labels);
	/* an earlier container already isolated for another cause never wins */
	container(&w, "c0", "job", 1, "/n/c0", "10.0.1.10");
	w.isolated = "inspect-failed";
	assert_int_equal(bh_state_docker_upsert(&st, &w), 0);
	bh_labels_deinit(&w.labels);
	/* the inventory beats any container */
	assert_int_equal(bh_state_docker_upsert(&st, container(&w, "c5", "db", 1, "/n/c5", "10.0.1.5")), 0);
	bh_labels_deinit(&w.labels);

	reported = 0;
	assert_int_equal(bh_state_compile(&st), 0);
	assert_int_equal(st.identity_conflicts, 4);
	assert_string_equal(find(&st, "api")->container_id, "c9");
	assert_null(find(&st, "api")->isolated);
	assert_string_equal(find(&st, "api/c1")->isolated, "identity-conflict");
	assert_string_equal(find(&st, "job")->container_id, "c3");
	assert_string_equal(find(&st, "job/c4")->isolated, "identity-conflict");
	assert_string_equal(find(&st, "job/c0")->isolated, "inspect-failed");
	assert_null(find(&st, "db")->container_id);
	assert_string_equal(find(&st, "db/c5")->isolated, "identity-conflict");
	why = bh_gen_iso_find(bh_state_current(&st), "c5");
	assert_string_equal(why->claimed, "x/db");
	assert_string_equal(why->held_by, "inventory");
	assert_string_equal(bh_gen_iso_find(bh_state_current(&st), "c1")->held_by, "container c9");
	assert_null(bh_gen_iso_find(bh_state_current(&st), "c9"));

	/* each isolation is reported once */
	bh_state_isolated_new(&st, 0, on_new, NULL);
	assert_int_equal(reported, 4);
	reported = 0;
	uint64_t g1 = bh_state_current(&st)->id;

	assert_int_equal(bh_state_compile(&st), 0);
	bh_state_isolated_new(&st, g1, on_new, NULL);
	assert_int_equal(reported, 0);

	/* the owner goes: the next claimant takes the name, enforced normally */
	w.container_id = (char *)"c9";
	assert_int_equal(bh_state_docker_remove(&st, &w), 0);
	g1 = bh_state_current(&st)->id;
	assert_int_equal(bh_state_compile(&st), 0);
	assert_string_equal(find(&st, "api")->container_id, "c1");
	assert_null(find(&st, "api")->isolated);
	assert_null(find(&st, "api/c1"));
	bh_state_isolated_new(&st, g1, on_new, NULL);
	assert_int_equal(reported, 0);
	bh_state_deinit(&st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_isolated_compiles_to_deny_all),
		cmocka_unit_test(test_identity_precedence),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
