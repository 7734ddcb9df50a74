#!/usr/bin/env bash
# `bulkhead diff --flows` on a log the agent wrote in real namespaces: a
# connection the agent let through (and logged, bulkhead.io/log: all)
# that the new policies deny is listed first with its count; a denied one
# that the new policies allow is listed too; a record whose workload the
# inventory lacks is matched by its address.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/agent_lib.sh"
need_tools

D=$(mktemp -d /tmp/bhl-diff.XXXXXX)
on_exit "rm -rf $D"
mkdir -p "$D/old" "$D/new"

for n in web:1 api:2; do
	ns_add "${n%:*}" "${n#*:}" || { nok "namespace ${n%:*}"; exit 1; }
done
serve api tcp 8080 9090 || { nok "servers"; exit 1; }

cat >"$D/inv.yaml" <<EOF
namespaces:
  - {name: shop, labels: {team: shop}}
workloads:
  - {name: web, namespace: shop, labels: {app: web}, netns: $(ns_path web), ips: [10.200.0.1]}
  - {name: api, namespace: shop, labels: {app: api}, netns: $(ns_path api), ips: [10.200.0.2]}
EOF
# the same without web: its records are matched by address
sed '/name: web/d' "$D/inv.yaml" >"$D/inv-noweb.yaml"
policy() { # policy DIR PORT
	cat >"$1/api.yaml" <<EOF
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
      ports: [{port: $2}]
EOF
}
policy "$D/old" 8080
policy "$D/new" 9090

start_agent "$D/log.json" --policies "$D/old" --inventory "$D/inv.yaml" --control "$D/ctl"
check "agent ready" eventually 15 log_has '.event.action=="ready"'

for i in 1 2 3; do
	probe_ok "web -> api 8080/tcp allowed under the old policies ($i)" web tcp 10.200.0.2 8080
done
probe_denied "web -> api 9090/tcp denied under the old policies" web tcp 10.200.0.2 9090
ALLOWED='.event.action=="allowed" and .destination.port==8080'
DENIED='.event.action=="denied" and .destination.port==9090'
check "the allowed connections are logged" eventually 5 log_has "$ALLOWED"
check "the denied connection is logged" eventually 5 log_has "$DENIED"
kill "$AGENT_PID"; wait "$AGENT_PID" 2>/dev/null
n_allowed=$(count_lines "$ALLOWED")
n_denied=$(count_lines "$DENIED")
diag "log: $n_allowed allowed line(s) to 8080, $n_denied denied line(s) to 9090"

out=$("$BULKHEAD" diff --inventory "$D/inv.yaml" --old "$D/old" --new "$D/new" --flows "$D/log.json" \
	--format json 2>"$D/err"); rc=$?
check_eq "a change that breaks recorded flows: exit 1" 1 "$rc"
check_eq "nothing on stderr" "" "$(cat "$D/err")"
check_eq "the broken flow comes first, with its count" \
	"{\"from\":\"shop/web\",\"to\":\"shop/api\",\"protocol\":\"tcp\",\"port\":\"8080\",\"recorded\":\"allowed\",\"new\":\"denied\",\"count\":$n_allowed}" \
	"$(jq -c '.flows[0] | del(.last_seen)' <<<"$out")"
check_eq "the last time seen is the last allowed line's" \
	"$(jq -r "select($ALLOWED) | .\"@timestamp\"" "$D/log.json" | sort | tail -1)" \
	"$(jq -r '.flows[0].last_seen' <<<"$out")"
check_eq "the flow the new policies allow follows" \
	"{\"from\":\"shop/web\",\"to\":\"shop/api\",\"protocol\":\"tcp\",\"port\":\"9090\",\"recorded\":\"denied\",\"new\":\"allowed\",\"count\":$n_denied}" \
	"$(jq -c '.flows[1] | del(.last_seen)' <<<"$out")"
check_eq "two flows change verdict" 2 "$(jq '.flows | length' <<<"$out")"
check_eq "the reachability diff says the same: 8080 closed" "tcp 8080" \
	"$(jq -r '.closed[] | select(.from=="shop/web" and .to=="shop/api") | "\(.protocol) \(.ports)"' <<<"$out")"

out=$("$BULKHEAD" diff --inventory "$D/inv.yaml" --old "$D/old" --new "$D/old" --flows "$D/log.json"); rc=$?
check_eq "replayed against the policies that wrote it: nothing changes (exit 0)" 0 "$rc"
check_eq "replayed against the policies that wrote it: nothing printed" "" "$out"

out=$("$BULKHEAD" diff --inventory "$D/inv-noweb.yaml" --old "$D/old" --new "$D/new" \
	--flows "$D/log.json" --format json); rc=$?
check_eq "a workload missing from the inventory is matched by address" \
	"10.200.0.1 shop/api allowed denied" \
	"$(jq -r '.flows[0] | "\(.from) \(.to) \(.recorded) \(.new)"' <<<"$out")"

echo '{"event":' >"$D/bad.json"
"$BULKHEAD" diff --inventory "$D/inv.yaml" --old "$D/old" --new "$D/new" --flows "$D/bad.json" \
	>/dev/null 2>"$D/err"
check_eq "a line that is not JSON: exit 2" 2 $?
check "the line is named" grep -q "bad.json:1:" "$D/err"
