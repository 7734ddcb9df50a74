#!/usr/bin/env bash
# The libnftnl builder and the text renderer must produce the same kernel
# objects: for every workload, `nft -f` of `bulkhead compile --workload`
# in one namespace and `bulkhead apply` in another give identical
# `nft -j list table inet bulkhead` (handles aside; set and map contents,
# comments and log prefixes included) and identical expressions as nft
# decodes them. The t-* workloads carry the ClusterNetworkPolicy tiers:
# verdict maps, stage and deny chains, audit pipelines, the trampoline.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/lib.sh"
need_tools
T=$(mktemp -d /tmp/bh-match.XXXXXX)
on_exit "rm -rf $T"
mkdir "$T/pol"
ip netns add "$NSP-text" || { nok "scratch namespace"; exit 1; }
on_exit "ip netns del $NSP-text"

names=(db web api mon audited logall quiet wide big t-admin t-base t-trial t-mixed)
for n in "${names[@]}"; do
	ip netns add "$NSP-$n" || { nok "namespace $n"; exit 1; }
	on_exit "ip netns del $NSP-$n"
done

# a workload with many peers: 300 addresses (none adjacent, so no ranges merge)
{
	echo "namespaces: [{name: shop, labels: {team: shop}}, {name: ops, labels: {team: ops}}, {name: tiers, labels: {tenant: t}}]"
	echo "workloads:"
	echo "  - {name: db, namespace: shop, labels: {app: db}, netns: $(ns_path db), ips: [10.200.0.11, 'fd00:200::11'], ports: [{name: pg, port: 5432}]}"
	echo "  - {name: web, namespace: shop, labels: {app: web}, netns: $(ns_path web), ips: [10.200.0.12, 'fd00:200::12']}"
	echo "  - {name: api, namespace: shop, labels: {app: api}, netns: $(ns_path api), ips: [10.200.0.13], ports: [{name: http, port: 8080}, {name: dns, port: 53, protocol: UDP}]}"
	echo "  - {name: mon, namespace: ops, labels: {app: mon}, netns: $(ns_path mon), ips: [10.200.0.14, 'fd00:200::14']}"
	echo "  - {name: audited, namespace: shop, labels: {app: audited}, netns: $(ns_path audited), ips: [10.200.0.15]}"
	echo "  - {name: logall, namespace: shop, labels: {app: logall}, netns: $(ns_path logall), ips: [10.200.0.16]}"
	echo "  - {name: quiet, namespace: shop, labels: {app: quiet}, netns: $(ns_path quiet), ips: [10.200.0.17]}"
	echo "  - {name: wide, namespace: shop, labels: {app: wide}, netns: $(ns_path wide), ips: [10.200.0.18]}"
	echo "  - {name: big, namespace: shop, labels: {app: big}, netns: $(ns_path big), ips: [10.200.0.19]}"
	echo "  - {name: t-admin, namespace: tiers, labels: {app: t-admin}, netns: $(ns_path t-admin), ips: [10.200.0.21, 'fd00:200::21'], ports: [{name: http, port: 8080}, {name: dns, port: 53, protocol: UDP}]}"
	echo "  - {name: t-base, namespace: tiers, labels: {app: t-base}, netns: $(ns_path t-base), ips: [10.200.0.22, 'fd00:200::22'], ports: [{name: http, port: 80}]}"
	echo "  - {name: t-trial, namespace: tiers, labels: {app: t-trial}, netns: $(ns_path t-trial), ips: [10.200.0.23]}"
	echo "  - {name: t-mixed, namespace: tiers, labels: {app: t-mixed}, netns: $(ns_path t-mixed), ips: [10.200.0.24, 'fd00:200::24']}"
	for ((i = 0; i < 300; i++)); do
		echo "  - {name: peer$i, namespace: ops, labels: {role: peer}, ips: [10.201.$((i / 100)).$((i % 100 * 2 + 1))]}"
	done
} >"$T/inv.yaml"

cat >"$T/pol/p.yaml" <<'EOF2'
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: db-a-rather-long-policy-name-to-make-the-comment-longer-than-the-limit, namespace: shop}
spec:
  podSelector: {matchLabels: {app: db}}
  policyTypes: [Ingress, Egress]
  ingress:
    - from: [{podSelector: {matchLabels: {app: web}}}, {namespaceSelector: {matchLabels: {team: ops}}, podSelector: {matchLabels: {app: mon}}}]
      ports: [{port: pg}, {port: 9000, endPort: 9100}, {port: 5353, protocol: UDP}]
    - from: [{ipBlock: {cidr: 192.168.0.0/16, except: [192.168.1.0/24, 192.168.7.7/32]}}, {ipBlock: {cidr: 'fd00:300::/48'}}]
  egress:
    - to: [{podSelector: {matchLabels: {app: api}}}]
      ports: [{port: http}, {port: dns, protocol: UDP}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: db-another-long-policy-name-so-that-the-isolators-do-not-fit, namespace: shop}
spec:
  podSelector: {matchLabels: {app: db}}
  ingress: [{from: [{podSelector: {matchLabels: {app: api}}}]}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: api-open, namespace: shop}
spec:
  podSelector: {matchLabels: {app: api}}
  ingress: [{}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: audit-only, namespace: shop, annotations: {bulkhead.io/mode: audit}}
spec:
  podSelector: {matchLabels: {app: audited}}
  policyTypes: [Ingress, Egress]
  ingress: [{from: [{podSelector: {matchLabels: {app: web}}}], ports: [{port: 80}]}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: log-all, namespace: shop, annotations: {bulkhead.io/log: all}}
spec:
  podSelector: {matchLabels: {app: logall}}
  ingress: [{from: [{namespaceSelector: {}}]}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: log-all-audit, namespace: shop, annotations: {bulkhead.io/log: all, bulkhead.io/mode: audit}}
spec:
  podSelector: {matchLabels: {app: logall}}
  policyTypes: [Egress]
  egress: [{to: [{ipBlock: {cidr: 10.0.0.0/8}}]}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: no-log, namespace: shop, annotations: {bulkhead.io/log: none}}
spec:
  podSelector: {matchLabels: {app: quiet}}
  policyTypes: [Ingress, Egress]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: wide, namespace: shop}
spec:
  podSelector: {matchLabels: {app: wide}}
  policyTypes: [Ingress, Egress]
  ingress: [{from: [{ipBlock: {cidr: 0.0.0.0/0}}, {ipBlock: {cidr: '::/0'}}], ports: [{port: 1, endPort: 65535}, {protocol: UDP}]}]
  egress: [{to: [{ipBlock: {cidr: 0.0.0.0/1}}, {ipBlock: {cidr: 128.0.0.0/1, except: [255.255.255.255/32]}}]}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: big, namespace: shop}
spec:
  podSelector: {matchLabels: {app: big}}
  ingress:
    - from: [{namespaceSelector: {matchLabels: {team: ops}}, podSelector: {matchLabels: {role: peer}}}]
      ports: [{port: 80}, {port: 443}, {port: 8000, endPort: 8080}, {port: 53, protocol: UDP}]
EOF2

cat >"$T/pol/tiers.yaml" <<'EOF2'
apiVersion: policy.networking.k8s.io/v1alpha2
kind: ClusterNetworkPolicy
metadata: {name: t-guard}
spec:
  tier: Admin
  priority: 5
  subject: {pods: {namespaceSelector: {matchLabels: {tenant: t}}, podSelector: {matchExpressions: [{key: app, operator: In, values: [t-admin, t-mixed]}]}}}
  ingress:
    - {name: ops, action: Accept, from: [{namespaces: {matchLabels: {team: ops}}}], protocols: [{destinationNamedPort: http}, {udp: {destinationPort: {range: {start: 5000, end: 5100}}}}]}
    - {name: shop-to-np, action: Pass, from: [{namespaces: {matchLabels: {team: shop}}}], protocols: [{tcp: {destinationPort: {number: 8080}}}]}
    - {name: shop, action: Deny, from: [{namespaces: {matchLabels: {team: shop}}}]}
  egress:
    - {name: metadata, action: Deny, to: [{networks: [169.254.169.254/32, 'fd00:ec2::254/128']}]}
    - {name: api, action: Accept, to: [{pods: {namespaceSelector: {}, podSelector: {matchLabels: {app: api}}}}], protocols: [{destinationNamedPort: dns}]}
    - {name: nodes, action: Deny, to: [{nodes: {}}], protocols: [{tcp: {destinationPort: {number: 22}}}]}
---
apiVersion: policy.networking.k8s.io/v1alpha2
kind: ClusterNetworkPolicy
metadata: {name: t-default, annotations: {bulkhead.io/log: none}}
spec:
  tier: Baseline
  priority: 100
  subject: {namespaces: {matchLabels: {tenant: t}}}
  ingress:
    - {action: Accept, from: [{namespaces: {matchLabels: {tenant: t}}}]}
    - {action: Deny, from: [{namespaces: {}}]}
  egress:
    - {action: Pass, to: [{networks: [10.200.0.0/24]}]}
    - {action: Deny, to: [{networks: [0.0.0.0/0, '::/0']}]}
---
apiVersion: policy.networking.k8s.io/v1alpha2
kind: ClusterNetworkPolicy
metadata: {name: t-trial, annotations: {bulkhead.io/mode: audit, bulkhead.io/log: all}}
spec:
  tier: Baseline
  priority: 50
  subject: {pods: {namespaceSelector: {}, podSelector: {matchExpressions: [{key: app, operator: In, values: [t-trial, t-mixed]}]}}}
  ingress: [{action: Deny, from: [{namespaces: {matchLabels: {team: ops}}}]}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: t-admin-in, namespace: tiers}
spec:
  podSelector: {matchLabels: {app: t-admin}}
  ingress: [{from: [{namespaceSelector: {}}], ports: [{port: 8080}]}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: t-mixed-audit, namespace: tiers, annotations: {bulkhead.io/mode: audit}}
spec:
  podSelector: {matchLabels: {app: t-mixed}}
  policyTypes: [Egress]
  egress: [{to: [{ipBlock: {cidr: 10.200.0.0/24}}]}]
EOF2

# unowned: table flags (owner, persist) are not part of the text nft 1.0.6 reads
out=$("$BULKHEAD" apply --table-mode unowned --generation 7 --inventory "$T/inv.yaml" \
	--policies "$T/pol" 2>&1)
check_eq "apply exits 0" 0 "$?"
diag "$(grep -v '^ops/peer' <<<"$out")"

for n in "${names[@]}"; do
	w=shop/$n
	[ "$n" = mon ] && w=ops/mon
	case $n in t-*) w=tiers/$n ;; esac
	ip netns exec "$NSP-text" nft flush ruleset
	if ! "$BULKHEAD" compile --generation 7 --inventory "$T/inv.yaml" --policies "$T/pol" \
		--workload "$w" >"$T/$n.nft" 2>"$T/$n.err"; then
		nok "$w: bulkhead compile"
		diag "$(cat "$T/$n.err")"
		continue
	fi
	if ! grep -q 'jump ' "$T/$n.nft"; then
		# unisolated: apply removes the table, the text still has base chains
		check_eq "$w: unisolated, apply left no table" "" \
			"$(ip netns exec "$NSP-$n" nft list table inet bulkhead 2>/dev/null)"
		continue
	fi
	if ! ip netns exec "$NSP-text" nft -f "$T/$n.nft" 2>"$T/$n.nfterr"; then
		nok "$w: nft -f of the compiled text"
		diag "$(head -5 "$T/$n.nfterr")"
		continue
	fi
	nft_json text >"$T/$n.text.json"
	nft_json "$n" >"$T/$n.built.json"
	if diff -u "$T/$n.text.json" "$T/$n.built.json" >"$T/$n.diff"; then
		ok "$w: nft -j list identical ($(wc -l <"$T/$n.built.json") objects)"
	else
		nok "$w: nft -j list differs"
		diag "$(head -20 "$T/$n.diff")"
	fi
	# the expressions as nft decodes them from the kernel (registers, lengths)
	ip netns exec "$NSP-text" nft --debug=netlink list table inet bulkhead 2>&1 |
		sed 's/handle [0-9]*//' >"$T/$n.text.nl"
	ip netns exec "$NSP-$n" nft --debug=netlink list table inet bulkhead 2>&1 |
		sed 's/handle [0-9]*//' >"$T/$n.built.nl"
	check "$w: netlink expressions identical" cmp -s "$T/$n.text.nl" "$T/$n.built.nl"
done
# non-default log options reach both the same way
ip netns exec "$NSP-text" nft flush ruleset
"$BULKHEAD" compile --generation 9 --log-group 7 --log-rate 0 --inventory "$T/inv.yaml" \
	--policies "$T/pol" --workload shop/db | ip netns exec "$NSP-text" nft -f -
"$BULKHEAD" apply --table-mode unowned --generation 9 --log-group 7 --log-rate 0 --inventory "$T/inv.yaml" \
	--policies "$T/pol" >/dev/null 2>&1
check_eq "log options: identical listings" "$(nft_json text)" "$(nft_json db)"
check "log options: no limit, group 7" bash -c "ip netns exec $NSP-db nft list chain inet bulkhead ingress | grep -q 'log prefix \"bh/9/i/d\" group 7\$'"
check "a comment was cut to the limit" grep -q 'comment ".*\.\.\."' "$T/db.nft"
# the tier workloads got what they are there for
check "t-admin: admin and baseline maps, NetworkPolicy between" \
	grep -q 'jump ingress_admin comment "admin: t-guard; isolated by tiers/t-admin-in"' "$T/t-admin.nft"
check "t-admin: a Pass goes on to the NetworkPolicy chain" grep -q ' : goto ingress$\| : goto ingress,' "$T/t-admin.nft"
check "t-base: baseline only, log none: no log statement" bash -c "grep -q 'chain egress_baseline_deny' '$T/t-base.nft' && ! grep -q 'log prefix' '$T/t-base.nft'"
check "t-trial: audit only, through the trampoline" grep -q 'goto ingress_audit_baseline$' "$T/t-trial.nft"
check "t-mixed: an audit NetworkPolicy after the admin stage" grep -q 'chain egress_audit {' "$T/t-mixed.nft"
check "the big table has more than 1000 set elements" \
	bash -c "[ \$(grep -cE ' \\. (tcp|udp) \\. ' '$T/big.nft') -gt 1000 ]"

# ---- element deltas: the agent sends only changed set elements, and the
# table it leaves equals the full replacement (nft -f of the same compile).
# A concatenated set lists its elements in the order they were added, so
# elements are compared as sets (sorted); everything else as it is listed.
sorted_elems() {
	python3 -c '
import json, sys
for line in sys.stdin:
    o = json.loads(line)
    s = o.get("set")
    if s and "elem" in s:
        s["elem"] = sorted(s["elem"], key=lambda e: json.dumps(e, sort_keys=True))
    print(json.dumps(o, sort_keys=True))'
}
AGENT_PID=
stop_agent() { [ -n "$AGENT_PID" ] && kill "$AGENT_PID" 2>/dev/null && wait "$AGENT_PID" 2>/dev/null; AGENT_PID=; }
on_exit stop_agent
wait_log() {	# JQFILTER: up to 10 s
	local i
	for ((i = 0; i < 100; i++)); do
		jq -e -c "select($1)" "$T/agent.json" 2>/dev/null | grep -q . && return 0
		sleep 0.1
	done
	return 1
}
status_gen() { "$BULKHEAD" status --json --control "$T/ctl" | jq ".workloads[]|select(.name==\"$1\")|.generation"; }
cp "$T/inv.yaml" "$T/agent-inv.yaml"
"$BULKHEAD" agent --policies "$T/pol" --inventory "$T/agent-inv.yaml" --control "$T/ctl" \
	--log "$T/agent.json" --debounce-ms 20 --resync-interval 0 --table-mode unowned 2>"$T/agent.err" &
AGENT_PID=$!
check "delta: agent ready" wait_log '.event.action=="ready"'
declare -A gen0
for n in db big logall audited; do gen0[$n]=$(status_gen "$n"); done
# one more web (db, logall and audited admit it), one peer less (big and logall)
{
	grep -v '{name: peer7,' "$T/inv.yaml"
	echo "  - {name: web2, namespace: shop, labels: {app: web}, ips: [10.200.0.42, 'fd00:200::42']}"
} >"$T/inv2.tmp"
mv "$T/inv2.tmp" "$T/agent-inv.yaml"
# (workloads the tiers select get the whole table: their verdict maps are not sets of peers)
check "delta: the change went out as set elements in the four namespaces" \
	wait_log '.event.action=="reconciled" and .bulkhead.elements_only >= 4'
diag "$(jq -c 'select(.event.action=="reconciled") | .bulkhead' "$T/agent.json" | tail -1)"
for n in db big logall audited; do
	check_eq "delta: $n keeps its rules and their generation" "${gen0[$n]}" "$(status_gen "$n")"
	ip netns exec "$NSP-text" nft flush ruleset
	"$BULKHEAD" compile --generation "${gen0[$n]}" --inventory "$T/agent-inv.yaml" --policies "$T/pol" \
		--workload "shop/$n" | ip netns exec "$NSP-text" nft -f - || nok "delta: nft -f for $n"
	nft_json text | sorted_elems >"$T/$n.full.json"
	nft_json "$n" | sorted_elems >"$T/$n.delta.json"
	if cmp -s "$T/$n.full.json" "$T/$n.delta.json"; then
		ok "delta: shop/$n: nft -j list equals the full replacement"
	else
		nok "delta: shop/$n: nft -j list equals the full replacement"
		diff "$T/$n.full.json" "$T/$n.delta.json" | head -10 | sed 's/^/# /'
	fi
done
check "delta: web2 is in db's set" bash -c "ip netns exec $NSP-db nft list table inet bulkhead | grep -q 10.200.0.42"
check_not "delta: peer7 left big's set" bash -c "ip netns exec $NSP-big nft list table inet bulkhead | grep -q '10.201.0.15 '"
stop_agent
