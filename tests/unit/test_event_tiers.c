// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Log lines of the cluster-wide tiers: which tier, policy and rule
 * decided (bulkhead.tier/policy/rule and ECS rule.*), Pass hops, an
 * attempt accepted by a tier on one end and denied on the other, and
 * would-deny lines of a tier in audit mode. Policies and inventory are
 * loaded from YAML and compiled; lines are checked with jansson.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <cmocka.h>
#include <jansson.h>

#include "policy/compile.h"
#include "log/event.h"
#include "log/jsonw.h"
#include "policy/model.h"
#include "log/pkt.h"

static const char inv_yaml[] =
	"namespaces:\n"
	"  - {name: shop, labels: {tenant: shop}}\n"
	"  - {name: ops, labels: {team: ops}}\n"
	"workloads:\n"
	"  - {name: web, namespace: shop, labels: {app: web}, ips: [10.0.0.21]}\n"
	"  - {name: db, namespace: shop, labels: {app: db}, ips: [10.0.0.11]}\n"
	"  - {name: prom, namespace: ops, labels: {app: prom}, ips: [10.0.1.1]}\n";

static const char pol_yaml[] =
	"apiVersion: policy.networking.k8s.io/v1alpha2\n"
	"kind: ClusterNetworkPolicy\n"
	"metadata: {name: guard}\n"
	"spec:\n"
	"  tier: Admin\n"
	"  priority: 5\n"
	"  subject: {namespaces: {}}\n"
	"  egress:\n"
	"    - {name: instance-metadata, action: Deny, to: [{networks: [169.254.169.254/32]}]}\n"
	"    - {name: ops-out, action: Accept, to: [{namespaces: {matchLabels: {tenant: shop}}}],"
	" protocols: [{tcp: {destinationPort: {number: 9999}}}]}\n"
	"  ingress:\n"
	"    - {name: shop-to-np, action: Pass, from: [{namespaces: {matchLabels: {tenant: shop}}}]}\n"
	"---\n"
	"apiVersion: networking.k8s.io/v1\n"
	"kind: NetworkPolicy\n"
	"metadata: {name: db-from-web, namespace: shop}\n"
	"spec:\n"
	"  podSelector: {matchLabels: {app: db}}\n"
	"  ingress: [{from: [{podSelector: {matchLabels: {app: web}}}], ports: [{port: 5432}]}]\n"
	"---\n"
	"apiVersion: policy.networking.k8s.io/v1alpha2\n"
	"kind: ClusterNetworkPolicy\n"
	"metadata: {name: default-deny}\n"
	"spec:\n"
	"  tier: Baseline\n"
	"  priority: 1000\n"
	"  subject: {namespaces: {matchLabels: {tenant: shop}}}\n"
	"  ingress: [{name: the-rest, action: Deny, from: [{namespaces: {}}]}]\n"
	"---\n"
	"apiVersion: policy.networking.k8s.io/v1alpha2\n"
	"kind: ClusterNetworkPolicy\n"
	"metadata: {name: trial, annotations: {bulkhead.io/mode: audit}}\n"
	"spec:\n"
	"  tier: Admin\n"
	"  priority: 1\n"
	"  subject: {namespaces: {matchLabels: {team: ops}}}\n"
	"  egress: [{name: no-db, action: Deny, to: [{pods: {namespaceSelector: {}, podSelector: {matchLabels: {app: db}}}}]}]\n";

struct fix {
	struct bh_inventory *inv;
	struct bh_policy_set *pols;
	struct bh_compiled *comp;
	struct bh_jsonw w;
};

static int setup(void **state)
{
	struct fix *f = calloc(1, sizeof(*f));
	struct bh_diag d;

	bh_diag_init(&d);
	if (bh_inventory_load_buf("inv.yaml", inv_yaml, sizeof(inv_yaml) - 1, &d, &f->inv) ||
	    bh_policy_set_load_buf("pol.yaml", pol_yaml, sizeof(pol_yaml) - 1, &d, &f->pols)) {
		bh_diag_print(&d, stderr);
		return -1;
	}
	bh_diag_deinit(&d);
	if (bh_compile(f->pols, f->inv, &f->comp))
		return -1;
	bh_jsonw_init(&f->w);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fix *f = *state;

	bh_jsonw_deinit(&f->w);
	bh_compiled_free(f->comp);
	bh_policy_set_free(f->pols);
	bh_inventory_free(f->inv);
	free(f);
	return 0;
}

static struct bh_pkt tcp_pkt(const char *src, const char *dst, uint16_t dport)
{
	struct bh_pkt p;

	memset(&p, 0, sizeof(p));
	assert_int_equal(bh_addr_parse(src, &p.src), 0);
	assert_int_equal(bh_addr_parse(dst, &p.dst), 0);
	p.family = p.src.family;
	p.proto = IPPROTO_TCP;
	p.sport = 40000;
	p.dport = dport;
	p.has_ports = true;
	p.tcp_flags = BH_TCP_SYN;
	return p;
}

static json_t *format(struct fix *f, const char *ns, const char *wl, const char *prefix, const struct bh_pkt *p)
{
	struct bh_event_ctx ctx = { .hostname = "node-1", .inv = f->inv };
	struct bh_log_tag tag;
	struct bh_event ev = { .ts = { 1795920035, 0 }, .comp = f->comp, .pkt = p, .tag = &tag };
	json_error_t err;
	json_t *j;

	assert_int_equal(bh_log_tag_parse(prefix, &tag), 0);
	ev.wl = bh_inventory_find(f->inv, ns, wl);
	bh_jsonw_reset(&f->w);
	assert_int_equal(bh_event_format(&f->w, &ctx, &ev), 0);
	if (getenv("BH_TEST_DUMP"))
		fprintf(stderr, "%.*s", (int)f->w.len, f->w.buf);
	j = json_loadb(f->w.buf, f->w.len, 0, &err);
	if (!j)
		fail_msg("bad JSON: %s: %.*s", err.text, (int)f->w.len, f->w.buf);
	return j;
}

static const char *str(json_t *j, const char *path)
{
	char buf[128], *save, *tok;

	snprintf(buf, sizeof(buf), "%s", path);
	for (tok = strtok_r(buf, ".", &save); tok && j; tok = strtok_r(NULL, ".", &save))
		j = json_object_get(j, tok);
	if (!j || !json_is_string(j))
		fail_msg("missing %s", path);
	return json_string_value(j);
}

static bool has(json_t *j, const char *path)
{
	char buf[128], *save, *tok;

	snprintf(buf, sizeof(buf), "%s", path);
	for (tok = strtok_r(buf, ".", &save); tok && j; tok = strtok_r(NULL, ".", &save))
		j = json_object_get(j, tok);
	return j != NULL;
}

static void test_admin_deny(void **state)
{
	struct fix *f = *state;
	struct bh_pkt p = tcp_pkt("10.0.0.21", "169.254.169.254", 80);
	json_t *j = format(f, "shop", "web", "bh/3/e/d/a", &p);

	assert_string_equal(str(j, "event.action"), "denied");
	assert_string_equal(str(j, "bulkhead.tier"), "Admin");
	assert_string_equal(str(j, "bulkhead.policy"), "guard");
	assert_string_equal(str(j, "bulkhead.rule"), "guard#egress[0]");
	assert_string_equal(str(j, "bulkhead.rule_name"), "instance-metadata");
	assert_string_equal(str(j, "rule.name"), "guard#egress[0]");
	assert_string_equal(str(j, "rule.ruleset"), "guard");
	assert_string_equal(str(j, "rule.description"), "instance-metadata");
	assert_false(has(j, "bulkhead.isolated_by"));
	assert_string_equal(str(j, "bulkhead.reason"),
			    "shop/web (app=web) tried 169.254.169.254 on 80/tcp: denied by the Admin tier, "
			    "rule guard#egress[0] \"instance-metadata\" (priority 5)");
	json_decref(j);
}

/* Pass at Admin, then the NetworkPolicy isolation: the isolation decided, the hop is named */
static void test_pass_then_isolation(void **state)
{
	struct fix *f = *state;
	struct bh_pkt p = tcp_pkt("10.0.0.21", "10.0.0.11", 22);
	json_t *j = format(f, "shop", "db", "bh/3/i/d", &p);

	assert_string_equal(str(j, "bulkhead.tier"), "NetworkPolicy");
	assert_string_equal(str(j, "bulkhead.policy"), "shop/db-from-web");
	assert_string_equal(str(j, "bulkhead.rule"), "default-deny");
	assert_string_equal(str(j, "rule.name"), "default-deny");
	assert_string_equal(str(j, "rule.ruleset"), "shop/db-from-web");
	assert_string_equal(json_string_value(json_array_get(json_object_get(json_object_get(j, "bulkhead"),
								      "passed_by"), 0)), "guard#ingress[0]");
	assert_non_null(strstr(str(j, "bulkhead.reason"), "; passed on by guard#ingress[0]"));
	json_decref(j);
}

/* Baseline: web is in no NetworkPolicy, so the Baseline tier decides after the Pass */
static void test_baseline_deny(void **state)
{
	struct fix *f = *state;
	struct bh_pkt p = tcp_pkt("10.0.0.11", "10.0.0.21", 80);
	json_t *j = format(f, "shop", "web", "bh/3/i/d/b", &p);

	assert_string_equal(str(j, "bulkhead.tier"), "Baseline");
	assert_string_equal(str(j, "bulkhead.rule"), "default-deny#ingress[0]");
	assert_string_equal(str(j, "bulkhead.rule_name"), "the-rest");
	json_decref(j);
}

/* Accepted at Admin on the sender's egress, denied at the receiver: the line says which */
static void test_accepted_then_denied(void **state)
{
	struct fix *f = *state;
	struct bh_pkt p = tcp_pkt("10.0.0.21", "10.0.0.11", 9999);
	json_t *j = format(f, "shop", "db", "bh/3/i/d", &p);

	assert_string_equal(str(j, "bulkhead.tier"), "NetworkPolicy");
	assert_string_equal(str(j, "bulkhead.accepted_by.direction"), "egress");
	assert_string_equal(str(j, "bulkhead.accepted_by.tier"), "Admin");
	assert_string_equal(str(j, "bulkhead.accepted_by.policy"), "guard");
	assert_string_equal(str(j, "bulkhead.accepted_by.rule"), "guard#egress[1]");
	assert_non_null(strstr(str(j, "bulkhead.reason"),
			       "; its egress was accepted by the Admin tier, rule guard#egress[1]"));
	json_decref(j);
}

/* An audit-mode tier: would-deny with the tier, through the audit view */
static void test_would_deny(void **state)
{
	struct fix *f = *state;
	struct bh_pkt p = tcp_pkt("10.0.1.1", "10.0.0.11", 5432);
	json_t *j = format(f, "ops", "prom", "bh/3/e/w/a", &p);

	assert_string_equal(str(j, "event.action"), "would-deny");
	assert_string_equal(str(j, "bulkhead.tier"), "Admin");
	assert_string_equal(str(j, "bulkhead.rule"), "trial#egress[0]");
	assert_string_equal(str(j, "rule.description"), "no-db");
	assert_non_null(strstr(str(j, "bulkhead.reason"), "would be denied (audit mode) by the Admin tier"));
	json_decref(j);
}

/* An allowed line (log all) names the tier's accepting rule */
static void test_allowed(void **state)
{
	struct fix *f = *state;
	struct bh_pkt p = tcp_pkt("10.0.0.21", "10.0.0.11", 9999);
	json_t *j = format(f, "shop", "web", "bh/3/e/a", &p);

	assert_string_equal(str(j, "event.action"), "allowed");
	assert_string_equal(str(j, "bulkhead.tier"), "Admin");
	assert_string_equal(str(j, "rule.name"), "guard#egress[1]");
	assert_string_equal(str(j, "rule.ruleset"), "guard");
	json_decref(j);
}

static void test_tag_tier(void **state)
{
	struct bh_log_tag t = { .generation = 9, .dir = BH_INGRESS, .kind = 'd', .tier = 'b' }, u;
	char buf[64];

	(void)state;
	bh_log_tag_format(&t, buf, sizeof(buf));
	assert_string_equal(buf, "bh/9/i/d/b");
	assert_int_equal(bh_log_tag_parse(buf, &u), 0);
	assert_int_equal(u.tier, 'b');
	assert_int_equal(bh_log_tag_parse("bh/9/i/d", &u), 0);
	assert_int_equal(u.tier, 0);
	assert_int_equal(bh_log_tag_parse("bh/9/i/a/a", &u), -EINVAL);
	assert_int_equal(bh_log_tag_parse("bh/9/i/d/c", &u), -EINVAL);
	assert_int_equal(bh_log_tag_parse("bh/9/i/d/", &u), -EINVAL);
	assert_int_equal(bh_log_tag_parse("bh/9/i/d/ab", &u), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_admin_deny),
		cmocka_unit_test(test_pass_then_isolation),
		cmocka_unit_test(test_baseline_deny),
		cmocka_unit_test(test_accepted_then_denied),
		cmocka_unit_test(test_would_deny),
		cmocka_unit_test(test_allowed),
		cmocka_unit_test(test_tag_tier),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
