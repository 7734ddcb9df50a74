// SPDX-License-Identifier: GPL-2.0-or-later
/* Docker Engine API JSON -> workload mapping (source/docker_parse.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "source/docker.h"

#define ID "3f2a9c0d1e2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5"

/* Trimmed GET /containers/{id}/json of a container on two networks, with IPv6. */
static const char inspect_two_nets[] =
	"{\"Id\":\"" ID "\",\"Name\":\"/shop-db\","
	"\"State\":{\"Status\":\"running\",\"Running\":true,\"Pid\":4242},"
	"\"HostConfig\":{\"NetworkMode\":\"backend\"},"
	"\"Config\":{\"Image\":\"postgres:16\",\"Labels\":{"
	"  \"app\":\"db\",\"tier\":\"data\","
	"  \"bulkhead.io/namespace\":\"shop\","
	"  \"bulkhead.io/ports\":\" pg=5432/tcp , metrics=9187 ,dns=53/UDP\"}},"
	"\"NetworkSettings\":{\"SandboxKey\":\"/var/run/docker/netns/1a2b3c4d5e6f\","
	"  \"IPAddress\":\"\",\"GlobalIPv6Address\":\"\","
	"  \"Networks\":{"
	"    \"backend\":{\"IPAddress\":\"10.10.0.5\",\"GlobalIPv6Address\":\"fd00:10::5\"},"
	"    \"frontend\":{\"IPAddress\":\"10.20.0.5\",\"GlobalIPv6Address\":\"\"}}}}";

static const char inspect_compose[] =
	"{\"Id\":\"abcdef0123456789\",\"Name\":\"/shop-web-2\","
	"\"State\":{\"Running\":true},"
	"\"HostConfig\":{\"NetworkMode\":\"shop_default\"},"
	"\"Config\":{\"Image\":\"nginx\",\"Labels\":{"
	"  \"com.docker.compose.project\":\"shop\","
	"  \"com.docker.compose.service\":\"web\","
	"  \"com.docker.compose.container-number\":\"2\"}},"
	"\"NetworkSettings\":{\"SandboxKey\":\"/var/run/docker/netns/aa\","
	"  \"IPAddress\":\"172.17.0.3\","
	"  \"Networks\":{\"shop_default\":{\"IPAddress\":\"172.18.0.3\"},"
	"              \"bridge\":{\"IPAddress\":\"172.17.0.3\"}}}}";

static void test_two_networks(void **state)
{
	struct bh_workload wl;
	char why[256], buf[64];

	assert_int_equal(bh_docker_inspect_parse_buf(inspect_two_nets, sizeof(inspect_two_nets) - 1,
						     &wl, why, sizeof(why)), BH_DOCKER_MAP_OK);
	assert_string_equal(wl.container_id, ID);
	assert_string_equal(wl.container_name, "shop-db");
	assert_string_equal(wl.image, "postgres:16");
	assert_string_equal(wl.namespace, "shop");
	assert_string_equal(wl.name, "shop-db");
	assert_string_equal(wl.netns, "/var/run/docker/netns/1a2b3c4d5e6f");
	assert_int_equal(wl.labels.n, 4);
	assert_string_equal(bh_labels_get(&wl.labels, "app"), "db");
	assert_string_equal(bh_labels_get(&wl.labels, "tier"), "data");
	assert_int_equal(wl.n_ips, 3);
	/* sorted: IPv4 before IPv6 */
	assert_string_equal(bh_addr_format(&wl.ips[0], buf, sizeof(buf)), "10.10.0.5");
	assert_string_equal(bh_addr_format(&wl.ips[1], buf, sizeof(buf)), "10.20.0.5");
	assert_string_equal(bh_addr_format(&wl.ips[2], buf, sizeof(buf)), "fd00:10::5");
	assert_int_equal(wl.n_ports, 3);
	assert_string_equal(wl.ports[0].name, "dns");
	assert_int_equal(wl.ports[0].port, 53);
	assert_int_equal(wl.ports[0].proto, IPPROTO_UDP);
	assert_string_equal(wl.ports[1].name, "metrics");
	assert_int_equal(wl.ports[1].port, 9187);
	assert_int_equal(wl.ports[1].proto, IPPROTO_TCP);
	assert_string_equal(wl.ports[2].name, "pg");
	assert_int_equal(wl.ports[2].port, 5432);

	struct bh_workload cp;

	assert_int_equal(bh_workload_copy(&cp, &wl), 0);
	assert_true(bh_docker_workload_equal(&cp, &wl));
	cp.ips[1].a[3] ^= 1;
	assert_false(bh_docker_workload_equal(&cp, &wl));
	cp.ips[1].a[3] ^= 1;
	assert_true(bh_docker_workload_equal(&cp, &wl));
	bh_workload_deinit(&wl);
	assert_string_equal(cp.ports[2].name, "pg");
	assert_string_equal(bh_labels_get(&cp.labels, "app"), "db");
	assert_int_equal(cp.n_ips, 3);
	bh_workload_deinit(&cp);
	bh_workload_deinit(&cp);	/* zeroed: a second deinit is harmless */
}

static void test_compose(void **state)
{
	struct bh_workload wl;
	char why[256], buf[64];

	assert_int_equal(bh_docker_inspect_parse_buf(inspect_compose, sizeof(inspect_compose) - 1,
						     &wl, why, sizeof(why)), BH_DOCKER_MAP_OK);
	assert_string_equal(wl.namespace, "shop");
	assert_string_equal(wl.name, "web-2");
	assert_string_equal(wl.container_name, "shop-web-2");
	/* top-level address and the same one under "bridge" are one address */
	assert_int_equal(wl.n_ips, 2);
	assert_string_equal(bh_addr_format(&wl.ips[0], buf, sizeof(buf)), "172.17.0.3");
	assert_string_equal(bh_addr_format(&wl.ips[1], buf, sizeof(buf)), "172.18.0.3");
	assert_int_equal(wl.n_ports, 0);
	bh_workload_deinit(&wl);
}

static void test_explicit_name_wins(void **state)
{
	static const char j[] =
		"{\"Id\":\"c1\",\"Name\":\"/x\",\"Config\":{\"Labels\":{"
		"\"bulkhead.io/name\":\"api\",\"bulkhead.io/namespace\":\"prod\","
		"\"com.docker.compose.project\":\"p\",\"com.docker.compose.service\":\"s\","
		"\"com.docker.compose.container-number\":\"1\"}},"
		"\"NetworkSettings\":{\"SandboxKey\":\"/run/netns/x\"}}";
	struct bh_workload wl;
	char why[256];

	assert_int_equal(bh_docker_inspect_parse_buf(j, sizeof(j) - 1, &wl, why, sizeof(why)),
			 BH_DOCKER_MAP_OK);
	assert_string_equal(wl.namespace, "prod");
	assert_string_equal(wl.name, "api");
	bh_workload_deinit(&wl);
}

/* Missing State, Config, Name, Networks: defaults, no crash. */
static void test_missing_fields(void **state)
{
	static const char j[] =
		"{\"Id\":\"0123456789abcdef0123\",\"NetworkSettings\":{\"SandboxKey\":\"/run/netns/y\","
		"\"Networks\":null},\"Config\":{\"Labels\":null}}";
	struct bh_workload wl;
	char why[256];

	assert_int_equal(bh_docker_inspect_parse_buf(j, sizeof(j) - 1, &wl, why, sizeof(why)),
			 BH_DOCKER_MAP_OK);
	assert_string_equal(wl.container_name, "0123456789ab");
	assert_string_equal(wl.name, "0123456789ab");
	assert_string_equal(wl.namespace, "default");
	assert_null(wl.image);
	assert_int_equal(wl.labels.n, 0);
	assert_int_equal(wl.n_ips, 0);
	bh_workload_deinit(&wl);

	assert_int_equal(bh_docker_inspect_parse_buf("{\"Name\":\"/n\"}", 12, &wl, why, sizeof(why)),
			 -EINVAL);
	assert_int_equal(bh_docker_inspect_parse_buf("[1,2", 4, &wl, why, sizeof(why)), -EINVAL);
	assert_null(wl.name);
}

static void test_stopped_and_skipped(void **state)
{
	static const char stopped[] =
		"{\"Id\":\"c2\",\"Name\":\"/s\",\"State\":{\"Running\":false},"
		"\"NetworkSettings\":{\"SandboxKey\":\"\"}}";
	static const char host[] =
		"{\"Id\":\"c3\",\"Name\":\"/h\",\"State\":{\"Running\":true},"
		"\"HostConfig\":{\"NetworkMode\":\"host\"},"
		"\"NetworkSettings\":{\"SandboxKey\":\"/var/run/docker/netns/default\"}}";
	static const char shared[] =
		"{\"Id\":\"c4\",\"Name\":\"/sh\",\"State\":{\"Running\":true},"
		"\"HostConfig\":{\"NetworkMode\":\"container:c3\"},"
		"\"NetworkSettings\":{\"SandboxKey\":\"\"}}";
	static const char nokey[] =
		"{\"Id\":\"c5\",\"Name\":\"/nk\",\"State\":{\"Running\":true},"
		"\"HostConfig\":{\"NetworkMode\":\"bridge\"},\"NetworkSettings\":{}}";
	struct bh_workload wl;
	char why[256];

	assert_int_equal(bh_docker_inspect_parse_buf(stopped, sizeof(stopped) - 1, &wl, why, sizeof(why)),
			 BH_DOCKER_MAP_STOPPED);
	assert_string_equal(wl.container_name, "s");
	bh_workload_deinit(&wl);
	assert_int_equal(bh_docker_inspect_parse_buf(host, sizeof(host) - 1, &wl, why, sizeof(why)),
			 BH_DOCKER_MAP_SKIP);
	assert_non_null(strstr(why, "host"));
	assert_string_equal(wl.name, "h");
	assert_null(wl.netns);
	bh_workload_deinit(&wl);
	assert_int_equal(bh_docker_inspect_parse_buf(shared, sizeof(shared) - 1, &wl, why, sizeof(why)),
			 BH_DOCKER_MAP_SKIP);
	assert_non_null(strstr(why, "container:c3"));
	bh_workload_deinit(&wl);
	assert_int_equal(bh_docker_inspect_parse_buf(nokey, sizeof(nokey) - 1, &wl, why, sizeof(why)),
			 BH_DOCKER_MAP_SKIP);
	assert_non_null(strstr(why, "SandboxKey"));
	bh_workload_deinit(&wl);
}

static void test_bad_ports_label(void **state)
{
	static const char j[] =
		"{\"Id\":\"c6\",\"Name\":\"/bp\",\"State\":{\"Running\":true},"
		"\"Config\":{\"Labels\":{\"bulkhead.io/ports\":\"http=80/tcp,web=99999\"}},"
		"\"NetworkSettings\":{\"SandboxKey\":\"/run/netns/z\","
		"\"Networks\":{\"n\":{\"IPAddress\":\"10.0.0.9\"}}}}";
	struct bh_workload wl;
	char why[256];

	assert_int_equal(bh_docker_inspect_parse_buf(j, sizeof(j) - 1, &wl, why, sizeof(why)),
			 BH_DOCKER_MAP_ERROR);
	assert_non_null(strstr(why, "web=99999"));
	assert_non_null(strstr(why, "bulkhead.io/ports"));
	assert_string_equal(wl.name, "bp");
	assert_int_equal(wl.n_ports, 0);
	bh_workload_deinit(&wl);
}

static void test_bad_identity(void **state)
{
	static const char j[] =
		"{\"Id\":\"c7\",\"Name\":\"/x\",\"State\":{\"Running\":true},"
		"\"Config\":{\"Labels\":{\"bulkhead.io/namespace\":\"a/b\"}},"
		"\"NetworkSettings\":{\"SandboxKey\":\"/run/netns/z\"}}";
	struct bh_workload wl;
	char why[256];

	assert_int_equal(bh_docker_inspect_parse_buf(j, sizeof(j) - 1, &wl, why, sizeof(why)),
			 BH_DOCKER_MAP_ERROR);
	assert_non_null(strstr(why, "a/b/x"));
	bh_workload_deinit(&wl);
}

static const struct {
	const char *label;
	int err;
	const char *why;	/* substring of the message */
} port_cases[] = {
	{ "", 0, NULL },
	{ "http=80", 0, NULL },
	{ "http=80/tcp,dns=53/udp,assoc=9/SCTP", 0, NULL },
	{ "http", -EINVAL, "expected NAME=PORT" },
	{ "http=0", -EINVAL, "1-65535" },
	{ "http=65536", -EINVAL, "1-65535" },
	{ "http=-1", -EINVAL, "1-65535" },
	{ "http=80x", -EINVAL, "1-65535" },
	{ "http=80/icmp", -EINVAL, "protocol" },
	{ "http=80/", -EINVAL, "protocol" },
	{ "HTTP=80", -EINVAL, "invalid port name" },
	{ "123=80", -EINVAL, "invalid port name" },
	{ "-a=80", -EINVAL, "invalid port name" },
	{ "a--b=80", -EINVAL, "invalid port name" },
	{ "abcdefghijklmnop=80", -EINVAL, "invalid port name" },
	{ "=80", -EINVAL, "invalid port name" },
	{ "a=1,,b=2", -EINVAL, "empty entry" },
	{ "a=1,", -EINVAL, "empty entry" },
	{ "a=1,a=2/udp", -EINVAL, "twice" },
};

static void test_ports_table(void **state)
{
	for (size_t i = 0; i < sizeof(port_cases) / sizeof(port_cases[0]); i++) {
		struct bh_named_port *p;
		size_t n;
		char why[256] = "";
		int err = bh_docker_ports_parse(port_cases[i].label, &p, &n, why, sizeof(why));

		if (err != port_cases[i].err)
			fail_msg("'%s': got %d, expected %d (%s)", port_cases[i].label, err,
				 port_cases[i].err, why);
		if (port_cases[i].why && !strstr(why, port_cases[i].why))
			fail_msg("'%s': message '%s' lacks '%s'", port_cases[i].label, why,
				 port_cases[i].why);
		if (err)
			assert_null(p);
		bh_docker_ports_free(p, n);
	}
}

static void test_list(void **state)
{
	static const char j[] = "[{\"Id\":\"aa\",\"Names\":[\"/a\"]},{\"Names\":[\"/noid\"]},"
				"{\"Id\":\"bb\"}]";
	char **ids;
	size_t n;

	assert_int_equal(bh_docker_list_parse_buf(j, sizeof(j) - 1, &ids, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(ids[0], "aa");
	assert_string_equal(ids[1], "bb");
	for (size_t i = 0; i < n; i++)
		free(ids[i]);
	free(ids);
	assert_int_equal(bh_docker_list_parse_buf("[]", 2, &ids, &n), 0);
	assert_int_equal(n, 0);
	free(ids);
	assert_int_equal(bh_docker_list_parse_buf("{}", 2, &ids, &n), -EINVAL);
	assert_null(ids);
}

static void test_events(void **state)
{
	static const char start[] =
		"{\"status\":\"start\",\"id\":\"" ID "\",\"from\":\"img\",\"Type\":\"container\","
		"\"Action\":\"start\",\"Actor\":{\"ID\":\"" ID "\",\"Attributes\":{\"name\":\"x\"}},"
		"\"scope\":\"local\",\"time\":1764387635,\"timeNano\":1764387635123456789}";
	static const char conn[] =
		"{\"Type\":\"network\",\"Action\":\"connect\",\"Actor\":{\"ID\":\"net0\","
		"\"Attributes\":{\"container\":\"c9\",\"name\":\"backend\",\"type\":\"bridge\"}},"
		"\"time\":1,\"timeNano\":1000000001}";
	struct bh_docker_event ev;

	assert_int_equal(bh_docker_event_parse_buf(start, sizeof(start) - 1, &ev), 0);
	assert_string_equal(ev.type, "container");
	assert_string_equal(ev.action, "start");
	assert_string_equal(ev.id, ID);
	assert_true(ev.time_nano == 1764387635123456789LL);
	assert_int_equal(bh_docker_event_parse_buf(conn, sizeof(conn) - 1, &ev), 0);
	assert_string_equal(ev.type, "network");
	assert_string_equal(ev.action, "connect");
	assert_string_equal(ev.id, "c9");
	assert_int_equal(bh_docker_event_parse_buf("nope", 4, &ev), -EINVAL);
	assert_int_equal(bh_docker_event_parse_buf("{}", 2, &ev), 0);
	assert_string_equal(ev.id, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_two_networks),
		cmocka_unit_test(test_compose),
		cmocka_unit_test(test_explicit_name_wins),
		cmocka_unit_test(test_missing_fields),
		cmocka_unit_test(test_stopped_and_skipped),
		cmocka_unit_test(test_bad_ports_label),
		cmocka_unit_test(test_bad_identity),
		cmocka_unit_test(test_ports_table),
		cmocka_unit_test(test_list),
		cmocka_unit_test(test_events),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
