#!/usr/bin/env bash
# Community ID end to end: real denied TCP (IPv4 and IPv6), UDP and ICMP
# attempts into an isolated workload; the network.community_id of each
# line equals an independent computation here (Python hashlib, following
# the corelight/community-id-spec text) from the line's own tuple. The seed
# is configurable (flag or config file), --community-id off leaves the field
# out, and every line carries ecs.version and bulkhead.schema_version.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/agent_lib.sh"
need_tools
FLOOD=$BH_TOOLS/bh_flood
[ -x "$FLOOD" ] || { nok "missing $FLOOD (make tools)"; exit 1; }

D=$(mktemp -d /tmp/bhl-cid.XXXXXX)
on_exit "rm -rf $D"
mkdir -p "$D/pol"
ns_add db 3 && ns_add out 5 || { nok "namespaces"; exit 1; }
serve db tcp 5432 || { nok "server"; exit 1; }
cat >"$D/inv.yaml" <<EOF
workloads:
  - {name: db, namespace: shop, labels: {app: db}, netns: $(ns_path db), ips: [10.200.0.3, "fd00:200::3"]}
EOF
cat >"$D/pol/db.yaml" <<'EOF'
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: db-closed, namespace: shop}
spec:
  podSelector: {matchLabels: {app: db}}
  policyTypes: [Ingress]
EOF

# python3 ref.py SEED < line: "ok" when network.community_id is what the
# specification gives for the line's own tuple
cat >"$D/ref.py" <<'EOF'
import base64, hashlib, ipaddress, json, struct, sys
seed = int(sys.argv[1])
PAIRS = {1: {8: 0, 0: 8, 13: 14, 14: 13, 15: 16, 16: 15, 10: 9, 17: 18, 18: 17},
         58: {128: 129, 129: 128, 133: 134, 134: 133, 135: 136, 136: 135,
              130: 131, 131: 130, 139: 140, 140: 139, 144: 145, 145: 144}}
l = json.loads(sys.stdin.read())
proto = int(l["network"]["iana_number"])
s = ipaddress.ip_address(l["source"]["ip"]).packed
d = ipaddress.ip_address(l["destination"]["ip"]).packed
if proto in (1, 58):
    t, c = l["bulkhead"]["icmp"]["type"], l["bulkhead"]["icmp"]["code"]
    p1, p2 = t, PAIRS[proto].get(t, c)
    one_way = t not in PAIRS[proto]
else:
    p1, p2 = l["source"]["port"], l["destination"]["port"]
    one_way = False
a1, a2 = s, d
if not one_way and not (a1 < a2 or (a1 == a2 and p1 < p2)):
    a1, a2, p1, p2 = a2, a1, p2, p1
h = hashlib.sha1(struct.pack("!H", seed) + a1 + a2 + struct.pack("BB", proto, 0) +
                 struct.pack("!HH", p1, p2))
want = "1:" + base64.b64encode(h.digest()).decode()
got = l["network"].get("community_id")
print("ok" if got == want else "want %s got %s" % (want, got))
EOF

# line_of FILTER: the first matching line
line_of() { jq -c "select($1)" "$AGENT_LOG" 2>/dev/null | head -1; }
# matches SEED FILTER DESC
matches() {
	local l r
	l=$(line_of "$2")
	[ -n "$l" ] || { nok "$3: no line"; return; }
	r=$(printf '%s' "$l" | python3 "$D/ref.py" "$1")
	check_eq "$3: community_id is the specification's value (seed $1)" ok "$r"
}
DENY='.event.action=="denied"'
T4="$DENY and .network.transport==\"tcp\" and .network.type==\"ipv4\" and .destination.port==5432"
T6="$DENY and .network.transport==\"tcp\" and .network.type==\"ipv6\" and .destination.port==5432"
U4="$DENY and .network.transport==\"udp\" and .source.port==40153"
I4="$DENY and .network.transport==\"icmp\""

attempts() {	# four denied attempts from out into db
	can_reach out tcp 10.200.0.3 5432 600 && return 1
	can_reach out tcp fd00:200::3 5432 600 && return 1
	ip netns exec "$(ns_name out)" "$FLOOD" udp 10.200.0.3 53 1 40153 >/dev/null 2>&1
	ip netns exec "$(ns_name out)" "$FLOOD" icmp 10.200.0.3 >/dev/null 2>&1
	eventually 5 log_has "$T4" && eventually 5 log_has "$T6" && eventually 5 log_has "$U4" &&
		eventually 5 log_has "$I4"
}

stop_agent() { kill "$AGENT_PID" 2>/dev/null; wait "$AGENT_PID" 2>/dev/null; }

# --- default: on, seed 0
start_agent "$D/a.json" --policies "$D/pol" --inventory "$D/inv.yaml" --control "$D/ctl" --log-rate 0
check "agent ready" eventually 15 log_has '.event.action=="ready"'
check "four denied attempts logged" attempts
matches 0 "$T4" "TCP over IPv4"
matches 0 "$T6" "TCP over IPv6"
matches 0 "$U4" "UDP over IPv4"
matches 0 "$I4" "ICMP echo over IPv4"
check_eq "every line has ecs.version" 0 "$(jq -c 'select(.ecs.version != "8.11.0")' "$AGENT_LOG" | wc -l)"
check_eq "every connection line has a community_id and the schema version" 0 \
	"$(jq -c 'select(.event.kind=="event" and (.network.community_id == null or .bulkhead.schema_version != "1"))' "$AGENT_LOG" | wc -l)"
check "lifecycle lines carry the schema version" log_has '.event.action=="ready" and .bulkhead.schema_version=="1"'
stop_agent

# --- a seed from the config file: values change and still follow the spec
printf 'community-id-seed: 513\n' >"$D/agent.yaml"
start_agent "$D/b.json" --config "$D/agent.yaml" --policies "$D/pol" --inventory "$D/inv.yaml" \
	--control "$D/ctl" --log-rate 0
check "agent ready (seed 513)" eventually 15 log_has '.event.action=="ready"'
check "denied attempts logged (seed 513)" attempts
matches 513 "$T4" "TCP over IPv4"
matches 513 "$U4" "UDP over IPv4"
a=$(jq -r "select($U4) | .network.community_id" "$D/a.json" | head -1)
b=$(jq -r "select($U4) | .network.community_id" "$D/b.json" | head -1)
check "the same UDP flow hashes differently under another seed" test -n "$a" -a "$a" != "$b"
stop_agent

# --- off
start_agent "$D/c.json" --policies "$D/pol" --inventory "$D/inv.yaml" --control "$D/ctl" \
	--log-rate 0 --community-id off
check "agent ready (off)" eventually 15 log_has '.event.action=="ready"'
check "denied attempts logged (off)" attempts
check_eq "--community-id off: no line has the field" 0 \
	"$(jq -c 'select(.network.community_id != null)' "$AGENT_LOG" | wc -l)"
stop_agent
"$BULKHEAD" agent --community-id maybe --help >/dev/null 2>"$D/err"
check_eq "--community-id takes on or off" "bulkhead agent: invalid value 'maybe' for --community-id" \
	"$(head -1 "$D/err")"
