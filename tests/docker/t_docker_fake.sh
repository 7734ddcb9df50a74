#!/usr/bin/env bash
# The agent against faults a real dockerd cannot be made to show, served by
# tests/docker/fake_dockerd.py, a small unix-socket server that speaks the
# Docker Engine HTTP API as dockerd does (chunked /events, JSON list and
# inspect answers):
#   - a daemon that accepts and never answers: the inventory is enforced at
#     once, source-lost is written within a bound, then ready, and the agent
#     keeps retrying;
#   - a container whose inspect answer is 20 MiB: that container alone is
#     isolated (cause inspect-failed, probes denied), the others enforced;
#   - an event line of 2 MiB: skipped, its container inspected and enforced,
#     and no resynchronisation storm (the list is asked for once).
# The "containers" are namespaces of this test on a bridge of their own.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../netns/lib.sh"

need_tools
command -v jq >/dev/null || { nok "jq is not installed"; exit 1; }
D=$(mktemp -d /tmp/bh-fake.XXXXXX)
on_exit "rm -rf $D"
for n in inv:1 small:2 big:3 late:4 cli:9; do
	ns_add "${n%%:*}" "${n##*:}" || { nok "namespace ${n%%:*}"; exit 1; }
done
for n in inv small big late; do serve "$n" tcp 9100 || { nok "server in $n"; exit 1; }; done

mkdir -p "$D/pol"
cat >"$D/pol/web.yaml" <<'EOP'
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web-9100, namespace: shop}
spec:
  podSelector: {matchLabels: {app: web}}
  policyTypes: [Ingress]
  ingress:
    - from: [{ipBlock: {cidr: 10.200.0.0/24}}]
      ports: [{port: 9100}]
EOP
cat >"$D/inv.yaml" <<EOI
workloads:
  - {name: inv, namespace: shop, labels: {app: web}, netns: $(ns_path inv), ips: [10.200.0.1]}
EOI

LOG= CTL= FAKE_PID= APID=
sel() { jq -c -R "fromjson? | select($1)" "$LOG" 2>/dev/null; }
has() { [ -n "$(sel "$1")" ]; }
status() { "$BULKHEAD" status --json --control "$CTL"; }
wl_state() { status | jq -r ".workloads[] | select(.name==\"$1\") | .state"; }
state_is() { [ "$(wl_state "$1")" = "$2" ]; }
stat_of() { jq -r ".$1 // 0" "$D/stats.json" 2>/dev/null || echo 0; }
has_table() { [ -n "$(nft_table "$1")" ]; }

fake_start() {	# CONFIG_JSON
	echo "$1" >"$D/fake.json"
	rm -f "$D/stats.json" "$D/fake.sock"
	python3 "$(dirname "$0")/fake_dockerd.py" "$D/fake.sock" "$D/fake.json" "$D/stats.json" &
	FAKE_PID=$!
	on_exit "kill $FAKE_PID 2>/dev/null"
	bh_wait 5 test -S "$D/fake.sock"
}

agent_start() {	# NAME ARGS...
	LOG=$D/$1.json CTL=$D/$1.sock
	shift
	"$BULKHEAD" agent --policies "$D/pol" --docker="$D/fake.sock" --log "$LOG" --control "$CTL" \
		--debounce-ms 50 "$@" 2>"$LOG.err" &
	APID=$!
	on_exit "kill -9 $APID 2>/dev/null"
}

agent_stop() {
	kill -TERM "$APID"
	local rc=0
	wait "$APID" || rc=$?
	check_eq "$1: agent exits 0 on SIGTERM" 0 "$rc"
	check_not "$1: no sanitizer report" grep -q "Sanitizer\|runtime error" "$LOG.err"
	kill "$FAKE_PID" 2>/dev/null
	wait "$FAKE_PID" 2>/dev/null || true
}

bh_wait() {	# SECONDS CMD...
	local limit=$1 i
	shift
	for ((i = 0; i < limit * 10; i++)); do
		"$@" && return 0
		sleep 0.1
	done
	"$@"
}

# ---- a daemon that accepts and never answers ---------------------------------------
fake_start '{"mode": "hang", "containers": []}' || { nok "fake daemon starts"; exit 1; }
T0=$(date +%s%N)
agent_start hang --inventory "$D/inv.yaml"
check "hung daemon: the inventory is enforced at once (table within 3 s)" bh_wait 3 has_table inv
T1=$(date +%s%N)
diag "agent start -> inventory table: $(((T1 - T0) / 1000000)) ms"
check "hung daemon: the daemon was asked" bh_wait 5 eval '[ "$(stat_of requests.hang)" -ge 1 ]'
probe_ok "hung daemon: cli -> inv:9100 allowed (the inventory's rules are in force)" cli tcp 10.200.0.1 9100
check "hung daemon: source-lost within 15 s" bh_wait 15 has '.event.action=="source-lost" and (.message|test("no response"))'
T2=$(date +%s%N)
diag "agent start -> source-lost: $(((T2 - T0) / 1000000)) ms"
check "hung daemon: ready after source-lost" bh_wait 5 has '.event.action=="ready"'
check "hung daemon: the agent keeps retrying (a second connection within 15 s)" \
	bh_wait 15 eval '[ "$(stat_of connections)" -ge 2 ]'
check_eq "hung daemon: source-lost written once per outage" 1 "$(sel '.event.action=="source-lost"' | wc -l)"
agent_stop "hung daemon"

# ---- a 20 MiB inspect answer, and a 2 MiB event line -------------------------------
L='{"bulkhead.io/namespace": "shop", "app": "web"}'
fake_start "{\"mode\": \"api\",
  \"containers\": [
    {\"id\": \"5a11000000000000000000000000000000000000000000000000000000000001\", \"name\": \"small\",
     \"labels\": $L, \"netns\": \"$(ns_path small)\", \"ip\": \"10.200.0.2\"},
    {\"id\": \"b1900000000000000000000000000000000000000000000000000000000000002\", \"name\": \"big\",
     \"labels\": $L, \"netns\": \"$(ns_path big)\", \"ip\": \"10.200.0.3\", \"pad_mib\": 20},
    {\"id\": \"1a7e000000000000000000000000000000000000000000000000000000000003\", \"name\": \"late\",
     \"labels\": $L, \"netns\": \"$(ns_path late)\", \"ip\": \"10.200.0.4\", \"listed\": false}],
  \"events\": [{\"id\": \"1a7e000000000000000000000000000000000000000000000000000000000003\", \"pad_mib\": 2}]}" ||
	{ nok "fake daemon starts"; exit 1; }
agent_start big
check "oversized answers: ready" bh_wait 20 has '.event.action=="ready"'
check "small: enforced" bh_wait 5 state_is small enforced
check "big (20 MiB inspect answer): isolated" bh_wait 5 state_is big isolated
check_eq "big: status names the cause" inspect-failed \
	"$(status | jq -r '.workloads[] | select(.name=="big") | .isolated.cause')"
check "big: workload-isolated line with cause inspect-failed" \
	has '.event.action=="workload-isolated" and .bulkhead.cause=="inspect-failed" and .bulkhead.container.name=="big"'
probe_ok "cli -> small:9100 allowed by policy" cli tcp 10.200.0.2 9100
probe_denied "cli -> big:9100 denied (isolated: no policy applies)" cli tcp 10.200.0.3 9100
check "big: the denial is logged, the rule naming the cause" bh_wait 5 has \
	'.event.action=="denied" and .destination.ip=="10.200.0.3" and .rule.ruleset=="isolated:inspect-failed"'
check "late (named by a 2 MiB event line): inspected and enforced" bh_wait 10 state_is late enforced
probe_ok "cli -> late:9100 allowed by policy" cli tcp 10.200.0.4 9100
check "the skipped event line is reported" has '(.message // "") | test("event line over")'
sleep 2
check_eq "no resynchronisation storm: the list was asked for once" 1 "$(stat_of requests.list)"
check_eq "the event stream was opened once" 1 "$(stat_of requests.events)"
check_not "no source-lost" has '.event.action=="source-lost"'
agent_stop "oversized answers"
