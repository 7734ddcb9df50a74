#!/usr/bin/env bash
# Owned, persistent tables and tamper detection, against a running agent:
#  - owned mode (the default on this kernel): nobody else can delete or
#    change the table (EPERM), `nft flush ruleset` leaves it in force, a
#    foreign table is reported as a tamper line naming the workload,
#    `apply`/`reset` from another process are refused naming the agent;
#  - kill -9: the table stays (persist, owner flag cleared by the kernel),
#    denied connections stay denied, and a restarted agent adopts it;
#  - the operator's break-glass: `reset --all` over the control socket;
#  - unowned mode (--table-mode unowned): the same checks, with the table
#    repaired instead of the change refused.
# Table flags are read over netlink (bhnft_flags): nft 1.0.6 does not print persist.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/agent_lib.sh"

FLAGS=$BH_TOOLS/bhnft_flags
[ -x "$FLAGS" ] || { nok "missing $FLAGS (make tools)"; exit 1; }
D=$(mktemp -d /tmp/bha-owned.XXXXXX)
on_exit "rm -rf $D"
mkdir -p "$D/pol"

mk_hub || { nok "hub namespace"; exit 1; }
mk_ns web 10.98.0.1 && mk_ns api 10.98.0.2 && mk_ns db 10.98.0.3 || { nok "namespaces"; exit 1; }
listen db 5432

cat >"$D/inv.yaml" <<EOI
workloads:
  - {name: web, namespace: shop, labels: {app: web}, netns: /run/netns/$P-web, ips: [10.98.0.1]}
  - {name: api, namespace: shop, labels: {app: api}, netns: /run/netns/$P-api, ips: [10.98.0.2]}
  - {name: db, namespace: shop, labels: {app: db}, netns: /run/netns/$P-db, ips: [10.98.0.3]}
EOI
cat >"$D/pol/db.yaml" <<'EOF2'
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: db-from-api, namespace: shop}
spec:
  podSelector: {matchLabels: {app: db}}
  ingress: [{from: [{podSelector: {matchLabels: {app: api}}}], ports: [{port: 5432}]}]
EOF2

CTL=$D/ctl.sock
ARGS=(--policies "$D/pol" --inventory "$D/inv.yaml" --control "$CTL" --debounce-ms 20
      --resync-interval 60 --hostname node-t)
flags() { ip netns exec "$P-$1" "$FLAGS"; }
status() { "$BULKHEAD" status --json --control "$CTL"; }
tables_named() {	# NS: how many "table inet bulkhead" the namespace lists
	ip netns exec "$P-$1" nft list tables | grep -c '^table inet bulkhead$'
}
denied() { ! probe "$1" 10.98.0.3 5432; }
TAMPER_FOO='.event.action=="tamper" and .bulkhead.workload=="shop/db" and .bulkhead.tamper.table=="foo" and .bulkhead.tamper.object=="table" and .bulkhead.tamper.op=="added" and .process.name=="nft" and (.process.pid|type)=="number"'

# ---- owned -----------------------------------------------------------------------------
start_agent "$D/log.json" "${ARGS[@]}"
check "owned: ready" eventually 10 log_has '.event.action=="ready"'
check "owned: ready line says table_mode owned" log_has '.event.action=="ready" and .bulkhead.table_mode=="owned"'
check_eq "owned: status says table_mode owned" owned "$(status | jq -r .table_mode)"
check "owned: the table carries owner and persist" bash -c "$(declare -f flags); FLAGS=$FLAGS P=$P flags db | grep -q '^flags 0x6 owner persist portid [0-9]'"
check "owned: api -> db allowed" probe api 10.98.0.3 5432
check "owned: web -> db denied" denied web
check_not "owned: nft delete table from outside fails" ip netns exec "$P-db" nft delete table inet bulkhead
check "owned: ... with EPERM" bash -c "ip netns exec $P-db nft delete table inet bulkhead 2>&1 | grep -q 'Operation not permitted'"
check "owned: the table is still there" has_table db
ip netns exec "$P-db" nft flush ruleset
check "owned: after flush ruleset: table still there" has_table db
check "owned: after flush ruleset: web -> db still denied" denied web
ip netns exec "$P-db" nft add table inet foo
check "owned: a foreign table gives a tamper line naming the workload (2 s)" eventually 2 log_has "$TAMPER_FOO"
check "owned: the foreign table is left alone" ip netns exec "$P-db" nft list table inet foo
check "owned: status counts tamper events" bash -c "[ \$('$BULKHEAD' status --json --control '$CTL' | jq .counters.tamper_events) -ge 1 ]"
# (--control names no agent: reset asks the agent it finds there to let go)
out=$("$BULKHEAD" reset --inventory "$D/inv.yaml" --control "$D/none.sock" 2>&1 >/dev/null); rc=$?
check_eq "owned: reset from another process fails" 1 "$rc"
check "owned: ... naming the agent's pid" grep -q "owned by process $AGENT_PID" <<<"$out"
check "owned: ... pointing at reset --all" grep -q "reset --all" <<<"$out"
check "owned: the tables stay after the refused reset" has_table db
out=$("$BULKHEAD" apply --inventory "$D/inv.yaml" --policies "$D/pol" --force 2>&1 >/dev/null); rc=$?
check_eq "owned: apply from another process fails" 1 "$rc"
check "owned: ... naming the agent's pid" grep -q "owned by process $AGENT_PID" <<<"$out"
check "owned: apply leaves the agent's table in force" bash -c "$(declare -f flags); FLAGS=$FLAGS P=$P flags db | grep -q '^flags 0x6 owner persist portid'"

# kill -9: the rules stay in force, the next agent adopts them
: >"$D/opened"
( end=$((SECONDS + 6)); while [ $SECONDS -lt $end ]; do
	ip netns exec "$P-web" timeout 0.3 bash -c 'exec 3<>/dev/tcp/10.98.0.3/5432' 2>/dev/null && echo open >>"$D/opened"
	sleep 0.05
  done ) &
PROBER=$!
sleep 0.5
kill -9 "$AGENT_PID"; wait "$AGENT_PID" 2>/dev/null
check "kill -9: the table stays" has_table db
check "kill -9: persist only, the kernel cleared the owner" bash -c "$(declare -f flags); FLAGS=$FLAGS P=$P flags db | grep -qx 'flags 0x4 persist'"
check "kill -9: web -> db still denied" denied web
start_agent "$D/log2.json" "${ARGS[@]}"
check "restart: ready" eventually 10 log_has '.event.action=="ready"'
wait "$PROBER"
check_eq "restart: no probe got through meanwhile" 0 "$(wc -l <"$D/opened")"
check_eq "restart: exactly one table inet bulkhead" 1 "$(tables_named db)"
check "restart: owner set again" bash -c "$(declare -f flags); FLAGS=$FLAGS P=$P flags db | grep -q '^flags 0x6 owner persist portid'"
check "restart: api -> db allowed" probe api 10.98.0.3 5432
check "restart: web -> db denied" denied web

# break-glass: the agent removes its tables and stops enforcing until reload
check "reset --all asks the agent" bash -c "'$BULKHEAD' reset --all --control '$CTL' >/dev/null"
check_not "reset --all: the table is gone" has_table db
check "reset --all: web -> db open" probe web 10.98.0.3 5432
check "reset --all: lifecycle line" log_has '.event.action=="reset" and .bulkhead.tables_removed==3'
check_eq "reset --all: status says not enforcing" false "$(status | jq .enforcing)"
"$BULKHEAD" reload --control "$CTL" >/dev/null
check "reload resumes enforcement" eventually 3 has_table db
check "reload: web -> db denied again" denied web
check "reset --inventory through the agent's control socket succeeds" \
	bash -c "'$BULKHEAD' reset --inventory '$D/inv.yaml' --control '$CTL' >/dev/null"
check_not "... the agent let go: the table is gone" has_table db
"$BULKHEAD" reload --control "$CTL" >/dev/null
check "reload resumes enforcement again" eventually 3 has_table db
kill -TERM "$AGENT_PID"; wait "$AGENT_PID"
check "SIGTERM leaves the owned table in force" has_table db

# --remove-on-exit removes owned tables
start_agent "$D/log3.json" "${ARGS[@]}" --remove-on-exit
check "remove-on-exit: ready" eventually 10 log_has '.event.action=="ready"'
kill -TERM "$AGENT_PID"; wait "$AGENT_PID"
check_not "remove-on-exit: the owned table is removed" has_table db

# ---- unowned: repair instead of refusal -------------------------------------------------
ip netns exec "$P-db" nft delete table inet foo 2>/dev/null
start_agent "$D/log4.json" "${ARGS[@]}" --table-mode unowned
check "unowned: ready" eventually 10 log_has '.event.action=="ready"'
check "unowned: ready line says table_mode unowned" log_has '.event.action=="ready" and .bulkhead.table_mode=="unowned"'
check_eq "unowned: status says unowned" unowned "$(status | jq -r .table_mode)"
check "unowned: no owner flag" bash -c "$(declare -f flags); FLAGS=$FLAGS P=$P flags db | grep -qx 'flags 0x0'"
check "unowned: nft delete table from outside succeeds" ip netns exec "$P-db" nft delete table inet bulkhead
check "unowned: the table is back within 1 s" eventually 1 has_table db
check "unowned: tamper line for the deletion" eventually 2 log_has '.event.action=="tamper" and .bulkhead.workload=="shop/db" and .bulkhead.tamper.table=="bulkhead" and .bulkhead.tamper.op=="deleted" and .bulkhead.tamper.object=="table" and .process.name=="nft"'
check "unowned: resync line for the repair" eventually 2 log_has '.event.action=="resync" and .bulkhead.cause=="tamper" and .bulkhead.workload=="shop/db" and .bulkhead.recreated==1 and .bulkhead.repair_ms < 1000'
check "unowned: after repair: web -> db denied" denied web
check "unowned: after repair: api -> db allowed" probe api 10.98.0.3 5432
ip netns exec "$P-db" nft flush ruleset
check "unowned: after flush ruleset: web -> db denied" denied web
check "unowned: after flush ruleset: table back" eventually 1 has_table db
ip netns exec "$P-db" nft add element inet bulkhead in4 '{ 10.98.0.1 . tcp . 5432 }' 2>/dev/null
check "unowned: an element added by hand is taken out again" eventually 1 bash -c "! ip netns exec $P-db nft list set inet bulkhead in4 | grep -q 10.98.0.1"
check "unowned: web -> db denied after the element was taken out" denied web
ip netns exec "$P-db" nft add table inet foo
check "unowned: a foreign table gives a tamper line (2 s)" eventually 2 log_has "$TAMPER_FOO"
kill -9 "$AGENT_PID"; wait "$AGENT_PID" 2>/dev/null
check "unowned: kill -9: the table stays" has_table db
check "unowned: kill -9: web -> db denied" denied web
start_agent "$D/log5.json" "${ARGS[@]}" --table-mode unowned
check "unowned: restart ready" eventually 10 log_has '.event.action=="ready"'
check_eq "unowned: restart: exactly one table inet bulkhead" 1 "$(tables_named db)"
check "unowned: restart: web -> db denied" denied web
check "unowned: restart: api -> db allowed" probe api 10.98.0.3 5432
kill -TERM "$AGENT_PID"; wait "$AGENT_PID"
