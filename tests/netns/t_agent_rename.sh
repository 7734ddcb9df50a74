#!/usr/bin/env bash
# A workload renamed in place (an inventory edit; `docker rename` is the same
# for the agent) keeps its network namespace. The agent must move its state
# to the new name: the table stays in force right after the rename (the old
# name's entry must not delete the table the new name now uses), status
# shows the new name enforced, and the NFLOG reader follows, so denied
# attempts are logged under the new name.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/agent_lib.sh"

D=$(mktemp -d /tmp/bhr-rename.XXXXXX)
on_exit "rm -rf $D"
mkdir -p "$D/pol"

mk_hub || { nok "hub namespace"; exit 1; }
mk_ns web 10.97.0.1 && mk_ns db 10.97.0.3 || { nok "namespaces"; exit 1; }
listen db 5432 || { nok "listener"; exit 1; }

inv() {	# inv DBNAME: the inventory with db's workload called DBNAME
	cat >"$D/inv.tmp" <<EOI
workloads:
  - {name: web, namespace: shop, labels: {app: web}, netns: /run/netns/$P-web, ips: [10.97.0.1]}
  - {name: $1, namespace: shop, labels: {app: db}, netns: /run/netns/$P-db, ips: [10.97.0.3]}
EOI
	mv "$D/inv.tmp" "$D/inv.yaml"
}
cat >"$D/pol/db.yaml" <<'EOP'
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: db-deny, namespace: shop}
spec:
  podSelector: {matchLabels: {app: db}}
  ingress: []
EOP
inv db
CTL=$D/ctl.sock
start_agent "$D/log.json" --policies "$D/pol" --inventory "$D/inv.yaml" --control "$CTL" \
	--debounce-ms 50 --resync-interval 0 --log-rate 0
check "agent ready" eventually 10 log_has '.event.action=="ready"'
check "db has its table" has_table db
check_not "web -> db:5432 denied" probe web 10.97.0.3 5432
check "the denial is logged under db" eventually 5 \
	log_has '.event.action=="denied" and .bulkhead.destination_workload.name=="db"'

status_has() {	# status_has JQFILTER
	"$BULKHEAD" status --control "$CTL" --json 2>/dev/null | jq -e "$1" >/dev/null
}

inv database
check "the rename is reconciled" eventually 5 \
	status_has '[.workloads[] | select(.name=="database" and .state=="enforced")] | length == 1'
# no resync can repair it here (--resync-interval 0): the table must never go
check "db's table stays in force after the rename" has_table db
check "status no longer lists the old name" status_has '[.workloads[] | select(.name=="db")] | length == 0'
check_not "web -> db:5432 still denied" probe web 10.97.0.3 5432
check "the reader follows: the denial is logged under the new name" eventually 5 \
	log_has '.event.action=="denied" and .bulkhead.destination_workload.name=="database"'
diag "denials: $(jq -c 'select(.event.action=="denied") | [.bulkhead.destination_workload.name, .container.name, .destination.port]' "$D/log.json" | tr '\n' ' ')"
check_eq "no NFLOG reader failed to open" 0 \
	"$("$BULKHEAD" status --control "$CTL" --json | jq '.counters.log_reader_errors')"

# and back, with a policy edit in the same reconcile
inv db
check "renamed back" eventually 5 \
	status_has '[.workloads[] | select(.name=="db" and .state=="enforced")] | length == 1'
check "the table is still there" has_table db
check_not "web -> db:5432 denied after renaming back" probe web 10.97.0.3 5432
