#!/usr/bin/env bash
# The release agent under valgrind through a scenario (start, a policy edit,
# an invalid edit, denied connections, status, reload, SIGHUP, SIGUSR1,
# a table deleted by hand, SIGTERM): no leaks, no memory errors.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/agent_lib.sh"

command -v valgrind >/dev/null || { nok "valgrind is not installed (bash tests/deps.sh install)"; exit 1; }
REL=${BH_RELEASE:-$BH_ROOT/bulkhead}
[ -x "$REL" ] || { nok "release binary $REL (run make)"; exit 1; }

D=$(mktemp -d /tmp/bha-vg.XXXXXX)
on_exit "rm -rf $D"
mkdir -p "$D/pol"
mk_hub && mk_ns a 10.98.0.1 && mk_ns b 10.98.0.2 || { nok "namespaces"; exit 1; }
listen b 80 81

cat >"$D/inv.yaml" <<EOI
workloads:
  - {name: a, labels: {app: a}, netns: /run/netns/$P-a, ips: [10.98.0.1]}
  - {name: b, labels: {app: b}, netns: /run/netns/$P-b}
EOI
cat >"$D/pol/b.yaml" <<'EOP'
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: b-http}
spec:
  podSelector: {matchLabels: {app: b}}
  ingress: [{from: [{podSelector: {matchLabels: {app: a}}}], ports: [{port: 80}]}]
EOP

CTL=$D/ctl.sock
AGENT_LOG=$D/log.json
valgrind -q --suppressions="$(dirname "$0")/agent.supp" --leak-check=full --errors-for-leak-kinds=definite,indirect --error-exitcode=99 \
	--log-file="$D/vg.txt" "$REL" agent --policies "$D/pol" --inventory "$D/inv.yaml" \
	--control "$CTL" --log "$AGENT_LOG" --debounce-ms 50 --resync-interval 1 2>"$D/err" &
AGENT_PID=$!
on_exit "kill -9 $AGENT_PID 2>/dev/null"

check "ready under valgrind" eventually 60 log_has '.event.action=="ready"'
check "a -> b:80 allowed" eventually 5 probe a 10.98.0.2 80
check_not "a -> b:81 denied" probe a 10.98.0.2 81
check "denied line written" eventually 10 log_has '.event.action=="denied" and .destination.port==81'
sed -i 's/port: 80}/port: 81}/' "$D/pol/b.yaml"
check "policy edit applied" eventually 20 probe a 10.98.0.2 81
echo 'kind: [' >"$D/pol/zz-bad.yaml"
check "invalid edit reported" eventually 20 log_has '.event.action=="invalid-policy"'
rm -f "$D/pol/zz-bad.yaml"
check "status answers" bash -c "'$REL' status --json --control '$CTL' | jq -e '.ready' >/dev/null"
check "reload answers" bash -c "'$REL' reload --control '$CTL' >/dev/null"
kill -HUP "$AGENT_PID"; kill -USR1 "$AGENT_PID"
ip netns exec "$P-b" nft delete table inet bulkhead
check "table re-created" eventually 20 has_table b
kill -TERM "$AGENT_PID"
rc=0; wait "$AGENT_PID" || rc=$?
check_eq "valgrind: exit 0 (99 would mean leaks or memory errors)" 0 "$rc"
if [ "$rc" -ne 0 ]; then sed 's/^/# /' "$D/vg.txt" | head -60; fi
check_not "no 'definitely lost' in the valgrind report" grep -q "definitely lost" "$D/vg.txt"
check "uv_loop_close() was clean" bash -c "! grep -q 'handles left open' '$D/err'"
