// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Community ID v1 against the published baseline of the specification:
 *   corelight/community-id-spec, baseline/README.md (the "Default settings"
 *   and "A custom seed=1 value" tables: ports are ICMP type and code) and
 *   baseline/baseline_deflt.json, baseline/baseline_seed1.json (tuples from
 *   pcaps/combined.pcap.gz; for ICMP their ports are the type and the
 *   counterpart type, or the code for a one-way type).
 * The values are copied verbatim from those files.
 */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <cmocka.h>

#include "log/community_id.h"
#include "log/pkt.h"

struct vec {
	int proto;
	const char *src, *dst;
	int sport, dport;	/* -1: no ports */
	const char *id;
};

/* baseline/README.md, "Default settings" */
static const struct vec readme_default[] = {
	{ 6, "1.2.3.4", "5.6.7.8", 1122, 3344, "1:wCb3OG7yAFWelaUydu0D+125CLM=" },
	{ 6, "5.6.7.8", "1.2.3.4", 3344, 1122, "1:wCb3OG7yAFWelaUydu0D+125CLM=" },
	{ 17, "1.2.3.4", "5.6.7.8", 1122, 3344, "1:0Mu9InQx6z4ZiCZM/7HXi2WMhOg=" },
	{ 17, "5.6.7.8", "1.2.3.4", 3344, 1122, "1:0Mu9InQx6z4ZiCZM/7HXi2WMhOg=" },
	{ 132, "1.2.3.4", "5.6.7.8", 1122, 3344, "1:EKt4MsxuyaE6mL+hmrEkQ9csDD8=" },
	{ 132, "5.6.7.8", "1.2.3.4", 3344, 1122, "1:EKt4MsxuyaE6mL+hmrEkQ9csDD8=" },
	{ 1, "1.2.3.4", "5.6.7.8", 8, 0, "1:crodRHL2FEsHjbv3UkRrfbs4bZ0=" },
	{ 1, "5.6.7.8", "1.2.3.4", 0, 0, "1:crodRHL2FEsHjbv3UkRrfbs4bZ0=" },
	{ 1, "1.2.3.4", "5.6.7.8", 11, 0, "1:f/YiSyWqczrTgfUCZlBUnvHRcPk=" },
	{ 58, "fe80:0001:0203:0405:0607:0809:0A0B:0C0D", "fe80:1011:1213:1415:1617:1819:1A1B:1C1D",
	  128, 0, "1:0bf7hyMJUwt3fMED7z8LIfRpBeo=" },
	{ 58, "fe80:1011:1213:1415:1617:1819:1A1B:1C1D", "fe80:0001:0203:0405:0607:0809:0A0B:0C0D",
	  129, 0, "1:0bf7hyMJUwt3fMED7z8LIfRpBeo=" },
	{ 58, "fe80:0001:0203:0405:0607:0809:0A0B:0C0D", "fe80:1011:1213:1415:1617:1819:1A1B:1C1D",
	  146, 0, "1:fYC8+pz24E+EhANP1EZhpX0Dw10=" },
	{ 46, "1.2.3.4", "5.6.7.8", -1, -1, "1:ikv3kmf89luf73WPz1jOs49S768=" },
	{ 46, "5.6.7.8", "1.2.3.4", -1, -1, "1:ikv3kmf89luf73WPz1jOs49S768=" },
	{ 46, "fe80:0001:0203:0405:0607:0809:0A0B:0C0D", "fe80:1011:1213:1415:1617:1819:1A1B:1C1D",
	  -1, -1, "1:wQ/2mwrnXP4lmJcHdGL5ePjR+e0=" },
	{ 46, "fe80:1011:1213:1415:1617:1819:1A1B:1C1D", "fe80:0001:0203:0405:0607:0809:0A0B:0C0D",
	  -1, -1, "1:wQ/2mwrnXP4lmJcHdGL5ePjR+e0=" },
};

/* baseline/README.md, "A custom seed=1 value" */
static const struct vec readme_seed1[] = {
	{ 6, "1.2.3.4", "5.6.7.8", 1122, 3344, "1:HhA1B+6CoLbiKPEs5nhNYN4XWfk=" },
	{ 6, "5.6.7.8", "1.2.3.4", 3344, 1122, "1:HhA1B+6CoLbiKPEs5nhNYN4XWfk=" },
	{ 17, "1.2.3.4", "5.6.7.8", 1122, 3344, "1:OShq+iKDAMVouh/4bMxB9Sz4amw=" },
	{ 17, "5.6.7.8", "1.2.3.4", 3344, 1122, "1:OShq+iKDAMVouh/4bMxB9Sz4amw=" },
	{ 132, "1.2.3.4", "5.6.7.8", 1122, 3344, "1:uitchpn5MMGAQKBJh7bIr/bAr7s=" },
	{ 132, "5.6.7.8", "1.2.3.4", 3344, 1122, "1:uitchpn5MMGAQKBJh7bIr/bAr7s=" },
	{ 1, "1.2.3.4", "5.6.7.8", 8, 0, "1:9pr4ZGTICiuZoIh90RRYE2RyXpU=" },
	{ 1, "5.6.7.8", "1.2.3.4", 0, 0, "1:9pr4ZGTICiuZoIh90RRYE2RyXpU=" },
	{ 1, "1.2.3.4", "5.6.7.8", 11, 0, "1:1DD7cWGC/Yg91YGsQeni8du3pIA=" },
	{ 58, "fe80:0001:0203:0405:0607:0809:0A0B:0C0D", "fe80:1011:1213:1415:1617:1819:1A1B:1C1D",
	  128, 0, "1:IO27GQzPuCtNnwFvjWALMHu5tJE=" },
	{ 58, "fe80:1011:1213:1415:1617:1819:1A1B:1C1D", "fe80:0001:0203:0405:0607:0809:0A0B:0C0D",
	  129, 0, "1:IO27GQzPuCtNnwFvjWALMHu5tJE=" },
	{ 58, "fe80:0001:0203:0405:0607:0809:0A0B:0C0D", "fe80:1011:1213:1415:1617:1819:1A1B:1C1D",
	  146, 0, "1:Cv4IKJe56BNkF0MBW2YxQ3Nwc3s=" },
	{ 46, "1.2.3.4", "5.6.7.8", -1, -1, "1:/buhqeOmaRCopOZFy9HnoJd5XW8=" },
	{ 46, "5.6.7.8", "1.2.3.4", -1, -1, "1:/buhqeOmaRCopOZFy9HnoJd5XW8=" },
	{ 46, "fe80:0001:0203:0405:0607:0809:0A0B:0C0D", "fe80:1011:1213:1415:1617:1819:1A1B:1C1D",
	  -1, -1, "1:j6EyyfBzL4vWKHFXgUqb5Az3OxM=" },
	{ 46, "fe80:1011:1213:1415:1617:1819:1A1B:1C1D", "fe80:0001:0203:0405:0607:0809:0A0B:0C0D",
	  -1, -1, "1:j6EyyfBzL4vWKHFXgUqb5Az3OxM=" },
};

/* baseline/baseline_deflt.json */
static const struct vec json_default[] = {
	{ 58, "fe80::200:86ff:fe05:80da", "fe80::260:97ff:fe07:69ea", 135, 136, "1:dGHyGvjMfljg6Bppwm3bg0LO8TY=" },
	{ 58, "fe80::260:97ff:fe07:69ea", "fe80::200:86ff:fe05:80da", 136, 135, "1:dGHyGvjMfljg6Bppwm3bg0LO8TY=" },
	{ 58, "fe80::260:97ff:fe07:69ea", "fe80::200:86ff:fe05:80da", 135, 136, "1:zavyT/cezQr1fmImYCwYnMXbgck=" },
	{ 58, "fe80::200:86ff:fe05:80da", "fe80::260:97ff:fe07:69ea", 136, 135, "1:zavyT/cezQr1fmImYCwYnMXbgck=" },
	{ 58, "3ffe:501:1800:2345::2", "3ffe:507:0:1:200:86ff:fe05:80da", 3, 0, "1:2ObVBgIn28oZvibYZhZMBgh7WdQ=" },
	{ 58, "3ffe:501:410:0:2c0:dfff:fe47:33e", "3ffe:507:0:1:200:86ff:fe05:80da", 1, 4, "1:hLZd0XGWojozrvxqE0dWB1iM6R0=" },
	{ 58, "3ffe:507:0:1:200:86ff:fe05:80da", "3ffe:501:0:1001::2", 128, 129, "1:+TW+HtLHvV1xnGhV1lv7XoJrqQg=" },
	{ 58, "3ffe:501:0:1001::2", "3ffe:507:0:1:200:86ff:fe05:80da", 129, 128, "1:+TW+HtLHvV1xnGhV1lv7XoJrqQg=" },
	{ 58, "fe80::200:86ff:fe05:80da", "ff02::2", 133, 134, "1:hO+sN4H+MG5MY/8hIrXPqc4ZQz0=" },
	{ 58, "fe80::260:97ff:fe07:69ea", "ff02::1", 134, 133, "1:pkvHqCL88/tg1k4cPigmZXUtL00=" },
	{ 1, "192.168.0.89", "192.168.0.1", 8, 0, "1:X0snYXpgwiv9TZtqg64sgzUn6Dk=" },
	{ 1, "192.168.0.1", "192.168.0.89", 0, 8, "1:X0snYXpgwiv9TZtqg64sgzUn6Dk=" },
	{ 1, "10.0.0.1", "10.0.0.2", 11, 0, "1:YHxtAirCG//0OzkcVAukqKQN9xM=" },
	{ 6, "2001:470:e5bf:dead:4957:2174:e82c:4887", "2607:f8b0:400c:c03::1a", 63943, 25, "1:/qFaeAR+gFe1KYjMzVDsMv+wgU4=" },
	{ 6, "2607:f8b0:400c:c03::1a", "2001:470:e5bf:dead:4957:2174:e82c:4887", 25, 63943, "1:/qFaeAR+gFe1KYjMzVDsMv+wgU4=" },
	{ 132, "192.168.170.8", "192.168.170.56", 7, 7, "1:MP2EtRCAUIZvTw6MxJHLV7N7JDs=" },
	{ 132, "192.168.170.56", "192.168.170.8", 7, 7, "1:MP2EtRCAUIZvTw6MxJHLV7N7JDs=" },
	{ 6, "128.232.110.120", "66.35.250.204", 34855, 80, "1:LQU9qZlK+B5F3KDmev6m5PMibrg=" },
	{ 6, "66.35.250.204", "128.232.110.120", 80, 34855, "1:LQU9qZlK+B5F3KDmev6m5PMibrg=" },
	{ 17, "192.168.1.52", "8.8.8.8", 54585, 53, "1:d/FP5EW3wiY1vCndhwleRRKHowQ=" },
	{ 17, "8.8.8.8", "192.168.1.52", 53, 54585, "1:d/FP5EW3wiY1vCndhwleRRKHowQ=" },
	{ 46, "10.1.12.1", "10.1.12.2", -1, -1, "1:KHlLkgoJW7ifUTyTSgyVfkFHzKw=" },
	{ 46, "10.1.12.2", "10.1.12.1", -1, -1, "1:KHlLkgoJW7ifUTyTSgyVfkFHzKw=" },
};

/* baseline/baseline_seed1.json (the TCP, UDP, SCTP, ICMP and port-less rows) */
static const struct vec json_seed1[] = {
	{ 58, "fe80::200:86ff:fe05:80da", "fe80::260:97ff:fe07:69ea", 135, 136, "1:kHa1FhMYIT6Ym2Vm2AOtoOARDzY=" },
	{ 58, "fe80::260:97ff:fe07:69ea", "fe80::200:86ff:fe05:80da", 135, 136, "1:2hSqmsDZ2kdcY9kbiUzOEBic0iM=" },
	{ 58, "3ffe:501:1800:2345::2", "3ffe:507:0:1:200:86ff:fe05:80da", 3, 0, "1:lVEtCZpYu84Xqaa++3lXFyuu2n4=" },
	{ 1, "192.168.0.1", "192.168.0.89", 0, 8, "1:03g6IloqVBdcZlPyX8r0hgoE7kA=" },
	{ 1, "10.0.0.1", "10.0.0.2", 11, 0, "1:XjUibYHaafLQ3pxQeiMI8g25q20=" },
	{ 6, "2607:f8b0:400c:c03::1a", "2001:470:e5bf:dead:4957:2174:e82c:4887", 25, 63943, "1:eJYTW6AOzFLlSUoESovMjnu7rMw=" },
	{ 132, "192.168.170.8", "192.168.170.56", 7, 7, "1:5w3ZRjeKBzqT3zsaEECDGjUbYeg=" },
	{ 6, "128.232.110.120", "66.35.250.204", 34855, 80, "1:3V71V58M3Ksw/yuFALMcW0LAHvc=" },
	{ 17, "8.8.8.8", "192.168.1.52", 53, 54585, "1:Q9We8WO3piVF8yEQBNJF4uiSVrI=" },
	{ 46, "10.1.12.2", "10.1.12.1", -1, -1, "1:rYir8gphR31noO9iDRQmF/BteEI=" },
};

static void run(const struct vec *v, size_t n, uint16_t seed)
{
	for (size_t i = 0; i < n; i++) {
		uint8_t s[16], d[16];
		int fam = strchr(v[i].src, ':') ? AF_INET6 : AF_INET;
		struct bh_cid_flow f = { .family = (uint8_t)fam, .proto = (uint8_t)v[i].proto,
					 .src = s, .dst = d, .has_ports = v[i].sport >= 0,
					 .sport = (uint16_t)v[i].sport, .dport = (uint16_t)v[i].dport };
		char out[BH_COMMUNITY_ID_SIZE];

		assert_int_equal(inet_pton(fam, v[i].src, s), 1);
		assert_int_equal(inet_pton(fam, v[i].dst, d), 1);
		assert_int_equal(bh_community_id_flow(seed, &f, out), 30);
		if (strcmp(out, v[i].id))
			print_error("vector %zu: %d %s %s %d %d: expected %s, got %s\n", i, v[i].proto,
				    v[i].src, v[i].dst, v[i].sport, v[i].dport, v[i].id, out);
		assert_string_equal(out, v[i].id);
	}
}

#define RUN(t, seed) run((t), sizeof(t) / sizeof((t)[0]), (seed))

static void test_readme_default(void **s) { RUN(readme_default, 0); }
static void test_readme_seed1(void **s) { RUN(readme_seed1, 1); }
static void test_json_default(void **s) { RUN(json_default, 0); }
static void test_json_seed1(void **s) { RUN(json_seed1, 1); }

/* A decoded packet gives the same value as its tuple; ICMP takes type and code. */
static void test_from_packet(void **s)
{
	/* IPv4 ICMP echo request 1.2.3.4 -> 5.6.7.8, as it comes from NFLOG */
	static const uint8_t icmp[28] = {
		0x45, 0, 0, 28, 0, 1, 0, 0, 64, 1, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8,
		8, 0, 0, 0, 0, 1, 0, 1,
	};
	/* IPv4 TCP 1.2.3.4:1122 -> 5.6.7.8:3344 SYN */
	static const uint8_t tcp[40] = {
		0x45, 0, 0, 40, 0, 1, 0, 0, 64, 6, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8,
		0x04, 0x62, 0x0d, 0x10, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x02, 0xff, 0xff, 0, 0, 0, 0,
	};
	struct bh_pkt p;
	char out[BH_COMMUNITY_ID_SIZE];

	assert_int_equal(bh_pkt_decode(icmp, sizeof(icmp), 0, &p), 0);
	bh_community_id_pkt(0, &p, out);
	assert_string_equal(out, "1:crodRHL2FEsHjbv3UkRrfbs4bZ0=");
	assert_int_equal(bh_pkt_decode(tcp, sizeof(tcp), 0, &p), 0);
	bh_community_id_pkt(0, &p, out);
	assert_string_equal(out, "1:wCb3OG7yAFWelaUydu0D+125CLM=");
	bh_community_id_pkt(1, &p, out);
	assert_string_equal(out, "1:HhA1B+6CoLbiKPEs5nhNYN4XWfk=");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_readme_default),
		cmocka_unit_test(test_readme_seed1),
		cmocka_unit_test(test_json_default),
		cmocka_unit_test(test_json_seed1),
		cmocka_unit_test(test_from_packet),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
