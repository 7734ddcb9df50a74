#!/usr/bin/env bash
# Two workloads in one network namespace would replace each other's table.
# The same path twice is an inventory error (tests/golden/check); two
# different paths bind-mounted to one namespace are found at run time, by
# the same check in `check --inventory`, `apply` (before anything is
# touched) and the agent (invalid-inventory, the last good inventory stays).
# Also: NFLOG group 0 is a working group for the agent's log.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/agent_lib.sh"

D=$(mktemp -d /tmp/bhs-shared.XXXXXX)
on_exit "rm -rf $D"
mkdir -p "$D/pol"

mk_hub || { nok "hub namespace"; exit 1; }
mk_ns web 10.98.0.1 && mk_ns db 10.98.0.3 || { nok "namespaces"; exit 1; }
listen db 5432
# a second path to db's namespace
touch "$D/db-alias"
mount --bind "/run/netns/$P-db" "$D/db-alias" || { nok "bind mount"; exit 1; }
on_exit "umount $D/db-alias"
check "the alias is db's namespace" [ "$(stat -L -c %d:%i "$D/db-alias")" = "$(stat -L -c %d:%i "/run/netns/$P-db")" ]

good() {	# the inventory without the second path
	cat >"$1" <<EOI
workloads:
  - {name: web, namespace: shop, labels: {app: web}, netns: /run/netns/$P-web, ips: [10.98.0.1]}
  - {name: db, namespace: shop, labels: {app: db}, netns: /run/netns/$P-db, ips: [10.98.0.3]}
EOI
}
good "$D/good.yaml"
good "$D/shared.yaml"
echo "  - {name: sidecar, namespace: shop, labels: {app: sidecar}, netns: $D/db-alias, ips: [10.98.0.33]}" >>"$D/shared.yaml"
cat >"$D/pol/db.yaml" <<'EOF2'
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: db-deny, namespace: shop}
spec:
  podSelector: {matchLabels: {app: db}}
  ingress: []
EOF2

# ---- check --inventory ----------------------------------------------------------------
"$BULKHEAD" check --inventory "$D/shared.yaml" >"$D/out" 2>"$D/err"
check_eq "check: two paths to one namespace is invalid (exit 1)" 1 "$?"
check_eq "check: reported at the second entry with file:line:col, naming both" \
	"$D/shared.yaml:4:5: error: workloads shop/db and shop/sidecar share the network namespace /run/netns/$P-db (as $D/db-alias; the first is at $D/shared.yaml:3:5): each would replace the other's table" \
	"$(cat "$D/err")"
"$BULKHEAD" check --inventory "$D/good.yaml" >/dev/null 2>&1
check_eq "check: distinct namespaces are fine" 0 "$?"

# ---- apply refuses before touching anything ------------------------------------------------
"$BULKHEAD" apply --inventory "$D/shared.yaml" --policies "$D/pol" >"$D/out" 2>"$D/err"
check_eq "apply: refused (exit 2)" 2 "$?"
check "apply: the shared namespace is reported" grep -q "shop/sidecar share the network namespace" "$D/err"
check "apply: nothing changed" grep -q "nothing changed" "$D/err"
check_not "apply: no table in db" has_table db
check_not "apply: no table in web either" has_table web
diag "$(cat "$D/err")"

# ---- the agent: refused at start, and as an edit while it runs -----------------------------------
CTL=$D/ctl.sock
"$BULKHEAD" agent --policies "$D/pol" --inventory "$D/shared.yaml" --control "$CTL" \
	--log "$D/bad.json" >/dev/null 2>"$D/bad.err" &
bad=$!
on_exit "kill -9 $bad 2>/dev/null"
rc=0
for ((i = 0; i < 100; i++)); do kill -0 "$bad" 2>/dev/null || break; sleep 0.1; done
wait "$bad" || rc=$?
check_eq "agent started on the shared inventory: refused (exit 2)" 2 "$rc"
AGENT_LOG=$D/bad.json
check "agent: invalid-inventory line at start" \
	log_has '.event.action=="invalid-inventory" and (.message|test("shared.yaml:4:5: .*share the network namespace"))'
check_not "agent refused at start: no table in db" has_table db

cp "$D/good.yaml" "$D/inv.yaml"
# NFLOG group 0 is an ordinary group: the agent logs through it
start_agent "$D/log.json" --policies "$D/pol" --inventory "$D/inv.yaml" --control "$CTL" \
	--debounce-ms 50 --log-group 0
check "agent with --log-group 0 is ready" eventually 10 log_has '.event.action=="ready"'
check "log group 0 in db's table" bash -c "ip netns exec $P-db nft list table inet bulkhead | grep -q 'group 0$'"
check_not "web -> db:5432 denied" probe web 10.98.0.3 5432
check "the denial is logged through group 0" eventually 5 log_has '.event.action=="denied" and .destination.port==5432'
gen=$("$BULKHEAD" status --json --control "$CTL" | jq .generation)

cp "$D/shared.yaml" "$D/inv.yaml.tmp" && mv "$D/inv.yaml.tmp" "$D/inv.yaml"
check "agent: the edit is an invalid-inventory line with file:line:col" \
	eventually 5 log_has '.event.action=="invalid-inventory" and (.message|test("inv.yaml:4:5: .*shop/sidecar share the network namespace"))'
check_eq "agent: the last good inventory stays (2 workloads)" 2 \
	"$("$BULKHEAD" status --json --control "$CTL" | jq '.workloads|length')"
check_eq "agent: generation unchanged" "$gen" "$("$BULKHEAD" status --json --control "$CTL" | jq .generation)"
check "agent: db keeps its table" has_table db
check_not "agent: still denied web -> db:5432" probe web 10.98.0.3 5432
kill -TERM "$AGENT_PID"; wait "$AGENT_PID"
