#!/usr/bin/env bash
# bulkhead apply against real namespaces: NetworkPolicy semantics checked
# with real connections (TCP and UDP, IPv4 and IPv6), replies, policy
# changes under running connections, address changes, idempotence, reset.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/lib.sh"
need_tools
T=$(mktemp -d /tmp/bh-apply.XXXXXX)
on_exit "rm -rf $T"
mkdir "$T/pol"

# workloads (10.200.0.N):        db 11, web 12, api 13, mon 14 (ops), x 15 (other),
#                                cache 16, job 17 (ops)
for w in db:11 web:12 api:13 mon:14 x:15 cache:16 job:17; do
	ns_add "${w%%:*}" "${w##*:}" || { nok "namespace ${w%%:*}"; exit 1; }
done
serve db tcp 5432 8080 udp 5353 5354 || nok "servers in db"
serve api tcp 8080 8081 9005 9011 || nok "servers in api"
serve cache tcp 8080 8081 || nok "servers in cache"
serve mon tcp 7000 || nok "servers in mon"

cat >"$T/inv.yaml" <<EOF2
namespaces:
  - {name: shop, labels: {team: shop}}
  - {name: ops, labels: {team: ops}}
  - {name: other, labels: {team: other}}
workloads:
  - {name: db, namespace: shop, labels: {app: db}, netns: $(ns_path db),
     ips: [10.200.0.11, "fd00:200::11"], ports: [{name: pg, port: 5432}]}
  - {name: web, namespace: shop, labels: {app: web}, netns: $(ns_path web)}
  - {name: api, namespace: shop, labels: {app: api}, netns: $(ns_path api),
     ips: [10.200.0.13, "fd00:200::13"], ports: [{name: http, port: 8080}]}
  - {name: mon, namespace: ops, labels: {app: mon}, netns: $(ns_path mon),
     ips: [10.200.0.14, "fd00:200::14"]}
  - {name: x, namespace: other, labels: {app: web}, netns: $(ns_path x),
     ips: [10.200.0.15, "fd00:200::15"]}
  - {name: cache, namespace: shop, labels: {app: cache}, netns: $(ns_path cache),
     ips: [10.200.0.16, "fd00:200::16"], ports: [{name: http, port: 8081, protocol: TCP}]}
  - {name: job, namespace: ops, labels: {app: job}, netns: $(ns_path job),
     ips: [10.200.0.17, "fd00:200::17"]}
EOF2

# ---- before any policy everything is open ------------------------------------
probe_ok "no policy: web -> db:8080" web tcp 10.200.0.11 8080
probe_ok "no policy: web -> mon:7000" web tcp 10.200.0.14 7000

cat >"$T/pol/db.yaml" <<'EOF2'
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: db-deny, namespace: shop}
spec:
  podSelector: {matchLabels: {app: db}}
  policyTypes: [Ingress, Egress]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: db-from-web, namespace: shop}
spec:
  podSelector: {matchLabels: {app: db}}
  ingress:
    - from: [{podSelector: {matchLabels: {app: web}}}]
      ports: [{port: pg}, {port: 5353, protocol: UDP}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: db-from-ops, namespace: shop}
spec:
  podSelector: {matchLabels: {app: db}}
  ingress:
    - from: [{namespaceSelector: {matchLabels: {team: ops}}}]
      ports: [{port: 8080}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: db-egress, namespace: shop}
spec:
  podSelector: {matchLabels: {app: db}}
  policyTypes: [Egress]
  egress:
    - to: [{podSelector: {matchLabels: {app: cache}}}]
EOF2
cat >"$T/pol/api.yaml" <<'EOF2'
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: api-from-ops-mon, namespace: shop}
spec:
  podSelector: {matchLabels: {app: api}}
  ingress:
    - from: [{namespaceSelector: {matchLabels: {team: ops}}, podSelector: {matchLabels: {app: mon}}}]
      ports: [{port: 9000, endPort: 9010}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: http-from-web, namespace: shop}
spec:
  podSelector:
    matchExpressions: [{key: app, operator: In, values: [api, cache]}]
  ingress:
    - from: [{podSelector: {matchLabels: {app: web}}}]
      ports: [{port: http}]
EOF2
cat >"$T/pol/cache.yaml" <<'EOF2'
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: cache-ipblock, namespace: shop}
spec:
  podSelector: {matchLabels: {app: cache}}
  ingress:
    - from: [{ipBlock: {cidr: 10.200.0.0/24, except: [10.200.0.12/32]}}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web-egress, namespace: shop}
spec:
  podSelector: {matchLabels: {app: web}}
  policyTypes: [Egress]
  egress:
    - to: [{podSelector: {matchExpressions: [{key: app, operator: In, values: [db, api, cache]}]}}]
EOF2

out=$("$BULKHEAD" apply --inventory "$T/inv.yaml" --policies "$T/pol" 2>&1)
rc=$?
check_eq "apply exits 0" 0 "$rc"
[ "$rc" -eq 0 ] || diag "$out"
check "summary line for shop/db" grep -q "^shop/db: enforced (ingress isolated, egress isolated, [0-9]* set elements) in $(ns_path db)\$" <<<"$out"
check "mon is unisolated" grep -q "^ops/mon: unisolated" <<<"$out"
check_eq "unisolated workload has no table" "" "$(nft_table mon)"
check "web's IPv4 address was read from its namespace" \
	bash -c "ip netns exec $(ns_name db) nft list set inet bulkhead in4 | grep -q '10.200.0.12 '"
check "web's IPv6 address was read from its namespace" \
	bash -c "ip netns exec $(ns_name db) nft list set inet bulkhead in6 | grep -q 'fd00:200::12 '"
check "no link-local or loopback address was taken" \
	bash -c "! ip netns exec $(ns_name db) nft list table inet bulkhead | grep -qE 'fe80:|127\\.0\\.0\\.1|::1 '"

# ---- ingress: podSelector, namespaceSelector, both, union -------------------------
probe_ok "podSelector: web -> db:5432" web tcp 10.200.0.11 5432
probe_denied "default deny: web -> db:8080" web tcp 10.200.0.11 8080
probe_denied "default deny: api -> db:5432" api tcp 10.200.0.11 5432
probe_denied "podSelector is namespace-scoped: other/x -> db:5432" x tcp 10.200.0.11 5432
probe_ok "namespaceSelector: ops/mon -> db:8080" mon tcp 10.200.0.11 8080
probe_ok "namespaceSelector: ops/job -> db:8080" job tcp 10.200.0.11 8080
probe_denied "namespaceSelector port only: ops/mon -> db:5432" mon tcp 10.200.0.11 5432
probe_ok "both selectors: ops/mon -> api:9005" mon tcp 10.200.0.13 9005
probe_denied "both selectors: ops/job -> api:9005" job tcp 10.200.0.13 9005
probe_denied "endPort bound: ops/mon -> api:9011" mon tcp 10.200.0.13 9011

# ---- named ports resolve per destination ---------------------------------------------
probe_ok "named port http=8080 on api: web -> api:8080" web tcp 10.200.0.13 8080
probe_denied "named port is not 8081 on api: web -> api:8081" web tcp 10.200.0.13 8081
probe_ok "named port http=8081 on cache: web -> cache:8081" web tcp 10.200.0.16 8081
probe_denied "named port is not 8080 on cache: web -> cache:8080" web tcp 10.200.0.16 8080

# ---- ipBlock with except -----------------------------------------------------------------
probe_ok "ipBlock: api -> cache:8080" api tcp 10.200.0.16 8080
probe_denied "ipBlock except: web (10.200.0.12) -> cache:8080" web tcp 10.200.0.16 8080

# ---- UDP --------------------------------------------------------------------------------
probe_ok "UDP allowed: web -> db:5353" web udp 10.200.0.11 5353
probe_denied "UDP other port: web -> db:5354" web udp 10.200.0.11 5354

# ---- egress ------------------------------------------------------------------------------
probe_denied "egress isolated: web -> mon:7000" web tcp 10.200.0.14 7000
probe_ok "egress not isolated: api -> mon:7000" api tcp 10.200.0.14 7000
probe_denied "egress isolated: db -> mon:7000" db tcp 10.200.0.14 7000
probe_ok "egress allowed: db -> cache:8080" db tcp 10.200.0.16 8080
# web -> db:5432 above needed db's egress (isolated, no rule to web) for the replies
probe_ok "replies pass both isolated ends: web -> db:5432 again" web tcp 10.200.0.11 5432

# ---- IPv6 (neighbour discovery through isolated chains) ----------------------------------
# no neighbour entries left from before: resolution itself must pass the rules
for n in web db mon api; do ns_exec "$n" ip -6 neigh flush all; done
probe_ok "IPv6: web -> db:5432" web tcp fd00:200::11 5432
probe_denied "IPv6 denied: web -> db:8080" web tcp fd00:200::11 8080
probe_ok "IPv6: mon -> api:9005" mon tcp fd00:200::13 9005
probe_denied "IPv6 egress: web -> mon:7000" web tcp fd00:200::14 7000
probe_ok "IPv6 UDP: web -> db:5353" web udp fd00:200::11 5353

# ---- applying again changes nothing -------------------------------------------------------
before=$(nft_table db)
out=$("$BULKHEAD" apply --inventory "$T/inv.yaml" --policies "$T/pol" 2>&1)
check_eq "second apply exits 0" 0 "$?"
check "second apply reports unchanged" grep -q "^shop/db: enforced, unchanged" <<<"$out"
check_eq "second apply: identical table" "$before" "$(nft_table db)"
"$BULKHEAD" apply --force --inventory "$T/inv.yaml" --policies "$T/pol" >/dev/null 2>&1
check_eq "forced apply: identical table" "$(sed 's/packets [0-9]* bytes [0-9]*/C/' <<<"$before")" \
	"$(nft_table db | sed 's/packets [0-9]* bytes [0-9]*/C/')"

# ---- a policy change on top of running connections -----------------------------------------
# The connection must be established before the change and still held after
# it: wait for it in web's socket table, and hold it long enough (5 s).
ip netns exec "$(ns_name web)" "$BHPROBE" hold 10.200.0.11 5432 --count 50 --interval-ms 100 --timeout-ms 2000 &
hold=$!
on_exit "kill $hold"
held() { [ -n "$(ns_exec web ss -Htn state established dst 10.200.0.11 'dport = :5432')" ]; }
eventually 5 held
cat >"$T/pol/extra.yaml" <<'EOF2'
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: db-from-mon-pg, namespace: shop}
spec:
  podSelector: {matchLabels: {app: db}}
  ingress:
    - from: [{namespaceSelector: {}, podSelector: {matchLabels: {app: mon}}}]
      ports: [{port: 5432}]
EOF2
"$BULKHEAD" apply --inventory "$T/inv.yaml" --policies "$T/pol" >"$T/out" 2>&1
check_eq "apply of a changed policy exits 0" 0 "$?"
check "the connection was held across the change" held
check "changed policy in effect: mon -> db:5432" can_reach mon tcp 10.200.0.11 5432
check "established connection survived the change" wait "$hold"

# ---- a workload whose address changes --------------------------------------------------------
ns_exec web ip addr del 10.200.0.12/24 dev eth0
ns_exec web ip addr add 10.200.0.22/24 dev eth0
probe_denied "new address not yet allowed: web -> db:5432" web tcp 10.200.0.11 5432
"$BULKHEAD" apply --inventory "$T/inv.yaml" --policies "$T/pol" >"$T/out" 2>&1
check_eq "re-apply after the address change exits 0" 0 "$?"
probe_ok "new address allowed after re-apply: web -> db:5432" web tcp 10.200.0.11 5432
check "old address gone from db's set" bash -c "! ip netns exec $(ns_name db) nft list set inet bulkhead in4 | grep -q '10.200.0.12 '"

# ---- dry run ----------------------------------------------------------------------------------
before=$(nft_table db)
rm "$T/pol/extra.yaml"
out=$("$BULKHEAD" apply --dry-run --inventory "$T/inv.yaml" --policies "$T/pol" 2>&1)
check_eq "dry run exits 0" 0 "$?"
check "dry run says validated" grep -q "^shop/db: validated (dry run)" <<<"$out"
check_eq "dry run changes nothing" "$before" "$(nft_table db)"

# ---- an empty policy directory leaves every workload unisolated ----------------------------
mkdir "$T/empty"
out=$("$BULKHEAD" apply --inventory "$T/inv.yaml" --policies "$T/empty" 2>&1)
check_eq "apply with no policies exits 0" 0 "$?"
check "no policies: db unisolated" grep -q "^shop/db: unisolated" <<<"$out"
check_eq "no policies: db's table removed" "" "$(nft_table db)"
probe_ok "no policies: web -> db:8080" web tcp 10.200.0.11 8080
"$BULKHEAD" apply --inventory "$T/inv.yaml" --policies "$T/pol" >/dev/null 2>&1
check "policies back: db isolated again" bash -c "ip netns exec $(ns_name db) nft list table inet bulkhead >/dev/null"

# ---- reset removes only our table ----------------------------------------------------------------
ns_exec db nft add table inet unrelated
ns_exec db nft add chain inet unrelated c
out=$("$BULKHEAD" reset --inventory "$T/inv.yaml" 2>&1)
check_eq "reset exits 0" 0 "$?"
check_eq "reset removed our table" "" "$(nft_table db)"
check "reset kept the unrelated table" ns_exec db nft list chain inet unrelated c
probe_ok "after reset: web -> db:8080" web tcp 10.200.0.11 8080
out=$("$BULKHEAD" reset --inventory "$T/inv.yaml" 2>&1)
check_eq "reset without tables exits 0" 0 "$?"
