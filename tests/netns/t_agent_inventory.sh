#!/usr/bin/env bash
# The agent with an inventory of test namespaces: policy and inventory edits
# while it runs, an invalid edit keeps the old rules, a table deleted by hand
# comes back after a resync, kill -9 and restart never opens access, and
# denied connections are logged as JSON lines with the right fields.
# The agent runs with --table-mode unowned: deleting its table by hand is
# what this test does, and owned tables refuse that (t_agent_owned.sh).
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/agent_lib.sh"

D=$(mktemp -d /tmp/bha-agent.XXXXXX)
on_exit "rm -rf $D"
mkdir -p "$D/pol"

mk_hub || { nok "hub namespace"; exit 1; }
mk_ns web 10.99.0.1 && mk_ns api 10.99.0.2 && mk_ns db 10.99.0.3 || { nok "namespaces"; exit 1; }
listen db 5432 9100
listen api 8080

write_inventory() {	# API_LABEL
	cat >"$D/inv.yaml.tmp" <<EOI
namespaces:
  - name: shop
    labels: {team: shop}
workloads:
  - {name: web, namespace: shop, labels: {app: web}, netns: /run/netns/$P-web, ips: [10.99.0.1]}
  - {name: api, namespace: shop, labels: {app: $1}, netns: /run/netns/$P-api, ips: [10.99.0.2]}
  - name: db
    namespace: shop
    labels: {app: db}
    netns: /run/netns/$P-db
    ports: [{name: postgres, port: 5432}]
EOI
	mv "$D/inv.yaml.tmp" "$D/inv.yaml"	# an editor's atomic rename
}
write_inventory api

cat >"$D/pol/db.yaml" <<'EOF2'
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: db-from-api, namespace: shop}
spec:
  podSelector: {matchLabels: {app: db}}
  policyTypes: [Ingress]
  ingress:
    - from: [{podSelector: {matchLabels: {app: api}}}]
      ports: [{port: postgres}]
EOF2

CTL=$D/ctl.sock
ARGS=(--policies "$D/pol" --inventory "$D/inv.yaml" --control "$CTL" --debounce-ms 100
      --resync-interval 2 --hostname node-t --table-mode unowned)
start_agent "$D/log.json" "${ARGS[@]}"
check "agent writes a start line" eventually 5 log_has '.event.action=="start"'
check "ready line once every namespace is enforced" eventually 10 log_has '.event.action=="ready"'
check "table in db's namespace" has_table db
check "db address read from its namespace (no ips in the inventory)" \
	eventually 2 bash -c "'$BULKHEAD' status --json --control '$CTL' | jq -e '.workloads[]|select(.name==\"db\")|.ips==[\"10.99.0.3\"]' >/dev/null"

check "api -> db:5432 allowed" probe api 10.99.0.3 5432
check_not "web -> db:5432 denied" probe web 10.99.0.3 5432
check_not "api -> db:9100 denied (port not allowed)" probe api 10.99.0.3 9100
check "web -> api:8080 allowed (api not isolated)" probe web 10.99.0.2 8080

# The denied attempt is one JSON line with the right fields.
DENY='.event.action=="denied" and .source.ip=="10.99.0.1" and .destination.ip=="10.99.0.3" and .destination.port==5432'
check "denied line for web -> db:5432" eventually 5 log_has "$DENY"
check "denied line names both workloads" log_has "$DENY and .bulkhead.source_workload.name==\"web\" and .bulkhead.destination_workload.name==\"db\" and .bulkhead.destination_workload.labels.app==\"db\""
check "denied line names the isolating policy" log_has "$DENY and (.bulkhead.isolated_by|index(\"shop/db-from-api\")) != null and .network.transport==\"tcp\" and .network.direction==\"ingress\" and .host.hostname==\"node-t\" and .orchestrator.namespace==\"shop\""
check "denied line carries @timestamp and a generation" log_has "$DENY and (.\"@timestamp\"|test(\"Z$\")) and .bulkhead.generation>=1"
diag "denied line: $(jq -c "select($DENY)" "$D/log.json" | head -1)"
log_barrier web 10.99.0.3 || diag "no line for the barrier web -> db:9"	# a retransmitted SYN would be logged by now
check_eq "one line per attempt (SYN retransmissions folded)" 1 "$(count_lines "$DENY")"

# Policy edit: allow web -> db too (written to a temporary name, then renamed).
gen0=$("$BULKHEAD" status --json --control "$CTL" | jq .generation)
cat >"$D/pol/.web.yaml.swp" <<'EOF2'
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: db-from-web, namespace: shop}
spec:
  podSelector: {matchLabels: {app: db}}
  ingress:
    - from: [{podSelector: {matchLabels: {app: web}}}]
      ports: [{port: 5432}]
EOF2
mv "$D/pol/.web.yaml.swp" "$D/pol/web.yaml"
check "policy edit: web -> db:5432 allowed within 5 s" eventually 5 probe web 10.99.0.3 5432
# the reconciled line follows the programming the probe saw: wait for it too
check "policy edit reprograms only db's namespace" \
	eventually 2 log_has '.event.action=="reconciled" and .bulkhead.namespaces_touched==1 and .bulkhead.generation>'"$gen0"
check "reconciled line carries the event-to-enforced latency" \
	eventually 2 log_has '.event.action=="reconciled" and .bulkhead.event_to_enforced_ms>0'

# Invalid policy edit: reported with file:line:col, old rules stay.
gen1=$("$BULKHEAD" status --json --control "$CTL" | jq .generation)
printf 'apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: bad, namespace: shop}\nspec:\n  podSelector: {matchLabels: {app: web}}\n  ingress:\n    - ports: [{port: 70000}]\n' >"$D/pol/bad.yaml"
check "invalid policy reported as a lifecycle line with file:line:col" \
	eventually 5 log_has '.event.action=="invalid-policy" and (.message|test("bad.yaml:[0-9]+:[0-9]+: "))'
check "invalid policy reported on stderr" eventually 2 grep -q "bad.yaml:[0-9]*:[0-9]*:" "$D/log.json.err"
check "after an invalid edit: web -> db:5432 still allowed" probe web 10.99.0.3 5432
check "after an invalid edit: web -> api still allowed (bad policy not applied)" probe web 10.99.0.2 8080
check_eq "after an invalid edit: generation unchanged" "$gen1" \
	"$("$BULKHEAD" status --json --control "$CTL" | jq .generation)"
check "status shows the last error" bash -c "'$BULKHEAD' status --control '$CTL' | grep -q 'bad.yaml'"
rm -f "$D/pol/bad.yaml" "$D/pol/web.yaml"
check "policy removed: web -> db:5432 denied again" eventually 5 bash -c "! ip netns exec $P-web timeout 1 bash -c 'exec 3<>/dev/tcp/10.99.0.3/5432' 2>/dev/null"

# Inventory edit: api loses its label, so db no longer admits it.
write_inventory other
check "inventory edit: api -> db:5432 denied within 5 s" eventually 5 bash -c "! ip netns exec $P-api timeout 1 bash -c 'exec 3<>/dev/tcp/10.99.0.3/5432' 2>/dev/null"
printf 'workloads:\n  - name: [oops\n' >"$D/inv.yaml.tmp" && mv "$D/inv.yaml.tmp" "$D/inv.yaml"
check "invalid inventory reported with file:line:col" \
	eventually 5 log_has '.event.action=="invalid-inventory" and (.message|test("inv.yaml:[0-9]+:[0-9]+: "))'
check_not "after an invalid inventory: api -> db still denied" probe api 10.99.0.3 5432
write_inventory api
check "inventory fixed: api -> db:5432 allowed" eventually 5 probe api 10.99.0.3 5432

# A table deleted by hand comes back with the next resync (every 2 s).
ip netns exec "$P-db" nft delete table inet bulkhead
check "deleted table re-created by the resync" eventually 6 has_table db
check "after resync: web -> db:5432 denied" eventually 3 bash -c "! ip netns exec $P-web timeout 1 bash -c 'exec 3<>/dev/tcp/10.99.0.3/5432' 2>/dev/null"
check "resync reported" eventually 3 log_has '.event.action=="resync" and .bulkhead.recreated>=1'

# Control socket is private.
check_eq "control socket mode 0600" 600 "$(stat -c %a "$CTL")"
check "reload over the control socket" bash -c "'$BULKHEAD' reload --control '$CTL' >/dev/null"
ctl_req() {	# JSON: one request over the control socket, prints the answer
	python3 -c 'import socket, sys
s = socket.socket(socket.AF_UNIX); s.settimeout(10); s.connect(sys.argv[1])
s.sendall(sys.argv[2].encode() + b"\n"); s.shutdown(socket.SHUT_WR)
print(s.makefile().read(), end="")' "$CTL" "$1"
}
check "reconcile-now for one workload (pre-start hook path)" \
	bash -c "$(declare -f ctl_req); CTL='$CTL' ctl_req '{\"cmd\":\"reconcile\",\"workload\":\"shop/db\"}' | jq -e '.ok==true' >/dev/null"
check "unknown control command answered with an error" \
	bash -c "$(declare -f ctl_req); CTL='$CTL' ctl_req '{\"cmd\":\"dance\"}' | jq -e '.error' >/dev/null"

# kill -9 and restart: probes all along never get through. The prober
# counts its finished probes, so the test waits for whole probes before the
# kill, while no agent runs and after the new one is ready (at most 30 s).
: >"$D/opened"
: >"$D/probes"
( end=$((SECONDS + 30)); while [ $SECONDS -lt $end ] && [ ! -e "$D/stop" ]; do
	ip netns exec "$P-web" timeout 0.3 bash -c 'exec 3<>/dev/tcp/10.99.0.3/5432' 2>/dev/null && echo open >>"$D/opened"
	echo >>"$D/probes"
	sleep 0.05
  done ) &
PROBER=$!
on_exit "kill $PROBER 2>/dev/null"
# probes_after N: more than N+1 probes finished, so one ran wholly after the Nth
probes_after() { [ "$(wc -l <"$D/probes")" -gt "$(($1 + 1))" ]; }
eventually 5 probes_after 0
kill -9 "$AGENT_PID"; wait "$AGENT_PID" 2>/dev/null
check "after kill -9 the table stays" has_table db
eventually 5 probes_after "$(wc -l <"$D/probes")"
start_agent "$D/log2.json" "${ARGS[@]}"
check "restarted agent is ready" eventually 10 log_has '.event.action=="ready"'
eventually 5 probes_after "$(wc -l <"$D/probes")"
touch "$D/stop"
wait "$PROBER"
check_eq "no probe got through during the restart" 0 "$(wc -l <"$D/opened")"
check "after restart: api -> db:5432 allowed" probe api 10.99.0.3 5432
check_not "after restart: web -> db:5432 denied" probe web 10.99.0.3 5432

# Log rotation: the file is renamed, SIGUSR1 reopens it, new lines land in the new file.
mv "$D/log2.json" "$D/log2.json.1"
kill -USR1 "$AGENT_PID"
eventually 5 test -e "$D/log2.json"	# the agent has reopened its file
probe web 10.99.0.3 5432
check "after SIGUSR1 new lines go to a new file" eventually 5 log_has '.event.action=="denied" and .destination.port==5432'
check "the rotated file keeps the old lines" grep -q '"ready"' "$D/log2.json.1"

# SIGTERM: clean exit, rules left in force.
kill -TERM "$AGENT_PID"
rc=0; wait "$AGENT_PID" || rc=$?
check_eq "SIGTERM exits 0" 0 "$rc"
check "stop line written" log_has '.event.action=="stop"'
check "rules stay in force after SIGTERM" has_table db
check_not "control socket removed at exit" test -e "$CTL"

# --remove-on-exit deletes the tables.
start_agent "$D/log3.json" "${ARGS[@]}" --remove-on-exit
check "third start ready" eventually 10 log_has '.event.action=="ready"'
kill -TERM "$AGENT_PID"; wait "$AGENT_PID"
check_not "--remove-on-exit removes the tables" has_table db

# A namespace that does not exist yet: reported once, retried, then enforced;
# "ready" waits for it.
cat >"$D/late.yaml" <<EOI
workloads:
  - {name: web, namespace: shop, labels: {app: web}, netns: /run/netns/$P-web, ips: [10.99.0.1]}
  - {name: late, namespace: shop, labels: {app: late}, netns: /run/netns/$P-late, ips: [10.99.0.9]}
EOI
start_agent "$D/log4.json" --policies "$D/pol" --inventory "$D/late.yaml" --control "$CTL" --debounce-ms 50
check "missing namespace reported" eventually 5 log_has '.event.action=="program-failed" and .bulkhead.workload=="shop/late"'
check_eq "status: late workload failed" failed \
	"$("$BULKHEAD" status --json --control "$CTL" | jq -r '.workloads[]|select(.name=="late")|.state')"
check_not "no ready line while a namespace is missing" log_has '.event.action=="ready"'
# the retry runs every second: wait until two retries failed as well
failed_at_least() {
	"$BULKHEAD" status --json --control "$CTL" | jq -e ".counters.namespaces_failed >= $1" >/dev/null
}
eventually 10 failed_at_least 3
check_eq "failure reported once despite retries" 1 "$(count_lines '.event.action=="program-failed"')"
ip netns add "$P-late" && on_exit "ip netns del $P-late"
check "namespace appears: enforced by the retry" eventually 5 has_table late
check "ready once the last namespace is enforced" eventually 5 log_has '.event.action=="ready"'
kill -TERM "$AGENT_PID"; wait "$AGENT_PID"
