# Helpers for the agent tests: a star of namespaces around a bridge in a
# hub namespace (nothing is created in the host's namespace), TCP
# listeners, bounded probes, and waiting for the agent. Source after
# tests/lib.sh.
P=bha$$
AGENT_PID=
AGENT_LOG=

# mk_hub: the bridge lives in its own namespace
mk_hub() {
	ip netns add "$P-hub" || return 1
	on_exit "ip netns del $P-hub"
	ip -n "$P-hub" link add br0 type bridge
	ip -n "$P-hub" link set br0 up
	ip -n "$P-hub" link set lo up
}

# mk_ns NAME IPV4: namespace $P-NAME with eth0 on the hub bridge
mk_ns() {
	local n=$1 ip=$2
	ip netns add "$P-$n" || return 1
	on_exit "ip netns del $P-$n"
	ip -n "$P-hub" link add "v-$n" type veth peer name eth0 netns "$P-$n"
	ip -n "$P-hub" link set "v-$n" master br0 up
	ip -n "$P-$n" addr add "$ip/24" dev eth0
	ip -n "$P-$n" link set eth0 up
	ip -n "$P-$n" link set lo up
}

# listen NAME PORT...: accept-and-close TCP listeners inside $P-NAME
listen() {
	local n=$1; shift
	ip netns exec "$P-$n" python3 -c '
import socket, sys, select
ss = []
for p in sys.argv[1:]:
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("0.0.0.0", int(p))); s.listen(64); ss.append(s)
while True:
    r, _, _ = select.select(ss, [], [], 1)
    for s in r:
        c, _ = s.accept(); c.close()
' "$@" &
	on_exit "kill $! 2>/dev/null"
	local port
	for port in "$@"; do
		eventually 5 bash -c "ip netns exec $P-$n ss -Hltn 'sport = :$port' | grep -q ." || return 1
	done
}

# probe FROM IP PORT: 0 when a TCP connection is established within 1 s
probe() {
	ip netns exec "$P-$1" timeout 1 bash -c "exec 3<>/dev/tcp/$2/$3" 2>/dev/null
}

# start_agent LOGFILE ARGS...: runs the agent in the background
start_agent() {
	AGENT_LOG=$1; shift
	"$BULKHEAD" agent --log "$AGENT_LOG" "$@" 2>>"$AGENT_LOG.err" &
	AGENT_PID=$!
	on_exit "kill -9 $AGENT_PID 2>/dev/null"
}

# log_has JQFILTER: some line of the agent's log matches (jq -e)
log_has() {
	[ -f "$AGENT_LOG" ] && jq -e -c "select($1)" "$AGENT_LOG" 2>/dev/null | grep -q .
}

# count_lines JQFILTER
count_lines() {
	[ -f "$AGENT_LOG" ] || { echo 0; return; }
	jq -c "select($1)" "$AGENT_LOG" 2>/dev/null | wc -l
}

# log_barrier FROM TO_IP: one UDP datagram FROM -> TO_IP:9, which the
# policies must deny, then at most 5 s for its line. The kernel hands one
# namespace's log messages over in order, so every line that earlier packets
# through the same namespace cause is written by then: no fixed sleep.
log_barrier() {
	local f='.event.action=="denied" and .destination.port==9' n
	n=$(count_lines "$f")
	ip netns exec "$P-$1" bash -c "echo barrier >/dev/udp/$2/9" 2>/dev/null
	eventually 5 bash -c "[ \"\$(jq -c 'select($f)' '$AGENT_LOG' 2>/dev/null | wc -l)\" -gt $n ]"
}

has_table() {
	ip netns exec "$P-$1" nft list table inet bulkhead >/dev/null 2>&1
}
