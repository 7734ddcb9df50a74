#!/usr/bin/env bash
# The denied-connection log end to end: the agent enforces policies in real
# namespaces and every denied TCP, UDP and ICMP attempt, in both directions,
# over IPv4 and IPv6, becomes exactly one JSON line with the right fields;
# allowed traffic logs nothing unless the policy says log: all; audit mode
# lets traffic through and logs would-deny; repeats of one flow are folded
# into a "suppressed" summary; a flood is cut by the kernel-side log limit
# while every packet is still dropped, and what the limit cut is reported.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/agent_lib.sh"
need_tools
FLOOD=$BH_TOOLS/bh_flood
[ -x "$FLOOD" ] || { nok "missing $FLOOD (make tools)"; exit 1; }

D=$(mktemp -d /tmp/bhl-agent.XXXXXX)
on_exit "rm -rf $D"
mkdir -p "$D/pol"

# web .1, api .2, db .3, aud .4 are workloads; out .5 is an outside client
for n in web:1 api:2 db:3 aud:4 out:5; do
	ns_add "${n%:*}" "${n#*:}" || { nok "namespace ${n%:*}"; exit 1; }
done
serve db tcp 5432 udp 53 && serve api tcp 8080 && serve aud tcp 7000 && serve web tcp 80 ||
	{ nok "servers"; exit 1; }

cat >"$D/inv.yaml" <<EOF
namespaces:
  - {name: shop, labels: {team: shop}}
workloads:
  - {name: web, namespace: shop, labels: {app: web}, netns: $(ns_path web), ips: [10.200.0.1, "fd00:200::1"]}
  - {name: api, namespace: shop, labels: {app: api}, netns: $(ns_path api), ips: [10.200.0.2, "fd00:200::2"]}
  - {name: db, namespace: shop, labels: {app: db}, netns: $(ns_path db), ips: [10.200.0.3, "fd00:200::3"]}
  - {name: aud, namespace: shop, labels: {app: aud}, netns: $(ns_path aud), ips: [10.200.0.4, "fd00:200::4"]}
EOF
cat >"$D/pol/db.yaml" <<'EOF'
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: db-from-api, namespace: shop}
spec:
  podSelector: {matchLabels: {app: db}}
  ingress:
    - from: [{podSelector: {matchLabels: {app: api}}}]
      ports: [{port: 5432}, {port: 53, protocol: UDP}]
EOF
cat >"$D/pol/web.yaml" <<'EOF'
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web-out, namespace: shop}
spec:
  podSelector: {matchLabels: {app: web}}
  policyTypes: [Egress]
  egress:
    - to: [{podSelector: {matchLabels: {app: api}}}]
      ports: [{port: 8080}]
EOF
cat >"$D/pol/api.yaml" <<'EOF'
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: api-from-web
  namespace: shop
  annotations: {bulkhead.io/log: all}
spec:
  podSelector: {matchLabels: {app: api}}
  ingress:
    - from: [{podSelector: {matchLabels: {app: web}}}]
      ports: [{port: 8080}]
EOF
cat >"$D/pol/aud.yaml" <<'EOF'
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: aud-lockdown
  namespace: shop
  annotations: {bulkhead.io/mode: audit}
spec:
  podSelector: {matchLabels: {app: aud}}
EOF

start_agent "$D/log.json" --policies "$D/pol" --inventory "$D/inv.yaml" --control "$D/ctl" \
	--log-rate 20 --log-burst 20 --hostname node-log
check "agent ready" eventually 15 log_has '.event.action=="ready"'

DENY='.event.action=="denied"'

# log_barrier FROM TO_IP: one UDP datagram FROM -> TO_IP:9, which the policies
# deny (or, for the audited workload, log as would-deny), then at most 5 s for
# its line. The kernel hands one namespace's log messages to the agent in
# order, so once the barrier's line is written, every line that earlier
# packets through the same namespace cause is written too: no fixed sleep.
BARRIER_PORT=41000
log_barrier() {
	BARRIER_PORT=$((BARRIER_PORT + 1))
	ip netns exec "$(ns_name "$1")" "$FLOOD" udp "$2" 9 1 "$BARRIER_PORT" >/dev/null 2>&1
	eventually 5 log_has ".destination.port==9 and .source.port==$BARRIER_PORT" ||
		diag "no line for the barrier $1 -> $2:9 from port $BARRIER_PORT"
}

# wait_lines N FILTER DESC FROM TO_IP: at most 5 s for N matching lines; then,
# after a barrier through the namespace that logs them, the count must be N
# (retransmissions and repeats of the flow would show up by then)
wait_lines() {
	local n=$1 f=$2
	eventually 5 bash -c "[ \"\$(jq -c 'select($f)' '$AGENT_LOG' 2>/dev/null | wc -l)\" -ge $n ]"
	log_barrier "$4" "$5"
	check_eq "exactly $n line(s): $3" "$n" "$(count_lines "$f")"
}

# --- TCP, IPv4, ingress: a SYN and its retransmissions make one line
can_reach out tcp 10.200.0.3 5432 1500 && nok "out -> db:5432/tcp must be denied" || ok "out -> db:5432/tcp denied"
F="$DENY and .network.direction==\"ingress\" and .destination.port==5432 and .source.ip==\"10.200.0.5\" and .network.transport==\"tcp\""
wait_lines 1 "$F" "TCP ingress denial (SYN retransmissions folded)" out 10.200.0.3
check "TCP line: ECS fields" log_has "$F and .network.type==\"ipv4\" and .event.outcome==\"failure\" and (.event.type|index(\"denied\"))!=null and .host.hostname==\"node-log\" and .orchestrator.namespace==\"shop\""
check "TCP line: destination workload and isolating policy" log_has "$F and .bulkhead.destination_workload.name==\"db\" and .bulkhead.destination_workload.labels.app==\"db\" and (.bulkhead.isolated_by|index(\"shop/db-from-api\"))!=null and .rule.name==\"default-deny\""
check "TCP line: an unknown source has no workload" log_has "$F and (.bulkhead.source_workload==null)"
check "TCP line: timestamp with microseconds" log_has "$F and (.\"@timestamp\"|test(\"^[0-9-]+T[0-9:]+\\\\.[0-9]{6}Z$\"))"

# --- UDP, IPv4, ingress: one socket, one flow
ip netns exec "$(ns_name out)" "$FLOOD" udp 10.200.0.3 53 1 40053 >/dev/null 2>&1
F="$DENY and .network.transport==\"udp\" and .destination.port==53 and .source.port==40053"
wait_lines 1 "$F" "UDP ingress denial" out 10.200.0.3

# --- ICMP echo, IPv4 and IPv6 (no policy allows ICMP into db)
ip netns exec "$(ns_name out)" "$FLOOD" icmp 10.200.0.3 >/dev/null 2>&1
ip netns exec "$(ns_name out)" "$FLOOD" icmp fd00:200::3 >/dev/null 2>&1
wait_lines 1 "$DENY and .network.transport==\"icmp\" and .bulkhead.icmp.type==8" "ICMP echo denial" out 10.200.0.3
wait_lines 1 "$DENY and .network.transport==\"ipv6-icmp\" and .network.type==\"ipv6\" and .bulkhead.icmp.type==128" "ICMPv6 echo denial" out 10.200.0.3

# --- TCP, IPv6, ingress
can_reach out tcp fd00:200::3 5432 1500 && nok "out -> [db]:5432 must be denied" || ok "out -> [db]:5432 over IPv6 denied"
wait_lines 1 "$DENY and .network.type==\"ipv6\" and .destination.ip==\"fd00:200::3\" and .destination.port==5432 and .network.transport==\"tcp\"" "TCP IPv6 ingress denial" out 10.200.0.3

# --- egress: web may only talk to api:8080; the drop happens in web's namespace
can_reach web tcp 10.200.0.3 5432 1500 && nok "web -> db:5432 must be denied" || ok "web -> db:5432 denied at web's egress"
F="$DENY and .network.direction==\"egress\" and .destination.port==5432 and .source.ip==\"10.200.0.1\""
wait_lines 1 "$F" "TCP egress denial" web 10.200.0.3
check "egress line names both workloads and web's policy" log_has "$F and .bulkhead.source_workload.name==\"web\" and .bulkhead.destination_workload.name==\"db\" and (.bulkhead.isolated_by|index(\"shop/web-out\"))!=null"
ip netns exec "$(ns_name web)" "$FLOOD" udp fd00:200::3 53 1 40054 >/dev/null 2>&1
wait_lines 1 "$DENY and .network.direction==\"egress\" and .network.type==\"ipv6\" and .network.transport==\"udp\" and .source.port==40054" "UDP IPv6 egress denial" web 10.200.0.3

# --- allowed traffic logs nothing (db's policy logs denials only)
before=$(count_lines '.source.ip=="10.200.0.2"')
probe_ok "api -> db:5432 allowed" api tcp 10.200.0.3 5432
probe_ok "api -> db:53/udp allowed" api udp 10.200.0.3 53
log_barrier out 10.200.0.3	# db's namespace, where a line for them would come from
log_barrier out 10.200.0.2	# and api's
check_eq "allowed connections to db write no line" "$before" "$(count_lines '.source.ip=="10.200.0.2"')"

# --- log: all: the first packet of an allowed connection is logged as allowed
probe_ok "web -> api:8080 allowed" web tcp 10.200.0.2 8080
F='.event.action=="allowed" and .network.direction=="ingress" and .destination.port==8080 and .source.ip=="10.200.0.1"'
wait_lines 1 "$F" "allowed connection under log: all" out 10.200.0.2
check "allowed line: outcome success and the allowing rule" log_has "$F and .event.outcome==\"success\" and (.rule.name|test(\"shop/api-from-web\"))"

# --- audit mode: traffic passes, the policy's denial is logged as would-deny
probe_ok "out -> aud:7000 passes (audit mode)" out tcp 10.200.0.4 7000
F='.event.action=="would-deny" and .destination.port==7000'
wait_lines 1 "$F" "would-deny under audit mode" out 10.200.0.4
check "would-deny line names the audit policy" log_has "$F and (.bulkhead.isolated_by|index(\"shop/aud-lockdown\"))!=null"
check_eq "no denied line for the audited workload" 0 "$(count_lines "$DENY and .destination.port==7000")"

# --- repeats of one flow: one line, then a summary of what was folded
ip netns exec "$(ns_name out)" "$FLOOD" udp 10.200.0.3 5353 15 40055 >/dev/null 2>&1
wait_lines 1 "$DENY and .source.port==40055" "15 datagrams of one flow" out 10.200.0.3
check "a suppressed summary counts the folded repeats" eventually 15 log_has '.event.action=="suppressed" and .bulkhead.workload=="shop/db" and .bulkhead.suppressed>=14'

# --- a flood: the log is cut by the kernel's limit, the verdict is not
# counters of db's ingress chain: every drop, and the drops the log rule let through
drops() { ip netns exec "$(ns_name db)" nft -j list chain inet bulkhead ingress | jq '[.nftables[].rule? | select(.) | .expr[] | .counter? | select(.) | .packets] | add'; }
logged_drops() { ip netns exec "$(ns_name db)" nft -j list chain inet bulkhead ingress | jq '[.nftables[].rule? | select(.) | select(any(.expr[]; has("limit")) | not) | .expr[] | .counter? | select(.) | .packets] | add'; }
drops_at_least() { [ "$(drops)" -ge "$1" ]; }
lines_at_least() { [ "$(count_lines "$DENY and .destination.port==9999")" -ge "$1" ]; }
d0=$(drops)
g0=$(logged_drops)
l0=$(count_lines "$DENY and .destination.port==9999")
ip netns exec "$(ns_name out)" "$FLOOD" flood 10.200.0.3 9999 2000 0 5 >/dev/null 2>&1
eventually 5 drops_at_least "$((d0 + 2000))"	# the kernel has seen the whole flood
d1=$(drops)
g1=$(logged_drops)
eventually 10 lines_at_least "$((l0 + g1 - g0))"	# the agent has written what the kernel logged
l1=$(count_lines "$DENY and .destination.port==9999")
diag "flood: $((d1 - d0)) packets dropped, $((l1 - l0)) lines written"
check "every flood packet was dropped" test "$((d1 - d0))" -ge 2000
check "the log of the flood is limited (at most burst + rate x time)" test "$((l1 - l0))" -le 200
check "the flood was logged at all" test "$((l1 - l0))" -ge 10
# what the limit cut is reported: logged + reported over the limit = dropped
unlogged() { jq -s '[.[] | select(.event.action=="suppressed" and .bulkhead.cause=="log-limit" and .bulkhead.workload=="shop/db" and .bulkhead.direction=="ingress") | .bulkhead.suppressed] | add // 0' "$AGENT_LOG"; }
want=$(( (d1 - d0) - (l1 - l0) ))
eventually 25 bash -c "[ \"\$(jq -s '[.[] | select(.event.action==\"suppressed\" and .bulkhead.cause==\"log-limit\" and .bulkhead.workload==\"shop/db\" and .bulkhead.direction==\"ingress\") | .bulkhead.suppressed] | add // 0' '$AGENT_LOG')\" -ge $want ]"
check_eq "attempts over the log limit are summarised, exactly" "$want" "$(unlogged)"
check "status counts them" bash -c "'$BULKHEAD' status --json --control '$D/ctl' | jq -e '.counters.log_over_limit >= $want' >/dev/null"

# --- the agent survived all of it and still answers
check "status answers after the flood" bash -c "'$BULKHEAD' status --control '$D/ctl' >/dev/null"
kill -TERM "$AGENT_PID"; wait "$AGENT_PID"; rc=$?
check_eq "agent exits 0 on SIGTERM" 0 "$rc"
check "no sanitizer report" bash -c "! grep -q 'Sanitizer' '$AGENT_LOG.err'"
