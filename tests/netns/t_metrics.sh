#!/usr/bin/env bash
# Prometheus metrics end to end: a real prometheus server (its own instance
# on a free loopback port, its own data directory) scrapes the agent's
# /metrics: up is 1, bulkhead_workloads sums to the inventory's workload
# count with the states status reports, bulkhead_denied_total rises after a
# denied probe. promtool accepts the scraped text. A slow client, a garbage
# request, an oversized request and a full set of idle connections neither
# stall scrapes nor the control socket, and idle connections are closed by
# the endpoint's deadline.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/agent_lib.sh"
need_tools
for t in prometheus promtool curl python3; do
	command -v "$t" >/dev/null || { nok "missing $t (tests/deps.sh)"; exit 1; }
done

D=$(mktemp -d /tmp/bhl-metrics.XXXXXX)
on_exit "rm -rf $D"
mkdir -p "$D/pol"
ns_add db 3 && ns_add web 1 && ns_add out 5 || { nok "namespaces"; exit 1; }
serve db tcp 5432 || { nok "server"; exit 1; }
cat >"$D/inv.yaml" <<EOF
workloads:
  - {name: db, namespace: shop, labels: {app: db}, netns: $(ns_path db), ips: [10.200.0.3]}
  - {name: web, namespace: shop, labels: {app: web}, netns: $(ns_path web), ips: [10.200.0.1]}
  - {name: batch, namespace: shop, labels: {app: batch}, ips: [10.200.0.9]}
EOF
cat >"$D/pol/db.yaml" <<'EOF'
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: db-from-web, namespace: shop}
spec:
  podSelector: {matchLabels: {app: db}}
  ingress:
    - from: [{podSelector: {matchLabels: {app: web}}}]
EOF

# free_port: a loopback TCP port nobody listens on now
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
MP=$(free_port)
M=http://127.0.0.1:$MP/metrics
start_agent "$D/log.json" --policies "$D/pol" --inventory "$D/inv.yaml" --control "$D/ctl" \
	--metrics "127.0.0.1:$MP"
check "agent ready" eventually 15 log_has '.event.action=="ready"'
check "the endpoint answers" eventually 5 curl -sf -o "$D/m1.txt" "$M"

# --- the text itself
check "promtool check metrics accepts the text" bash -c "promtool check metrics <'$D/m1.txt'"
check "content type is the 0.0.4 text format" bash -c \
	"curl -s -o /dev/null -w '%{content_type}' '$M' | grep -q 'text/plain; version=0.0.4'"
states=$("$BULKHEAD" status --control "$D/ctl" --json | jq -r '[.workloads[].state] | sort | unique | join(",")')
check_eq "status reports enforced and no-netns here" "enforced,no-netns" "$states"
for s in $(grep -o 'state="[^"]*"' "$D/m1.txt" | cut -d'"' -f2); do
	check "state $s of bulkhead_workloads is a state of status" \
		grep -q "\"$s\"" <(sed -n '/bh_wl_state_names/,/};/p' "$BH_ROOT/agent/agent_status.c")
done
check "no label takes addresses or ports" bash -c "! grep -E '\{[^}]*(ip|addr|port)=' '$D/m1.txt'"
check_eq "HEAD answers 200" 200 "$(curl -s -I -o /dev/null -w '%{http_code}' "$M")"
check_eq "another path is 404" 404 "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$MP/")"
check_eq "POST is 405" 405 "$(curl -s -o /dev/null -w '%{http_code}' -X POST -d x "$M")"

# --- a real prometheus scrapes it
PP=$(free_port)
mkdir -p "$D/prom"
cat >"$D/prom.yml" <<EOF
global: {scrape_interval: 1s, evaluation_interval: 1s}
rule_files: [$BH_ROOT/examples/prometheus/alerts.yml]
scrape_configs:
  - job_name: bulkhead
    static_configs: [{targets: ["127.0.0.1:$MP"]}]
EOF
prometheus --config.file="$D/prom.yml" --storage.tsdb.path="$D/prom" \
	--web.listen-address="127.0.0.1:$PP" --log.level=warn >"$D/prom.log" 2>&1 &
PROM=$!
on_exit "kill $PROM; wait $PROM"
Q=http://127.0.0.1:$PP/api/v1/query
# q EXPR: the first value of an instant query, empty when none
q() { curl -sf --max-time 5 -G "$Q" --data-urlencode "query=$1" | jq -r '.data.result[0].value[1] // empty'; }
# q_is EXPR VALUE
q_is() { [ "$(q "$1")" = "$2" ]; }
check "prometheus is ready" eventually 30 curl -sf -o /dev/null "http://127.0.0.1:$PP/-/ready"
check "up == 1" eventually 30 q_is 'up{job="bulkhead"}' 1
check "bulkhead_workloads sums to the inventory's 3 workloads" eventually 10 q_is 'sum(bulkhead_workloads)' 3
check "2 enforced, 1 without a namespace" q_is 'bulkhead_workloads{state="enforced"} + on() bulkhead_workloads{state="no-netns"} * 10' 12
check "bulkhead_build_info is 1" q_is 'bulkhead_build_info' 1
check "the alert rules are loaded" bash -c "curl -sf 'http://127.0.0.1:$PP/api/v1/rules' | jq -e '[.data.groups[].rules[]] | length >= 6' >/dev/null"
before=$(q 'bulkhead_denied_total{direction="ingress"}')
check "denied_total is scraped" test -n "$before"
can_reach out tcp 10.200.0.3 5432 600 && nok "out -> db:5432 must be denied" || ok "out -> db:5432 denied"
check "the line is written" eventually 5 log_has '.event.action=="denied" and .destination.port==5432'
check "bulkhead_denied_total{direction=\"ingress\"} rises after a denied probe" \
	eventually 15 bash -c "v=\$(curl -sf -G '$Q' --data-urlencode 'query=bulkhead_denied_total{direction=\"ingress\"}' | jq -r '.data.result[0].value[1]'); [ \"\$v\" -gt '${before:-0}' ] 2>/dev/null"
curl -sf "$M" >"$D/m2.txt"
check "promtool check metrics accepts the text after traffic" bash -c "promtool check metrics <'$D/m2.txt'"

# --- hostile clients
# a slow client: half a request line, then silence
python3 - "$MP" >"$D/slow.out" 2>&1 <<'EOF' &
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(b"GET /metr")
t = time.time()
s.settimeout(60)
try:
    d = s.recv(100)
except Exception as e:
    d = b"error"
print("closed after %.1f s" % (time.time() - t))
EOF
SLOW=$!
on_exit "kill $SLOW"
# idle connections: with the slow one, one short of the limit
python3 - "$MP" >"$D/idle.out" 2>&1 <<'EOF' &
import socket, sys, time
ss = [socket.create_connection(("127.0.0.1", int(sys.argv[1]))) for _ in range(6)]
time.sleep(3)
EOF
IDLE=$!
on_exit "kill $IDLE"
sleep 0.5
check "a scrape is answered while a slow client and idle connections wait" \
	curl -sf --max-time 3 -o /dev/null "$M"
check "the control socket answers meanwhile" \
	timeout 3 "$BULKHEAD" status --control "$D/ctl" --json
# garbage: binary bytes, a line that is no request, an unknown version:
# each is closed (with a 4xx/5xx or without an answer) by the deadline at
# the latest, never served
cat >"$D/raw.py" <<'EOF'
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=30)
try:
    s.sendall(eval(sys.argv[2]))  # the test's own byte expressions
except OSError:
    pass
t = time.time()
d = b""
try:
    while True:
        c = s.recv(4096)
        if not c:
            break
        d += c
except socket.timeout:
    print("not closed")
    sys.exit()
except OSError:
    pass
first = d.split(b"\r\n")[0].decode(errors="replace")
print("closed after %d s: %s" % (time.time() - t, first or "no answer"))
EOF
for g in 'b"\x00\x01\x02 \xff\xfe garbage\r\n\r\n"' 'b"garbage\r\n\r\n"' 'b"GET / HTTP/9.9\r\n\r\n"' \
	'b"GET /metrics HTTP/1.1\r\nHost: x\r\nX-Pad: " + b"a" * 65536 + b"\r\n\r\n"'; do
	r=$(python3 "$D/raw.py" "$MP" "$g")
	check "hostile request ${g:0:40}: $r" bash -c "echo '$r' | grep -qE '^closed after ([0-9]|1[0-5]) s: (no answer|HTTP/1\.[01] [45][0-9][0-9])'"
done
check "still answering after hostile clients" curl -sf --max-time 3 -o /dev/null "$M"
wait "$SLOW"
check "the slow client was closed by the deadline" grep -qE 'closed after ([0-9]|1[0-9])\.' "$D/slow.out"
check "the agent is still running" kill -0 "$AGENT_PID"

# --- shutdown: the agent closes the endpoint with its loop (no handle left)
kill "$AGENT_PID"
wait "$AGENT_PID"
check_eq "agent exits 0" 0 "$?"
check "no handle left open at exit" bash -c "! grep -q 'handles left open' '$D/log.json.err'"
check "the port is released" bash -c "! curl -sf --max-time 2 -o /dev/null '$M'"
