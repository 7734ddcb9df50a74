#!/usr/bin/env bash
# How fast a change by another process is seen and undone. The agent runs
# in unowned mode over N namespaces; ROUNDS times, `nft delete table inet
# bulkhead` is run in one of them. Measured from the moment the command
# starts (so nft's own start-up is included): until the agent's `tamper`
# line (its @timestamp), until its `resync` line (the table replaced), and
# the agent's own figure from seeing the event to the table replaced.
# Targets: tamper line < 200 ms, repair < 100 ms. In owned mode the same
# command is refused by the kernel; the time of that refusal is the last row.
#   BULKHEAD=./bulkhead bash bench/tamper.sh [NAMESPACES] [ROUNDS]
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
: "${BULKHEAD:=$ROOT/bulkhead}"
N=${1:-50}
ROUNDS=${2:-40}
P=bht$$
T=$(mktemp -d /tmp/bh-bench-tamper.XXXXXX)
AGENT=
cleanup() {
	[ -n "$AGENT" ] && kill "$AGENT" 2>/dev/null && wait "$AGENT" 2>/dev/null
	for ((i = 0; i < N; i++)); do echo "netns del $P-$i"; done | ip -force -batch - 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
for ((i = 0; i < N; i++)); do echo "netns add $P-$i"; done | ip -batch - || exit 1
bash "$ROOT/bench/kernel-info"
mkdir "$T/pol"
cat >"$T/pol/p.yaml" <<'EOP'
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: in, namespace: app}
spec:
  podSelector: {matchLabels: {app: w}}
  ingress: [{from: [{podSelector: {matchLabels: {app: w}}}], ports: [{port: 8080}]}]
EOP
{
	echo "workloads:"
	for ((i = 0; i < N; i++)); do
		echo "  - {name: w$i, namespace: app, labels: {app: w}, netns: /run/netns/$P-$i, ips: [10.80.$((i / 200)).$((i % 200 + 1))]}"
	done
} >"$T/inv.yaml"

now_ns() { date +%s%N; }
pct() { sort -g | awk -v p="$1" '{ v[NR] = $1 } END { if (!NR) { print 0; exit } i = int((NR * p + 99) / 100); if (i < 1) i = 1; print v[i] }'; }

"$BULKHEAD" agent --policies "$T/pol" --inventory "$T/inv.yaml" --log "$T/log.json" \
	--control "$T/ctl.sock" --resync-interval 0 --table-mode unowned 2>"$T/err" &
AGENT=$!
for ((w = 0; w < 300; w++)); do grep -q '"action":"ready"' "$T/log.json" 2>/dev/null && break; sleep 0.1; done
: >"$T/tamper"; : >"$T/repair"; : >"$T/inside"
for ((r = 0; r < ROUNDS; r++)); do
	k=$((r % N))
	t0=$(now_ns)
	ip netns exec "$P-$k" nft delete table inet bulkhead || { echo "delete failed"; exit 1; }
	for ((w = 0; w < 200; w++)); do
		[ "$(jq -c "select(.event.action==\"resync\" and .bulkhead.workload==\"app/w$k\")" "$T/log.json" | wc -l)" -gt "$((r / N))" ] && break
		sleep 0.01
	done
	t1=$(jq -r "select(.event.action==\"tamper\" and .bulkhead.workload==\"app/w$k\") | .\"@timestamp\"" "$T/log.json" | tail -1)
	t2=$(jq -r "select(.event.action==\"resync\" and .bulkhead.workload==\"app/w$k\") | .\"@timestamp\"" "$T/log.json" | tail -1)
	ms=$(jq -r "select(.event.action==\"resync\" and .bulkhead.workload==\"app/w$k\") | .bulkhead.repair_ms" "$T/log.json" | tail -1)
	python3 - "$t0" "$t1" "$t2" "$ms" "$T" <<'EOPY'
import sys, datetime
t0 = int(sys.argv[1]); T = sys.argv[5]
def ns(s):
    d = datetime.datetime.strptime(s, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=datetime.timezone.utc)
    return int(round(d.timestamp() * 1e6)) * 1000
open(T + "/tamper", "a").write("%.3f\n" % ((ns(sys.argv[2]) - t0) / 1e6))
open(T + "/repair", "a").write("%.3f\n" % ((ns(sys.argv[3]) - t0) / 1e6))
open(T + "/inside", "a").write(sys.argv[4] + "\n")
EOPY
	sleep 0.05
done
kill "$AGENT"; wait "$AGENT"; AGENT=
# owned mode: the same command is refused
"$BULKHEAD" agent --policies "$T/pol" --inventory "$T/inv.yaml" --log "$T/log2.json" \
	--control "$T/ctl.sock" --resync-interval 0 --table-mode owned 2>>"$T/err" &
AGENT=$!
for ((w = 0; w < 300; w++)); do grep -q '"action":"ready"' "$T/log2.json" 2>/dev/null && break; sleep 0.1; done
: >"$T/refused"
for ((r = 0; r < 10; r++)); do
	t0=$(now_ns)
	ip netns exec "$P-$((r % N))" nft delete table inet bulkhead 2>/dev/null && { echo "owned table deleted!"; exit 1; }
	echo "$(( ($(now_ns) - t0) / 1000 ))" | awk '{ printf "%.3f\n", $1 / 1000 }' >>"$T/refused"
done
printf '%-58s %9s %9s %9s\n' "$ROUNDS deletions in $N namespaces (ms)" p50 p99 max
for k in tamper repair inside; do
	case $k in
	tamper) label="nft starts -> tamper line (target < 200)" ;;
	repair) label="nft starts -> table replaced (target < 100)" ;;
	inside) label="agent: event seen -> table replaced" ;;
	esac
	printf '%-58s %9s %9s %9s\n' "$label" "$(pct 50 <"$T/$k")" "$(pct 99 <"$T/$k")" "$(pct 100 <"$T/$k")"
done
printf '%-58s %9s %9s %9s\n' "owned: nft delete refused (EPERM), whole command" "$(pct 50 <"$T/refused")" "$(pct 99 <"$T/refused")" "$(pct 100 <"$T/refused")"
echo "summary: unowned, $N namespaces: tamper line p50 $(pct 50 <"$T/tamper") ms p99 $(pct 99 <"$T/tamper") ms after nft starts; table replaced p50 $(pct 50 <"$T/repair") ms p99 $(pct 99 <"$T/repair") ms (agent's own event-to-replaced p99 $(pct 99 <"$T/inside") ms)"
