// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The cluster-wide tiers as compiled: table-driven cases (each verdict
 * checked from the compiled rulesets, as `explain` and the kernel see
 * them, and from the independent reference evaluator), the decisions
 * `explain` and the log report (tier, rule, Pass hops), then a generated
 * cross-check of compiled against reference on hundreds of random sets
 * of NetworkPolicies and ClusterNetworkPolicies in both tiers, with all
 * three actions, shared priorities, networks and named ports.
 *
 * The cases translate the scenarios of the network-policy-api conformance
 * suite (conformance/tests, v0.2.0) onto an inventory shaped like its
 * base manifests: four houses, each pod serving a named TCP port "web"
 * and a UDP port "dns". The scenario each case stands for is named in it.
 */
#include <errno.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "policy/compile.h"
#include "policy/eval.h"
#include "policy/explain.h"
#include "policy/model.h"

static const char houses[] =
	"namespaces:\n"
	"  - {name: gryffindor, labels: {house: gryffindor, tenant: 'yes'}}\n"
	"  - {name: slytherin, labels: {house: slytherin, tenant: 'yes'}}\n"
	"  - {name: hufflepuff, labels: {house: hufflepuff}}\n"
	"  - {name: ravenclaw, labels: {house: ravenclaw}}\n"
	"  - {name: ops, labels: {team: ops}}\n"
	"workloads:\n"
	"  - {name: harry, namespace: gryffindor, labels: {house: gryffindor, app: harry},\n"
	"     ips: [10.1.0.1, 'fd00::1:1'], ports: [{name: web, port: 80}, {name: dns, port: 53, protocol: UDP}]}\n"
	"  - {name: ginny, namespace: gryffindor, labels: {house: gryffindor, app: ginny},\n"
	"     ips: [10.1.0.2, 'fd00::1:2'], ports: [{name: web, port: 8080}, {name: dns, port: 5353, protocol: UDP}]}\n"
	"  - {name: draco, namespace: slytherin, labels: {house: slytherin},\n"
	"     ips: [10.2.0.1, 'fd00::2:1'], ports: [{name: web, port: 80}, {name: dns, port: 53, protocol: UDP}]}\n"
	"  - {name: cedric, namespace: hufflepuff, labels: {house: hufflepuff},\n"
	"     ips: [10.3.0.1, 'fd00::3:1'], ports: [{name: web, port: 80}, {name: dns, port: 53, protocol: UDP}]}\n"
	"  - {name: luna, namespace: ravenclaw, labels: {house: ravenclaw},\n"
	"     ips: [10.4.0.1, 'fd00::4:1'], ports: [{name: web, port: 80}, {name: dns, port: 53, protocol: UDP}]}\n"
	"  - {name: prom, namespace: ops, labels: {app: prometheus}, ips: [10.5.0.1, 'fd00::5:1']}\n";

#define CNP(name, tier, prio) \
	"---\napiVersion: policy.networking.k8s.io/v1alpha2\nkind: ClusterNetworkPolicy\n" \
	"metadata: {name: " name "}\nspec:\n  tier: " tier "\n  priority: " prio "\n"
#define NP(ns, name) \
	"---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: " name ", namespace: " ns "}\n"
#define HOUSE(h) "{namespaces: {matchLabels: {house: " h "}}}"
#define SUBJ_G "  subject: {namespaces: {matchLabels: {house: gryffindor}}}\n"

struct tcase {
	const char *name;
	const char *policies;
	const char *verdicts[16];	/* "FROM TO PORT/PROTO allow|deny" */
};

/* A rule set in the shape of the conformance suite's ingress tests: one per action, then by port. */
#define INGRESS_RULES(first, second, third) \
	"  ingress:\n" \
	"  - {name: " first "-from-ravenclaw, action: " first ", from: [" HOUSE("ravenclaw") "]}\n" \
	"  - {name: " second "-from-ravenclaw, action: " second ", from: [" HOUSE("ravenclaw") "]}\n" \
	"  - {name: " third "-from-ravenclaw, action: " third ", from: [" HOUSE("ravenclaw") "]}\n"
#define INGRESS_PORT_RULES(first, second) \
	"  - {name: a, action: " first ", from: [" HOUSE("slytherin") "], protocols: [{tcp: {destinationPort: {number: 80}}}]}\n" \
	"  - {name: b, action: " second ", from: [" HOUSE("slytherin") "], protocols: [{tcp: {destinationPort: {number: 80}}}]}\n" \
	"  - {name: c, action: Accept, from: [" HOUSE("hufflepuff") "], protocols: [{udp: {destinationPort: {number: 53}}}, {sctp: {destinationPort: {number: 9003}}}]}\n" \
	"  - {name: d, action: Deny, from: [" HOUSE("hufflepuff") "]}\n"

static const struct tcase cases[] = {
	/* CNPAdminTierIngress{TCP,UDP,SCTP}: Accept first, rule order, at the specified port */
	{ "admin ingress: the first matching rule decides (Accept first)",
	  CNP("ingress", "Admin", "3") SUBJ_G INGRESS_RULES("Accept", "Deny", "Pass") INGRESS_PORT_RULES("Deny", "Pass"),
	  { "ravenclaw/luna gryffindor/harry 80/tcp allow", "ravenclaw/luna gryffindor/ginny 5353/udp allow",
	    "slytherin/draco gryffindor/harry 80/tcp deny", "slytherin/draco gryffindor/harry 8080/tcp allow",
	    "hufflepuff/cedric gryffindor/harry 53/udp allow", "hufflepuff/cedric gryffindor/harry 9003/sctp allow",
	    "hufflepuff/cedric gryffindor/harry 80/tcp deny", "hufflepuff/cedric gryffindor/harry 9003/tcp deny",
	    "gryffindor/harry ravenclaw/luna 80/tcp allow" } },
	/* ... with Deny moved first */
	{ "admin ingress: Deny first",
	  CNP("ingress", "Admin", "3") SUBJ_G INGRESS_RULES("Deny", "Accept", "Pass") INGRESS_PORT_RULES("Deny", "Pass"),
	  { "ravenclaw/luna gryffindor/harry 80/tcp deny", "ravenclaw/luna gryffindor/ginny 53/udp deny",
	    "ravenclaw/luna slytherin/draco 80/tcp allow" } },
	/* ... with Pass moved first: on to NetworkPolicy, which allows ravenclaw on 80 only */
	{ "admin ingress: Pass first goes on to NetworkPolicy",
	  CNP("ingress", "Admin", "3") SUBJ_G INGRESS_RULES("Pass", "Accept", "Deny") INGRESS_PORT_RULES("Pass", "Deny")
	  NP("gryffindor", "web-only") "spec:\n  podSelector: {}\n  ingress: [{ports: [{port: 80}]}]\n",
	  { "ravenclaw/luna gryffindor/harry 80/tcp allow", "ravenclaw/luna gryffindor/harry 81/tcp deny",
	    "slytherin/draco gryffindor/harry 80/tcp allow", "slytherin/draco gryffindor/harry 8080/tcp deny",
	    "hufflepuff/cedric gryffindor/harry 80/tcp deny" } },
	/* CNPAdminTierEgress{TCP,UDP}: the same on egress, and across protocols (CNPAdminTierGress) */
	{ "admin egress and both directions across protocols",
	  CNP("gress", "Admin", "15") SUBJ_G
	  "  egress:\n"
	  "  - {action: Accept, to: [" HOUSE("ravenclaw") "], protocols: [{tcp: {destinationPort: {number: 80}}}, {udp: {destinationPort: {number: 53}}}]}\n"
	  "  - {action: Pass, to: [" HOUSE("ravenclaw") "], protocols: [{tcp: {destinationPort: {number: 8080}}}]}\n"
	  "  - {action: Deny, to: [" HOUSE("ravenclaw") "]}\n"
	  "  ingress:\n"
	  "  - {action: Deny, from: [" HOUSE("hufflepuff") "], protocols: [{tcp: {destinationPort: {number: 80}}}, {udp: {destinationPort: {number: 53}}}]}\n",
	  { "gryffindor/harry ravenclaw/luna 80/tcp allow", "gryffindor/harry ravenclaw/luna 53/udp allow",
	    "gryffindor/harry ravenclaw/luna 8080/tcp allow", "gryffindor/harry ravenclaw/luna 81/tcp deny",
	    "gryffindor/harry ravenclaw/luna 80/udp deny", "hufflepuff/cedric gryffindor/harry 80/tcp deny",
	    "hufflepuff/cedric gryffindor/harry 53/udp deny", "hufflepuff/cedric gryffindor/harry 53/tcp allow" } },
	/* CNPAdminTierEgressInlineCIDRPeers: Accept to pods, Deny to the internet, then Accept to some addresses first */
	{ "admin egress to networks, IPv4 and IPv6",
	  CNP("inline-cidr", "Admin", "85")
	  "  subject: {pods: {namespaceSelector: {matchLabels: {house: gryffindor}}, podSelector: {matchLabels: {house: gryffindor}}}}\n"
	  "  egress:\n"
	  "  - {action: Accept, to: [{networks: [10.4.0.1/32, 'fd00::3:1/128']}]}\n"
	  "  - {action: Accept, to: [{pods: {namespaceSelector: {matchLabels: {house: slytherin}}, podSelector: {matchLabels: {house: slytherin}}}}]}\n"
	  "  - {action: Deny, to: [{networks: [0.0.0.0/0, '::/0']}]}\n",
	  { "gryffindor/harry slytherin/draco 80/tcp allow", "gryffindor/harry fd00::2:1 53/udp allow",
	    "gryffindor/harry ravenclaw/luna 80/tcp allow", "gryffindor/harry fd00::4:1 80/tcp deny",
	    "gryffindor/harry fd00::3:1 9003/sctp allow", "gryffindor/harry hufflepuff/cedric 80/tcp deny",
	    "gryffindor/harry 192.0.2.1 443/tcp deny", "gryffindor/harry 2001:db8::1 443/tcp deny",
	    "gryffindor/harry gryffindor/ginny 8080/tcp deny", "slytherin/draco 192.0.2.1 443/tcp allow" } },
	/* CNPAdminTier{Ingress,Egress}NamedPort (experimental upstream): per destination */
	{ "named ports resolve against the destination",
	  CNP("named", "Admin", "10")
	  "  subject: {namespaces: {matchLabels: {house: slytherin}}}\n"
	  "  egress:\n"
	  "  - {action: Accept, to: [" HOUSE("gryffindor") "], protocols: [{destinationNamedPort: web}]}\n"
	  "  - {action: Deny, to: [" HOUSE("gryffindor") "]}\n"
	  CNP("named-in", "Admin", "11")
	  "  subject: {namespaces: {matchLabels: {house: hufflepuff}}}\n"
	  "  ingress:\n"
	  "  - {action: Accept, from: [{namespaces: {}}], protocols: [{destinationNamedPort: dns}]}\n"
	  "  - {action: Deny, from: [{namespaces: {}}]}\n",
	  { "slytherin/draco gryffindor/harry 80/tcp allow", "slytherin/draco gryffindor/ginny 8080/tcp allow",
	    "slytherin/draco gryffindor/ginny 80/tcp deny", "slytherin/draco gryffindor/harry 8080/tcp deny",
	    "slytherin/draco gryffindor/harry 53/udp deny", "gryffindor/harry hufflepuff/cedric 53/udp allow",
	    "gryffindor/harry hufflepuff/cedric 53/tcp deny", "gryffindor/harry hufflepuff/cedric 80/tcp deny" } },
	/* CNPAdminTierPriorityField: lower priority first; then the same with the later one moved up */
	{ "priority order: lower first",
	  CNP("priority-50", "Admin", "50") SUBJ_G "  ingress: [{action: Deny, from: [" HOUSE("slytherin") "]}]\n"
	  CNP("priority-60", "Admin", "60") SUBJ_G "  ingress: [{action: Accept, from: [" HOUSE("slytherin") "]}]\n",
	  { "slytherin/draco gryffindor/harry 80/tcp deny", "hufflepuff/cedric gryffindor/harry 80/tcp allow" } },
	{ "priority order: the other one moved up passes to Baseline",
	  CNP("priority-50", "Admin", "50") SUBJ_G "  ingress: [{action: Deny, from: [" HOUSE("slytherin") "]}]\n"
	  CNP("priority-40", "Admin", "40") SUBJ_G "  ingress: [{action: Pass, from: [" HOUSE("slytherin") "]}]\n"
	  CNP("default", "Baseline", "10") SUBJ_G "  ingress: [{action: Accept, from: [" HOUSE("slytherin") "]}]\n",
	  { "slytherin/draco gryffindor/harry 80/tcp allow" } },
	{ "one priority: ordered by name",
	  CNP("b-accept", "Admin", "5") SUBJ_G "  ingress: [{action: Accept, from: [" HOUSE("slytherin") "]}]\n"
	  CNP("a-deny", "Admin", "5") SUBJ_G "  ingress: [{action: Deny, from: [" HOUSE("slytherin") "]}]\n",
	  { "slytherin/draco gryffindor/harry 80/tcp deny" } },
	/* CNPAdminTierIntegration: Admin Deny, NetworkPolicy allow, Baseline Deny */
	{ "integration: Admin Deny overrides a NetworkPolicy allow",
	  CNP("pass-example", "Admin", "10") SUBJ_G
	  "  ingress: [{action: Deny, from: [" HOUSE("slytherin") "]}]\n"
	  "  egress: [{action: Deny, to: [" HOUSE("slytherin") "]}]\n"
	  NP("gryffindor", "allow-slytherin") "spec:\n  podSelector:\n  policyTypes: [Ingress, Egress]\n"
	  "  ingress: [{from: [{namespaceSelector: {matchLabels: {house: slytherin}}}]}]\n"
	  "  egress: [{to: [{namespaceSelector: {matchLabels: {house: slytherin}}}]}]\n"
	  CNP("default", "Baseline", "10") SUBJ_G
	  "  ingress: [{action: Deny, from: [" HOUSE("slytherin") "]}]\n",
	  { "slytherin/draco gryffindor/harry 80/tcp deny", "gryffindor/harry slytherin/draco 8080/tcp deny",
	    "hufflepuff/cedric gryffindor/harry 80/tcp deny" } },
	{ "integration: Pass respects the NetworkPolicy match",
	  CNP("pass-example", "Admin", "10") SUBJ_G
	  "  ingress: [{action: Pass, from: [" HOUSE("slytherin") "]}]\n"
	  "  egress: [{action: Pass, to: [" HOUSE("slytherin") "]}]\n"
	  NP("gryffindor", "allow-slytherin") "spec:\n  podSelector:\n  policyTypes: [Ingress, Egress]\n"
	  "  ingress: [{from: [{namespaceSelector: {matchLabels: {house: slytherin}}}]}]\n"
	  "  egress: [{to: [{namespaceSelector: {matchLabels: {house: slytherin}}}]}]\n"
	  CNP("default", "Baseline", "10") SUBJ_G
	  "  ingress: [{action: Deny, from: [" HOUSE("slytherin") "]}]\n"
	  "  egress: [{action: Deny, to: [" HOUSE("slytherin") "]}]\n",
	  { "slytherin/draco gryffindor/harry 80/tcp allow", "gryffindor/harry slytherin/draco 8080/tcp allow",
	    "gryffindor/harry ravenclaw/luna 80/tcp deny" } },
	{ "integration: Pass with no NetworkPolicy reaches Baseline",
	  CNP("pass-example", "Admin", "10") SUBJ_G
	  "  ingress: [{action: Pass, from: [" HOUSE("slytherin") "]}]\n"
	  "  egress: [{action: Pass, to: [" HOUSE("slytherin") "]}]\n"
	  CNP("default", "Baseline", "10") SUBJ_G
	  "  ingress: [{action: Deny, from: [" HOUSE("slytherin") "]}]\n"
	  "  egress: [{action: Deny, to: [" HOUSE("slytherin") "]}]\n",
	  { "slytherin/draco gryffindor/harry 80/tcp deny", "gryffindor/harry slytherin/draco 80/tcp deny",
	    "hufflepuff/cedric gryffindor/harry 80/tcp allow" } },
	/* CNPBaselineTier{Ingress,Egress}{TCP,UDP,SCTP}, Gress: rule order and ports */
	{ "baseline: the first matching rule decides",
	  CNP("default", "Baseline", "10") SUBJ_G
	  "  ingress:\n"
	  "  - {action: Accept, from: [" HOUSE("ravenclaw") "], protocols: [{udp: {destinationPort: {number: 53}}}]}\n"
	  "  - {action: Deny, from: [" HOUSE("ravenclaw") "]}\n"
	  "  egress:\n"
	  "  - {action: Deny, to: [" HOUSE("hufflepuff") "], protocols: [{tcp: {destinationPort: {range: {start: 8000, end: 8100}}}}]}\n"
	  "  - {action: Accept, to: [" HOUSE("hufflepuff") "]}\n",
	  { "ravenclaw/luna gryffindor/harry 53/udp allow", "ravenclaw/luna gryffindor/harry 53/tcp deny",
	    "gryffindor/harry hufflepuff/cedric 8000/tcp deny", "gryffindor/harry hufflepuff/cedric 8100/tcp deny",
	    "gryffindor/harry hufflepuff/cedric 7999/tcp allow", "gryffindor/harry hufflepuff/cedric 8101/tcp allow",
	    "gryffindor/harry hufflepuff/cedric 8050/udp allow" } },
	{ "baseline applies only where no NetworkPolicy decided",
	  CNP("default-deny", "Baseline", "1000") "  subject: {namespaces: {}}\n"
	  "  ingress: [{action: Deny, from: [{namespaces: {}}]}]\n"
	  NP("gryffindor", "harry-from-slytherin") "spec:\n  podSelector: {matchLabels: {app: harry}}\n"
	  "  ingress: [{from: [{namespaceSelector: {matchLabels: {house: slytherin}}}]}]\n",
	  { "slytherin/draco gryffindor/harry 80/tcp allow", "ravenclaw/luna gryffindor/harry 80/tcp deny",
	    "slytherin/draco gryffindor/ginny 80/tcp deny", "gryffindor/harry ravenclaw/luna 80/tcp deny",
	    "10.9.9.9 gryffindor/harry 80/tcp deny", "10.9.9.9 ravenclaw/luna 80/tcp allow" } },
	{ "baseline Pass: allowed by default, later Deny skipped",
	  CNP("default", "Baseline", "10") SUBJ_G
	  "  ingress:\n  - {action: Pass, from: [" HOUSE("ravenclaw") "]}\n  - {action: Deny, from: [{namespaces: {}}]}\n",
	  { "ravenclaw/luna gryffindor/harry 80/tcp allow", "slytherin/draco gryffindor/harry 80/tcp deny" } },
	{ "admin Accept overrides a NetworkPolicy isolation",
	  NP("gryffindor", "deny-all") "spec:\n  podSelector: {}\n  policyTypes: [Ingress, Egress]\n"
	  CNP("monitoring", "Admin", "1") "  subject: {namespaces: {}}\n"
	  "  ingress: [{action: Accept, from: [{pods: {namespaceSelector: {matchLabels: {team: ops}}, podSelector: {matchLabels: {app: prometheus}}}}],"
	  " protocols: [{tcp: {destinationPort: {number: 9090}}}]}]\n",
	  { "ops/prom gryffindor/harry 9090/tcp allow", "ops/prom gryffindor/harry 9091/tcp deny",
	    "slytherin/draco gryffindor/harry 9090/tcp deny", "ops/prom slytherin/draco 9090/tcp allow" } },
	{ "egress Accept does not open the destination's ingress",
	  CNP("out", "Admin", "1") SUBJ_G "  egress: [{action: Accept, to: [{namespaces: {}}]}]\n"
	  NP("slytherin", "deny-in") "spec:\n  podSelector: {}\n",
	  { "gryffindor/harry slytherin/draco 80/tcp deny", "gryffindor/harry ravenclaw/luna 80/tcp allow" } },
	{ "a Pass for one port before a Deny of all: the other ports and protocols are denied",
	  CNP("p", "Admin", "1") SUBJ_G
	  "  egress:\n  - {action: Pass, to: [{networks: [10.0.0.0/8]}], protocols: [{tcp: {destinationPort: {number: 80}}}]}\n"
	  "  - {action: Deny, to: [{networks: [10.0.0.0/8]}]}\n",
	  { "gryffindor/harry slytherin/draco 80/tcp allow", "gryffindor/harry slytherin/draco 81/tcp deny",
	    "gryffindor/harry slytherin/draco 80/udp deny", "gryffindor/harry 192.0.2.1 81/tcp allow" } },
	{ "a Deny for one port before an Accept of all",
	  CNP("p", "Admin", "1") SUBJ_G
	  "  egress:\n  - {action: Deny, to: [{namespaces: {}}], protocols: [{udp: {destinationPort: {number: 53}}}]}\n"
	  "  - {action: Accept, to: [{namespaces: {}}]}\n"
	  NP("slytherin", "deny-in") "spec:\n  podSelector: {}\n",
	  { "gryffindor/harry ravenclaw/luna 53/udp deny", "gryffindor/harry ravenclaw/luna 53/tcp allow",
	    "gryffindor/harry slytherin/draco 80/tcp deny" } },
	/* CNP*Tier*Egress node peers (experimental): not supported here, so the rules fail closed */
	{ "node peers fail closed: Accept matches nothing, Deny everything",
	  CNP("nodes-accept", "Admin", "1") SUBJ_G "  egress: [{action: Accept, to: [{nodes: {}}]}, {action: Deny, to: [" HOUSE("slytherin") "]}]\n"
	  CNP("nodes-deny", "Admin", "2") "  subject: {namespaces: {matchLabels: {house: ravenclaw}}}\n"
	  "  egress: [{action: Deny, to: [{nodes: {}}], protocols: [{tcp: {destinationPort: {number: 22}}}]}]\n",
	  { "gryffindor/harry slytherin/draco 80/tcp deny", "gryffindor/harry hufflepuff/cedric 80/tcp allow",
	    "ravenclaw/luna gryffindor/harry 80/tcp deny", "ravenclaw/luna 192.0.2.1 53/udp deny",
	    "slytherin/draco ravenclaw/luna 80/tcp allow" } },
	{ "audit mode does not enforce",
	  "---\napiVersion: policy.networking.k8s.io/v1alpha2\nkind: ClusterNetworkPolicy\n"
	  "metadata: {name: audit, annotations: {bulkhead.io/mode: audit}}\n"
	  "spec: {tier: Admin, priority: 1, subject: {namespaces: {}}, ingress: [{action: Deny, from: [{namespaces: {}}]}]}\n",
	  { "slytherin/draco gryffindor/harry 80/tcp allow" } },
	{ "v1alpha1 AdminNetworkPolicy and BaselineAdminNetworkPolicy",
	  "---\napiVersion: policy.networking.k8s.io/v1alpha1\nkind: AdminNetworkPolicy\nmetadata: {name: anp}\n"
	  "spec: {priority: 1, subject: {namespaces: {matchLabels: {house: gryffindor}}},\n"
	  "       ingress: [{action: Allow, from: [" HOUSE("slytherin") "], ports: [{portRange: {start: 80, end: 81}}]},\n"
	  "                 {action: Pass, from: [" HOUSE("hufflepuff") "]}]}\n"
	  "---\napiVersion: policy.networking.k8s.io/v1alpha1\nkind: BaselineAdminNetworkPolicy\nmetadata: {name: default}\n"
	  "spec: {subject: {namespaces: {}}, ingress: [{action: Deny, from: [{namespaces: {}}]}]}\n",
	  { "slytherin/draco gryffindor/harry 81/tcp allow", "slytherin/draco gryffindor/harry 82/tcp deny",
	    "hufflepuff/cedric gryffindor/harry 80/tcp deny", "10.9.9.9 gryffindor/harry 80/tcp allow" } },
};

struct loaded {
	struct bh_inventory *inv;
	struct bh_policy_set *pols;
	struct bh_compiled *c;
};

static void load(const char *inv_yaml, const char *pol_yaml, struct loaded *l)
{
	struct bh_diag d;

	bh_diag_init(&d);
	assert_int_equal(bh_inventory_load_buf("inv.yaml", inv_yaml, strlen(inv_yaml), &d, &l->inv), 0);
	if (bh_policy_set_load_buf("pol.yaml", pol_yaml, strlen(pol_yaml), &d, &l->pols)) {
		bh_diag_print(&d, stderr);
		fail_msg("policies did not load");
	}
	bh_diag_deinit(&d);
	assert_int_equal(bh_compile(l->pols, l->inv, &l->c), 0);
}

static void unload(struct loaded *l)
{
	bh_compiled_free(l->c);
	bh_policy_set_free(l->pols);
	bh_inventory_free(l->inv);
}

static void endpoint(const struct bh_inventory *inv, const char *s, int family, struct bh_endpoint *ep)
{
	char ns[64], name[64];

	memset(ep, 0, sizeof(*ep));
	if (!bh_addr_parse(s, &ep->addr)) {
		ep->wl = bh_inventory_find_ip(inv, &ep->addr);
		return;
	}
	assert_int_equal(sscanf(s, "%63[^/]/%63s", ns, name), 2);
	ep->wl = bh_inventory_find(inv, ns, name);
	assert_non_null(ep->wl);
	for (size_t i = 0; i < ep->wl->n_ips; i++)
		if (ep->wl->ips[i].family == family) {
			ep->addr = ep->wl->ips[i];
			return;
		}
}

static void check_verdict(const struct loaded *l, const char *v)
{
	char from_s[64], to_s[64], port_s[32], want[16];
	struct bh_endpoint from, to;
	struct bh_explain e;
	uint8_t proto;
	uint16_t port;
	bool ref;
	int family;

	assert_int_equal(sscanf(v, "%63s %63s %31s %15s", from_s, to_s, port_s, want), 4);
	assert_int_equal(bh_port_spec_parse(port_s, &proto, &port), 0);
	family = strchr(from_s, ':') || strchr(to_s, ':') ? AF_INET6 : AF_INET;
	endpoint(l->inv, from_s, family, &from);
	endpoint(l->inv, to_s, family, &to);
	bh_explain_conn(l->c, &from, &to, proto, port, &e);
	ref = bh_eval_conn(l->pols, l->inv, &from, &to, proto, port);
	if (e.allowed != !strcmp(want, "allow") || ref != e.allowed) {
		bh_explain_print(stderr, l->c, &from, &to, proto, port, &e);
		fail_msg("%s: compiled says %s, reference says %s", v, e.allowed ? "allow" : "deny",
			 ref ? "allow" : "deny");
	}
}

static void test_case(void **state)
{
	const struct tcase *c = *state;
	struct loaded l;

	load(houses, c->policies, &l);
	for (size_t i = 0; i < 16 && c->verdicts[i]; i++)
		check_verdict(&l, c->verdicts[i]);
	unload(&l);
}

/* ---- decisions: tier, rule, Pass hops, as explain and the log report them ------- */

static void decide(const struct loaded *l, const char *from_s, const char *to_s, int dir,
		   uint8_t proto, uint16_t port, struct bh_decision *out)
{
	struct bh_endpoint from, to;
	struct bh_explain e;

	endpoint(l->inv, from_s, AF_INET, &from);
	endpoint(l->inv, to_s, AF_INET, &to);
	bh_explain_conn(l->c, &from, &to, proto, port, &e);
	*out = dir == BH_INGRESS ? e.ingress.dec : e.egress.dec;
}

static void assert_ref(const struct loaded *l, uint32_t rule, const char *want)
{
	char buf[256];

	assert_string_equal(bh_rule_id_format(l->c, rule, buf, sizeof(buf)), want);
}

static void test_decisions(void **state)
{
	static const char pol[] =
		CNP("guard", "Admin", "10") SUBJ_G
		"  ingress:\n  - {name: pass-slytherin, action: Pass, from: [" HOUSE("slytherin") "]}\n"
		"  - {name: deny-ravenclaw, action: Deny, from: [" HOUSE("ravenclaw") "]}\n"
		NP("gryffindor", "harry") "spec:\n  podSelector: {matchLabels: {app: harry}}\n"
		"  ingress: [{from: [{namespaceSelector: {}}], ports: [{port: 80}]}]\n"
		CNP("base", "Baseline", "1") SUBJ_G
		"  ingress: [{name: in-house, action: Accept, from: [" HOUSE("gryffindor") "]},"
		" {action: Deny, from: [{namespaces: {}}]}]\n";
	struct bh_decision d;
	struct bh_rule_info ri;
	struct loaded l;

	(void)state;
	load(houses, pol, &l);
	/* Pass, then NetworkPolicy allows */
	decide(&l, "slytherin/draco", "gryffindor/harry", BH_INGRESS, IPPROTO_TCP, 80, &d);
	assert_true(d.allowed);
	assert_int_equal(d.tier, BH_TIER_NP);
	assert_ref(&l, d.pass[BH_TIER_ADMIN], "guard#ingress[0]");
	assert_ref(&l, d.rule, "gryffindor/harry#ingress[0]");
	/* Pass, then NetworkPolicy isolation denies: no rule */
	decide(&l, "slytherin/draco", "gryffindor/harry", BH_INGRESS, IPPROTO_TCP, 81, &d);
	assert_false(d.allowed);
	assert_int_equal(d.tier, BH_TIER_NP);
	assert_int_equal(d.rule, BH_RULE_NONE);
	/* Admin Deny */
	decide(&l, "ravenclaw/luna", "gryffindor/harry", BH_INGRESS, IPPROTO_TCP, 80, &d);
	assert_false(d.allowed);
	assert_int_equal(d.tier, BH_TIER_ADMIN);
	assert_ref(&l, d.rule, "guard#ingress[1]");
	assert_true(bh_rule_id_info(l.c, d.rule, &ri));
	assert_string_equal(ri.name, "deny-ravenclaw");
	assert_int_equal(ri.action, BH_ACT_DENY);
	assert_int_equal(ri.priority, 10);
	assert_string_equal(ri.policy, "guard");
	/* ginny: no NetworkPolicy, so Baseline */
	decide(&l, "gryffindor/harry", "gryffindor/ginny", BH_INGRESS, IPPROTO_TCP, 80, &d);
	assert_true(d.allowed);
	assert_int_equal(d.tier, BH_TIER_BASELINE);
	assert_ref(&l, d.rule, "base#ingress[0]");
	decide(&l, "hufflepuff/cedric", "gryffindor/ginny", BH_INGRESS, IPPROTO_TCP, 80, &d);
	assert_false(d.allowed);
	assert_ref(&l, d.rule, "base#ingress[1]");
	/* no tier at all: egress of harry */
	decide(&l, "gryffindor/harry", "hufflepuff/cedric", BH_EGRESS, IPPROTO_TCP, 80, &d);
	assert_true(d.allowed);
	assert_int_equal(d.tier, BH_TIER_MAX);
	unload(&l);
}

/* Protocols without ports (ICMP) take the any-protocol answer; a port rule never matches them. */
static void test_icmp(void **state)
{
	static const char pol[] =
		CNP("p", "Admin", "1") SUBJ_G
		"  egress:\n  - {action: Accept, to: [{networks: [10.0.0.0/8]}], protocols: [{tcp: {destinationPort: {number: 80}}}]}\n"
		"  - {action: Deny, to: [{networks: [10.2.0.0/16]}]}\n";
	struct bh_endpoint from, to;
	struct bh_explain e;
	struct loaded l;

	(void)state;
	load(houses, pol, &l);
	endpoint(l.inv, "gryffindor/harry", AF_INET, &from);
	endpoint(l.inv, "slytherin/draco", AF_INET, &to);
	bh_explain_conn(l.c, &from, &to, IPPROTO_ICMP, 0, &e);
	assert_false(e.allowed);
	assert_false(bh_eval_conn(l.pols, l.inv, &from, &to, IPPROTO_ICMP, 0));
	endpoint(l.inv, "hufflepuff/cedric", AF_INET, &to);
	bh_explain_conn(l.c, &from, &to, IPPROTO_ICMP, 0, &e);
	assert_true(e.allowed);
	unload(&l);
}

/* A tier map over the element limit: refused, the policy, workload and map named. */
static void test_element_limit(void **state)
{
	static const char pol[] =
		CNP("wide", "Admin", "1") SUBJ_G
		"  egress:\n  - {action: Deny, to: [{networks: [10.0.0.1/32, 10.0.0.3/32, 10.0.0.5/32, 10.0.0.7/32,"
		" 10.0.0.9/32, 10.0.0.11/32, 10.0.0.13/32]}]}\n";
	struct bh_limits lim = BH_LIMITS_DEFAULT;
	struct bh_inventory *inv = NULL;
	struct bh_policy_set *ps = NULL;
	struct bh_compiled *c = NULL;
	struct bh_diag d;

	(void)state;
	bh_diag_init(&d);
	assert_int_equal(bh_inventory_load_buf("inv.yaml", houses, strlen(houses), &d, &inv), 0);
	assert_int_equal(bh_policy_set_load_buf("pol.yaml", pol, strlen(pol), &d, &ps), 0);
	assert_int_equal(bh_compile_limited(ps, inv, &lim, &d, &c), 0);	/* the defaults: fine */
	bh_compiled_free(c);
	c = NULL;
	lim.elements_per_set = 5;
	assert_int_equal(bh_compile_limited(ps, inv, &lim, &d, &c), -E2BIG);
	assert_null(c);
	assert_true(bh_diag_count(&d) >= 1);
	assert_non_null(strstr(d.v[0].msg, "policy wide: workload gryffindor/"));
	assert_non_null(strstr(d.v[0].msg, "Admin tier map out4_admin"));
	assert_non_null(strstr(d.v[0].msg, "5 elements, the limit (--limit-elements-per-set)"));
	bh_diag_deinit(&d);
	bh_policy_set_free(ps);
	bh_inventory_free(inv);
}

/* ---- elements: disjoint and sorted, as the kernel needs them -------------------------- */

static void check_disjoint(const struct bh_elems *es, int fam)
{
	int len = fam == BH_FAM_V4 ? 4 : 16;

	for (size_t i = 0; i < es->n; i++) {
		const struct bh_elem *e = &es->v[i];

		assert_true(memcmp(e->lo, e->hi, len) <= 0);
		if (i) {
			const struct bh_elem *p = &es->v[i - 1];
			int c = p->proto != e->proto ? (p->proto < e->proto ? -1 : 1) : memcmp(p->lo, e->lo, len);

			assert_true(c < 0 || (c == 0 && p->port_hi < e->port_lo));
		}
		for (size_t j = i + 1; j < es->n; j++) {
			const struct bh_elem *f = &es->v[j];

			if (e->proto == f->proto && memcmp(e->lo, f->hi, len) <= 0 &&
			    memcmp(f->lo, e->hi, len) <= 0 && e->port_lo <= f->port_hi &&
			    f->port_lo <= e->port_hi)
				fail_msg("elements %zu and %zu overlap", i, j);
		}
	}
}

static void check_stages(const struct bh_compiled *c)
{
	for (size_t g = 0; g < c->n_groups; g++)
		for (int d = 0; d < BH_DIR_MAX; d++) {
			const struct bh_dir_rules *dr = &c->groups[g].dir[d];
			const struct bh_view *vs[2] = { &dr->enforce, &dr->audit };

			for (int k = 0; k < 2; k++) {
				const struct bh_stage *st[2] = { &vs[k]->admin, &vs[k]->baseline };

				assert_false(vs[k]->isolated && vs[k]->baseline.present);
				for (int s = 0; s < 2; s++)
					for (int f = 0; f < BH_FAM_MAX; f++) {
						check_disjoint(&st[s]->any[f], f);
						check_disjoint(&st[s]->l4[f], f);
					}
			}
		}
}

/* ---- generated cross-check --------------------------------------------------------------- */

static unsigned rnd(unsigned *s)
{
	*s = *s * 1103515245u + 12345u;
	return (*s >> 16) & 0x7fff;
}

static const char *const vals[] = { "a", "b", "c" };

static void gen_selector(FILE *f, unsigned *s, const char *key1, const char *key2)
{
	switch (rnd(s) % 5) {
	case 0: fputs("{}", f); break;
	case 1: fprintf(f, "{matchLabels: {%s: %s}}", key1, vals[rnd(s) % 3]); break;
	case 2: fprintf(f, "{matchExpressions: [{key: %s, operator: In, values: [%s, %s]}]}", key1,
			vals[rnd(s) % 3], vals[rnd(s) % 3]); break;
	case 3: fprintf(f, "{matchExpressions: [{key: %s, operator: NotIn, values: [%s]}]}", key1,
			vals[rnd(s) % 3]); break;
	default: fprintf(f, "{matchExpressions: [{key: %s, operator: %s}]}", key2,
			 rnd(s) % 2 ? "Exists" : "DoesNotExist"); break;
	}
}

static void gen_cnp_peer(FILE *f, unsigned *s, bool egress, bool *networks)
{
	unsigned k = rnd(s) % (egress ? 9 : 5);

	if (k < 2) {
		fputs("{namespaces: ", f);
		gen_selector(f, s, "team", "env");
	} else if (k < 4) {
		fputs("{pods: {namespaceSelector: ", f);
		gen_selector(f, s, "team", "env");
		fputs(", podSelector: ", f);
		gen_selector(f, s, "app", "tier");
		fputc('}', f);
	} else if (k == 4 && rnd(s) % 4 == 0 && egress) {
		fputs("{nodes: {}", f);
		*networks = true;
	} else if (k == 4) {
		fputs("{namespaces: {}", f);
	} else {
		unsigned b = rnd(s) % 3;

		*networks = true;
		if (k == 8 && rnd(s) % 2)
			fprintf(f, "{networks: ['fd00::%x/128', 10.%u.0.0/16]", 1 + rnd(s) % 8, b);
		else if (k == 8)
			fprintf(f, "{networks: ['fd00::/%u']", 120 + rnd(s) % 9);
		else if (rnd(s) % 2)
			fprintf(f, "{networks: [10.%u.%u.0/24]", b, rnd(s) % 3);
		else
			fprintf(f, "{networks: [10.%u.0.0/16]", b);
	}
	fputc('}', f);
}

static void gen_cnp_rule(FILE *f, unsigned *s, bool egress)
{
	static const char *const actions[] = { "Accept", "Deny", "Pass" };
	unsigned np = 1 + rnd(s) % 2, nports = rnd(s) % 3;
	bool networks = false;
	size_t len = 0;
	char *peers = NULL;
	FILE *pf = open_memstream(&peers, &len);

	for (unsigned i = 0; i < np; i++) {
		fputs(i ? ", " : "", pf);
		gen_cnp_peer(pf, s, egress, &networks);
	}
	fclose(pf);
	fprintf(f, "  - action: %s\n    %s: [%s]\n", actions[rnd(s) % 3], egress ? "to" : "from",
		peers);
	free(peers);
	if (!nports)
		return;
	fputs("    protocols:\n", f);
	for (unsigned i = 0; i < nports; i++) {
		unsigned k = rnd(s) % 6;

		if (k == 0 && !networks)
			fprintf(f, "    - destinationNamedPort: %s\n", rnd(s) % 2 ? "http" : "alt");
		else if (k == 1)
			fprintf(f, "    - tcp: {destinationPort: {range: {start: %u, end: %u}}}\n", 80 + rnd(s) % 2,
				82 + rnd(s) % 3);
		else if (k == 2)
			fputs("    - udp: {destinationPort: {number: 53}}\n", f);
		else if (k == 3)
			fputs("    - sctp: {destinationPort: {number: 9}}\n", f);
		else
			fprintf(f, "    - tcp: {destinationPort: {number: %u}}\n", 80 + rnd(s) % 4);
	}
}

static void gen_np(FILE *f, unsigned *s, unsigned i)
{
	static const char *const nss[] = { "n0", "n1", "n2" };

	fprintf(f, "---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
		   "metadata: {name: np%u, namespace: %s}\nspec:\n  podSelector: ", i, nss[rnd(s) % 3]);
	gen_selector(f, s, "app", "tier");
	fprintf(f, "\n  policyTypes: [%s]\n", rnd(s) % 2 ? "Ingress" : "Ingress, Egress");
	for (int d = 0; d < 2; d++) {
		unsigned nr = rnd(s) % 3;

		if (!nr)
			continue;
		fprintf(f, "  %s:\n", d ? "egress" : "ingress");
		for (unsigned r = 0; r < nr; r++) {
			fprintf(f, "  - %s: [{namespaceSelector: ", d ? "to" : "from");
			gen_selector(f, s, "team", "env");
			fputs(", podSelector: ", f);
			gen_selector(f, s, "app", "tier");
			fprintf(f, "}]\n    ports: [{port: %u}, {port: http}]\n", 80 + rnd(s) % 4);
		}
	}
}

static char *gen_policies(unsigned *s)
{
	unsigned n_cnp = 1 + rnd(s) % 5, n_np = rnd(s) % 3;
	size_t len = 0;
	char *buf = NULL;
	FILE *f = open_memstream(&buf, &len);

	for (unsigned p = 0; p < n_cnp; p++) {
		bool banp = rnd(s) % 2;

		fprintf(f, "---\napiVersion: policy.networking.k8s.io/v1alpha2\nkind: ClusterNetworkPolicy\n"
			   "metadata: {name: c%u}\nspec:\n  tier: %s\n  priority: %u\n  subject: ", p,
			banp ? "Baseline" : "Admin", rnd(s) % 3);
		if (rnd(s) % 2) {
			fputs("{namespaces: ", f);
			gen_selector(f, s, "team", "env");
			fputs("}\n", f);
		} else {
			fputs("{pods: {namespaceSelector: ", f);
			gen_selector(f, s, "team", "env");
			fputs(", podSelector: ", f);
			gen_selector(f, s, "app", "tier");
			fputs("}}\n", f);
		}
		for (int d = 0; d < 2; d++) {
			unsigned nr = rnd(s) % 4;

			if (!nr)
				continue;
			fprintf(f, "  %s:\n", d ? "egress" : "ingress");
			for (unsigned r = 0; r < nr; r++)
				gen_cnp_rule(f, s, d);
		}
	}
	for (unsigned p = 0; p < n_np; p++)
		gen_np(f, s, p);
	fclose(f);
	return buf;
}

static char *gen_inventory(unsigned *s, unsigned n)
{
	size_t len = 0;
	char *buf = NULL;
	FILE *f = open_memstream(&buf, &len);

	fputs("namespaces:\n", f);
	for (unsigned i = 0; i < 3; i++)
		fprintf(f, "  - {name: n%u, labels: {team: %s%s}}\n", i, vals[rnd(s) % 3],
			rnd(s) % 2 ? ", env: prod" : "");
	fputs("workloads:\n", f);
	for (unsigned i = 0; i < n; i++) {
		fprintf(f, "  - name: w%u\n    namespace: n%u\n    labels: {app: %s%s}\n", i, rnd(s) % 3,
			vals[rnd(s) % 3], rnd(s) % 2 ? ", tier: x" : "");
		fprintf(f, "    ips: [10.%u.%u.%u, \"fd00::%x\"]\n", rnd(s) % 3, rnd(s) % 3, i + 1, i + 1);
		fprintf(f, "    ports:\n      - {name: http, port: %u}\n      - {name: alt, port: %u, protocol: %s}\n",
			80 + rnd(s) % 4, rnd(s) % 2 ? 53 : 80 + rnd(s) % 4, rnd(s) % 2 ? "UDP" : "TCP");
	}
	fclose(f);
	return buf;
}

static void gen_endpoint(const struct bh_inventory *inv, size_t i, int fam,
			 const char *const *outside, struct bh_endpoint *ep)
{
	memset(ep, 0, sizeof(*ep));
	if (i < inv->n_wl) {
		ep->wl = &inv->wl[i];
		ep->addr = inv->wl[i].ips[fam];
		return;
	}
	assert_int_equal(bh_addr_parse(outside[(i - inv->n_wl) * 2 + (unsigned)fam], &ep->addr), 0);
	ep->wl = bh_inventory_find_ip(inv, &ep->addr);
}

/* The reference's decider for one direction, in the compiled decision's terms. */
static void ref_decide(const struct loaded *l, const struct bh_endpoint *self, const struct bh_endpoint *peer,
		       int dir, uint8_t proto, uint16_t port, struct bh_decision *out)
{
	struct bh_eval_hit hit;
	bool iso;
	int a;

	out->tier = BH_TIER_MAX;
	out->rule = BH_RULE_NONE;
	out->allowed = bh_eval_dir(l->pols, l->inv, self, peer, dir, proto, port, &iso);
	a = bh_eval_tier(l->pols, l->inv, self, peer, dir, proto, port, BH_TIER_ADMIN, &hit);
	if (a != BH_ACT_ACCEPT && a != BH_ACT_DENY) {
		if (iso) {
			out->tier = BH_TIER_NP;
			return;
		}
		a = bh_eval_tier(l->pols, l->inv, self, peer, dir, proto, port, BH_TIER_BASELINE, &hit);
		if (a != BH_ACT_ACCEPT && a != BH_ACT_DENY)
			return;
		out->tier = BH_TIER_BASELINE;
	} else {
		out->tier = BH_TIER_ADMIN;
	}
	/* the rule id the compiler gave that rule: look it up by reference */
	for (uint32_t id = 0; id < l->c->n_rules; id++) {
		const struct bh_rule_ref *r = &l->c->rules[id];

		if (r->tier == out->tier && r->policy == hit.policy && r->rule == hit.rule && r->dir == dir)
			out->rule = id;
	}
}

static void cross_dir(const struct loaded *l, const struct bh_explain_dir *ed,
		      const struct bh_endpoint *self, const struct bh_endpoint *peer, int dir,
		      uint8_t proto, uint16_t port, unsigned *tiers)
{
	struct bh_decision ref;

	if (!self->wl)
		return;
	ref_decide(l, self, peer, dir, proto, port, &ref);
	if (ref.allowed != ed->dec.allowed || ref.tier != ed->dec.tier ||
	    (ref.tier != BH_TIER_NP && ref.rule != ed->dec.rule))
		fail_msg("%s: compiled %s by tier %u rule %u, reference %s by tier %u rule %u",
			 dir ? "egress" : "ingress", ed->dec.allowed ? "allow" : "deny", ed->dec.tier,
			 ed->dec.rule, ref.allowed ? "allow" : "deny", ref.tier, ref.rule);
	tiers[ref.tier]++;
}

static void test_generated_crosscheck(void **state)
{
	static const char *const ports[] = { "53/udp", "80/tcp", "81/tcp", "82/tcp", "83/tcp", "84/tcp",
					     "9/sctp", "53/tcp" };
	static const char *const outside[] = { "10.0.0.250", "fd00::f0", "10.1.0.250", "fd00::ff",
					       "192.0.2.1", "2001:db8::1" };
	unsigned checked = 0, allowed = 0, tiers[BH_TIER_MAX + 1] = { 0 };

	(void)state;
	for (unsigned seed = 1; seed <= 300; seed++) {
		unsigned s = seed;
		char *inv = gen_inventory(&s, 7), *pol = gen_policies(&s);
		struct loaded l;

		load(inv, pol, &l);
		check_stages(l.c);
		for (size_t i = 0; i < l.inv->n_wl + 3; i++)
			for (size_t j = 0; j < l.inv->n_wl + 3; j++)
				for (int fam = 0; fam < 2; fam++)
					for (size_t p = 0; p < sizeof(ports) / sizeof(ports[0]); p++) {
						struct bh_endpoint from, to;
						struct bh_explain e;
						uint8_t proto;
						uint16_t port;
						bool ref;

						if (i == j || (i >= l.inv->n_wl && j >= l.inv->n_wl))
							continue;
						gen_endpoint(l.inv, i, fam, outside, &from);
						gen_endpoint(l.inv, j, fam, outside, &to);
						bh_port_spec_parse(ports[p], &proto, &port);
						bh_explain_conn(l.c, &from, &to, proto, port, &e);
						ref = bh_eval_conn(l.pols, l.inv, &from, &to, proto, port);
						checked++;
						allowed += ref;
						if (ref != e.allowed) {
							fprintf(stderr, "seed %u\n%s\n%s\n", seed, inv, pol);
							bh_explain_print(stderr, l.c, &from, &to, proto, port, &e);
							fail_msg("compiled and reference disagree (reference: %s)",
								 ref ? "allow" : "deny");
						}
						cross_dir(&l, &e.egress, &from, &to, BH_EGRESS, proto, port, tiers);
						cross_dir(&l, &e.ingress, &to, &from, BH_INGRESS, proto, port, tiers);
					}
		unload(&l);
		free(inv);
		free(pol);
	}
	/* the generator must produce both answers, and decisions in every tier, in quantity */
	assert_true(allowed > checked / 10 && allowed < checked - checked / 10);
	for (int t = 0; t <= BH_TIER_MAX; t++)
		assert_true(tiers[t] > checked / 50);
	print_message("checked %u connections, %u allowed; decided by Admin %u, NetworkPolicy %u, "
		      "Baseline %u, default %u\n", checked, allowed, tiers[BH_TIER_ADMIN], tiers[BH_TIER_NP],
		      tiers[BH_TIER_BASELINE], tiers[BH_TIER_MAX]);
}

int main(void)
{
	struct CMUnitTest tests[sizeof(cases) / sizeof(cases[0]) + 5];
	size_t n = 0;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		tests[n++] = (struct CMUnitTest){ cases[i].name, test_case, NULL, NULL, (void *)&cases[i] };
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_decisions);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_icmp);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_element_limit);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_generated_crosscheck);
	return _cmocka_run_group_tests("tiers", tests, n, NULL, NULL);
}
