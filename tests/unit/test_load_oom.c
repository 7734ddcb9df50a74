// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Allocation failure on every path of the loaders: the Nth malloc, calloc
 * or realloc made while loading fails, for every N until a load completes
 * without reaching it. Each run must end in 0 or -ENOMEM, never crash, and
 * leak nothing (LeakSanitizer checks at exit).
 *
 * The allocator is interposed by defining malloc/calloc/realloc here and
 * forwarding to the next definition (libc's, or the sanitizer's).
 */
#include <dlfcn.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "policy/model.h"

#include "oom_inject.h"

static const char policies[] =
	"apiVersion: networking.k8s.io/v1\n"
	"kind: NetworkPolicy\n"
	"metadata:\n"
	"  name: api\n"
	"  namespace: shop\n"
	"  labels: {app: api}\n"
	"  annotations: {bulkhead.io/log: all}\n"
	"spec:\n"
	"  podSelector:\n"
	"    matchLabels: {app: api, tier: backend}\n"
	"    matchExpressions: [{key: env, operator: In, values: [prod, staging]}]\n"
	"  ingress:\n"
	"    - from:\n"
	"        - podSelector: {matchLabels: {app: web}}\n"
	"          namespaceSelector: {matchExpressions: [{key: x, operator: Exists}]}\n"
	"        - ipBlock: {cidr: 10.0.0.0/8, except: [10.1.0.0/16, 10.2.0.0/16]}\n"
	"      ports: [{port: 8080}, {port: http, protocol: UDP}, {port: 1, endPort: 9}]\n"
	"  egress: [{to: [{podSelector: {}}]}]\n"
	"---\n"
	"apiVersion: v1\n"
	"kind: List\n"
	"items:\n"
	"  - apiVersion: networking.k8s.io/v1\n"
	"    kind: NetworkPolicy\n"
	"    metadata: {name: deny}\n"
	"    spec: {podSelector: {}}\n";

/* with problems, so the error paths allocate too */
static const char broken[] =
	"apiVersion: networking.k8s.io/v1\n"
	"kind: NetworkPolicy\n"
	"metadata: {name: Bad, namespace: x}\n"
	"spec:\n"
	"  podSelectr: {}\n"
	"  ingress: [{from: [{}], ports: [{port: \"80\"}]}]\n"
	"---\n"
	"apiVersion: networking.k8s.io/v1\n"
	"kind: NetworkPolicy\n"
	"metadata: {name: a, name: b}\n";

/* the cluster-wide tiers, every kind and field, plus one NetworkPolicy for load_policies */
static const char tiers[] =
	"apiVersion: policy.networking.k8s.io/v1alpha2\n"
	"kind: ClusterNetworkPolicyList\n"
	"items:\n"
	"  - metadata: {name: b, annotations: {bulkhead.io/mode: audit}}\n"
	"    spec:\n"
	"      tier: Admin\n"
	"      priority: 5\n"
	"      subject: {pods: {namespaceSelector: {matchLabels: {t: a}}, podSelector: {}}}\n"
	"      ingress:\n"
	"        - {name: r, action: Pass, from: [{namespaces: {}}, {pods: {podSelector: {}}}],\n"
	"           protocols: [{tcp: {destinationPort: {number: 80}}}, {destinationNamedPort: http},\n"
	"                       {udp: {destinationPort: {range: {start: 1, end: 9}}}}]}\n"
	"      egress:\n"
	"        - {action: Deny, to: [{networks: [10.0.0.0/8, 'fd00::/8']}, {nodes: {}},\n"
	"                              {domainNames: [a.example.com]}]}\n"
	"  - metadata: {name: a}\n"
	"    spec: {tier: Admin, priority: 5, subject: {namespaces: {}},\n"
	"           ingress: [{action: Accept, from: [{namespaces: {}}]}]}\n"
	"---\n"
	"apiVersion: policy.networking.k8s.io/v1alpha1\n"
	"kind: AdminNetworkPolicy\n"
	"metadata: {name: c}\n"
	"spec: {priority: 1, subject: {namespaces: {}}, ingress: [{action: Allow, from: [{namespaces: {}}],\n"
	"       ports: [{portNumber: {port: 80}}, {namedPort: x}, {portRange: {start: 1, end: 2}}]}]}\n"
	"---\n"
	"apiVersion: networking.k8s.io/v1\n"
	"kind: NetworkPolicy\n"
	"metadata: {name: deny}\n"
	"spec: {podSelector: {}}\n";

static const char tiers_broken[] =
	"apiVersion: policy.networking.k8s.io/v1alpha2\n"
	"kind: ClusterNetworkPolicy\n"
	"metadata: {name: a}\n"
	"spec: {tier: Top, priority: 5000, subject: {}, ingress: [{action: Allow, from: [{}, {namespaces: }]}],\n"
	"       egress: [{action: Deny, to: [{networks: [10.0.0.1/8, x]}], protocols: [{tcp: {}}]}]}\n"
	"---\n"
	"apiVersion: policy.networking.k8s.io/v1alpha2\n"
	"kind: ClusterNetworkPolicy\n"
	"metadata: {name: a}\n"
	"spec: {tier: Admin, priority: 5, subject: {namespaces: {}}}\n";

static const char inventory[] =
	"namespaces:\n"
	"  - {name: shop, labels: {team: shop}}\n"
	"workloads:\n"
	"  - name: web\n"
	"    namespace: shop\n"
	"    labels: {app: web}\n"
	"    netns: /run/netns/web\n"
	"    ips: [10.0.0.1, 'fd00::1']\n"
	"    ports: [{name: http, port: 80}]\n"
	"    containerId: abc\n"
	"  - name: db\n"
	"    namespace: data\n"
	"    ips: [10.0.0.2]\n"
	"  - {name: dup, ips: [10.0.0.2]}\n";

typedef int (*load_fn)(const char *buf, struct bh_diag *d);

static int load_policies(const char *buf, struct bh_diag *d)
{
	struct bh_policy_set *s = NULL;
	int rc = bh_policy_set_load_buf("p.yaml", buf, strlen(buf), d, &s);

	if (rc == 0) {
		char *txt = bh_selector_format(&s->v[0].pod_sel);

		if (!txt)
			rc = -ENOMEM;
		free(txt);
	}
	bh_policy_set_free(s);
	return rc;
}

static int load_inventory(const char *buf, struct bh_diag *d)
{
	struct bh_inventory *inv = NULL;
	int rc = bh_inventory_load_buf("inv.yaml", buf, strlen(buf), d, &inv);

	bh_inventory_free(inv);
	return rc;
}

/* Fails allocation N for N = 0, 1, ... until a run completes untouched. */
static void fail_each(load_fn fn, const char *buf, int want)
{
	long n;

	for (n = 0; n < 100000; n++) {
		struct bh_diag d;
		int rc;

		bh_diag_init(&d);
		failed = false;
		countdown = n;
		rc = fn(buf, &d);
		countdown = -1;
		bh_diag_deinit(&d);
		if (!failed) {
			assert_int_equal(rc, want);
			break;
		}
		if (rc != -ENOMEM && rc != want)
			fail_msg("allocation %ld failed: load returned %d", n, rc);
	}
	print_message("# %ld allocation failure points checked\n", n);
	assert_true(n > 10);
}

static void test_policy_oom(void **state)
{
	fail_each(load_policies, policies, 0);
}

static void test_policy_errors_oom(void **state)
{
	fail_each(load_policies, broken, -EINVAL);
}

static void test_tiers_oom(void **state)
{
	fail_each(load_policies, tiers, 0);
	fail_each(load_policies, tiers_broken, -EINVAL);
}

static void test_inventory_oom(void **state)
{
	fail_each(load_inventory, inventory, -EINVAL);
	/* the same without the duplicate address: a success */
	fail_each(load_inventory, "workloads: [{name: a, ips: [10.0.0.1], labels: {x: y}}]\n", 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_policy_oom),
		cmocka_unit_test(test_policy_errors_oom),
		cmocka_unit_test(test_tiers_oom),
		cmocka_unit_test(test_inventory_oom),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
