#!/usr/bin/env bash
# ClusterNetworkPolicy tiers against real namespaces and real connections:
# Admin Deny over a NetworkPolicy allow, Admin Accept over a NetworkPolicy
# isolation, Pass on to NetworkPolicy, Baseline only where no NetworkPolicy
# decided, Baseline Pass, networks over IPv4 and IPv6, port ranges, named
# ports, priority order, rule order within a policy, TCP and UDP. Then the
# agent's log: each denied line names the tier, policy and rule, the Pass
# hops, an attempt a tier accepted at the other end, and an audit tier's
# would-deny lines.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/agent_lib.sh"
need_tools
T=$(mktemp -d /tmp/bh-tiers.XXXXXX)
on_exit "rm -rf $T"
mkdir "$T/pol"

# workloads (10.200.0.N): shop/web 11, shop/db 12, shop/api 13, ops/prom 14,
# tenant-b/other 15, free/lone 16; meta 17 is outside the inventory and also
# answers on 169.254.169.254 and fd00:ec2::254, like an instance metadata service
for w in web:11 db:12 api:13 prom:14 other:15 lone:16 meta:17; do
	ns_add "${w%%:*}" "${w##*:}" || { nok "namespace ${w%%:*}"; exit 1; }
done
ns_exec meta ip addr add 169.254.169.254/32 dev eth0
ns_exec meta ip addr add fd00:ec2::254/128 dev eth0 nodad
for n in web prom; do
	ns_exec "$n" ip route add 169.254.169.254/32 dev eth0
	ns_exec "$n" ip -6 route add fd00:ec2::254/128 dev eth0
done
serve web tcp 80 8080 9100 9150 9200 || nok "servers in web"
serve db tcp 5432 9187 || nok "servers in db"
serve api tcp 8080 8081 udp 53 || nok "servers in api"
serve other tcp 80 8080 8081 || nok "servers in other"
serve lone tcp 80 || nok "servers in lone"
serve meta tcp 80 udp 53 || nok "servers in meta"

cat >"$T/inv.yaml" <<EOF2
namespaces:
  - {name: shop, labels: {tenant: shop}}
  - {name: ops, labels: {team: ops}}
  - {name: tenant-b, labels: {tenant: b}}
  - {name: free}
workloads:
  - {name: web, namespace: shop, labels: {app: web}, netns: $(ns_path web), ips: [10.200.0.11, "fd00:200::11"]}
  - {name: db, namespace: shop, labels: {app: db}, netns: $(ns_path db), ips: [10.200.0.12, "fd00:200::12"],
     ports: [{name: metrics, port: 9187}]}
  - {name: api, namespace: shop, labels: {app: api}, netns: $(ns_path api), ips: [10.200.0.13, "fd00:200::13"]}
  - {name: prom, namespace: ops, labels: {app: prometheus}, netns: $(ns_path prom), ips: [10.200.0.14, "fd00:200::14"]}
  - {name: other, namespace: tenant-b, labels: {app: other}, netns: $(ns_path other), ips: [10.200.0.15, "fd00:200::15"]}
  - {name: lone, namespace: free, labels: {app: lone}, netns: $(ns_path lone), ips: [10.200.0.16, "fd00:200::16"]}
EOF2

# NetworkPolicy: db takes 5432 from api, api takes 8080-8081 from web, web takes nothing
cat >"$T/pol/np.yaml" <<'EOF2'
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: db-from-api, namespace: shop}
spec:
  podSelector: {matchLabels: {app: db}}
  ingress: [{from: [{podSelector: {matchLabels: {app: api}}}], ports: [{port: 5432}]}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: api-from-web, namespace: shop}
spec:
  podSelector: {matchLabels: {app: api}}
  ingress: [{from: [{podSelector: {matchLabels: {app: web}}}], ports: [{port: 8080}, {port: 8081}, {port: 53, protocol: UDP}]}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web-deny-all, namespace: shop}
spec:
  podSelector: {matchLabels: {app: web}}
EOF2

cat >"$T/pol/admin.yaml" <<'EOF2'
# no workload reaches the metadata service, over IPv4 or IPv6, any protocol
apiVersion: policy.networking.k8s.io/v1alpha2
kind: ClusterNetworkPolicy
metadata: {name: metadata}
spec:
  tier: Admin
  priority: 0
  subject: {namespaces: {}}
  egress:
    - {name: instance-metadata, action: Deny, to: [{networks: [169.254.169.254/32, "fd00:ec2::254/128"]}]}
---
# monitoring may always scrape: a port range and a named port
apiVersion: policy.networking.k8s.io/v1alpha2
kind: ClusterNetworkPolicy
metadata: {name: monitoring}
spec:
  tier: Admin
  priority: 10
  subject: {namespaces: {matchExpressions: [{key: tenant, operator: Exists}]}}
  ingress:
    - name: scrape
      action: Accept
      from: [{pods: {namespaceSelector: {matchLabels: {team: ops}}, podSelector: {matchLabels: {app: prometheus}}}}]
      protocols: [{tcp: {destinationPort: {range: {start: 9100, end: 9199}}}}, {destinationNamedPort: metrics}]
---
# rule order within one policy, and a Deny over the NetworkPolicy's allow
apiVersion: policy.networking.k8s.io/v1alpha2
kind: ClusterNetworkPolicy
metadata: {name: api-guard}
spec:
  tier: Admin
  priority: 20
  subject: {pods: {namespaceSelector: {matchLabels: {tenant: shop}}, podSelector: {matchLabels: {app: api}}}}
  ingress:
    - {name: no-web-8081, action: Deny, from: [{pods: {namespaceSelector: {}, podSelector: {matchLabels: {app: web}}}}], protocols: [{tcp: {destinationPort: {number: 8081}}}]}
    - {name: tenant-b-8080, action: Accept, from: [{namespaces: {matchLabels: {tenant: b}}}], protocols: [{tcp: {destinationPort: {number: 8080}}}]}
    - {name: tenant-b-rest, action: Deny, from: [{namespaces: {matchLabels: {tenant: b}}}]}
---
# Pass: the NetworkPolicy decides 5432; everyone else is denied 5432
apiVersion: policy.networking.k8s.io/v1alpha2
kind: ClusterNetworkPolicy
metadata: {name: db-guard}
spec:
  tier: Admin
  priority: 30
  subject: {pods: {namespaceSelector: {}, podSelector: {matchLabels: {app: db}}}}
  ingress:
    - {name: shop-to-np, action: Pass, from: [{namespaces: {matchLabels: {tenant: shop}}}], protocols: [{tcp: {destinationPort: {number: 5432}}}]}
    - {name: no-pg, action: Deny, from: [{namespaces: {}}], protocols: [{tcp: {destinationPort: {number: 5432}}}]}
---
# priority order: 35 before 40 (Accept wins), 45 before 50 (Deny wins)
apiVersion: policy.networking.k8s.io/v1alpha2
kind: ClusterNetworkPolicy
metadata: {name: prio-40-deny-web}
spec:
  tier: Admin
  priority: 40
  subject: {namespaces: {matchLabels: {tenant: b}}}
  ingress: [{action: Deny, from: [{pods: {namespaceSelector: {}, podSelector: {matchLabels: {app: web}}}}]}]
---
apiVersion: policy.networking.k8s.io/v1alpha2
kind: ClusterNetworkPolicy
metadata: {name: prio-35-accept-web}
spec:
  tier: Admin
  priority: 35
  subject: {namespaces: {matchLabels: {tenant: b}}}
  ingress: [{action: Accept, from: [{pods: {namespaceSelector: {}, podSelector: {matchLabels: {app: web}}}}]}]
---
apiVersion: policy.networking.k8s.io/v1alpha2
kind: ClusterNetworkPolicy
metadata: {name: prio-50-accept-api}
spec:
  tier: Admin
  priority: 50
  subject: {namespaces: {matchLabels: {tenant: b}}}
  ingress: [{action: Accept, from: [{pods: {namespaceSelector: {}, podSelector: {matchLabels: {app: api}}}}]}]
---
apiVersion: policy.networking.k8s.io/v1alpha2
kind: ClusterNetworkPolicy
metadata: {name: prio-45-deny-api}
spec:
  tier: Admin
  priority: 45
  subject: {namespaces: {matchLabels: {tenant: b}}}
  ingress: [{action: Deny, from: [{pods: {namespaceSelector: {}, podSelector: {matchLabels: {app: api}}}}]}]
---
# web's egress to lone is accepted here; lone's Baseline denies it at the other end
apiVersion: policy.networking.k8s.io/v1alpha2
kind: ClusterNetworkPolicy
metadata: {name: web-out}
spec:
  tier: Admin
  priority: 60
  subject: {pods: {namespaceSelector: {}, podSelector: {matchLabels: {app: web}}}}
  egress: [{name: to-free, action: Accept, to: [{namespaces: {matchLabels: {kubernetes.io/metadata.name: free}}}], protocols: [{tcp: {destinationPort: {number: 80}}}]}]
---
# tried in audit mode: would-deny lines, nothing dropped
apiVersion: policy.networking.k8s.io/v1alpha2
kind: ClusterNetworkPolicy
metadata: {name: trial, annotations: {bulkhead.io/mode: audit}}
spec:
  tier: Admin
  priority: 70
  subject: {namespaces: {matchLabels: {team: ops}}}
  egress: [{name: no-lone, action: Deny, to: [{namespaces: {matchLabels: {kubernetes.io/metadata.name: free}}}]}]
EOF2

cat >"$T/pol/baseline.yaml" <<'EOF2'
# ops may reach the free namespace (Pass: allowed by default); nobody else
apiVersion: policy.networking.k8s.io/v1alpha2
kind: ClusterNetworkPolicy
metadata: {name: free-from-ops}
spec:
  tier: Baseline
  priority: 10
  subject: {namespaces: {matchLabels: {kubernetes.io/metadata.name: free}}}
  ingress: [{name: ops, action: Pass, from: [{namespaces: {matchLabels: {team: ops}}}]}]
---
# default deny for every namespace without a policy of its own
apiVersion: policy.networking.k8s.io/v1alpha2
kind: ClusterNetworkPolicy
metadata: {name: default-deny}
spec:
  tier: Baseline
  priority: 1000
  subject: {namespaces: {}}
  ingress: [{name: the-rest, action: Deny, from: [{namespaces: {}}, {pods: {namespaceSelector: {}, podSelector: {}}}]}]
EOF2

out=$("$BULKHEAD" check "$T/pol" 2>&1)
check "check accepts the tiers" grep -q '^ok: 15 policies in 3 files$' <<<"$out"
check "check lists the Admin tier by priority" grep -q '^  Admin priority 35: prio-35-accept-web$' <<<"$out"
out=$("$BULKHEAD" apply --inventory "$T/inv.yaml" --policies "$T/pol" 2>&1)
rc=$?
check_eq "apply exits 0" 0 "$rc"
[ "$rc" -eq 0 ] || diag "$out"
check "lone, in no NetworkPolicy, is enforced by the tiers" grep -q '^free/lone: enforced (ingress baseline tier, egress admin tier, ' <<<"$out"

# ---- networks, IPv4 and IPv6, every protocol --------------------------------------------
probe_denied "Admin networks: web -> 169.254.169.254:80" web tcp 169.254.169.254 80
probe_denied "Admin networks, UDP: web -> 169.254.169.254:53" web udp 169.254.169.254 53
probe_denied "Admin networks, IPv6: web -> fd00:ec2::254:80" web tcp fd00:ec2::254 80
probe_denied "Admin networks: prom -> 169.254.169.254:80" prom tcp 169.254.169.254 80
probe_ok "the same host outside the network: web -> 10.200.0.17:80" web tcp 10.200.0.17 80

# ---- Admin Accept over a NetworkPolicy isolation: port range, named port ---------------------
probe_ok "Accept over isolation, range start: prom -> web:9100" prom tcp 10.200.0.11 9100
probe_ok "Accept over isolation, inside the range: prom -> web:9150" prom tcp 10.200.0.11 9150
probe_denied "past the range the NetworkPolicy isolation denies: prom -> web:9200" prom tcp 10.200.0.11 9200
probe_ok "Accept over isolation, IPv6: prom -> web:9150" prom tcp fd00:200::11 9150
probe_ok "named port metrics=9187: prom -> db:9187" prom tcp 10.200.0.12 9187
probe_denied "not a metrics port, and db-guard denies 5432: prom -> db:5432" prom tcp 10.200.0.12 5432

# ---- Admin Deny over a NetworkPolicy allow; rule order ------------------------------------------
probe_ok "NetworkPolicy allows: web -> api:8080" web tcp 10.200.0.13 8080
probe_denied "Admin Deny over the allow: web -> api:8081" web tcp 10.200.0.13 8081
probe_ok "NetworkPolicy allows UDP: web -> api:53" web udp 10.200.0.13 53
probe_ok "rule order: Accept before Deny: other -> api:8080" other tcp 10.200.0.13 8080
probe_denied "rule order: the Deny after it: other -> api:8081" other tcp 10.200.0.13 8081

# ---- Pass on to NetworkPolicy ------------------------------------------------------------------
probe_ok "Pass, then the NetworkPolicy allows: api -> db:5432" api tcp 10.200.0.12 5432
probe_denied "Pass, then the NetworkPolicy denies: web -> db:5432" web tcp 10.200.0.12 5432
probe_denied "no Pass for another tenant: the Deny after it: other -> db:5432" other tcp 10.200.0.12 5432
probe_ok "Pass, IPv6: api -> db:5432" api tcp fd00:200::12 5432

# ---- priority order --------------------------------------------------------------------------------
probe_ok "priority 35 Accept before 40 Deny: web -> other:80" web tcp 10.200.0.15 80
probe_denied "priority 45 Deny before 50 Accept: api -> other:80" api tcp 10.200.0.15 80

# ---- Baseline: only where no NetworkPolicy decided; Pass -------------------------------------------
probe_denied "Baseline default deny: other -> lone:80" other tcp 10.200.0.16 80
probe_denied "Baseline default deny, IPv6: other -> lone:80" other tcp fd00:200::16 80
probe_ok "Baseline Pass: prom -> lone:80" prom tcp 10.200.0.16 80
probe_denied "Baseline default deny where no NetworkPolicy decided: db -> other:8080" db tcp 10.200.0.15 8080
probe_denied "egress accepted at Admin, ingress denied by Baseline: web -> lone:80" web tcp 10.200.0.16 80
probe_ok "no Baseline where a NetworkPolicy decided: api -> db:5432 again" api tcp 10.200.0.12 5432

# ---- explain says the same, naming tier, policy and rule ---------------------------------------------
X=("$BULKHEAD" explain --inventory "$T/inv.yaml" --policies "$T/pol")
out=$("${X[@]}" --from shop/web --to 169.254.169.254 --port 80/tcp)
check_eq "explain: metadata denied (exit 1)" 1 "$?"
check "explain names the Admin rule" grep -q 'Admin tier: denied by metadata#egress\[0\] ("instance-metadata"; priority 0' <<<"$out"
out=$("${X[@]}" --from shop/web --to shop/db --port 5432)
check "explain shows the Pass hop" grep -q 'Admin tier: passed by db-guard#ingress\[0\] ("shop-to-np"; priority 30.*): on to NetworkPolicy' <<<"$out"
out=$("${X[@]}" --from tenant-b/other --to free/lone --port 80)
check "explain: Baseline decided" grep -q 'Baseline tier: denied by default-deny#ingress\[0\]' <<<"$out"
m=$("${X[@]}" --matrix --port 80/tcp)
row=($(grep -E ' tenant-b/other ' <<<"$m"))
col=$(grep -E ' free/lone ' <<<"$m" | awk '{print $1}')
check_eq "the matrix counts the tiers: other -> lone denied" X "${row[$((col + 1))]}"
row=($(grep -E ' shop/web ' <<<"$m"))
col=$(grep -E ' tenant-b/other ' <<<"$m" | awk '{print $1}')
check_eq "the matrix counts the tiers: web -> other allowed by priority 35" . "${row[$((col + 1))]}"

# ---- the log: the agent names tier, policy and rule ----------------------------------------------------
"$BULKHEAD" reset --inventory "$T/inv.yaml" >/dev/null 2>&1
start_agent "$T/log.json" --policies "$T/pol" --inventory "$T/inv.yaml" --control "$T/ctl" --hostname node-t
check "agent ready" eventually 15 log_has '.event.action=="ready"'
probe_denied "agent: web -> 169.254.169.254:80" web tcp 169.254.169.254 80
probe_denied "agent: web -> db:5432" web tcp 10.200.0.12 5432
probe_denied "agent: web -> lone:80" web tcp 10.200.0.16 80
probe_denied "agent: other -> lone:80" other tcp 10.200.0.16 80
probe_ok "agent: audit tier lets it through: prom -> lone:80" prom tcp 10.200.0.16 80
check "log: Admin deny names tier, policy and rule" eventually 5 log_has \
	'.event.action=="denied" and .network.direction=="egress" and .bulkhead.tier=="Admin" and .bulkhead.policy=="metadata" and .bulkhead.rule=="metadata#egress[0]" and .bulkhead.rule_name=="instance-metadata" and .rule.name=="metadata#egress[0]"'
check "log: NetworkPolicy deny after a Pass names the hop" eventually 5 log_has \
	'.event.action=="denied" and .destination.port==5432 and .bulkhead.tier=="NetworkPolicy" and .rule.name=="default-deny" and .rule.ruleset=="shop/db-from-api" and .bulkhead.passed_by==["db-guard#ingress[0]"]'
check "log: Baseline deny with the Admin accept at the other end" eventually 5 log_has \
	'.event.action=="denied" and .source.ip=="10.200.0.11" and .destination.port==80 and .bulkhead.tier=="Baseline" and .bulkhead.rule=="default-deny#ingress[0]" and .bulkhead.accepted_by.tier=="Admin" and .bulkhead.accepted_by.rule=="web-out#egress[0]"'
check "log: Baseline deny" eventually 5 log_has \
	'.event.action=="denied" and .source.ip=="10.200.0.15" and .bulkhead.tier=="Baseline" and .bulkhead.policy=="default-deny"'
check "log: the audit tier's would-deny" eventually 5 log_has \
	'.event.action=="would-deny" and .source.ip=="10.200.0.14" and .bulkhead.tier=="Admin" and .bulkhead.rule=="trial#egress[0]"'
