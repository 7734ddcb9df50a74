#!/usr/bin/env bash
# Descriptors stay bounded: ten workloads, each in its own namespace, come
# and go a hundred times (1,000 create/remove cycles of a workload) while
# the agent runs. Each enforced namespace holds three sockets (nftables
# connection, tamper monitor, NFLOG reader); when its workload leaves all
# three are closed (through the closer thread), so the agent ends with the
# descriptors it started with.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/agent_lib.sh"

N=10 ROUNDS=100
D=$(mktemp -d /tmp/bha-fds.XXXXXX)
on_exit "rm -rf $D"
mkdir -p "$D/pol"
for ((i = 0; i < N; i++)); do
	ip netns add "$P-$i" || { nok "namespace $i"; exit 1; }
	on_exit "ip netns del $P-$i"
done
cat >"$D/pol/p.yaml" <<'EOF2'
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: isolate, namespace: app}
spec:
  podSelector: {matchLabels: {app: w}}
  ingress: [{from: [{podSelector: {matchLabels: {app: anchor}}}], ports: [{port: 80}]}]
EOF2
inventory() {	# with|without
	{
		echo "workloads:"
		echo "  - {name: anchor, namespace: app, labels: {app: anchor}, ips: [10.97.0.1]}"
		if [ "$1" = with ]; then
			for ((i = 0; i < N; i++)); do
				echo "  - {name: w$i, namespace: app, labels: {app: w}, netns: /run/netns/$P-$i, ips: [10.97.1.$((i + 1))]}"
			done
		fi
	} >"$D/inv.tmp" && mv "$D/inv.tmp" "$D/inv.yaml"
}
CTL=$D/ctl.sock
fds() { ls "/proc/$AGENT_PID/fd" | wc -l; }
status() { "$BULKHEAD" status --json --control "$CTL"; }
reload() { "$BULKHEAD" reload --control "$CTL" >/dev/null; }
closing() { [ "$(status | jq .resources.sockets_closing)" = 0 ]; }

inventory without
start_agent "$D/log.json" --policies "$D/pol" --inventory "$D/inv.yaml" --control "$CTL" \
	--debounce-ms 60000 --resync-interval 0
check "ready" eventually 10 log_has '.event.action=="ready"'
base=$(fds)
inventory with
reload
check_eq "ten namespaces enforced" 10 "$(status | jq '[.workloads[]|select(.state=="enforced")]|length')"
with=$(fds)
check_eq "three descriptors per enforced namespace" $((base + 3 * N)) "$with"
inventory without
reload
check "their sockets are closed" eventually 5 bash -c "[ \$(ls /proc/$AGENT_PID/fd | wc -l) -eq $base ]"
bad=0
for ((r = 1; r < ROUNDS; r++)); do
	inventory with
	reload || bad=$((bad + 1))
	inventory without
	reload || bad=$((bad + 1))
done
check_eq "every reload answered" 0 "$bad"
check "no close left pending" eventually 5 closing
check_eq "descriptors after $((ROUNDS * N)) create/remove cycles: as at the start" "$base" "$(fds)"
check_eq "every table removed" 0 "$(for ((i = 0; i < N; i++)); do ip netns exec "$P-$i" nft list tables; done | grep -c bulkhead)"
check_eq "tamper monitors: none left" 0 "$(status | jq .resources.tamper_monitors)"
check_eq "log readers: none left" 0 "$(status | jq .counters.log_readers)"
check_eq "no tamper reported (all changes were the agent's own)" 0 "$(status | jq .counters.tamper_events)"
diag "closes: $(status | jq -c '.resources | {sockets_closed, close_ms_total, close_ms_max}')"
kill -TERM "$AGENT_PID"; wait "$AGENT_PID"
