#!/usr/bin/env bash
# The cost of a Prometheus scrape at N enforced workloads (real namespaces,
# 100 policies as bench/agent.sh): the agent's CPU time over SCRAPES
# back-to-back scrapes, less its idle CPU over the same wall time measured
# just before (the baseline), per scrape, and what one scrape a second costs
# as a share of a core. Also the size and the client-side latency.
#   BULKHEAD=./bulkhead bash bench/metrics.sh [SCRAPES] [WORKLOADS...]
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
: "${BULKHEAD:=$ROOT/bulkhead}"
N=${1:-500}
shift || true
SIZES=(${*:-100 500})
MAXN=${SIZES[-1]}
P=bhm$$
T=$(mktemp -d /tmp/bh-bench-metrics.XXXXXX)
AGENT=
cleanup() {
	[ -n "$AGENT" ] && kill "$AGENT" 2>/dev/null && wait "$AGENT" 2>/dev/null
	for ((i = 0; i < MAXN; i++)); do echo "netns del $P-$i"; done | ip -force -batch - 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
echo "creating $MAXN namespaces..."
for ((i = 0; i < MAXN; i++)); do echo "netns add $P-$i"; done | ip -batch - || exit 1
mkdir "$T/pol"
NSVC=50
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
MP=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
# on-CPU nanoseconds of the agent (all its threads)
cpu_ns() { cat /proc/"$1"/task/*/schedstat | awk '{ s += $1 } END { printf "%.0f", s }'; }
now_ns() { date +%s%N; }

# scrapes COUNT: back-to-back GETs on one kept-alive connection; prints bytes and mean ms
cat >"$T/scrape.py" <<'EOF'
import http.client, sys, time
port, n = int(sys.argv[1]), int(sys.argv[2])
c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
size, t0 = 0, time.time()
for _ in range(n):
    c.request("GET", "/metrics")
    r = c.getresponse()
    body = r.read()
    if r.status != 200:
        sys.exit("status %d" % r.status)
    size = len(body)
    if r.getheader("Connection", "").lower() == "close":
        c.close()
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
print(size, "%.3f" % ((time.time() - t0) * 1000 / n))
EOF

printf '%-10s %10s %12s %14s %16s %10s %12s\n' workloads "bytes" "client ms" "agent us/scrape" "idle agent us/s" "1/s cost" "vs first"
for n in "${SIZES[@]}"; do
	{
		echo "namespaces: [{name: app, labels: {team: app}}]"
		echo "workloads:"
		for ((i = 0; i < n; i++)); do
			echo "  - {name: w$i, namespace: app, labels: {app: s$((i % NSVC))}, netns: /run/netns/$P-$i, ips: [10.70.$((i / 200)).$((i % 200 + 1))]}"
		done
	} >"$T/inv.yaml"
	rm -f "$T/log.json"
	"$BULKHEAD" agent --policies "$T/pol" --inventory "$T/inv.yaml" --log "$T/log.json" \
		--control "$T/ctl" --metrics "127.0.0.1:$MP" --resync-interval 0 2>"$T/agent.err" &
	AGENT=$!
	for ((i = 0; i < 600; i++)); do grep -q '"action":"ready"' "$T/log.json" 2>/dev/null && break; sleep 0.1; done
	sleep 1
	# baseline: the idle agent over 3 s
	c0=$(cpu_ns "$AGENT"); t0=$(now_ns)
	sleep 3
	c1=$(cpu_ns "$AGENT"); t1=$(now_ns)
	idle=$(awk -v c="$((c1 - c0))" -v t="$((t1 - t0))" 'BEGIN { printf "%.1f", c / t * 1e6 / 1000 }')	# us per s
	c0=$(cpu_ns "$AGENT"); t0=$(now_ns)
	read -r bytes ms < <(python3 "$T/scrape.py" "$MP" "$N" 2>"$T/scrape.err")
	c1=$(cpu_ns "$AGENT"); t1=$(now_ns)
	first=$(awk 'NR == 1 { print $4 }' "$T/rows" 2>/dev/null)
	awk -v n="$n" -v N="$N" -v c="$((c1 - c0))" -v t="$((t1 - t0))" -v idle="$idle" -v bytes="$bytes" \
		-v ms="$ms" -v first="${first:-0}" 'BEGIN {
		per = (c / 1000 - idle * t / 1e9) / N	# us of agent CPU per scrape
		printf "%-10d %10d %12s %14.1f %16.1f %9.3f%% %11s\n", n, bytes, ms, per, idle, per / 1e6 * 100,
			(first > 0 ? sprintf("x%.2f", per / first) : "x1.00")
	}' | tee -a "$T/rows"
	kill "$AGENT"
	wait "$AGENT" 2>/dev/null
	AGENT=
done
awk -v max="$MAXN" '$1 == max { printf "summary: metrics: a scrape at %d workloads costs %s us of agent CPU: %s of a core at one scrape a second\n", $1, $4, $6 }' "$T/rows"
echo "(agent CPU from /proc/PID/task/*/schedstat; per scrape = (CPU over $N scrapes - idle rate x their wall time) / $N; vs first: per-scrape CPU against the smallest size)"
