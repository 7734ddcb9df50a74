// SPDX-License-Identifier: GPL-2.0-or-later
/* Log line enrichment: inventory + policies loaded from YAML, compiled, then formatted lines checked with jansson. */
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
	"  - name: shop\n"
	"    labels: {team: shop}\n"
	"workloads:\n"
	"  - name: web\n"
	"    namespace: shop\n"
	"    labels: {app: web}\n"
	"    ips: [10.0.0.21, fd00::21]\n"
	"  - name: api\n"
	"    namespace: shop\n"
	"    labels: {app: api}\n"
	"    ips: [10.0.0.31]\n"
	"  - name: db\n"
	"    namespace: shop\n"
	"    labels: {app: db}\n"
	"    ips: [10.0.0.11, fd00::11]\n";

static const char pol_yaml[] =
	"apiVersion: networking.k8s.io/v1\n"
	"kind: NetworkPolicy\n"
	"metadata: {name: db-from-api, namespace: shop}\n"
	"spec:\n"
	"  podSelector: {matchLabels: {app: db}}\n"
	"  ingress:\n"
	"    - from: [{podSelector: {matchLabels: {app: api}}}]\n"
	"      ports: [{port: 5432}]\n"
	"---\n"
	"apiVersion: networking.k8s.io/v1\n"
	"kind: NetworkPolicy\n"
	"metadata: {name: db-audit, namespace: shop, annotations: {bulkhead.io/mode: audit}}\n"
	"spec:\n"
	"  podSelector: {matchLabels: {app: db}}\n"
	"  ingress:\n"
	"    - from: [{podSelector: {matchLabels: {app: nothing}}}]\n"
	"---\n"
	"apiVersion: networking.k8s.io/v1\n"
	"kind: NetworkPolicy\n"
	"metadata: {name: web-out, namespace: shop}\n"
	"spec:\n"
	"  podSelector: {matchLabels: {app: web}}\n"
	"  policyTypes: [Egress]\n"
	"  egress:\n"
	"    - to: [{ipBlock: {cidr: 192.168.0.0/16}}]\n"
	"    - to: [{podSelector: {matchLabels: {app: db}}}]\n"
	"      ports: [{port: 5432}]\n";

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
	/* container identity as the Docker source fills it */
	struct bh_workload *db = (struct bh_workload *)bh_inventory_find(f->inv, "shop", "db");

	db->container_id = strdup("3f2a9c");
	db->container_name = strdup("db");
	db->image = strdup("postgres:16");
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

static struct bh_pkt tcp_pkt(const char *src, const char *dst, uint16_t sport, uint16_t dport)
{
	struct bh_pkt p;

	memset(&p, 0, sizeof(p));
	assert_int_equal(bh_addr_parse(src, &p.src), 0);
	assert_int_equal(bh_addr_parse(dst, &p.dst), 0);
	p.family = p.src.family;
	p.proto = IPPROTO_TCP;
	p.sport = sport;
	p.dport = dport;
	p.has_ports = true;
	p.tcp_flags = BH_TCP_SYN;
	return p;
}

static json_t *format(struct fix *f, const char *wl, const struct bh_compiled *comp, const char *prefix,
		      const struct bh_pkt *p)
{
	struct bh_event_ctx ctx = { .hostname = "node-1", .inv = f->inv };
	struct bh_log_tag tag;
	struct bh_event ev = { .ts = { 1795920035, 123456 }, .comp = comp, .pkt = p, .tag = &tag };
	json_error_t err;
	json_t *j;

	assert_int_equal(bh_log_tag_parse(prefix, &tag), 0);
	ev.wl = wl ? bh_inventory_find(f->inv, "shop", wl) : NULL;
	ev.ns = bh_inventory_ns(f->inv, "shop");
	bh_jsonw_reset(&f->w);
	assert_int_equal(bh_event_format(&f->w, &ctx, &ev), 0);
	assert_int_equal(f->w.buf[f->w.len - 1], '\n');
	assert_null(memchr(f->w.buf, '\n', f->w.len - 1));
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
	if (!j)
		fail_msg("missing %s", path);
	if (json_is_integer(j)) {
		static char num[32];

		snprintf(num, sizeof(num), "%lld", (long long)json_integer_value(j));
		return num;
	}
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

static void test_denied_ingress(void **state)
{
	struct fix *f = *state;
	struct bh_pkt p = tcp_pkt("10.0.0.21", "10.0.0.11", 51234, 5432);
	json_t *j = format(f, "db", f->comp, "bh/7/i/d", &p);

	assert_string_equal(str(j, "@timestamp"), "2026-11-29T02:40:35.123456Z");
	assert_string_equal(str(j, "event.kind"), "event");
	assert_string_equal(json_string_value(json_array_get(json_object_get(json_object_get(j, "event"), "type"), 1)), "denied");
	assert_string_equal(str(j, "event.action"), "denied");
	assert_string_equal(str(j, "event.outcome"), "failure");
	assert_string_equal(str(j, "network.transport"), "tcp");
	assert_string_equal(str(j, "network.type"), "ipv4");
	assert_string_equal(str(j, "network.direction"), "ingress");
	assert_string_equal(str(j, "network.iana_number"), "6");
	assert_string_equal(str(j, "source.ip"), "10.0.0.21");
	assert_string_equal(str(j, "source.port"), "51234");
	assert_string_equal(str(j, "destination.ip"), "10.0.0.11");
	assert_string_equal(str(j, "destination.port"), "5432");
	assert_string_equal(str(j, "rule.name"), "default-deny");
	assert_string_equal(str(j, "rule.ruleset"), "shop/db-from-api");
	assert_string_equal(str(j, "orchestrator.namespace"), "shop");
	assert_string_equal(str(j, "container.id"), "3f2a9c");
	assert_string_equal(str(j, "container.name"), "db");
	assert_string_equal(str(j, "container.image.name"), "postgres:16");
	assert_string_equal(str(j, "host.hostname"), "node-1");
	assert_string_equal(str(j, "bulkhead.source_workload.name"), "web");
	assert_string_equal(str(j, "bulkhead.source_workload.labels.app"), "web");
	assert_string_equal(str(j, "bulkhead.destination_workload.namespace"), "shop");
	assert_string_equal(str(j, "bulkhead.destination_workload.labels.app"), "db");
	assert_string_equal(str(j, "bulkhead.generation"), "7");
	json_t *iso = json_object_get(json_object_get(j, "bulkhead"), "isolated_by");
	assert_int_equal(json_array_size(iso), 1);
	assert_string_equal(json_string_value(json_array_get(iso, 0)), "shop/db-from-api");
	assert_string_equal(str(j, "bulkhead.reason"),
			    "shop/web (app=web) tried shop/db (app=db) on 5432/tcp: denied, shop/db is "
			    "isolated for ingress by shop/db-from-api, which allows no such peer");
	json_decref(j);
}

static void test_would_deny(void **state)
{
	struct fix *f = *state;
	struct bh_pkt p = tcp_pkt("10.0.0.31", "10.0.0.11", 40000, 5432);
	json_t *j = format(f, "db", f->comp, "bh/7/i/w", &p);

	assert_string_equal(str(j, "event.action"), "would-deny");
	assert_string_equal(str(j, "event.outcome"), "success");
	/* the audit view counts every policy, audit ones included */
	assert_string_equal(str(j, "rule.ruleset"), "shop/db-audit,shop/db-from-api");
	json_t *iso = json_object_get(json_object_get(j, "bulkhead"), "isolated_by");
	assert_int_equal(json_array_size(iso), 2);
	assert_non_null(strstr(str(j, "bulkhead.reason"), "would be denied (audit mode)"));
	assert_non_null(strstr(str(j, "bulkhead.reason"), "none of which allows"));
	json_decref(j);
}

static void test_egress_v6_external(void **state)
{
	struct fix *f = *state;
	struct bh_pkt p = tcp_pkt("fd00::21", "2001:db8::1", 33000, 443);
	json_t *j = format(f, "web", f->comp, "bh/7/e/d", &p);

	assert_string_equal(str(j, "network.type"), "ipv6");
	assert_string_equal(str(j, "network.direction"), "egress");
	assert_string_equal(str(j, "destination.ip"), "2001:db8::1");
	assert_string_equal(str(j, "rule.ruleset"), "shop/web-out");
	assert_string_equal(str(j, "bulkhead.source_workload.name"), "web");
	assert_false(has(j, "bulkhead.destination_workload"));
	assert_false(has(j, "container"));
	assert_string_equal(str(j, "bulkhead.reason"),
			    "shop/web (app=web) tried 2001:db8::1 on 443/tcp: denied, shop/web is "
			    "isolated for egress by shop/web-out, which allows no such peer");
	json_decref(j);
}

static void test_allowed_rule_name(void **state)
{
	struct fix *f = *state;
	struct bh_pkt p = tcp_pkt("10.0.0.21", "10.0.0.11", 33000, 5432);
	json_t *j = format(f, "web", f->comp, "bh/7/e/a", &p);

	assert_string_equal(str(j, "event.action"), "allowed");
	assert_string_equal(str(j, "rule.name"), "shop/web-out#egress[1]");
	assert_string_equal(str(j, "rule.ruleset"), "shop/web-out");
	assert_false(has(j, "bulkhead.isolated_by"));
	assert_string_equal(str(j, "bulkhead.reason"),
			    "shop/web (app=web) tried shop/db (app=db) on 5432/tcp: allowed by shop/web-out#egress[1]");
	json_decref(j);
}

static void test_unknown_generation_and_icmp(void **state)
{
	struct fix *f = *state;
	struct bh_pkt p = tcp_pkt("10.9.9.9", "10.0.0.11", 0, 0);
	json_t *j;

	p.proto = IPPROTO_ICMP;
	p.has_ports = false;
	p.tcp_flags = 0;
	p.has_icmp = true;
	p.icmp_type = 8;
	j = format(f, "db", NULL, "bh/3/i/d", &p);
	assert_string_equal(str(j, "network.transport"), "icmp");
	assert_false(has(j, "source.port"));
	assert_false(has(j, "rule.ruleset"));
	assert_string_equal(str(j, "bulkhead.icmp.type"), "8");
	assert_string_equal(str(j, "bulkhead.reason"),
			    "10.9.9.9 tried shop/db (app=db) on icmp type 8 code 0: denied "
			    "(policy generation 3 is no longer known)");
	json_decref(j);

	/* a namespace nobody knows: no workloads at all */
	j = format(f, NULL, NULL, "bh/3/i/d", &p);
	assert_false(has(j, "orchestrator"));
	assert_false(has(j, "bulkhead.destination_workload"));
	json_decref(j);
}

static void test_nasty_labels(void **state)
{
	struct fix *f = *state;
	struct bh_workload *web = (struct bh_workload *)bh_inventory_find(f->inv, "shop", "web");
	struct bh_pkt p = tcp_pkt("10.0.0.21", "10.0.0.11", 1, 5432);
	json_t *j;

	assert_int_equal(bh_labels_set(&web->labels, "evil", "\"}\n\x01\xff"), 0);
	j = format(f, "db", f->comp, "bh/7/i/d", &p);
	assert_string_equal(str(j, "bulkhead.source_workload.labels.evil"), "\"}\n\x01\xef\xbf\xbd");
	json_decref(j);
}

static void test_lifecycle(void **state)
{
	struct fix *f = *state;
	struct timeval tv = { 1795920035, 1 };
	struct bh_event_field fl[] = {
		BH_EF_S("workload", "shop/db"), BH_EF_U("suppressed", 12), BH_EF_I("delta", -3),
		BH_EF_B("final", true),
	};
	json_error_t err;
	json_t *j;

	bh_jsonw_reset(&f->w);
	assert_int_equal(bh_event_format_lifecycle(&f->w, "node-1", &tv, "suppressed", "success",
						   "12 similar in 30 s", fl, 4), 0);
	j = json_loadb(f->w.buf, f->w.len, 0, &err);
	assert_non_null(j);
	assert_string_equal(str(j, "event.kind"), "state");
	assert_string_equal(str(j, "event.action"), "suppressed");
	assert_string_equal(str(j, "message"), "12 similar in 30 s");
	assert_string_equal(str(j, "bulkhead.workload"), "shop/db");
	assert_string_equal(str(j, "bulkhead.suppressed"), "12");
	assert_string_equal(str(j, "bulkhead.delta"), "-3");
	assert_true(json_is_true(json_object_get(json_object_get(j, "bulkhead"), "final")));
	json_decref(j);

	bh_jsonw_reset(&f->w);
	assert_int_equal(bh_event_format_lifecycle(&f->w, NULL, NULL, "start", NULL, NULL, NULL, 0), 0);
	j = json_loadb(f->w.buf, f->w.len, 0, &err);
	assert_non_null(j);
	assert_false(has(j, "bulkhead"));
	assert_false(has(j, "event.outcome"));
	json_decref(j);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_denied_ingress),
		cmocka_unit_test(test_would_deny),
		cmocka_unit_test(test_egress_v6_external),
		cmocka_unit_test(test_allowed_rule_name),
		cmocka_unit_test(test_unknown_generation_and_icmp),
		cmocka_unit_test(test_nasty_labels),
		cmocka_unit_test(test_lifecycle),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
