// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Docker answers too big to hold, without a daemon: a 20 MiB inspect
 * answer still places and names its container, which comes out isolated
 * ("inspect-failed"); a stopped one stays stopped; a huge list still gives
 * its ids; a cut event line still names its container. Also the fail-closed
 * mapping of a container whose labels do not map, and Created.
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

#include "source/docker.h"

#define PAD (20u << 20)

/* A Docker-shaped inspect answer with PAD bytes of environment. */
static char *big_inspect(bool running, size_t *len)
{
	char *doc = malloc(PAD + 4096);
	size_t n;

	assert_non_null(doc);
	n = (size_t)sprintf(doc, "{\"Id\":\"0123456789abcdef\",\"Created\":\"2024-05-01T10:20:30.5Z\","
			    "\"State\":{\"Running\":%s,\"Pid\":7},\"Name\":\"/big\","
			    "\"HostConfig\":{\"NetworkMode\":\"bridge\"},"
			    "\"Config\":{\"Image\":\"img\",\"Env\":[\"PAD=", running ? "true" : "false");
	memset(doc + n, 'p', PAD);
	n += PAD;
	n += (size_t)sprintf(doc + n, "\"],\"Labels\":{\"bulkhead.io/namespace\":\"shop\","
			     "\"bulkhead.io/name\":\"db\",\"app\":\"db\",\"bulkhead.io/ports\":\"x\"}},"
			     "\"NetworkSettings\":{\"SandboxKey\":\"/run/netns/big\",\"Networks\":"
			     "{\"a\":{\"IPAddress\":\"10.0.0.7\"},\"b\":{\"IPAddress\":\"10.0.1.7\","
			     "\"GlobalIPv6Address\":\"fd00::7\"}}}}");
	*len = n;
	return doc;
}

static int feed_all(struct bh_docker_big *b, const char *doc, size_t len)
{
	for (size_t off = 0; off < len; off += 65536)
		if (bh_docker_big_feed(b, doc + off, len - off < 65536 ? len - off : 65536))
			return -1;
	return 0;
}

static void test_big_inspect_isolated(void **state)
{
	struct bh_docker_big *b;
	struct bh_workload wl;
	char why[256], ip[64];
	size_t len;
	char *doc = big_inspect(true, &len);

	assert_int_equal(bh_docker_big_alloc(BH_DOCKER_BIG_INSPECT, &b), 0);
	assert_int_equal(feed_all(b, doc, len), 0);
	assert_int_equal(bh_docker_big_inspect(b, &wl, why, sizeof(why)), BH_DOCKER_MAP_ERROR);
	assert_string_equal(wl.isolated, BH_DOCKER_CAUSE_INSPECT);
	assert_string_equal(wl.netns, "/run/netns/big");
	assert_string_equal(wl.namespace, "shop");
	assert_string_equal(wl.name, "db");
	assert_string_equal(wl.container_id, "0123456789abcdef");
	assert_string_equal(wl.container_name, "big");
	assert_int_equal(wl.created_ns, 1714558830500000000LL);
	assert_int_equal(wl.n_ips, 3);
	assert_string_equal(bh_addr_format(&wl.ips[0], ip, sizeof(ip)), "10.0.0.7");
	assert_null(bh_labels_get(&wl.labels, "app"));	/* only identity labels are read */
	assert_non_null(strstr(why, "too big"));
	bh_workload_deinit(&wl);
	bh_docker_big_free(b);
	free(doc);

	doc = big_inspect(false, &len);
	assert_int_equal(bh_docker_big_alloc(BH_DOCKER_BIG_INSPECT, &b), 0);
	assert_int_equal(feed_all(b, doc, len), 0);
	assert_int_equal(bh_docker_big_inspect(b, &wl, why, sizeof(why)), BH_DOCKER_MAP_STOPPED);
	assert_null(wl.isolated);
	bh_workload_deinit(&wl);
	bh_docker_big_free(b);

	/* cut short: not one JSON document */
	assert_int_equal(bh_docker_big_alloc(BH_DOCKER_BIG_INSPECT, &b), 0);
	assert_int_equal(feed_all(b, doc, len / 2), 0);
	assert_int_equal(bh_docker_big_inspect(b, &wl, why, sizeof(why)), -EINVAL);
	bh_docker_big_free(b);
	free(doc);
}

static void test_big_list_and_event(void **state)
{
	static const char list[] = "[{\"Id\":\"a1\",\"Labels\":{\"Id\":\"x\"}},{\"Names\":[\"/b\"],\"Id\":\"b2\"}]";
	struct bh_docker_big *b;
	struct bh_docker_event ev;
	char **ids;
	size_t n;
	char *line = malloc(2u << 20);
	int len;

	assert_int_equal(bh_docker_big_alloc(BH_DOCKER_BIG_LIST, &b), 0);
	assert_int_equal(bh_docker_big_feed(b, list, strlen(list)), 0);
	assert_int_equal(bh_docker_big_list(b, &ids, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(ids[0], "a1");
	assert_string_equal(ids[1], "b2");
	for (size_t i = 0; i < n; i++)
		free(ids[i]);
	free(ids);
	bh_docker_big_free(b);

	/* the first MiB of a 2 MiB event line (its attributes are the labels) */
	len = sprintf(line, "{\"status\":\"start\",\"id\":\"c0ffee\",\"Type\":\"container\",\"Action\":"
		      "\"start\",\"Actor\":{\"ID\":\"c0ffee\",\"Attributes\":{\"big\":\"");
	memset(line + len, 'x', (2u << 20) - (size_t)len);
	assert_int_equal(bh_docker_big_alloc(BH_DOCKER_BIG_EVENT, &b), 0);
	assert_int_equal(bh_docker_big_feed(b, line, 1u << 20), 0);
	assert_int_equal(bh_docker_big_event(b, &ev), 0);
	assert_string_equal(ev.id, "c0ffee");
	assert_string_equal(ev.action, "start");
	assert_string_equal(ev.type, "container");
	bh_docker_big_free(b);
	free(line);
}

static void test_invalid_labels_fail_closed(void **state)
{
	static const char bad_ports[] =
		"{\"Id\":\"c1\",\"Name\":\"/w\",\"State\":{\"Running\":true},"
		"\"Config\":{\"Labels\":{\"bulkhead.io/ports\":\"web=99999\"}},"
		"\"NetworkSettings\":{\"SandboxKey\":\"/run/netns/w\"}}";
	static const char bad_name[] =
		"{\"Id\":\"c2\",\"Name\":\"/v\",\"State\":{\"Running\":true},"
		"\"Config\":{\"Labels\":{\"bulkhead.io/name\":\"a/b\"}},"
		"\"NetworkSettings\":{\"SandboxKey\":\"/run/netns/v\"}}";
	struct bh_workload wl;
	char why[256];

	assert_int_equal(bh_docker_inspect_parse_buf(bad_ports, strlen(bad_ports), &wl, why, sizeof(why)),
			 BH_DOCKER_MAP_ERROR);
	assert_string_equal(wl.isolated, BH_DOCKER_CAUSE_INVALID);
	assert_string_equal(wl.netns, "/run/netns/w");
	bh_workload_deinit(&wl);
	assert_int_equal(bh_docker_inspect_parse_buf(bad_name, strlen(bad_name), &wl, why, sizeof(why)),
			 BH_DOCKER_MAP_ERROR);
	assert_string_equal(wl.isolated, BH_DOCKER_CAUSE_INVALID);
	assert_string_equal(wl.namespace, "default");
	assert_string_equal(wl.name, "v");
	assert_non_null(strstr(why, "'default/a/b'"));
	bh_workload_deinit(&wl);
}

static void test_created(void **state)
{
	int64_t ns;

	assert_int_equal(bh_docker_time_parse("1970-01-01T00:00:01Z", &ns), 0);
	assert_int_equal(ns, 1000000000LL);
	assert_int_equal(bh_docker_time_parse("2024-05-01T10:20:30.123456789Z", &ns), 0);
	assert_int_equal(ns, 1714558830123456789LL);
	assert_int_equal(bh_docker_time_parse("2024-05-01T12:20:30.1+02:00", &ns), 0);
	assert_int_equal(ns, 1714558830100000000LL);
	assert_int_equal(bh_docker_time_parse("2024-05-01 10:20:30Z", &ns), -EINVAL);
	assert_int_equal(bh_docker_time_parse("2024-05-01T10:20:30", &ns), -EINVAL);
	assert_int_equal(bh_docker_time_parse(NULL, &ns), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_big_inspect_isolated),
		cmocka_unit_test(test_big_list_and_event),
		cmocka_unit_test(test_invalid_labels_fail_closed),
		cmocka_unit_test(test_created),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
