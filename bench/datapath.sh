#!/usr/bin/env bash
# Datapath cost: new TCP connections per second from one namespace to
# another (connect, echo one byte, close; bhprobe connect-loop) while the
# server's ingress allows N peer x port entries, for N = 10, 1,000 and
# 10,000: with no rules at all; with a table holding nothing but
# `ct state established,related accept` (conntrack on: the floor for any
# stateful policy, so the baseline bulkhead is held to); with bulkhead's
# table (the entries are set elements: one lookup whatever N); and with
# the same entries as a linear chain of one rule per entry in front of
# the same conntrack shortcut. The connecting client's entry sits in the
# middle of the list.
# With tiers: the same table with 50 ClusterNetworkPolicies in force (25
# Admin with ingress rules on 1,000 other workloads, 25 Baseline), so every
# new connection first walks the Admin stage's verdict maps, then the
# same NetworkPolicy sets.
# Median of RUNS runs of COUNT connections.
#   BULKHEAD=./bulkhead BH_TOOLS=build/tools bash bench/datapath.sh [COUNT] [RUNS]
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
: "${BULKHEAD:=$ROOT/bulkhead}" "${BH_TOOLS:=$ROOT/build/tools}"
PROBE=$BH_TOOLS/bhprobe
COUNT=${1:-6000}
RUNS=${2:-7}
[ -x "$PROBE" ] || { echo "missing $PROBE (make tools)" >&2; exit 1; }
P=bhd$$
S=$P-srv C=$P-cli
T=$(mktemp -d /tmp/bh-bench-dp.XXXXXX)
SPID=
cleanup() {
	[ -n "$SPID" ] && kill "$SPID" 2>/dev/null
	ip netns del "$S" 2>/dev/null
	ip netns del "$C" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
ip netns add "$S" && ip netns add "$C" || exit 1
ip -n "$S" link add s0 type veth peer name c0 netns "$C"
ip -n "$S" addr add 10.99.255.1/16 dev s0
ip -n "$S" link set s0 up
ip -n "$S" link set lo up
ip -n "$C" link set c0 up
ip -n "$C" link set lo up

median() { sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
# spread: (max - min) / median in percent, how noisy the machine was
spread() { sort -g | awk '{ v[NR] = $1 } END { m = v[int((NR + 1) / 2)]; printf "%.0f", m ? (v[NR] - v[1]) * 100 / m : 0 }'; }

# sample KIND: one connect-loop (after a short warm-up); appends conns/s to
# $T/KIND and the client's CPU microseconds per connection to $T/KIND.cpu
sample() {
	local out
	ip netns exec "$C" "$PROBE" connect-loop 10.99.255.1 "$PORT" --count 200 >/dev/null || return 1
	out=$(ip netns exec "$C" "$PROBE" connect-loop 10.99.255.1 "$PORT" --count "$COUNT") || return 1
	awk '{ for (i = 1; i < NF; i++) if ($(i + 1) == "conns/s,") print $i }' <<<"$out" >>"$T/$1"
	awk '{ for (i = 1; i < NF; i++) if ($(i + 1) == "us") print $i }' <<<"$out" >>"$T/$1.cpu"
}

# setup N: P peers x M ports, the client in the middle
setup() {
	local n=$1 np nm i j
	case $n in
	10) np=10 nm=1 ;;
	1000) np=100 nm=10 ;;
	10000) np=100 nm=100 ;;
	esac
	CLIENT=10.99.0.$((2 * (np / 2) + 1))
	PORT=$((2000 + 2 * (nm / 2)))
	ip -n "$C" addr flush dev c0
	ip -n "$C" addr add "$CLIENT/16" dev c0
	[ -n "$SPID" ] && kill "$SPID" 2>/dev/null && wait "$SPID" 2>/dev/null
	ip netns exec "$S" "$PROBE" serve tcp "$PORT" --max-seconds 1800 &
	SPID=$!
	ip netns exec "$S" "$PROBE" wait-listen tcp "$PORT" --timeout-ms 3000 || return 1
	mkdir -p "$T/pol$n"
	{
		echo "namespaces: [{name: bench, labels: {tier: bench}}, {name: peers, labels: {tier: peers}}]"
		echo "workloads:"
		echo "  - {name: srv, namespace: bench, labels: {app: srv}, netns: /run/netns/$S, ips: [10.99.255.1],"
		echo "     ports: [{name: http, port: 2000}]}"
		for ((i = 0; i < 1000; i++)); do
			echo "  - {name: p$i, namespace: peers, labels: {app: a$((i % 25))}, ips: [10.98.$((i / 250)).$((i % 250 + 1))]}"
		done
	} >"$T/inv.yaml"
	mkdir -p "$T/tiers$n"
	for ((k = 0; k < 50; k++)); do
		tier=Admin; ((k >= 25)) && tier=Baseline
		echo "---"
		echo "apiVersion: policy.networking.k8s.io/v1alpha2"
		echo "kind: ClusterNetworkPolicy"
		echo "metadata: {name: c$k}"
		echo "spec:"
		echo "  tier: $tier"
		echo "  priority: $((k % 25))"
		echo "  subject: {namespaces: {matchLabels: {tier: bench}}}"
		echo "  egress: [{action: Deny, to: [{networks: [169.254.$k.0/24]}]}]"
		echo "  ingress:"
		echo "  - {action: Deny, from: [{pods: {namespaceSelector: {matchLabels: {tier: peers}}, podSelector: {matchLabels: {app: a$((k % 25))}}}}], protocols: [{tcp: {destinationPort: {range: {start: 2000, end: 2100}}}}]}"
		echo "  - {action: Pass, from: [{namespaces: {matchLabels: {tier: peers}}}], protocols: [{destinationNamedPort: http}]}"
	done >"$T/tiers$n/cnp.yaml"
	{
		echo "apiVersion: networking.k8s.io/v1"
		echo "kind: NetworkPolicy"
		echo "metadata: {name: n$n, namespace: bench}"
		echo "spec:"
		echo "  podSelector: {matchLabels: {app: srv}}"
		echo "  ingress:"
		echo "    - from:"
		for ((i = 0; i < np; i++)); do echo "      - ipBlock: {cidr: 10.99.0.$((2 * i + 1))/32}"; done
		echo "      ports:"
		for ((j = 0; j < nm; j++)); do echo "      - {port: $((2000 + 2 * j))}"; done
	} >"$T/pol$n/p.yaml"
	cp "$T/pol$n/p.yaml" "$T/tiers$n/p.yaml"
	{
		echo "table inet linear {"
		echo "	chain input {"
		echo "		type filter hook input priority filter; policy accept;"
		echo "		ct state established,related accept"
		echo "		ct state invalid drop"
		echo "		iif \"lo\" accept"
		for ((i = 0; i < np; i++)); do
			for ((j = 0; j < nm; j++)); do
				echo "		ip saddr 10.99.0.$((2 * i + 1)) tcp dport $((2000 + 2 * j)) accept"
			done
		done
		echo "		counter drop"
		echo "	}"
		echo "}"
	} >"$T/linear$n.nft"
	{
		echo "table inet ctonly {"
		echo "	chain input {"
		echo "		type filter hook input priority filter; policy accept;"
		echo "		ct state established,related accept"
		echo "	}"
		echo "}"
	} >"$T/ctonly.nft"
}

clear_rules() {
	ip netns exec "$S" nft delete table inet linear 2>/dev/null
	ip netns exec "$S" nft delete table inet ctonly 2>/dev/null
	ip netns exec "$S" nft delete table inet bulkhead 2>/dev/null
	return 0
}

bash "$ROOT/bench/kernel-info"
CPU_LINES=()
TIER_LINES=()
printf "%-8s %10s %10s %14s %12s   %s\n" "entries" "no rules" "ct only" "bulkhead sets" "linear chain" \
	"conns/s: bulkhead vs ct only, vs none, vs linear"
for n in 10 1000 10000; do
	setup "$n" || { echo "setup $n failed"; exit 1; }
	# the configurations take turns, so a change in the machine's load
	# hits them alike
	for k in none ct bh lin tier; do : >"$T/$k"; : >"$T/$k.cpu"; done
	for ((r = 0; r < RUNS; r++)); do
		clear_rules
		sample none || { echo "no-rules run failed"; exit 1; }
		ip netns exec "$S" nft -f "$T/ctonly.nft" || exit 1
		sample ct || { echo "ct-only run failed"; exit 1; }
		clear_rules
		"$BULKHEAD" apply --force --inventory "$T/inv.yaml" --policies "$T/pol$n" >"$T/apply.out" 2>&1 ||
			{ cat "$T/apply.out"; exit 1; }
		got=$(grep -o '[0-9]* set elements' "$T/apply.out")
		[ "${got%% *}" -ge "$n" ] || { echo "expected $n elements, $got"; exit 1; }
		sample bh || { echo "bulkhead run failed"; exit 1; }
		"$BULKHEAD" apply --force --inventory "$T/inv.yaml" --policies "$T/tiers$n" >"$T/apply.out" 2>&1 ||
			{ cat "$T/apply.out"; exit 1; }
		ip netns exec "$S" nft list chain inet bulkhead ingress_admin >/dev/null 2>&1 ||
			{ echo "the tiers are not in force"; exit 1; }
		sample tier || { echo "bulkhead with tiers run failed"; exit 1; }
		clear_rules
		ip netns exec "$S" nft -f "$T/linear$n.nft" || exit 1
		sample lin || { echo "linear run failed"; exit 1; }
	done
	clear_rules
	none=$(median <"$T/none") cto=$(median <"$T/ct") bh=$(median <"$T/bh") lin=$(median <"$T/lin")
	sp="$(spread <"$T/none")/$(spread <"$T/ct")/$(spread <"$T/bh")/$(spread <"$T/lin")"
	awk -v n="$n" -v a="$none" -v c="$cto" -v b="$bh" -v l="$lin" -v sp="$sp" 'BEGIN {
		printf "%-8s %10.0f %10.0f %14.0f %12.0f   x%.2f, x%.2f, x%.2f   (spread %s%%)\n", n, a, c, b, l, b / c, b / a, b / l, sp
		printf "summary: %s entries: %.0f conns/s with bulkhead sets, x%.2f of the conntrack-only table (%.0f), x%.2f of no rules (%.0f), x%.2f of a linear chain (%.0f)\n", n, b, b / c, c, b / a, a, b / l, l
	}'
	tr=$(median <"$T/tier") ct=$(median <"$T/tier.cpu")
	TIER_LINES+=("$(awk -v n="$n" -v b="$bh" -v t="$tr" -v sp="$(spread <"$T/tier")" 'BEGIN {
		printf "%-8s %14.0f %18.0f   x%.2f   (spread %s%%)", n, b, t, t / b, sp }')")
	awk -v n="$n" -v b="$bh" -v t="$tr" -v cb="$(median <"$T/bh.cpu")" -v ct="$ct" 'BEGIN {
		printf "summary: %s entries with 50 ClusterNetworkPolicies: %.0f conns/s against %.0f without (x%.2f), client CPU %.1f us/conn against %.1f\n", n, t, b, t / b, ct, cb }'
	cn=$(median <"$T/none.cpu") cc=$(median <"$T/ct.cpu") cb=$(median <"$T/bh.cpu") cl=$(median <"$T/lin.cpu")
	CPU_LINES+=("$(awk -v n="$n" -v a="$cn" -v c="$cc" -v b="$cb" -v l="$cl" 'BEGIN {
		printf "%-8s %10.1f %10.1f %14.1f %12.1f   conntrack %+.1f us, bulkhead %+.1f us over it, linear %+.1f us\n", n, a, c, b, l, c - a, b - c, l - c }')")
	awk -v n="$n" -v a="$cn" -v c="$cc" -v b="$cb" -v l="$cl" 'BEGIN {
		printf "summary: %s entries: client CPU us/conn: %.1f no rules, %.1f ct only, %.1f bulkhead sets, %.1f linear chain\n", n, a, c, b, l }'
done
echo
printf "%-8s %14s %18s   %s\n" "entries" "bulkhead sets" "+ 50 tier policies" "conns/s with the tiers vs without"
printf '%s\n' "${TIER_LINES[@]}"
echo
printf "%-8s %10s %10s %14s %12s   %s\n" "entries" "no rules" "ct only" "bulkhead sets" "linear chain" "client CPU us per connection"
printf '%s\n' "${CPU_LINES[@]}"
echo "(new TCP connections per second, connect + 1-byte echo + close, median of $RUNS x $COUNT;"
echo " spread = (max - min) / median of the runs for none/ct only/bulkhead/linear;"
echo " ct only = a table with nothing but 'ct state established,related accept';"
echo " only a connection's first packet walks the rules, later ones take the conntrack shortcut)"
