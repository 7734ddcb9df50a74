#!/usr/bin/env bash
# The agent's event-to-enforced latency: a workload is added to the
# inventory (atomic rename) while 10, 100 or 500 workloads run under 100
# policies; measured by the agent (inotify event -> every affected namespace
# programmed, from its "reconciled" lines) and from outside (rename -> the
# new namespace's table visible, polled). Also the namespaces touched per
# event (only the new workload and the ones whose peer sets include it
# should be), start-up time to "ready", and the agent's RSS. Ratios are
# against the 10-workload run. Plain `ip netns` namespaces, no traffic.
# The outside figure polls with nsenter + nft (about 30 ms a poll), so it
# is coarser than the agent's own.
#   BULKHEAD=./bulkhead bash bench/agent.sh [ADDS_PER_SIZE]
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
: "${BULKHEAD:=$ROOT/bulkhead}"
ADDS=${1:-20}
SIZES=(10 100 500)
NPOL=100
NSVC=50
MAXN=$((SIZES[-1] + ADDS))
P=bhag$$
T=$(mktemp -d /tmp/bh-bench-agent.XXXXXX)
AGENT=
cleanup() {
	[ -n "$AGENT" ] && kill -9 "$AGENT" 2>/dev/null
	for ((i = 0; i < MAXN; i++)); do echo "netns del $P-$i"; done | ip -force -batch - 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

bash "$ROOT/bench/kernel-info"
echo "creating $MAXN namespaces..."
for ((i = 0; i < MAXN; i++)); do echo "netns add $P-$i"; done | ip -batch - || exit 1

# 100 policies: service k admits service k+1 on 8080 and a monitoring block on
# 9100, and may call service k-1 on 8080 (NSVC services, two policies each)
mkdir "$T/pol"
for ((k = 0; k < NSVC; k++)); do
	cat >"$T/pol/s$k.yaml" <<EOP
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: s$k-in, namespace: app}
spec:
  podSelector: {matchLabels: {app: s$k}}
  ingress:
    - from: [{podSelector: {matchLabels: {app: s$(((k + 1) % NSVC))}}}]
      ports: [{port: 8080}]
    - from: [{ipBlock: {cidr: 10.99.$k.0/24}}]
      ports: [{port: 9100}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: s$k-out, namespace: app}
spec:
  podSelector: {matchLabels: {app: s$k}}
  policyTypes: [Egress]
  egress:
    - to: [{podSelector: {matchLabels: {app: s$(((k + NSVC - 1) % NSVC))}}}]
      ports: [{port: 8080}]
EOP
done

inventory() {	# COUNT
	echo "namespaces: [{name: app, labels: {team: app}}]"
	echo "workloads:"
	for ((i = 0; i < $1; i++)); do
		echo "  - {name: w$i, namespace: app, labels: {app: s$((i % NSVC))}, netns: /run/netns/$P-$i, ips: [10.70.$((i / 200)).$((i % 200 + 1))]}"
	done
}

pct() {	# P: percentile of the numbers on stdin
	sort -n | awk -v p="$1" '{ v[NR] = $1 } END { if (!NR) { print 0; exit } i = int((NR * p + 99) / 100); if (i < 1) i = 1; print v[i] }'
}

reconciled() { grep -c '"action":"reconciled"' "$T/log.json" 2>/dev/null || echo 0; }

declare -A P50 P99 X50 X99 TOUCH RSS READY
for n in "${SIZES[@]}"; do
	inventory "$n" >"$T/inv.yaml"
	rm -f "$T/log.json"
	"$BULKHEAD" agent --policies "$T/pol" --inventory "$T/inv.yaml" --log "$T/log.json" \
		--control "$T/ctl.sock" --debounce-ms 0 --resync-interval 0 2>"$T/err" &
	AGENT=$!
	for ((w = 0; w < 600; w++)); do
		grep -q '"action":"ready"' "$T/log.json" 2>/dev/null && break
		sleep 0.1
	done
	READY[$n]=$(grep '"action":"ready"' "$T/log.json" | jq '.bulkhead.startup_ms')
	: >"$T/ext"
	for ((j = 0; j < ADDS; j++)); do
		k=$((n + j))
		before=$(reconciled)
		inventory "$((k + 1))" >"$T/inv.tmp"
		t0=$(date +%s%N)
		mv "$T/inv.tmp" "$T/inv.yaml"
		until nsenter --net="/run/netns/$P-$k" nft list table inet bulkhead >/dev/null 2>&1; do
			[ $(( $(date +%s%N) - t0 )) -gt 10000000000 ] && { echo "timeout adding w$k" >&2; break; }
		done
		echo $(( ($(date +%s%N) - t0) / 1000 )) >>"$T/ext"
		for ((w = 0; w < 100; w++)); do [ "$(reconciled)" -gt "$before" ] && break; sleep 0.02; done
		# the inventory for the next add is rewritten with the new workload kept
	done
	RSS[$n]=$(awk '/VmRSS/ { print $2 }' /proc/$AGENT/status)
	jq -c 'select(.event.action=="reconciled" and .bulkhead.event_to_enforced_ms != null) |
		[.bulkhead.event_to_enforced_ms, .bulkhead.namespaces_touched]' "$T/log.json" |
		tr -d '[]' >"$T/int"
	P50[$n]=$(cut -d, -f1 "$T/int" | pct 50)
	P99[$n]=$(cut -d, -f1 "$T/int" | pct 99)
	TOUCH[$n]=$(cut -d, -f2 "$T/int" | awk '{ s += $1 } END { printf "%.1f", NR ? s / NR : 0 }')
	X50[$n]=$(awk '{ printf "%.3f\n", $1 / 1000 }' "$T/ext" | pct 50)
	X99[$n]=$(awk '{ printf "%.3f\n", $1 / 1000 }' "$T/ext" | pct 99)
	kill -TERM "$AGENT"; wait "$AGENT"; AGENT=
	# the next size starts from clean namespaces
	for ((i = 0; i < n + ADDS; i++)); do
		ip netns exec "$P-$i" nft delete table inet bulkhead 2>/dev/null
	done
done

printf '\n%d policies, %d added workloads per size, --debounce-ms 0 (the default 200 ms adds to every figure)\n' "$NPOL" "$ADDS"
printf '%-10s %12s %12s %14s %14s %10s %10s %10s %8s\n' workloads "agent p50 ms" "agent p99 ms" "outside p50 ms" "outside p99 ms" "ns/event" "ready ms" "RSS KiB" "p50 x"
for n in "${SIZES[@]}"; do
	ratio=$(awk -v a="${P50[$n]}" -v b="${P50[${SIZES[0]}]}" 'BEGIN { printf "%.1f", (b > 0 ? a / b : 0) }')
	printf '%-10s %12s %12s %14s %14s %10s %10.1f %10s %8s\n' "$n" "${P50[$n]}" "${P99[$n]}" \
		"${X50[$n]}" "${X99[$n]}" "${TOUCH[$n]}" "${READY[$n]}" "${RSS[$n]}" "$ratio"
done
L=${SIZES[-1]}
echo "summary: agent: add a workload at $L workloads: p50 ${P50[$L]} ms, p99 ${P99[$L]} ms (x$(awk -v a="${P50[$L]}" -v b="${P50[${SIZES[0]}]}" 'BEGIN { printf "%.1f", (b > 0 ? a / b : 0) }') vs ${SIZES[0]}), ${TOUCH[$L]} namespaces touched per event, RSS ${RSS[$L]} KiB"
