// SPDX-License-Identifier: GPL-2.0-or-later
/* Inventory loading, cross-checks and lookups (also at 5,000 workloads). */
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
#include <time.h>
#include <cmocka.h>

#include "policy/model.h"

static struct bh_inventory *load_ok(const char *yaml)
{
	struct bh_inventory *inv = NULL;
	struct bh_diag d;
	int rc;

	bh_diag_init(&d);
	rc = bh_inventory_load_buf("inv.yaml", yaml, strlen(yaml), &d, &inv);
	if (rc || bh_diag_count(&d)) {
		bh_diag_print(&d, stderr);
		fail_msg("load failed: %d", rc);
	}
	bh_diag_deinit(&d);
	return inv;
}

static void load_fails(const char *yaml, const char *const *want)
{
	struct bh_inventory *inv = (void *)1;
	struct bh_diag d;
	size_t n = 0;

	bh_diag_init(&d);
	assert_int_equal(bh_inventory_load_buf("inv.yaml", yaml, strlen(yaml), &d, &inv), -EINVAL);
	assert_null(inv);
	for (; want[n]; n++) {
		char got[1200];

		if (n >= d.n)
			fail_msg("missing diagnostic: %s", want[n]);
		snprintf(got, sizeof(got), "%u:%u: %s", d.v[n].loc.line, d.v[n].loc.col, d.v[n].msg);
		assert_string_equal(got, want[n]);
	}
	if (d.n != n) {
		bh_diag_print(&d, stderr);
		fail_msg("%zu diagnostics, expected %zu", d.n, n);
	}
	bh_diag_deinit(&d);
}

static const char *const example =
	"namespaces:\n"
	"  - name: shop\n"
	"    labels: {team: shop}\n"
	"workloads:\n"
	"  - name: web\n"
	"    namespace: shop\n"
	"    labels: {app: web}\n"
	"    netns: /run/netns/shop-web\n"
	"    ips: [10.77.0.11, 'fd77::11']\n"
	"    ports:\n"
	"      - {name: http, port: 80, protocol: TCP}\n"
	"      - {name: dns, port: 53, protocol: UDP}\n"
	"  - name: agent\n"
	"    labels: {app: agent}\n"
	"    containerId: abc123\n"
	"    containerName: agent\n"
	"    image: busybox\n"
	"  - name: prom\n"
	"    namespace: monitoring\n"
	"    ips: [10.77.0.21]\n";

static void test_load_example(void **state)
{
	struct bh_inventory *inv = load_ok(example);
	const struct bh_workload *w;
	const struct bh_namespace *ns;
	struct bh_addr a;

	assert_int_equal(inv->n_wl, 3);
	/* sorted by (namespace, name) */
	assert_string_equal(inv->wl[0].namespace, "default");
	assert_string_equal(inv->wl[1].namespace, "monitoring");
	assert_string_equal(inv->wl[2].namespace, "shop");

	w = bh_inventory_find(inv, "shop", "web");
	assert_non_null(w);
	assert_string_equal(w->netns, "/run/netns/shop-web");
	assert_string_equal(bh_labels_get(&w->labels, "app"), "web");
	assert_int_equal(w->n_ips, 2);
	assert_false(w->ips_from_netns);
	assert_int_equal(w->ips[1].family, AF_INET6);
	assert_int_equal(w->n_ports, 2);
	assert_string_equal(w->ports[1].name, "dns");
	assert_int_equal(w->ports[1].port, 53);
	assert_int_equal(w->ports[1].proto, IPPROTO_UDP);
	assert_int_equal(w->loc.line, 5);
	assert_int_equal(w->loc.col, 5);
	assert_string_equal(w->loc.file, "inv.yaml");

	w = bh_inventory_find(inv, "default", "agent");
	assert_non_null(w);
	assert_true(w->ips_from_netns);
	assert_null(w->netns);
	assert_string_equal(w->container_id, "abc123");
	assert_string_equal(w->container_name, "agent");
	assert_string_equal(w->image, "busybox");
	assert_null(bh_inventory_find(inv, "shop", "agent"));
	assert_null(bh_inventory_find(inv, "nope", "web"));

	/* listed and implied namespaces, all with their name label */
	assert_int_equal(inv->n_ns, 3);
	ns = bh_inventory_ns(inv, "shop");
	assert_non_null(ns);
	assert_string_equal(bh_labels_get(&ns->labels, "team"), "shop");
	assert_string_equal(bh_labels_get(&ns->labels, "kubernetes.io/metadata.name"), "shop");
	ns = bh_inventory_ns(inv, "monitoring");
	assert_non_null(ns);
	assert_int_equal(ns->labels.n, 1);
	assert_string_equal(bh_labels_get(&ns->labels, "kubernetes.io/metadata.name"), "monitoring");
	assert_non_null(bh_inventory_ns(inv, "default"));
	assert_null(bh_inventory_ns(inv, "kube-system"));

	assert_int_equal(bh_addr_parse("fd77::11", &a), 0);
	w = bh_inventory_find_ip(inv, &a);
	assert_non_null(w);
	assert_string_equal(w->name, "web");
	assert_int_equal(bh_addr_parse("10.77.0.21", &a), 0);
	assert_string_equal(bh_inventory_find_ip(inv, &a)->name, "prom");
	assert_int_equal(bh_addr_parse("10.77.0.22", &a), 0);
	assert_null(bh_inventory_find_ip(inv, &a));
	bh_inventory_free(inv);
}

static void test_empty(void **state)
{
	struct bh_inventory *inv = load_ok("# nothing yet\n");
	struct bh_addr a;

	assert_int_equal(inv->n_wl, 0);
	assert_int_equal(inv->n_ns, 0);
	assert_null(bh_inventory_find(inv, "default", "x"));
	bh_addr_parse("10.0.0.1", &a);
	assert_null(bh_inventory_find_ip(inv, &a));
	bh_inventory_free(inv);
	bh_inventory_free(NULL);
}

static void test_errors(void **state)
{
	load_fails("namespaces:\n"
		   "  - name: a\n"
		   "  - {name: a, labels: {x: [1]}}\n"
		   "workloads:\n"
		   "  - name: w\n"
		   "    namespace: a\n"
		   "    ips: [10.0.0.1, 10.0.0.1/32]\n"
		   "    ports:\n"
		   "      - {name: http, port: 80}\n"
		   "      - {name: http, port: \"81\"}\n"
		   "      - {name: Bad, port: 82, protocol: ICMP}\n"
		   "      - {port: 83}\n"
		   "  - name: w\n"
		   "    namespace: a\n"
		   "    ips: [\"10.0.0.1\"]\n"
		   "  - name: v\n"
		   "    netns: {}\n"
		   "    ip: [10.0.0.3]\n"
		   "extra: 1\n",
		   (const char *const[]){
			   "3:12: namespaces[1].name: namespace \"a\" is already listed at inv.yaml:2:11",
			   "3:27: namespaces[1].labels[x]: expected a string, got a list",
			   "7:21: workloads[0].ips[1]: invalid IP address \"10.0.0.1/32\"",
			   "10:16: workloads[0].ports[1].name: duplicate port name \"http\"",
			   "10:28: workloads[0].ports[1].port: expected an integer, got a string \"81\"",
			   "11:16: workloads[0].ports[2].name: invalid port name \"Bad\": must contain only "
			   "lowercase alphanumeric characters (a-z, 0-9) and '-'",
			   "11:41: workloads[0].ports[2].protocol: unsupported protocol \"ICMP\" "
			   "(expected TCP, UDP or SCTP)",
			   "12:9: workloads[0].ports[3].name: required field is missing",
			   "13:11: workloads[1].name: workload \"a/w\" is already defined at inv.yaml:5:11",
			   "15:11: workloads[1].ips[0]: address 10.0.0.1 already belongs to workload a/w (inv.yaml:7:11)",
			   "17:12: workloads[2].netns: expected a string, got a mapping",
			   "18:5: workloads[2].ip: unknown field (did you mean \"ips\"?)",
			   "19:1: extra: unknown field",
			   NULL });
	load_fails("workloads: {a: 1}\n---\nworkloads: []\n",
		   (const char *const[]){
			   "1:12: workloads: expected a list, got a mapping",
			   "3:1: an inventory file holds a single YAML document",
			   NULL });
}

/* bh_inventory_finish on an inventory built by hand (the Docker source does this). */
static void test_finish_by_hand(void **state)
{
	struct bh_inventory *inv = calloc(1, sizeof(*inv));
	struct bh_addr a;

	inv->wl = calloc(2, sizeof(*inv->wl));
	inv->n_wl = 2;
	inv->wl[0].name = strdup("z");
	inv->wl[0].namespace = strdup("ns1");
	inv->wl[1].name = strdup("a");
	inv->wl[1].namespace = strdup("ns1");
	inv->wl[1].ips = calloc(1, sizeof(struct bh_addr));
	inv->wl[1].n_ips = 1;
	bh_addr_parse("192.168.1.2", &inv->wl[1].ips[0]);
	assert_int_equal(bh_inventory_finish(inv), 0);
	assert_string_equal(inv->wl[0].name, "a");
	assert_int_equal(inv->n_ns, 1);
	assert_string_equal(bh_labels_get(&inv->ns[0].labels, "kubernetes.io/metadata.name"), "ns1");
	bh_addr_parse("192.168.1.2", &a);
	assert_string_equal(bh_inventory_find_ip(inv, &a)->name, "a");
	/* finishing twice is harmless */
	assert_int_equal(bh_inventory_finish(inv), 0);
	assert_int_equal(inv->n_ns, 1);
	assert_string_equal(bh_inventory_find_ip(inv, &a)->name, "a");
	bh_inventory_free(inv);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* 5,000 workloads in 50 namespaces: loading and lookups stay fast and exact. */
static void test_many_workloads(void **state)
{
	const size_t n = 5000;
	struct bh_inventory *inv;
	size_t len = 0, cap = n * 160;
	char *buf = malloc(cap);
	double t0, t_load, t_find;

	len += (size_t)snprintf(buf + len, cap - len, "workloads:\n");
	for (size_t i = 0; i < n; i++)
		len += (size_t)snprintf(buf + len, cap - len,
					"- {name: w%zu, namespace: ns%zu, labels: {app: a%zu}, "
					"ips: [10.%zu.%zu.%zu, 'fd00::%zx'], ports: [{name: http, port: 80}]}\n",
					i, i % 50, i % 7, i >> 16, (i >> 8) & 255, i & 255, i + 1);
	t0 = now();
	inv = load_ok(buf);
	t_load = now() - t0;
	assert_int_equal(inv->n_wl, n);
	assert_int_equal(inv->n_ns, 50);

	t0 = now();
	for (size_t i = 0; i < n; i++) {
		char name[32], ns[32], ip[64];
		const struct bh_workload *w;
		struct bh_addr a;

		snprintf(name, sizeof(name), "w%zu", i);
		snprintf(ns, sizeof(ns), "ns%zu", i % 50);
		w = bh_inventory_find(inv, ns, name);
		assert_non_null(w);
		snprintf(ip, sizeof(ip), "10.%zu.%zu.%zu", i >> 16, (i >> 8) & 255, i & 255);
		bh_addr_parse(ip, &a);
		assert_ptr_equal(bh_inventory_find_ip(inv, &a), w);
		snprintf(ip, sizeof(ip), "fd00::%zx", i + 1);
		bh_addr_parse(ip, &a);
		assert_ptr_equal(bh_inventory_find_ip(inv, &a), w);
	}
	t_find = now() - t0;
	print_message("# 5000 workloads: load %.3f s, 15000 lookups %.3f s\n", t_load, t_find);
	/* generous bounds (sanitizers, a busy machine); quadratic code would blow them */
	assert_true(t_load < 5.0);
	assert_true(t_find < 1.0);
	bh_inventory_free(inv);
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_load_example),
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_finish_by_hand),
		cmocka_unit_test(test_many_workloads),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
