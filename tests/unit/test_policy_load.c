// SPDX-License-Identifier: GPL-2.0-or-later
/* Policy loading: the model it builds, defaulting, and every error class with its position. */
#include <errno.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "policy/limits.h"
#include "policy/lint.h"
#include "policy/model.h"

#define HDR "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"

static struct bh_policy_set *load_ok(const char *yaml)
{
	struct bh_policy_set *s = NULL;
	struct bh_diag d;
	int rc;

	bh_diag_init(&d);
	rc = bh_policy_set_load_buf("p.yaml", yaml, strlen(yaml), &d, &s);
	if (rc || bh_diag_count(&d)) {
		bh_diag_print(&d, stderr);
		fail_msg("load failed: %d", rc);
	}
	bh_diag_deinit(&d);
	assert_non_null(s);
	return s;
}

/* Loads yaml expecting exactly the listed "line:col: message" diagnostics, in order. */
static void load_fails(const char *yaml, const char *const *want)
{
	struct bh_policy_set *s = (void *)1;
	struct bh_diag d;
	size_t n = 0;
	int rc;

	bh_diag_init(&d);
	rc = bh_policy_set_load_buf("p.yaml", yaml, strlen(yaml), &d, &s);
	assert_int_equal(rc, -EINVAL);
	assert_null(s);
	for (; want[n]; n++) {
		char got[1200];

		if (n >= d.n)
			fail_msg("missing diagnostic: %s", want[n]);
		snprintf(got, sizeof(got), "%u:%u: %s", d.v[n].loc.line, d.v[n].loc.col, d.v[n].msg);
		assert_string_equal(d.v[n].loc.file, "p.yaml");
		assert_string_equal(got, want[n]);
	}
	if (d.n != n) {
		bh_diag_print(&d, stderr);
		fail_msg("%zu diagnostics, expected %zu", d.n, n);
	}
	bh_diag_deinit(&d);
}

static void test_minimal(void **state)
{
	struct bh_policy_set *s = load_ok(HDR "metadata: {name: deny}\nspec: {podSelector: {}}\n");
	const struct bh_policy *p;

	assert_int_equal(s->n, 1);
	p = &s->v[0];
	assert_string_equal(p->name, "deny");
	assert_string_equal(p->namespace, "default");
	assert_int_equal(p->pod_sel.match.n, 0);
	assert_int_equal(p->pod_sel.n_exprs, 0);
	assert_true(p->types[BH_INGRESS]);
	assert_false(p->types[BH_EGRESS]);
	assert_int_equal(p->n_rules[BH_INGRESS], 0);
	assert_int_equal(p->n_rules[BH_EGRESS], 0);
	assert_int_equal(p->log, BH_LOG_DENIED);
	assert_int_equal(p->mode, BH_MODE_ENFORCE);
	assert_int_equal(p->loc.line, 1);
	assert_int_equal(p->loc.col, 1);
	assert_string_equal(p->loc.file, "p.yaml");
	assert_int_equal(s->n_files, 1);
	assert_ptr_equal(p->loc.file, s->files[0]);
	bh_policy_set_free(s);
}

static void test_policy_types_defaulting(void **state)
{
	static const struct {
		const char *spec;
		bool in, eg;
		size_t n_in, n_eg;
	} cases[] = {
		{ "{podSelector: {}}", true, false, 0, 0 },
		{ "{podSelector: {}, egress: []}", true, false, 0, 0 },
		{ "{podSelector: {}, egress: [{}]}", true, true, 0, 1 },
		{ "{podSelector: {}, ingress: [{}], egress: [{}, {}]}", true, true, 1, 2 },
		{ "{podSelector: {}, policyTypes: [], egress: [{}]}", true, true, 0, 1 },
		{ "{podSelector: {}, policyTypes: [Egress]}", false, true, 0, 0 },
		{ "{podSelector: {}, policyTypes: [Egress], ingress: [{}]}", false, true, 1, 0 },
		{ "{podSelector: {}, policyTypes: [Ingress], egress: [{}]}", true, false, 0, 1 },
		{ "{podSelector: {}, policyTypes: [Egress, Ingress]}", true, true, 0, 0 },
		{ "{podSelector: {}, egress: ~}", true, false, 0, 0 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char buf[512];
		struct bh_policy_set *s;

		snprintf(buf, sizeof(buf), HDR "metadata: {name: p}\nspec: %s\n", cases[i].spec);
		s = load_ok(buf);
		if (s->v[0].types[BH_INGRESS] != cases[i].in || s->v[0].types[BH_EGRESS] != cases[i].eg)
			fail_msg("%s: types %d,%d", cases[i].spec, s->v[0].types[0], s->v[0].types[1]);
		assert_int_equal(s->v[0].n_rules[BH_INGRESS], cases[i].n_in);
		assert_int_equal(s->v[0].n_rules[BH_EGRESS], cases[i].n_eg);
		bh_policy_set_free(s);
	}
}

static void test_rules_peers_ports(void **state)
{
	const char *y = HDR
		"metadata:\n"
		"  name: api\n"
		"  namespace: shop\n"
		"spec:\n"
		"  podSelector:\n"
		"    matchLabels: {app: api}\n"
		"    matchExpressions:\n"
		"      - {key: tier, operator: NotIn, values: [a, b]}\n"
		"  ingress:\n"
		"    - from:\n"
		"        - podSelector: {matchLabels: {app: web}}\n"
		"        - namespaceSelector: {matchLabels: {team: x}}\n"
		"          podSelector: {}\n"
		"        - ipBlock: {cidr: 10.0.0.0/8, except: [10.1.0.0/16]}\n"
		"      ports:\n"
		"        - port: 8080\n"
		"        - {port: http, protocol: UDP}\n"
		"        - {port: 9000, endPort: 9100, protocol: SCTP}\n"
		"        - {protocol: TCP}\n"
		"    - from: []\n"
		"      ports: []\n"
		"    - {}\n";
	struct bh_policy_set *s = load_ok(y);
	const struct bh_policy *p = &s->v[0];
	const struct bh_rule *r;
	char buf[64];
	char *txt;

	assert_string_equal(p->namespace, "shop");
	txt = bh_selector_format(&p->pod_sel);
	assert_string_equal(txt, "app=api,tier notin (a,b)");
	free(txt);
	assert_int_equal(p->n_rules[BH_INGRESS], 3);
	r = &p->rules[BH_INGRESS][0];
	assert_int_equal(r->loc.line, 12);
	assert_int_equal(r->loc.col, 7);
	assert_true(r->has_peers);
	assert_int_equal(r->n_peers, 3);
	assert_true(r->peers[0].has_pod_sel);
	assert_false(r->peers[0].has_ns_sel);
	assert_false(r->peers[0].has_ipblock);
	assert_string_equal(bh_labels_get(&r->peers[0].pod_sel.match, "app"), "web");
	assert_int_equal(r->peers[0].loc.line, 13);
	assert_int_equal(r->peers[0].loc.col, 11);
	assert_true(r->peers[1].has_pod_sel);
	assert_true(r->peers[1].has_ns_sel);
	assert_int_equal(r->peers[1].pod_sel.match.n, 0);
	assert_string_equal(bh_labels_get(&r->peers[1].ns_sel.match, "team"), "x");
	assert_true(r->peers[2].has_ipblock);
	assert_string_equal(bh_prefix_format(&r->peers[2].ipblock.cidr, buf, sizeof(buf)), "10.0.0.0/8");
	assert_int_equal(r->peers[2].ipblock.n_except, 1);
	assert_string_equal(bh_prefix_format(&r->peers[2].ipblock.except[0], buf, sizeof(buf)), "10.1.0.0/16");

	assert_true(r->has_ports);
	assert_int_equal(r->n_ports, 4);
	assert_int_equal(r->ports[0].proto, IPPROTO_TCP);
	assert_true(r->ports[0].has_port);
	assert_null(r->ports[0].name);
	assert_int_equal(r->ports[0].port, 8080);
	assert_int_equal(r->ports[0].end_port, 0);
	assert_int_equal(r->ports[1].proto, IPPROTO_UDP);
	assert_string_equal(r->ports[1].name, "http");
	assert_int_equal(r->ports[2].proto, IPPROTO_SCTP);
	assert_int_equal(r->ports[2].port, 9000);
	assert_int_equal(r->ports[2].end_port, 9100);
	assert_false(r->ports[3].has_port);
	assert_int_equal(r->ports[3].loc.line, 21);

	r = &p->rules[BH_INGRESS][1];
	assert_false(r->has_peers);
	assert_false(r->has_ports);
	r = &p->rules[BH_INGRESS][2];
	assert_false(r->has_peers);
	assert_false(r->has_ports);
	bh_policy_set_free(s);
}

static void test_ipv6_ipblock(void **state)
{
	struct bh_policy_set *s = load_ok(HDR "metadata: {name: v6}\nspec:\n  podSelector: {}\n"
					  "  egress:\n  - to:\n    - ipBlock:\n        cidr: fd77::/64\n"
					  "        except: ['fd77::/96', 'fd77::1:0:0/112']\n");
	const struct bh_ipblock *b = &s->v[0].rules[BH_EGRESS][0].peers[0].ipblock;
	char buf[64];

	assert_int_equal(b->cidr.addr.family, AF_INET6);
	assert_int_equal(b->cidr.len, 64);
	assert_int_equal(b->n_except, 2);
	assert_string_equal(bh_prefix_format(&b->except[1], buf, sizeof(buf)), "fd77::1:0:0/112");
	bh_policy_set_free(s);

	load_fails(HDR "metadata: {name: v6}\nspec:\n  podSelector: {}\n"
		   "  egress:\n  - to:\n    - ipBlock:\n        cidr: fd77::/64\n"
		   "        except: ['fd78::/96', 10.0.0.0/8, 'fd77::/64', 'fd77::1/64']\n",
		   (const char *const[]){
			   "10:18: spec.egress[0].to[0].ipBlock.except[0]: \"fd78::/96\" is not inside cidr \"fd77::/64\"",
			   "10:31: spec.egress[0].to[0].ipBlock.except[1]: \"10.0.0.0/8\" is not inside cidr \"fd77::/64\"",
			   "10:43: spec.egress[0].to[0].ipBlock.except[2]: \"fd77::/64\" must be strictly inside cidr "
			   "\"fd77::/64\", not equal to it",
			   "10:56: spec.egress[0].to[0].ipBlock.except[3]: invalid CIDR \"fd77::1/64\": host bits are set "
			   "(did you mean \"fd77::/64\"?)",
			   NULL });
}

static void test_multi_document_sorted(void **state)
{
	const char *y = "---\n"
		HDR "metadata: {name: zeta, namespace: b}\nspec: {podSelector: {}}\n"
		"---\n"
		"---\n"
		"# only a comment\n"
		"---\n"
		HDR "metadata: {name: alpha, namespace: b}\nspec: {podSelector: {}}\n"
		"---\n"
		"apiVersion: networking.k8s.io/v1\nkind: NetworkPolicyList\nitems:\n"
		"- metadata: {name: mid, namespace: a}\n  spec: {podSelector: {}}\n"
		"---\n"
		"apiVersion: v1\nkind: List\nitems:\n"
		"- " "apiVersion: networking.k8s.io/v1\n  kind: NetworkPolicy\n"
		"  metadata: {name: zz}\n  spec: {podSelector: {}}\n"
		"...\n";
	struct bh_policy_set *s = load_ok(y);

	assert_int_equal(s->n, 4);
	assert_string_equal(s->v[0].namespace, "a");
	assert_string_equal(s->v[0].name, "mid");
	assert_string_equal(s->v[1].namespace, "b");
	assert_string_equal(s->v[1].name, "alpha");
	assert_string_equal(s->v[2].name, "zeta");
	assert_int_equal(s->v[2].loc.line, 2);
	assert_string_equal(s->v[3].namespace, "default");
	assert_string_equal(s->v[3].name, "zz");
	bh_policy_set_free(s);
}

static void test_annotations(void **state)
{
	struct bh_policy_set *s = load_ok(HDR "metadata:\n  name: a\n  annotations:\n"
					  "    bulkhead.io/log: all\n    bulkhead.io/mode: audit\n"
					  "    other.io/anything: \"whatever you like\"\n"
					  "spec: {podSelector: {}}\n---\n"
					  HDR "metadata:\n  name: b\n  annotations: {bulkhead.io/log: none}\n"
					  "spec: {podSelector: {}}\n");

	assert_int_equal(s->v[0].log, BH_LOG_ALL);
	assert_int_equal(s->v[0].mode, BH_MODE_AUDIT);
	assert_int_equal(s->v[1].log, BH_LOG_NONE);
	assert_int_equal(s->v[1].mode, BH_MODE_ENFORCE);
	bh_policy_set_free(s);

	load_fails(HDR "metadata:\n  name: a\n  annotations:\n    bulkhead.io/log: loud\n"
		   "    bulkhead.io/mode: Audit\n    bulkhead.io/level: x\n    bad key: y\n"
		   "spec: {podSelector: {}}\n",
		   (const char *const[]){
			   "6:22: metadata.annotations[bulkhead.io/log]: unsupported value \"loud\" "
			   "(expected denied, all or none)",
			   "7:23: metadata.annotations[bulkhead.io/mode]: unsupported value \"Audit\" "
			   "(expected enforce or audit)",
			   "8:5: metadata.annotations[bulkhead.io/level]: unknown bulkhead annotation "
			   "(known: bulkhead.io/log, bulkhead.io/mode)",
			   "9:5: metadata.annotations: invalid annotation key \"bad key\": name part must consist "
			   "of alphanumeric characters, '-', '_' or '.', and must start and end with an "
			   "alphanumeric character",
			   NULL });
}

static void test_tolerated_server_fields(void **state)
{
	struct bh_policy_set *s = load_ok(HDR "metadata:\n  name: a\n  uid: 1234\n  resourceVersion: \"5\"\n"
					  "  generation: 3\n  creationTimestamp: null\n  selfLink: /x\n"
					  "  managedFields: [{manager: kubectl}]\n"
					  "spec: {podSelector: {}}\nstatus: {conditions: []}\n");

	assert_int_equal(s->n, 1);
	bh_policy_set_free(s);
}

/* A null or missing podSelector is the empty selector, as the API server takes it, with a warning. */
static void test_null_pod_selector(void **state)
{
	static const char yaml[] = HDR "metadata: {name: a, namespace: x}\nspec:\n  podSelector:\n"
				   "---\n" HDR "metadata: {name: b, namespace: x}\nspec:\n  policyTypes: [Egress]\n";
	struct bh_policy_set *s = NULL;
	struct bh_labels none = { 0 };
	struct bh_diag d;

	bh_diag_init(&d);
	assert_int_equal(bh_policy_set_load_buf("p.yaml", yaml, strlen(yaml), &d, &s), 0);
	assert_int_equal(bh_diag_count(&d), 0);
	assert_int_equal(bh_diag_warnings(&d), 2);
	assert_int_equal(d.v[0].sev, BH_SEV_WARNING);
	assert_int_equal(d.v[0].loc.line, 5);
	assert_non_null(strstr(d.v[0].msg, "spec.podSelector: has no value: selects every pod"));
	assert_non_null(strstr(d.v[1].msg, "spec.podSelector: is missing: selects every pod"));
	assert_int_equal(s->n, 2);
	for (size_t i = 0; i < 2; i++) {
		assert_int_equal(s->v[i].pod_sel.match.n, 0);
		assert_int_equal(s->v[i].pod_sel.n_exprs, 0);
		assert_true(bh_selector_matches(&s->v[i].pod_sel, &none));
	}
	assert_true(s->v[0].types[BH_INGRESS] && !s->v[0].types[BH_EGRESS]);
	assert_true(!s->v[1].types[BH_INGRESS] && s->v[1].types[BH_EGRESS]);
	bh_policy_set_free(s);
	bh_diag_deinit(&d);
}

static void test_errors_structure(void **state)
{
	load_fails(HDR "metadata:\n  name: a\nspec:\n  podSelectr: {}\n  ingres: []\n  bogus: 1\n",
		   (const char *const[]){
			   "6:3: spec.podSelectr: unknown field (did you mean \"podSelector\"?)",
			   "6:3: spec.podSelector: is missing: selects every pod of the namespace, as the "
			   "API server takes it (write podSelector: {} to say so)",
			   "7:3: spec.ingres: unknown field (did you mean \"ingress\"?)",
			   "8:3: spec.bogus: unknown field",
			   NULL });
	load_fails(HDR "metadata: {namespace: x}\n",
		   (const char *const[]){
			   "1:1: spec: required field is missing",
			   "3:11: metadata.name: required field is missing",
			   NULL });
	load_fails(HDR "metadata: {name: a}\nspec:\n  podSelector: []\n  ingress: {}\n  egress: [7]\n"
		   "  policyTypes: Ingress\n",
		   (const char *const[]){
			   "5:16: spec.podSelector: expected a mapping, got a list",
			   "6:12: spec.ingress: expected a list, got a mapping",
			   "7:12: spec.egress[0]: expected a mapping, got an integer",
			   "8:16: spec.policyTypes: expected a list, got a string",
			   NULL });
	load_fails("apiVersion: networking.k8s.io/v1beta1\nkind: NetworkPolicy\n---\n"
		   "apiVersion: v1\nkind: Pod\n---\nkind: NetworkPolicy\n---\n[1, 2]\n---\n"
		   "apiVersion: networking.k8s.io/v1\nkind: List\n",
		   (const char *const[]){
			   "1:13: apiVersion: unsupported apiVersion \"networking.k8s.io/v1beta1\" for kind "
			   "NetworkPolicy (expected \"networking.k8s.io/v1\")",
			   "5:7: kind: unsupported kind \"Pod\" (expected NetworkPolicy, ClusterNetworkPolicy, "
			   "AdminNetworkPolicy or BaselineAdminNetworkPolicy, a list of them, or List)",
			   "7:1: apiVersion: required field is missing",
			   "9:1: expected a Kubernetes object (a mapping), got a list",
			   "11:13: apiVersion: unsupported apiVersion \"networking.k8s.io/v1\" for kind List "
			   "(expected \"v1\")",
			   NULL });
}

static void test_errors_yaml(void **state)
{
	load_fails(HDR "metadata:\n  name: a\n  name: b\nspec: {podSelector: {}}\n",
		   (const char *const[]){
			   "5:3: duplicate key \"name\" (first defined at line 4, column 3)",
			   NULL });
	load_fails(HDR "metadata:\n  name: a\n   namespace: b\n",
		   (const char *const[]){
			   "5:13: invalid YAML: mapping values are not allowed in this context",
			   NULL });
	load_fails(HDR "metadata: {name: a}\nspec:\n  podSelector: &x {}\n",
		   (const char *const[]){
			   "5:16: YAML anchors and aliases are not supported",
			   NULL });
	load_fails(HDR "metadata: {name: \"a\\0b\"}\nspec: {podSelector: {}}\n",
		   (const char *const[]){
			   "3:18: NUL characters are not allowed in strings",
			   NULL });
	{
		char deep[200];

		memset(deep, '[', 100);
		memset(deep + 100, ']', 99);
		deep[199] = '\0';
		deep[198] = '\n';
		load_fails(deep, (const char *const[]){ "1:65: nesting deeper than 64 levels", NULL });
	}
	load_fails("a: b\n\xff\n",
		   (const char *const[]){
			   "0:0: invalid YAML: invalid leading UTF-8 octet (at byte 5)",
			   NULL });
	load_fails(HDR "metadata: {name: [a\n",
		   (const char *const[]){
			   "3:18: unclosed '[': the file ends at line 4, column 1 without a closing ']'",
			   NULL });
}

static void test_errors_names_and_labels(void **state)
{
	load_fails(HDR "metadata:\n  name: Web\n  namespace: \"a.b\"\n  labels: {ok: \"-no\", \"x/y/z\": a}\n"
		   "spec: {podSelector: {matchLabels: {\"example.com/app\": web, \"Bad.Prefix/app\": x}}}\n",
		   (const char *const[]){
			   "4:9: metadata.name: invalid name \"Web\": must be a lowercase RFC 1123 subdomain: "
			   "lowercase alphanumeric characters, '-' or '.', starting and ending with an "
			   "alphanumeric character",
			   "5:14: metadata.namespace: invalid namespace \"a.b\": must be a lowercase RFC 1123 "
			   "label: lowercase alphanumeric characters or '-', starting and ending with an "
			   "alphanumeric character",
			   "6:16: metadata.labels[ok]: invalid label value \"-no\": must be empty or consist of "
			   "alphanumeric characters, '-', '_' or '.', and must start and end with an "
			   "alphanumeric character",
			   "6:23: metadata.labels: invalid label key \"x/y/z\": must be an optional DNS prefix "
			   "and a name separated by a single '/'",
			   "7:60: spec.podSelector.matchLabels: invalid label key \"Bad.Prefix/app\": prefix part "
			   "must be a lowercase RFC 1123 subdomain",
			   NULL });
}

static void test_errors_selectors(void **state)
{
	load_fails(HDR "metadata: {name: a}\nspec:\n  podSelector:\n    matchExpressions:\n"
		   "    - {key: a, operator: In}\n"
		   "    - {key: a, operator: NotIn, values: []}\n"
		   "    - {key: a, operator: Exists, values: [x]}\n"
		   "    - {key: a, operator: DoesNotExist, values: [x]}\n"
		   "    - {key: a, operator: Equals, values: [x]}\n"
		   "    - {operator: Exists}\n",
		   (const char *const[]){
			   "7:7: spec.podSelector.matchExpressions[0].values: must be non-empty when operator is In",
			   "8:41: spec.podSelector.matchExpressions[1].values: must be non-empty when operator is NotIn",
			   "9:42: spec.podSelector.matchExpressions[2].values: must be empty when operator is Exists",
			   "10:48: spec.podSelector.matchExpressions[3].values: must be empty when operator is "
			   "DoesNotExist",
			   "11:26: spec.podSelector.matchExpressions[4].operator: unsupported operator \"Equals\" "
			   "(expected In, NotIn, Exists or DoesNotExist)",
			   "12:7: spec.podSelector.matchExpressions[5].key: required field is missing",
			   NULL });
}

static void test_errors_peers(void **state)
{
	load_fails(HDR "metadata: {name: a}\nspec:\n  podSelector: {}\n  ingress:\n  - from:\n"
		   "    - {}\n"
		   "    - {ipBlock: {cidr: 10.0.0.0/8}, podSelector: {}}\n"
		   "    - ipBlock: {cidr: 10.0.0.300/24}\n"
		   "    - ipBlock: {cidr: 10.0.0.1/24}\n"
		   "    - ipBlock: {cidr: 10.0.0.0/24, except: [10.0.1.0/28]}\n"
		   "    - ipBlock: {cidr: 10.0.0.0}\n",
		   (const char *const[]){
			   "8:7: spec.ingress[0].from[0]: must specify at least one of podSelector, "
			   "namespaceSelector or ipBlock",
			   "9:7: spec.ingress[0].from[1]: ipBlock cannot be combined with podSelector or "
			   "namespaceSelector",
			   "10:23: spec.ingress[0].from[2].ipBlock.cidr: invalid CIDR \"10.0.0.300/24\"",
			   "11:23: spec.ingress[0].from[3].ipBlock.cidr: invalid CIDR \"10.0.0.1/24\": host bits "
			   "are set (did you mean \"10.0.0.0/24\"?)",
			   "12:45: spec.ingress[0].from[4].ipBlock.except[0]: \"10.0.1.0/28\" is not inside cidr "
			   "\"10.0.0.0/24\"",
			   "13:23: spec.ingress[0].from[5].ipBlock.cidr: invalid CIDR \"10.0.0.0\"",
			   NULL });
}

static void test_errors_ports(void **state)
{
	load_fails(HDR "metadata: {name: a}\nspec:\n  podSelector: {}\n  egress:\n  - ports:\n"
		   "    - port: \"80\"\n"
		   "    - port: 0\n"
		   "    - {port: 100, endPort: 99}\n"
		   "    - {port: web, endPort: 99}\n"
		   "    - {endPort: 99}\n"
		   "    - {port: 1, endPort: \"2\"}\n"
		   "    - {port: 1, protocol: ICMP}\n"
		   "    - {port: -web}\n"
		   "    - {port: 1, endPort: 65536}\n",
		   (const char *const[]){
			   "8:13: spec.egress[0].ports[0].port: invalid port name \"80\": must contain at least one "
			   "letter (a-z) (a quoted number is a port name; write the number without quotes)",
			   "9:13: spec.egress[0].ports[1].port: must be between 1 and 65535, got 0",
			   "10:28: spec.egress[0].ports[2].endPort: must be greater than or equal to port (100), got 99",
			   "11:28: spec.egress[0].ports[3].endPort: requires a numeric port, not the port name \"web\"",
			   "12:17: spec.egress[0].ports[4].endPort: requires port to be set",
			   "13:26: spec.egress[0].ports[5].endPort: expected an integer, got a string \"2\"",
			   "14:27: spec.egress[0].ports[6].protocol: unsupported protocol \"ICMP\" "
			   "(expected TCP, UDP or SCTP)",
			   "15:14: spec.egress[0].ports[7].port: invalid port name \"-web\": must not begin or end "
			   "with a hyphen",
			   "16:26: spec.egress[0].ports[8].endPort: must be between 1 and 65535, got 65536",
			   NULL });
}

static void test_errors_policy_types(void **state)
{
	load_fails(HDR "metadata: {name: a}\nspec:\n  podSelector: {}\n  policyTypes: [Egress, ingress, Egress]\n",
		   (const char *const[]){
			   "6:25: spec.policyTypes[1]: unsupported value \"ingress\" (expected Ingress or Egress)",
			   "6:34: spec.policyTypes[2]: duplicate value \"Egress\"",
			   NULL });
}

static void test_duplicate_policy(void **state)
{
	load_fails(HDR "metadata: {name: a, namespace: x}\nspec: {podSelector: {}}\n---\n"
		   HDR "metadata: {name: a}\nspec: {podSelector: {}}\n---\n"
		   HDR "metadata:\n  namespace: x\n  name: a\nspec: {podSelector: {}}\n",
		   (const char *const[]){
			   "15:9: metadata.name: policy \"x/a\" is already defined at p.yaml:3:18",
			   NULL });
}

static void test_load_paths(void **state)
{
	char dir[] = "/tmp/bh-test-load.XXXXXX", path[128];
	const char *paths[2];
	struct bh_policy_set *s;
	struct bh_diag d;
	FILE *f;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/b.yaml", dir);
	f = fopen(path, "w");
	fputs(HDR "metadata: {name: b}\nspec: {podSelector: {}}\n", f);
	fclose(f);
	snprintf(path, sizeof(path), "%s/a.yml", dir);
	f = fopen(path, "w");
	fputs(HDR "metadata: {name: a}\nspec: {podSelector: {}}\n", f);
	fclose(f);
	snprintf(path, sizeof(path), "%s/c.json", dir);
	f = fopen(path, "w");
	fputs("{", f);
	fclose(f);

	bh_diag_init(&d);
	paths[0] = dir;
	assert_int_equal(bh_policy_set_load(paths, 1, &d, &s), 0);
	assert_int_equal(bh_diag_count(&d), 0);
	assert_int_equal(s->n, 2);
	assert_int_equal(s->n_files, 2);
	assert_string_equal(s->v[0].name, "a");
	assert_non_null(strstr(s->v[0].loc.file, "/a.yml"));
	bh_policy_set_free(s);

	snprintf(path, sizeof(path), "%s/missing.yaml", dir);
	paths[1] = path;
	assert_int_equal(bh_policy_set_load(paths, 2, &d, &s), -ENOENT);
	assert_null(s);
	assert_int_equal(d.n, 1);
	assert_string_equal(d.v[0].loc.file, path);
	assert_int_equal(d.v[0].loc.line, 0);
	assert_string_equal(d.v[0].msg, "cannot open: No such file or directory");
	bh_diag_deinit(&d);

	/* an empty set is a success */
	bh_diag_init(&d);
	assert_int_equal(bh_policy_set_load_buf("e.yaml", "", 0, &d, &s), 0);
	assert_int_equal(s->n, 0);
	bh_policy_set_free(s);
	bh_diag_deinit(&d);

	snprintf(path, sizeof(path), "rm -rf '%s'", dir);
	assert_int_equal(system(path), 0);
}

/* Thousands of policies: loading stays fast, duplicates found without pairwise scans. */
static void test_many_policies(void **state)
{
	const size_t n = 3000;
	size_t cap = n * 200, len = 0;
	char *buf = malloc(cap);
	struct bh_policy_set *s;
	struct bh_diag d;

	for (size_t i = 0; i < n; i++)
		len += (size_t)snprintf(buf + len, cap - len,
					"---\n" HDR "metadata: {name: p%zu, namespace: ns%zu}\n"
					"spec: {podSelector: {matchLabels: {app: a%zu}}}\n",
					i, i % 20, i);
	s = load_ok(buf);
	assert_int_equal(s->n, n);
	for (size_t i = 1; i < n; i++)
		assert_true(strcmp(s->v[i - 1].namespace, s->v[i].namespace) < 0 ||
			    (!strcmp(s->v[i - 1].namespace, s->v[i].namespace) &&
			     strcmp(s->v[i - 1].name, s->v[i].name) < 0));
	bh_policy_set_free(s);

	/* the same document once more at the end */
	len += (size_t)snprintf(buf + len, cap - len,
				"---\n" HDR "metadata: {name: p7, namespace: ns7}\nspec: {podSelector: {}}\n");
	bh_diag_init(&d);
	assert_int_equal(bh_policy_set_load_buf("p.yaml", buf, len, &d, &s), -EINVAL);
	assert_int_equal(d.n, 1);
	assert_int_equal(d.v[0].loc.line, n * 5 + 4);
	assert_string_equal(d.v[0].msg, "metadata.name: policy \"ns7/p7\" is already defined at p.yaml:39:18");
	bh_diag_deinit(&d);
	free(buf);
}

/* Loads yaml within lim expecting exactly one "line:col: message" error. */
static void load_over(const struct bh_limits *lim, const char *yaml, const char *want)
{
	struct bh_policy_set *s = (void *)1;
	struct bh_diag d;
	char got[1200];

	bh_diag_init(&d);
	assert_int_equal(bh_policy_set_load_buf_limited("p.yaml", yaml, strlen(yaml), lim, &d, &s),
			 -EINVAL);
	assert_null(s);
	if (d.n != 1) {
		bh_diag_print(&d, stderr);
		fail_msg("%zu diagnostics, want 1", d.n);
	}
	snprintf(got, sizeof(got), "%u:%u: %s", d.v[0].loc.line, d.v[0].loc.col, d.v[0].msg);
	assert_string_equal(got, want);
	bh_diag_deinit(&d);
}

static void test_limits(void **state)
{
	static const char pol[] =
		HDR "metadata:\n  name: a\n  labels: {a: x, b: y, c: z}\nspec:\n  podSelector: {}\n"
		"  ingress:\n    - from: [{podSelector: {}}, {namespaceSelector: {}}]\n"
		"      ports: [{port: 1}, {port: 2}]\n    - {}\n";
	struct bh_limits lim = BH_LIMITS_DEFAULT;
	struct bh_policy_set *s;
	struct bh_diag d;

	(void)state;
	/* at every limit: loads */
	lim.keys_per_mapping = 4;
	lim.rules_per_policy = 2;
	lim.peers_per_rule = 2;
	lim.ports_per_rule = 2;
	lim.policies = 1;
	bh_diag_init(&d);
	assert_int_equal(bh_policy_set_load_buf_limited("p.yaml", pol, strlen(pol), &lim, &d, &s), 0);
	assert_int_equal(s->v[0].n_rules[BH_INGRESS], 2);
	bh_policy_set_free(s);
	bh_diag_deinit(&d);

	/* one over each: refused where it is */
	lim.keys_per_mapping = 3;
	load_over(&lim, pol, "1:1: 4 keys in one mapping, more than the limit of 3 "
			     "(--limit-keys-per-mapping)");
	lim.keys_per_mapping = 4;
	load_over(&lim, HDR "metadata: {name: a}\nspec: {podSelector: {matchLabels: {a: b, c: d, e: f, g: h, i: j}}}\n",
		  "4:35: spec.podSelector.matchLabels: 5 keys in one mapping, more than the limit of 4 "
		  "(--limit-keys-per-mapping)");
	lim.rules_per_policy = 1;
	load_over(&lim, pol, "9:5: spec.ingress: 2 rules, more than the limit of 1 (--limit-rules-per-policy)");
	lim.rules_per_policy = 2;
	lim.peers_per_rule = 1;
	load_over(&lim, pol, "9:13: spec.ingress[0].from: 2 peers, more than the limit of 1 "
			     "(--limit-peers-per-rule)");
	lim.peers_per_rule = 2;
	lim.ports_per_rule = 1;
	load_over(&lim, pol, "10:14: spec.ingress[0].ports: 2 ports, more than the limit of 1 "
			     "(--limit-ports-per-rule)");
	lim.ports_per_rule = 2;
	load_over(&lim, HDR "metadata: {name: a}\nspec: {podSelector: {}}\n---\n"
		  "kind: List\napiVersion: v1\nitems:\n"
		  "  - {apiVersion: networking.k8s.io/v1, kind: NetworkPolicy, metadata: {name: b}}\n"
		  "  - {apiVersion: networking.k8s.io/v1, kind: NetworkPolicy, metadata: {name: c}}\n",
		  "9:5: items[0]: more than 1 policies, the limit (--limit-policies): this one and "
		  "those after it are not loaded");
}

/* Lints yaml (against inventory inv_yaml when given): the warnings as "line:col: message". */
static void lint_is(const char *yaml, const char *inv_yaml, const char *const *want)
{
	struct bh_policy_set *s = load_ok(yaml);
	struct bh_inventory *inv = NULL;
	struct bh_diag d;
	size_t n = 0;

	bh_diag_init(&d);
	if (inv_yaml)
		assert_int_equal(bh_inventory_load_buf("i.yaml", inv_yaml, strlen(inv_yaml), &d, &inv), 0);
	assert_int_equal(bh_policy_set_lint(s, inv, &d), 0);
	assert_int_equal(bh_diag_count(&d), 0);	/* warnings are never errors */
	for (; want[n]; n++) {
		char got[1200];

		if (n >= d.n)
			fail_msg("missing warning: %s", want[n]);
		assert_int_equal(d.v[n].sev, BH_SEV_WARNING);
		snprintf(got, sizeof(got), "%u:%u: %s", d.v[n].loc.line, d.v[n].loc.col, d.v[n].msg);
		assert_string_equal(got, want[n]);
	}
	if (d.n != n) {
		bh_diag_print(&d, stderr);
		fail_msg("%zu warnings, want %zu", d.n, n);
	}
	assert_int_equal(bh_diag_warnings(&d), n);
	bh_diag_deinit(&d);
	bh_inventory_free(inv);
	bh_policy_set_free(s);
}

static void test_lint(void **state)
{
	(void)state;
	/* defaulted policyTypes never leave rules out; distinct rules are not duplicates */
	lint_is(HDR "metadata: {name: a}\nspec:\n  podSelector: {}\n"
		"  ingress: [{ports: [{port: 1}]}, {ports: [{port: 2}]}, {ports: [{port: 1, protocol: UDP}]}]\n"
		"  egress: [{to: [{ipBlock: {cidr: 10.0.0.0/8, except: [10.1.0.0/16]}}]},"
		" {to: [{ipBlock: {cidr: 10.0.0.0/8, except: [10.2.0.0/16]}}]}]\n",
		NULL, (const char *const[]){ NULL });
	lint_is(HDR "metadata: {name: a}\nspec:\n  podSelector: {}\n  policyTypes: [Egress]\n"
		"  ingress:\n    - {}\n  egress:\n"
		"    - to: [{podSelector: {matchLabels: {a: b}}, namespaceSelector: {}}]\n"
		"    - to: [{podSelector: {matchLabels: {a: b}}, namespaceSelector: {}}]\n"
		"    - to: [{podSelector: {matchLabels: {a: c}}, namespaceSelector: {}}]\n"
		"    - to: [{podSelector: {matchLabels: {a: b}}, namespaceSelector: {}}]\n",
		NULL, (const char *const[]){
			"8:7: spec.ingress: 1 rule that never applies: policyTypes does not list Ingress",
			"11:7: spec.egress[1]: the same rule as spec.egress[0] (line 10): it allows nothing more",
			"13:7: spec.egress[3]: the same rule as spec.egress[0] (line 10): it allows nothing more",
			NULL });
	/* with an inventory: selectors that select nothing of it */
	lint_is(HDR "metadata: {name: a, namespace: x}\nspec:\n  podSelector: {}\n  ingress:\n"
		"    - from:\n"
		"      - podSelector: {matchLabels: {app: web}}\n"
		"      - podSelector: {matchLabels: {app: db}}\n"
		"      - namespaceSelector: {matchLabels: {team: b}}\n"
		"      - namespaceSelector: {matchLabels: {team: c}}\n"
		"      - namespaceSelector: {matchLabels: {team: b}}\n"
		"        podSelector: {matchLabels: {app: web}}\n"
		"      - namespaceSelector: {matchExpressions: [{key: team, operator: Exists}]}\n"
		"        podSelector: {matchLabels: {app: db}}\n"
		"      - ipBlock: {cidr: 192.0.2.0/24}\n",
		"namespaces:\n  - {name: x, labels: {team: a}}\n  - {name: y, labels: {team: b}}\n"
		"workloads:\n  - {name: w, namespace: x, labels: {app: web}}\n"
		"  - {name: d, namespace: y, labels: {app: db}}\n",
		(const char *const[]){
			"9:9: spec.ingress[0].from[1]: selects no workload of the inventory",
			"11:9: spec.ingress[0].from[3].namespaceSelector: selects no namespace of the inventory",
			"12:9: spec.ingress[0].from[4]: selects no workload of the inventory",
			NULL });
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_minimal),
		cmocka_unit_test(test_policy_types_defaulting),
		cmocka_unit_test(test_rules_peers_ports),
		cmocka_unit_test(test_ipv6_ipblock),
		cmocka_unit_test(test_multi_document_sorted),
		cmocka_unit_test(test_annotations),
		cmocka_unit_test(test_tolerated_server_fields),
		cmocka_unit_test(test_null_pod_selector),
		cmocka_unit_test(test_errors_structure),
		cmocka_unit_test(test_errors_yaml),
		cmocka_unit_test(test_errors_names_and_labels),
		cmocka_unit_test(test_errors_selectors),
		cmocka_unit_test(test_errors_peers),
		cmocka_unit_test(test_errors_ports),
		cmocka_unit_test(test_errors_policy_types),
		cmocka_unit_test(test_duplicate_policy),
		cmocka_unit_test(test_load_paths),
		cmocka_unit_test(test_many_policies),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_lint),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
