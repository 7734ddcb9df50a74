#!/usr/bin/env bash
# NFLOG events -> JSON lines: bulkhead's reader+decoder+enrichment+sink
# against ulogd2 (NFLOG -> BASE -> IFINDEX -> IP2STR -> HWHDR -> JSON) on the
# same kernel, same namespace, same rule, same offered load, in one run.
# A raw-socket sender in a second namespace offers UDP datagrams, each
# from a different source port, at several rates; the receiving namespace
# logs every one (log group 100, no limit) and drops it. For each rate:
# events/s kept up with, CPU microseconds per event, and loss against the
# rule's own packet counter.
#   BH_BENCH=build/bench BH_TOOLS=build/tools bash bench/nflog.sh [SECONDS] [RATES...]
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
: "${BH_BENCH:=$ROOT/build/bench}" "${BH_TOOLS:=$ROOT/build/tools}"
BENCH=$BH_BENCH/nflog_bench
FLOOD=$BH_TOOLS/bh_flood
D=${1:-3}
shift || true
RATES=${*:-50000 100000 200000 0}
ULOGD=$(command -v ulogd || echo /usr/sbin/ulogd)
PLUG=/usr/lib/x86_64-linux-gnu/ulogd
for f in "$BENCH" "$FLOOD"; do
	[ -x "$f" ] || { echo "missing $f (make bench tools)" >&2; exit 1; }
done

A=bhb$$-a B=bhb$$-b
TMP=$(mktemp -d /tmp/bh-nflog-bench.XXXXXX)
cleanup() {
	[ -n "${UPID:-}" ] && kill "$UPID" 2>/dev/null
	[ -n "${BPID:-}" ] && kill "$BPID" 2>/dev/null
	ip netns del "$A" 2>/dev/null
	ip netns del "$B" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
ip netns add "$A"
ip netns add "$B"
ip -n "$A" link add va type veth peer name vb netns "$B"
ip -n "$A" addr add 10.99.0.1/24 dev va
ip -n "$B" addr add 10.99.0.2/24 dev vb
ip -n "$A" link set va up
ip -n "$B" link set vb up
ip -n "$B" link set lo up
ip netns exec "$B" nft -f - <<'NFT'
table inet bhbench {
	chain input {
		type filter hook input priority filter; policy accept;
		udp dport 7777 counter log prefix "bh/1/i/d" group 100 drop
	}
}
NFT
# The veth backlog, not the logger, must not be what limits the test.
ip netns exec "$B" sysctl -qw net.core.netdev_max_backlog=100000 2>/dev/null || true

counter() {
	ip netns exec "$B" nft list table inet bhbench |
		sed -n 's/.*dport 7777 counter packets \([0-9]*\).*/\1/p'
}
count_of() {	# rate -> datagrams to offer
	if [ "$1" -eq 0 ]; then echo 100000000; else echo $(($1 * D)); fi
}
ticks() {	# pid -> utime+stime in clock ticks
	awk '{print $14 + $15}' "/proc/$1/stat"
}
HZ=$(getconf CLK_TCK)

cat >"$TMP/ulogd.conf" <<CONF
[global]
logfile="$TMP/ulogd.log"
loglevel=5
plugin="$PLUG/ulogd_inppkt_NFLOG.so"
plugin="$PLUG/ulogd_raw2packet_BASE.so"
plugin="$PLUG/ulogd_filter_IFINDEX.so"
plugin="$PLUG/ulogd_filter_IP2STR.so"
plugin="$PLUG/ulogd_filter_HWHDR.so"
plugin="$PLUG/ulogd_output_JSON.so"
stack=log1:NFLOG,base1:BASE,ifi1:IFINDEX,ip2str1:IP2STR,mac2str1:HWHDR,json1:JSON

[log1]
group=100
netlink_socket_buffer_size=8388608
netlink_socket_buffer_maxsize=8388608

[json1]
sync=0
file="$TMP/ulogd.json"
CONF

# run_bulkhead RATE -> "events lost cpu_us_per_event events_per_s"
run_bulkhead() {
	local rate=$1 c0 c1 out i
	rm -f "$TMP/bh.json"
	ip netns exec "$B" env ${BH_TUNE:-} "$BENCH" 100 "file:$TMP/bh.json" 120 2000 >"$TMP/bh.out" 2>&1 &
	BPID=$!
	for ((i = 0; i < 100; i++)); do grep -q ready "$TMP/bh.out" && break; sleep 0.05; done
	c0=$(counter)
	ip netns exec "$A" "$FLOOD" flood 10.99.0.2 7777 "$(count_of "$rate")" "$rate" "$D" >"$TMP/flood.out"
	wait "$BPID"
	BPID=
	c1=$(counter)
	out=$(grep '^events=' "$TMP/bh.out")
	local ev gaps cpu lines
	ev=$(sed 's/.*events=\([0-9]*\).*/\1/' <<<"$out")
	gaps=$(sed 's/.*gaps=\([0-9]*\).*/\1/' <<<"$out")
	cpu=$(sed 's/.*cpu_us=\([0-9]*\).*/\1/' <<<"$out")
	lines=$(wc -l <"$TMP/bh.json")
	[ -n "${BH_VERBOSE:-}" ] && echo "# bulkhead: $out; $(cat "$TMP/flood.out")" >&2
	echo "$((c1 - c0)) $lines $cpu $gaps $(cat "$TMP/flood.out")" >"$TMP/bh.res"
}

run_ulogd() {
	local rate=$1 c0 c1 t0 t1 i
	rm -f "$TMP/ulogd.json"
	ip netns exec "$B" "$ULOGD" -c "$TMP/ulogd.conf" >"$TMP/ulogd.out" 2>&1 &
	UPID=$!
	# ready once its output file is open and the kernel lists its NFLOG group
	# 100 in B's namespace (at most 5 s)
	for ((i = 0; i < 100; i++)); do
		[ -e "$TMP/ulogd.json" ] && ip netns exec "$B" awk '$1 == 100 { f = 1 } END { exit !f }' \
			/proc/net/netfilter/nfnetlink_log && break
		sleep 0.05
	done
	c0=$(counter)
	t0=$(ticks "$UPID")
	ip netns exec "$A" "$FLOOD" flood 10.99.0.2 7777 "$(count_of "$rate")" "$rate" "$D" >"$TMP/flood.out"
	# let it drain what it can: until neither its CPU time nor its output
	# grows for 0.6 s (at most 10 s)
	local last="" now
	for ((i = 0; i < 17; i++)); do
		now="$(ticks "$UPID") $(stat -c %s "$TMP/ulogd.json")"
		[ "$now" = "$last" ] && break
		last=$now
		sleep 0.6
	done
	t1=$(ticks "$UPID")
	c1=$(counter)
	kill -TERM "$UPID"
	wait "$UPID" 2>/dev/null
	UPID=
	echo "$((c1 - c0)) $(wc -l <"$TMP/ulogd.json") $(((t1 - t0) * 1000000 / HZ)) 0 $(cat "$TMP/flood.out")" >"$TMP/ul.res"
}

printf '%-9s | %-44s | %-44s | %s\n' "offered" "bulkhead: logged lines loss  ev/s  cpu/ev" \
	"ulogd2:   logged lines loss  ev/s  cpu/ev" "ratio ev/s, cpu"
for r in $RATES; do
	run_bulkhead "$r"
	[ -n "${BH_NO_ULOGD:-}" ] && echo "0 0 0 0 x" >"$TMP/ul.res" || run_ulogd "$r"
	read -r bl bn bc bg _ <"$TMP/bh.res"
	read -r ul un uc _ _ <"$TMP/ul.res"
	awk -v r="$r" -v d="$D" -v bl="$bl" -v bn="$bn" -v bc="$bc" -v ul="$ul" -v un="$un" -v uc="$uc" 'BEGIN {
		brate = bn / d; urate = un / d
		bloss = bl ? (bl - bn) * 100 / bl : 0; uloss = ul ? (ul - un) * 100 / ul : 0
		bcpu = bn ? bc / bn : 0; ucpu = un ? uc / un : 0
		printf "%-9s | %8d %8d %5.2f%% %7.0f %5.2fus | %8d %8d %5.2f%% %7.0f %5.2fus | x%.2f, x%.2f\n",
			r == 0 ? "max" : r "/s", bl, bn, bloss, brate, bcpu, ul, un, uloss, urate, ucpu,
			urate ? brate / urate : 0, bcpu ? ucpu / bcpu : 0
	}'
done
echo "(loss against the rule counter; ev/s = lines / ${D}s offered; cpu/ev = process CPU / lines; ratios bulkhead vs ulogd2: rate, CPU saving)"
