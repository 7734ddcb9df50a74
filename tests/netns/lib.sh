# Namespace helpers for the end-to-end tests: workload namespaces joined by
# veth pairs to a bridge that lives in its own namespace (nothing is
# created in the host's namespace), IPv4 10.200.0.0/24 and IPv6
# fd00:200::/64 addresses, bhprobe servers and bounded probes. Everything
# is registered with on_exit. Source after tests/lib.sh.
BHPROBE=${BH_TOOLS}/bhprobe
NSP=bht$$
NS_BRIDGE=
: "${PROBE_OK_MS:=2000}" "${PROBE_DENY_MS:=400}"

need_tools() {
	local f
	for f in "$BULKHEAD" "$BHPROBE"; do
		[ -x "$f" ] || { nok "missing $f (make bulkhead tools)"; exit 1; }
	done
}

# ns_name NAME / ns_path NAME
ns_name() { echo "$NSP-$1"; }
ns_path() { echo "/run/netns/$NSP-$1"; }

# ns_bridge: the namespace holding the bridge (created once)
ns_bridge() {
	[ -n "$NS_BRIDGE" ] && return 0
	NS_BRIDGE=$NSP-br
	ip netns add "$NS_BRIDGE" || return 1
	on_exit "ip netns del $NS_BRIDGE"
	ip -n "$NS_BRIDGE" link add br0 type bridge || return 1
	# no querier here: without snooping multicast (IPv6 ND) is simply flooded
	ip -n "$NS_BRIDGE" link set br0 type bridge mcast_snooping 0
	ip -n "$NS_BRIDGE" link set br0 up
	ip -n "$NS_BRIDGE" link set lo up
}

# ns_add NAME N: namespace $NSP-NAME whose eth0 is on the bridge, with
# 10.200.0.N/24 and fd00:200::N/64
ns_add() {
	local n=$1 i=$2 ns=$NSP-$1
	ns_bridge || return 1
	ip netns add "$ns" || return 1
	on_exit "ip netns del $ns"
	ip -n "$NS_BRIDGE" link add "p$i" type veth peer name eth0 netns "$ns" || return 1
	ip -n "$NS_BRIDGE" link set "p$i" master br0 up
	ip -n "$ns" link set lo up
	ip -n "$ns" addr add "10.200.0.$i/24" dev eth0
	ip -n "$ns" addr add "fd00:200::$i/64" dev eth0 nodad
	ip -n "$ns" link set eth0 up
}

# ns_exec NAME CMD...
ns_exec() { local n=$1; shift; ip netns exec "$NSP-$n" "$@"; }

# serve NAME [tcp|udp] PORT...: a bhprobe echo server inside the namespace
serve() {
	local n=$1; shift
	ip netns exec "$NSP-$n" "$BHPROBE" serve "$@" --max-seconds 600 &
	local pid=$!
	on_exit "kill $pid"
	local proto=tcp a
	for a in "$@"; do
		case $a in
		tcp|udp) proto=$a ;;
		*) ip netns exec "$NSP-$n" "$BHPROBE" wait-listen "$proto" "$a" --timeout-ms 3000 || return 1 ;;
		esac
	done
}

# can_reach FROM PROTO ADDR PORT [TIMEOUT_MS]: exit 0 when the probe gets an answer
can_reach() {
	ip netns exec "$NSP-$1" "$BHPROBE" connect "$2" "$3" "$4" --timeout-ms "${5:-$PROBE_OK_MS}"
}

# probe_ok DESC FROM PROTO ADDR PORT / probe_denied DESC FROM PROTO ADDR PORT
probe_ok() {
	local d=$1; shift
	check "$d" can_reach "$@" "$PROBE_OK_MS"
}
probe_denied() {
	local d=$1; shift
	check_not "$d" can_reach "$@" "$PROBE_DENY_MS"
}

# nft_table NAME: our table as nft lists it (empty when absent)
nft_table() { ip netns exec "$NSP-$1" nft list table inet bulkhead 2>/dev/null; }

# nft_json NAME: `nft -j list table inet bulkhead` without handles, one object a line
nft_json() {
	ip netns exec "$NSP-$1" nft -j list table inet bulkhead | python3 -c '
import json, sys
for o in json.load(sys.stdin)["nftables"]:
    for v in o.values():
        if isinstance(v, dict):
            v.pop("handle", None)
    if "metainfo" not in o:
        print(json.dumps(o, sort_keys=True))'
}
