// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The cluster-wide tiers as loaded: ClusterNetworkPolicy fields into the
 * model, the v1alpha1 kinds converted to it, the evaluation order (tier,
 * priority, name), fail-closed peers, subjects. The messages for invalid
 * input are golden tests (tests/golden/check/tier-*).
 */
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "policy/cnp.h"
#include "policy/model.h"

#define CNP "apiVersion: policy.networking.k8s.io/v1alpha2\nkind: ClusterNetworkPolicy\n"

static struct bh_policy_set *load(const char *yaml, size_t want_warnings)
{
	struct bh_policy_set *s = NULL;
	struct bh_diag d;
	int rc;

	bh_diag_init(&d);
	rc = bh_policy_set_load_buf("p.yaml", yaml, strlen(yaml), &d, &s);
	if (rc || bh_diag_count(&d) || bh_diag_warnings(&d) != want_warnings) {
		bh_diag_print(&d, stderr);
		fail_msg("load: %d, %zu warnings", rc, bh_diag_warnings(&d));
	}
	bh_diag_deinit(&d);
	return s;
}

static void test_fields(void **state)
{
	struct bh_policy_set *s = load(CNP "metadata: {name: guard, annotations: {bulkhead.io/log: all}}\n"
				       "spec:\n  tier: Baseline\n  priority: 7\n"
				       "  subject: {pods: {podSelector: {matchLabels: {app: db}}}}\n"
				       "  ingress:\n"
				       "    - name: from-ops\n      action: Accept\n"
				       "      from: [{namespaces: {matchLabels: {team: ops}}},\n"
				       "             {pods: {namespaceSelector: {}, podSelector: {matchLabels: {app: x}}}}]\n"
				       "      protocols:\n"
				       "        - tcp: {destinationPort: {number: 5432}}\n"
				       "        - udp: {destinationPort: {range: {start: 5000, end: 5010}}}\n"
				       "        - sctp: {destinationPort: {number: 9}}\n"
				       "        - destinationNamedPort: pg\n"
				       "  egress:\n"
				       "    - action: Deny\n"
				       "      to: [{networks: [169.254.169.254/32, 'fd00::/8']}, {nodes: {}}]\n"
				       "    - action: Pass\n      to: [{namespaces: {}}]\n", 1);
	const struct bh_cnp *p;
	const struct bh_cnp_rule *r;

	assert_int_equal(s->n, 0);
	assert_int_equal(s->n_cnp, 1);
	p = &s->cnp[0];
	assert_string_equal(p->name, "guard");
	assert_int_equal(p->tier, BH_TIER_BASELINE);
	assert_int_equal(p->api, BH_CNP_V1ALPHA2);
	assert_int_equal(p->priority, 7);
	assert_int_equal(p->log, BH_LOG_ALL);
	assert_int_equal(p->mode, BH_MODE_ENFORCE);
	assert_true(p->subject_pods);
	assert_int_equal(p->subject_ns.match.n, 0);
	assert_string_equal(bh_labels_get(&p->subject_pod.match, "app"), "db");
	assert_int_equal(p->n_rules[BH_INGRESS], 1);
	assert_int_equal(p->n_rules[BH_EGRESS], 2);

	r = &p->rules[BH_INGRESS][0];
	assert_string_equal(r->name, "from-ops");
	assert_int_equal(r->action, BH_ACT_ACCEPT);
	assert_false(r->fail_closed);
	assert_int_equal(r->n_peers, 2);
	assert_int_equal(r->peers[0].kind, BH_CPEER_NAMESPACES);
	assert_string_equal(bh_labels_get(&r->peers[0].ns_sel.match, "team"), "ops");
	assert_int_equal(r->peers[1].kind, BH_CPEER_PODS);
	assert_string_equal(bh_labels_get(&r->peers[1].pod_sel.match, "app"), "x");
	assert_true(r->has_ports);
	assert_int_equal(r->n_ports, 4);
	assert_int_equal(r->ports[0].proto, IPPROTO_TCP);
	assert_int_equal(r->ports[0].lo, 5432);
	assert_int_equal(r->ports[0].hi, 5432);
	assert_int_equal(r->ports[1].proto, IPPROTO_UDP);
	assert_int_equal(r->ports[1].lo, 5000);
	assert_int_equal(r->ports[1].hi, 5010);
	assert_int_equal(r->ports[2].proto, IPPROTO_SCTP);
	assert_int_equal(r->ports[3].proto, 0);
	assert_string_equal(r->ports[3].name, "pg");
	assert_int_equal(r->loc.line, 9);

	r = &p->rules[BH_EGRESS][0];
	assert_null(r->name);
	assert_int_equal(r->action, BH_ACT_DENY);
	assert_true(r->fail_closed);	/* the nodes peer */
	assert_false(r->has_ports);
	assert_int_equal(r->peers[0].kind, BH_CPEER_NETWORKS);
	assert_int_equal(r->peers[0].n_nets, 2);
	assert_int_equal(r->peers[0].nets[0].len, 32);
	assert_int_equal(r->peers[0].nets[1].addr.family, AF_INET6);
	assert_int_equal(r->peers[1].kind, BH_CPEER_NODES);
	assert_true(bh_cnp_peer_unsupported(&r->peers[1]));
	assert_int_equal(p->rules[BH_EGRESS][1].action, BH_ACT_PASS);
	bh_policy_set_free(s);
}

/* tier, then priority, then name; v1alpha1 kinds in the same model */
static void test_order_and_v1alpha1(void **state)
{
	struct bh_policy_set *s = load(
		CNP "metadata: {name: z}\nspec: {tier: Baseline, priority: 0, subject: {namespaces: {}}}\n---\n"
		CNP "metadata: {name: b}\nspec: {tier: Admin, priority: 10, subject: {namespaces: {}}}\n---\n"
		CNP "metadata: {name: a}\nspec: {tier: Admin, priority: 10, subject: {namespaces: {}}}\n---\n"
		"apiVersion: policy.networking.k8s.io/v1alpha1\nkind: BaselineAdminNetworkPolicy\n"
		"metadata: {name: default}\nspec:\n  subject: {namespaces: {}}\n"
		"  egress: [{action: Allow, to: [{networks: [10.0.0.0/8]}],"
		" ports: [{portRange: {protocol: UDP, start: 5, end: 5}}]}]\n---\n"
		"apiVersion: policy.networking.k8s.io/v1alpha1\nkind: AdminNetworkPolicy\n"
		"metadata: {name: anp}\nspec:\n  priority: 3\n  subject: {namespaces: {}}\n"
		"  ingress: [{action: Pass, from: [{namespaces: {}}], ports: [{portNumber: {port: 8080}},"
		" {namedPort: http}]}]\n", 2);
	static const char *const order[] = { "anp", "a", "b", "z", "default" };
	const struct bh_cnp_rule *r;

	assert_int_equal(s->n_cnp, 5);
	for (size_t i = 0; i < 5; i++)
		assert_string_equal(s->cnp[i].name, order[i]);
	assert_int_equal(s->cnp[0].api, BH_ANP_V1ALPHA1);
	assert_int_equal(s->cnp[0].tier, BH_TIER_ADMIN);
	assert_int_equal(s->cnp[0].priority, 3);
	r = &s->cnp[0].rules[BH_INGRESS][0];
	assert_int_equal(r->action, BH_ACT_PASS);
	assert_int_equal(r->ports[0].proto, IPPROTO_TCP);
	assert_int_equal(r->ports[0].lo, 8080);
	assert_string_equal(r->ports[1].name, "http");
	assert_int_equal(s->cnp[4].api, BH_BANP_V1ALPHA1);
	assert_int_equal(s->cnp[4].tier, BH_TIER_BASELINE);
	assert_int_equal(s->cnp[4].priority, 1000);
	r = &s->cnp[4].rules[BH_EGRESS][0];
	assert_int_equal(r->action, BH_ACT_ACCEPT);
	assert_int_equal(r->ports[0].proto, IPPROTO_UDP);
	assert_int_equal(r->ports[0].lo, 5);
	assert_int_equal(r->ports[0].hi, 5);
	bh_policy_set_free(s);
}

static void test_subject(void **state)
{
	struct bh_policy_set *s = load(
		CNP "metadata: {name: ns}\nspec: {tier: Admin, priority: 1,"
		" subject: {namespaces: {matchLabels: {team: a}}}}\n---\n"
		CNP "metadata: {name: pods}\nspec: {tier: Admin, priority: 2,"
		" subject: {pods: {namespaceSelector: {matchLabels: {team: a}}, podSelector: {matchLabels: {app: web}}}}}\n", 0);
	struct bh_labels team_a = { 0 }, team_b = { 0 };
	struct bh_workload web = { .labels = { 0 } }, db = { .labels = { 0 } };

	assert_int_equal(bh_labels_set(&team_a, "team", "a"), 0);
	assert_int_equal(bh_labels_set(&team_b, "team", "b"), 0);
	assert_int_equal(bh_labels_set(&web.labels, "app", "web"), 0);
	assert_int_equal(bh_labels_set(&db.labels, "app", "db"), 0);
	assert_true(bh_cnp_selects(&s->cnp[0], &team_a, &web));
	assert_true(bh_cnp_selects(&s->cnp[0], &team_a, &db));
	assert_false(bh_cnp_selects(&s->cnp[0], &team_b, &web));
	assert_true(bh_cnp_selects(&s->cnp[1], &team_a, &web));
	assert_false(bh_cnp_selects(&s->cnp[1], &team_a, &db));
	assert_false(bh_cnp_selects(&s->cnp[1], &team_b, &web));
	assert_false(bh_cnp_selects(&s->cnp[0], NULL, &web));
	bh_labels_deinit(&team_a);
	bh_labels_deinit(&team_b);
	bh_labels_deinit(&web.labels);
	bh_labels_deinit(&db.labels);
	bh_policy_set_free(s);
}

static void test_rule_ref(void **state)
{
	char buf[128];

	assert_string_equal(bh_rule_ref_format("shop", "db", BH_INGRESS, 2, buf, sizeof(buf)),
			    "shop/db#ingress[2]");
	assert_string_equal(bh_rule_ref_format(NULL, "deny-metadata", BH_EGRESS, 0, buf, sizeof(buf)),
			    "deny-metadata#egress[0]");
	assert_string_equal(bh_tier_name(BH_TIER_ADMIN), "Admin");
	assert_string_equal(bh_tier_name(BH_TIER_NP), "NetworkPolicy");
	assert_string_equal(bh_action_name(BH_ACT_PASS), "Pass");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fields),
		cmocka_unit_test(test_order_and_v1alpha1),
		cmocka_unit_test(test_subject),
		cmocka_unit_test(test_rule_ref),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
