#!/usr/bin/env bash
# Limits in the agent and in apply: a policy set over a limit is refused like
# an invalid one (invalid-policy, file:line), the last good rules stay in
# force, workload changes still apply with them, and the refused set never
# reaches the kernel. Limits come from flags and from a `limits:` section.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/agent_lib.sh"

D=$(mktemp -d /tmp/bha-limits.XXXXXX)
on_exit "rm -rf $D"
mkdir -p "$D/pol"

mk_hub || { nok "hub namespace"; exit 1; }
mk_ns web 10.98.0.1 && mk_ns api 10.98.0.2 && mk_ns db 10.98.0.3 || { nok "namespaces"; exit 1; }
listen db 5432

write_inventory() {	# API_LABEL
	cat >"$D/inv.yaml.tmp" <<EOI
workloads:
  - {name: web, namespace: shop, labels: {app: web}, netns: /run/netns/$P-web, ips: [10.98.0.1]}
  - {name: api, namespace: shop, labels: {app: $1}, netns: /run/netns/$P-api, ips: [10.98.0.2]}
  - {name: db, namespace: shop, labels: {app: db}, netns: /run/netns/$P-db, ips: [10.98.0.3]}
EOI
	mv "$D/inv.yaml.tmp" "$D/inv.yaml"
}
write_inventory api

cat >"$D/pol/db.yaml" <<'EOF2'
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: db-from-api, namespace: shop}
spec:
  podSelector: {matchLabels: {app: db}}
  ingress:
    - from: [{podSelector: {matchLabels: {app: api}}}]
      ports: [{port: 5432}]
EOF2

# amp N FILE: N rules of a /16 minus one /32 each on distinct ports: N*N elements for db
amp() {
	python3 - "$1" "$2" <<'EOF2'
import sys
n, path = int(sys.argv[1]), sys.argv[2]
with open(path + ".tmp", "w") as f:
    f.write("apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
            "metadata: {name: amp, namespace: shop}\nspec:\n"
            "  podSelector: {matchLabels: {app: db}}\n  ingress:\n")
    for i in range(n):
        f.write(f"    - from: [{{ipBlock: {{cidr: 10.1.0.0/16, except: [10.1.0.{i}/32]}}}}]\n"
                f"      ports: [{{port: {2000 + i}}}]\n")
EOF2
	mv "$2.tmp" "$2"
}

gen() { "$BULKHEAD" status --json --control "$CTL" | jq .generation; }
# elems NAME: elements of set in4 in NAME's table
elems() {
	ip netns exec "$P-${1:-db}" nft -j list set inet bulkhead in4 |
		jq '[.nftables[] | select(.set) | .set.elem // [] | length] | add'
}

# the element limit from the config file's limits: section, a loader limit from a flag
CTL=$D/ctl.sock
printf 'limits:\n  elements-per-set: 1000\n' >"$D/agent.yaml"
start_agent "$D/log.json" --config "$D/agent.yaml" --policies "$D/pol" --inventory "$D/inv.yaml" \
	--control "$CTL" --debounce-ms 100 --limit-peers-per-rule 2
check "ready" eventually 10 log_has '.event.action=="ready"'
check "api -> db:5432 allowed" probe api 10.98.0.3 5432
check_not "web -> db:5432 denied" probe web 10.98.0.3 5432
gen0=$(gen)
n0=$(elems)

# 40 rules -> 40 x 39 + 40 = 1,600 elements for db (400 for 20): over the limit of 1,000
# from the config file
amp 40 "$D/pol/amp.yaml"
check "over the element limit: invalid-policy naming policy, workload and set at file:line" \
	eventually 5 log_has '.event.action=="invalid-policy" and (.message|test("amp.yaml:1:1: policy shop/amp: workload shop/db: set in4 would hold more than 1000 elements"))'
check "reported on stderr too" grep -q "amp.yaml:1:1: .*--limit-elements-per-set" "$D/log.json.err"
check_eq "generation unchanged" "$gen0" "$(gen)"
check_eq "db's set unchanged in the kernel" "$n0" "$(elems)"
check "last good rules stay: api -> db:5432 allowed" probe api 10.98.0.3 5432
check_not "last good rules stay: web -> db:5432 denied" probe web 10.98.0.3 5432
check "status shows the limit" bash -c "'$BULKHEAD' status --control '$CTL' | grep -q 'elements-per-set'"

# a workload change while the refused set is on disk: applied with the last good set
write_inventory other
check "inventory edit still enforced: api -> db:5432 denied" \
	eventually 5 bash -c "! ip netns exec $P-api timeout 1 bash -c 'exec 3<>/dev/tcp/10.98.0.3/5432' 2>/dev/null"
check "recompiled with the last good set" bash -c "[ \$('$BULKHEAD' status --json --control '$CTL' | jq .generation) -gt $gen0 ]"
write_inventory api
check "inventory back: api -> db:5432 allowed" eventually 5 probe api 10.98.0.3 5432

# a refused policy edit and a workload change in one reconcile: the workload
# change is compiled with the last good set
invalid_more() { [ "$(count_lines '.event.action=="invalid-policy"')" -gt "$1" ]; }
n_inv=$(count_lines '.event.action=="invalid-policy"')
amp 41 "$D/pol/amp.yaml"
write_inventory other
check "edited together: the policy refused" eventually 5 invalid_more "$n_inv"
check "edited together: the inventory edit enforced (api -> db:5432 denied)" \
	eventually 5 bash -c "! ip netns exec $P-api timeout 1 bash -c 'exec 3<>/dev/tcp/10.98.0.3/5432' 2>/dev/null"
check_eq "edited together: db's set has the last good rules only" "$((n0 - 1))" "$(elems)"
write_inventory api
check "inventory back again: api -> db:5432 allowed" eventually 5 probe api 10.98.0.3 5432

# within the limit: 20 rules -> 400 elements, enforced
gen1=$(gen)
amp 20 "$D/pol/amp.yaml"
check "within the limit: applied" eventually 5 bash -c "[ \$('$BULKHEAD' status --json --control '$CTL' | jq .generation) -gt $gen1 ]"
check_eq "within the limit: its 400 elements in the kernel" "$((n0 + 400))" "$(elems)"
rm -f "$D/pol/amp.yaml"
check "amp removed: back to the first rules" eventually 5 bash -c "[ \"\$(ip netns exec $P-db nft -j list set inet bulkhead in4 | jq '[.nftables[] | select(.set) | .set.elem // [] | length] | add')\" = $n0 ]"

# a loader limit from a flag: 3 peers in a rule, 2 allowed
gen2=$(gen)
cat >"$D/pol/peers.yaml" <<'EOF2'
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: peers, namespace: shop}
spec:
  podSelector: {matchLabels: {app: db}}
  ingress:
    - from: [{podSelector: {matchLabels: {app: web}}}, {ipBlock: {cidr: 192.0.2.0/24}}, {ipBlock: {cidr: 198.51.100.0/24}}]
EOF2
check "over the peer limit: invalid-policy at the list" \
	eventually 5 log_has '.event.action=="invalid-policy" and (.message|test("peers.yaml:7:13: spec.ingress\\[0\\].from: 3 peers, more than the limit of 2"))'
check_eq "over the peer limit: generation unchanged" "$gen2" "$(gen)"
check_not "over the peer limit: web -> db:5432 still denied" probe web 10.98.0.3 5432
rm -f "$D/pol/peers.yaml"
kill -TERM "$AGENT_PID"; wait "$AGENT_PID"

# nothing valid to start with: the agent stops with status 2, like invalid policies
amp 40 "$D/pol/amp.yaml"
start_agent "$D/log2.json" --policies "$D/pol" --inventory "$D/inv.yaml" --control "$CTL" \
	--limit-elements-per-set 1000
rc=0
for ((i = 0; i < 100; i++)); do kill -0 "$AGENT_PID" 2>/dev/null || break; sleep 0.1; done
wait "$AGENT_PID" || rc=$?
check_eq "start over a limit: exit status 2 (invalid input)" 2 "$rc"
check "start over a limit: invalid-policy reported" log_has '.event.action=="invalid-policy"'
check_not "start over a limit: never ready" log_has '.event.action=="ready"'
check "start over a limit: the tables of the last run stay" has_table db
check_not "start over a limit: web -> db:5432 still denied" probe web 10.98.0.3 5432

# apply refuses before anything reaches the kernel
ip netns add "$P-fresh" && on_exit "ip netns del $P-fresh"
printf 'workloads:\n  - {name: db, namespace: shop, labels: {app: db}, netns: /run/netns/%s-fresh, ips: [10.98.0.9]}\n' "$P" >"$D/fresh.yaml"
out=$("$BULKHEAD" apply --inventory "$D/fresh.yaml" --policies "$D/pol" --limit-elements-per-set 1000 2>&1)
rc=$?
check_eq "apply over a limit: exit 2 (invalid input)" 2 "$rc"
check "apply over a limit: the error names policy, workload and set" \
	grep -q "amp.yaml:1:1: error: policy shop/amp: workload shop/db: set in4 would hold more than 1000 elements" <<<"$out"
check_not "apply over a limit: no table in the namespace" has_table fresh
"$BULKHEAD" apply --inventory "$D/fresh.yaml" --policies "$D/pol" --limit-elements-per-set 1600 >/dev/null 2>&1
check "apply at the limit (1,600 elements): programmed" has_table fresh
check_eq "apply at the limit: every element in the kernel" 1600 "$(elems fresh)"
