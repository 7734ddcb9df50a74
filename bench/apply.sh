#!/usr/bin/env bash
# Programming latency: `bulkhead apply` (one netlink transaction per
# namespace, from one process) against `nft -f` of the very same compiled
# text (`bulkhead compile --workload`, with "table; delete table" in front
# so it is the same atomic replacement), run in the same namespaces in the
# same run: for 1 namespace, for 200 namespaces, and for one namespace
# whose table holds 10,000 set elements. Median of RUNS runs; compilation
# is inside bulkhead's time, and nft's per-namespace process start is in
# its time (that is what programming 200 namespaces with nft costs).
#   BULKHEAD=./bulkhead bash bench/apply.sh [RUNS]
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
: "${BULKHEAD:=$ROOT/bulkhead}"
RUNS=${1:-5}
NW=200
P=bhb$$
T=$(mktemp -d /tmp/bh-bench-apply.XXXXXX)
cleanup() {
	local i
	for ((i = 0; i < NW; i++)); do ip netns del "$P-$i" 2>/dev/null; done
	ip netns del "$P-big" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
for ((i = 0; i < NW; i++)); do ip netns add "$P-$i" || exit 1; done
ip netns add "$P-big" || exit 1

# 200 workloads of 4 tiers; each tier admits the one in front of it on two
# ports and the monitoring namespace on one: about 100 set elements a table
mkdir "$T/pol"
inventory() {	# inventory NETNS_COUNT
	echo "namespaces: [{name: app, labels: {team: app}}, {name: mon, labels: {team: mon}}]"
	echo "workloads:"
	for ((i = 0; i < NW; i++)); do
		local ns=""
		[ "$i" -lt "$1" ] && ns=", netns: /run/netns/$P-$i"
		echo "  - {name: w$i, namespace: app, labels: {app: svc, tier: t$((i % 4))}, ips: [10.60.$((i / 100)).$((i % 100 * 2 + 1))]$ns}"
	done
	for ((i = 0; i < 20; i++)); do
		echo "  - {name: m$i, namespace: mon, labels: {app: mon}, ips: [10.61.0.$((i * 2 + 1))]}"
	done
}
inventory >"$T/inv200.yaml" "$NW"
inventory >"$T/inv1.yaml" 1
cat >"$T/pol/tier0.yaml" <<'EOF2'
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: tier0, namespace: app}
spec:
  podSelector: {matchLabels: {tier: t0}}
  ingress:
    - from: [{namespaceSelector: {matchLabels: {team: mon}}}]
      ports: [{port: 9100}, {port: 80}]
EOF2
for t in 1 2 3; do
	cat >>"$T/pol/tiers.yaml" <<EOF2
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: tier$t, namespace: app}
spec:
  podSelector: {matchLabels: {tier: t$t}}
  ingress:
    - from: [{podSelector: {matchLabels: {tier: t$((t - 1))}}}]
      ports: [{port: 8080}, {port: 8443}]
    - from: [{namespaceSelector: {matchLabels: {team: mon}}}]
      ports: [{port: 9100}]
EOF2
done
# one namespace with 100 peers x 100 ports = 10,000 elements
{
	echo "workloads:"
	echo "  - {name: big, namespace: app, labels: {app: big}, netns: /run/netns/$P-big, ips: [10.70.255.1]}"
} >"$T/invbig.yaml"
{
	echo "apiVersion: networking.k8s.io/v1"
	echo "kind: NetworkPolicy"
	echo "metadata: {name: big, namespace: app}"
	echo "spec:"
	echo "  podSelector: {matchLabels: {app: big}}"
	echo "  ingress:"
	echo "    - from:"
	for ((i = 0; i < 100; i++)); do echo "      - ipBlock: {cidr: 10.70.$((i / 100)).$((i % 100 * 2 + 1))/32}"; done
	echo "      ports:"
	for ((j = 0; j < 100; j++)); do echo "      - {port: $((2000 + 2 * j))}"; done
} >"$T/big.yaml"

now() { date +%s.%N; }
median() { sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

# nft_files INV POLICIES WORKLOAD...: per-namespace replacement files for nft -f
nft_files() {
	local inv=$1 pol=$2 i=0 w
	shift 2
	for w in "$@"; do
		{
			echo "table inet bulkhead"
			echo "delete table inet bulkhead"
			"$BULKHEAD" compile --generation 1 --inventory "$inv" --policies "$pol" --workload "$w"
		} >"$T/nft.$i"
		i=$((i + 1))
	done
}

# measure LABEL INV POLICIES NSCOUNT NSNAMES...
measure() {
	local label=$1 inv=$2 pol=$3 count=$4; shift 4
	local names=("$@") r t0 i
	"$BULKHEAD" apply --inventory "$inv" --policies "$pol" --generation 1 >"$T/apply.out" 2>&1 ||
		{ echo "apply failed:"; cat "$T/apply.out"; return 1; }
	for ((r = 0; r < RUNS; r++)); do
		t0=$(now)
		"$BULKHEAD" apply --force --generation 1 --inventory "$inv" --policies "$pol" >/dev/null 2>&1 || return 1
		awk -v s="$t0" -v e="$(now)" 'BEGIN { printf "%.6f\n", e - s }'
	done | median >"$T/bh.time"
	# bulkhead's tables are persistent where the kernel allows: nft's
	# "table inet bulkhead" would try to clear that flag (EOPNOTSUPP), so
	# nft starts from no table (untimed), then replaces its own
	for ((i = 0; i < ${#names[@]}; i++)); do
		ip netns exec "${names[$i]}" nft delete table inet bulkhead 2>/dev/null
	done
	for ((r = 0; r < RUNS; r++)); do
		t0=$(now)
		for ((i = 0; i < ${#names[@]}; i++)); do
			ip netns exec "${names[$i]}" nft -f "$T/nft.$i" || return 1
		done
		awk -v s="$t0" -v e="$(now)" 'BEGIN { printf "%.6f\n", e - s }'
	done | median >"$T/nft.time"
	# the same text must have been loaded: both listings equal
	if [ "$(ip netns exec "${names[0]}" nft list table inet bulkhead | wc -l)" -lt 10 ]; then
		echo "nothing loaded"; return 1
	fi
	label="$label ($(grep -o '[0-9]* set elements' "$T/apply.out" | head -1))"
	awk -v l="$label" -v b="$(cat "$T/bh.time")" -v n="$(cat "$T/nft.time")" -v e="$count" 'BEGIN {
		printf "%-46s %10.1f ms %10.1f ms   x%.1f\n", l, b * 1000, n * 1000, n / b
		printf "summary: apply %s: bulkhead %.1f ms, nft -f %.1f ms (x%.1f)\n", l, b * 1000, n * 1000, n / b
	}'
}

# process start alone, for scale (the machine's load shows here too)
for ((r = 0; r < RUNS; r++)); do
	t0=$(now); "$BULKHEAD" --version >/dev/null
	awk -v s="$t0" -v e="$(now)" 'BEGIN { printf "%.6f\n", e - s }'
done | median >"$T/start.bh"
for ((r = 0; r < RUNS; r++)); do
	t0=$(now); ip netns exec "$P-0" nft --version >/dev/null
	awk -v s="$t0" -v e="$(now)" 'BEGIN { printf "%.6f\n", e - s }'
done | median >"$T/start.nft"

bash "$ROOT/bench/kernel-info"
printf "%-46s %13s %13s   %s\n" "apply latency (median of $RUNS)" "bulkhead" "nft -f" "ratio"
awk -v b="$(cat "$T/start.bh")" -v n="$(cat "$T/start.nft")" 'BEGIN {
	printf "%-46s %10.1f ms %10.1f ms\n", "(process start: --version)", b * 1000, n * 1000 }'
nft_files "$T/inv1.yaml" "$T/pol" app/w0
measure "1 namespace" "$T/inv1.yaml" "$T/pol" 1 "$P-0" || exit 1
names=() wls=()
for ((i = 0; i < NW; i++)); do names+=("$P-$i"); wls+=("app/w$i"); done
nft_files "$T/inv200.yaml" "$T/pol" "${wls[@]}"
measure "$NW namespaces" "$T/inv200.yaml" "$T/pol" "$NW" "${names[@]}" || exit 1
mkdir "$T/polbig" && cp "$T/big.yaml" "$T/polbig/"
nft_files "$T/invbig.yaml" "$T/polbig" app/big
measure "1 namespace, big" "$T/invbig.yaml" "$T/polbig" 1 "$P-big" || exit 1
echo "(bulkhead: the whole command, loading and compiling included; nft -f: one"
echo " 'ip netns exec nft -f' per namespace of the same compiled text; ratio = nft / bulkhead)"
