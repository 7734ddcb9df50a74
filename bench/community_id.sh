#!/usr/bin/env bash
# The denied-connection log through the real agent, with Community ID on
# and off in the same run: a deny-all workload (inventory, --log-rate 0, so
# every attempt is logged), a raw-socket sender in a second namespace
# offering distinct UDP flows (a new source port per datagram) at several
# rates, for SECONDS each. Per run: datagrams sent, events the agent
# received (bulkhead_nflog_events_total), lines written, loss (sent minus
# received, and the agent's own bulkhead_log_lost_total), lines/s, and the
# agent's CPU per line. Ratios: on vs off.
#   BULKHEAD=./bulkhead BH_TOOLS=build/tools bash bench/community_id.sh [SECONDS] [RATES...]
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
: "${BULKHEAD:=$ROOT/bulkhead}" "${BH_TOOLS:=$ROOT/build/tools}"
FLOOD=$BH_TOOLS/bh_flood
D=${1:-3}
shift || true
RATES=${*:-250000 400000 500000 0}
for f in "$BULKHEAD" "$FLOOD"; do
	[ -x "$f" ] || { echo "missing $f (make bulkhead tools)" >&2; exit 1; }
done
A=bhc$$-a B=bhc$$-b
T=$(mktemp -d /tmp/bh-bench-cid.XXXXXX)
AGENT=
cleanup() {
	[ -n "$AGENT" ] && kill "$AGENT" 2>/dev/null && wait "$AGENT" 2>/dev/null
	ip netns del "$A" 2>/dev/null
	ip netns del "$B" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
ip netns add "$A"
ip netns add "$B"
ip -n "$A" link add va type veth peer name vb netns "$B"
ip -n "$A" addr add 10.98.0.1/24 dev va
ip -n "$B" addr add 10.98.0.2/24 dev vb
ip -n "$A" link set va up
ip -n "$B" link set vb up
ip -n "$B" link set lo up
ip netns exec "$B" sysctl -qw net.core.netdev_max_backlog=100000 2>/dev/null || true
mkdir -p "$T/pol"
cat >"$T/inv.yaml" <<EOF
workloads:
  - {name: sink, namespace: bench, labels: {app: sink}, netns: /run/netns/$B, ips: [10.98.0.2]}
EOF
cat >"$T/pol/deny.yaml" <<'EOF'
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny-all, namespace: bench}
spec: {podSelector: {}, policyTypes: [Ingress]}
EOF
MP=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
HZ=$(getconf CLK_TCK)
metric() {	# NAME-REGEX: the sum of the matching series
	curl -sf "http://127.0.0.1:$MP/metrics" | awk -v re="^$1" '$0 ~ re { s += $NF } END { printf "%.0f", s }'
}

# run MODE RATE -> "sent events lines lost cpu_us"
run() {
	local mode=$1 rate=$2 i c0 c1 last now n
	rm -f "$T/log.json"
	"$BULKHEAD" agent --policies "$T/pol" --inventory "$T/inv.yaml" --log "$T/log.json" \
		--control "$T/ctl" --log-rate 0 --resync-interval 0 --community-id "$mode" \
		--metrics "127.0.0.1:$MP" 2>"$T/agent.err" &
	AGENT=$!
	for ((i = 0; i < 100; i++)); do grep -q '"action":"ready"' "$T/log.json" 2>/dev/null && break; sleep 0.1; done
	c0=$(ticks "$AGENT")
	n=$([ "$rate" -eq 0 ] && echo 100000000 || echo $((rate * D)))
	ip netns exec "$A" "$FLOOD" flood 10.98.0.2 7777 "$n" "$rate" "$D" >"$T/flood.out"
	last=
	for ((i = 0; i < 30; i++)); do	# drained: CPU and lines stop growing for 0.5 s
		now="$(ticks "$AGENT") $(stat -c %s "$T/log.json")"
		[ "$now" = "$last" ] && break
		last=$now
		sleep 0.5
	done
	c1=$(ticks "$AGENT")
	echo "$(awk '{print $2}' "$T/flood.out") $(metric bulkhead_nflog_events_total) \
$(metric 'bulkhead_log_lines_total[{]action="denied"') $(metric bulkhead_log_lost_total) \
$(((c1 - c0) * 1000000 / HZ))"
	kill "$AGENT"
	wait "$AGENT" 2>/dev/null
	AGENT=
}

printf '%-9s | %-52s | %-52s | %s\n' offered \
	"community-id off: sent   received  lines  loss  lines/s cpu/line" \
	"community-id on:  sent   received  lines  loss  lines/s cpu/line" "on/off: lines/s, cpu"
for r in $RATES; do
	read -r s0 e0 l0 x0 c0 <<<"$(run off "$r")"
	read -r s1 e1 l1 x1 c1 <<<"$(run on "$r")"
	awk -v r="$r" -v d="$D" -v s0="$s0" -v e0="$e0" -v l0="$l0" -v x0="$x0" -v c0="$c0" \
		-v s1="$s1" -v e1="$e1" -v l1="$l1" -v x1="$x1" -v c1="$c1" 'BEGIN {
		f = "%8d %9d %8d %5.2f%% %7.0f %5.2fus"
		printf "%-9s | " f " | " f " | x%.2f, x%.2f\n", r == 0 ? "max" : r "/s",
			s0, e0, l0, s0 ? (s0 - l0) * 100 / s0 : 0, l0 / d, l0 ? c0 / l0 : 0,
			s1, e1, l1, s1 ? (s1 - l1) * 100 / s1 : 0, l1 / d, l1 ? c1 / l1 : 0,
			l0 ? l1 / l0 : 0, c0 && l1 ? (c1 / l1) / (c0 / l0) : 0
		if (r == 0)
			printf "summary: community-id: at the sender'"'"'s maximum, lines/s on/off x%.2f, CPU per line %.2f vs %.2f us\n", l0 ? l1 / l0 : 0, l1 ? c1 / l1 : 0, l0 ? c0 / l0 : 0
	}'
	[ "$x0" -gt 0 ] || [ "$x1" -gt 0 ] && echo "  (the agent counted lost events: off $x0, on $x1)"
done
echo "(loss = sent minus lines; lines/s = lines / ${D}s offered; cpu/line = agent CPU / lines; the agent with --metrics in both)"
