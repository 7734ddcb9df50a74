#!/usr/bin/env bash
# bulkhead in two minutes: a three-tier shop (web, api, db), a Prometheus in
# a "monitoring" namespace and an outside client, each in a throwaway
# network namespace matching examples/inventory.yaml. The agent enforces
# examples/policies; allowed and denied connections are made with bhprobe,
# the denied-connection JSON lines and `bulkhead explain` are shown, and
# everything is removed at the end (also on Ctrl-C or failure).
#
#   make demo          (needs root: it creates network namespaces)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
BULKHEAD=${BULKHEAD:-$ROOT/bulkhead}
PROBE=${BH_TOOLS:-$ROOT/build/tools}/bhprobe
INV=examples/inventory.yaml
POL=examples/policies
HUB=bh-demo-hub
CLIENT=bh-demo-client
NAMES=(web api db prom)
declare -A V4=([web]=10.77.0.11 [api]=10.77.0.12 [db]=10.77.0.13 [prom]=10.77.0.21 [client]=10.77.0.99)
declare -A V6=([web]=fd77::11 [api]=fd77::12 [db]=fd77::13 [prom]=fd77::21 [client]=fd77::99)
declare -A PORTS=([web]="80 9100" [api]="8080 9100" [db]="5432 9100" [prom]="9090")

[ "$(id -u)" -eq 0 ] || { echo "demo: run as root (it creates network namespaces)" >&2; exit 1; }
for f in "$BULKHEAD" "$PROBE"; do
	[ -x "$f" ] || { echo "demo: $f is missing: run 'make demo' (builds it)" >&2; exit 1; }
done
command -v ip >/dev/null || { echo "demo: iproute2 is missing: bash tests/deps.sh install" >&2; exit 1; }

TMP=$(mktemp -d /tmp/bulkhead-demo.XXXXXX)
AGENT=
PIDS=()
cleanup() {
	set +e
	[ -n "$AGENT" ] && kill -TERM "$AGENT" 2>/dev/null && wait "$AGENT" 2>/dev/null
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	for n in "${NAMES[@]}" client hub; do ip netns del "bh-demo-$n" 2>/dev/null; done
	rm -rf "$TMP"
	echo "demo: cleaned up (namespaces bh-demo-* removed)"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

say "creating namespaces bh-demo-{web,api,db,prom,client} around a bridge in bh-demo-hub"
for n in "${NAMES[@]}" client hub; do
	ip netns del "bh-demo-$n" 2>/dev/null || true	# leftovers of an interrupted run
done
ip netns add "$HUB"
ip -n "$HUB" link add br0 type bridge
ip -n "$HUB" link set br0 up
for n in "${NAMES[@]}" client; do
	ns=bh-demo-$n
	ip netns add "$ns"
	ip -n "$HUB" link add "v-$n" type veth peer name eth0 netns "$ns"
	ip -n "$HUB" link set "v-$n" master br0 up
	ip -n "$ns" link set lo up
	ip -n "$ns" addr add "${V4[$n]}/24" dev eth0
	ip -n "$ns" addr add "${V6[$n]}/64" dev eth0 nodad
	ip -n "$ns" link set eth0 up
done
for n in "${NAMES[@]}"; do
	ip netns exec "bh-demo-$n" "$PROBE" serve ${PORTS[$n]} --max-seconds 600 >/dev/null 2>&1 &
	PIDS+=($!)
	for p in ${PORTS[$n]}; do ip netns exec "bh-demo-$n" "$PROBE" wait-listen tcp "$p" --timeout-ms 3000; done
done

say "starting the agent: bulkhead agent --policies $POL --inventory $INV --log $TMP/events.json"
"$BULKHEAD" agent --policies "$POL" --inventory "$INV" --log "$TMP/events.json" \
	--control "$TMP/control.sock" --remove-on-exit --hostname demo-node 2>"$TMP/agent.err" &
AGENT=$!
for _ in $(seq 100); do
	grep -q '"action":"ready"' "$TMP/events.json" 2>/dev/null && break
	kill -0 "$AGENT" 2>/dev/null || { cat "$TMP/agent.err" >&2; exit 1; }
	sleep 0.1
done
grep '"action":"ready"' "$TMP/events.json" || { echo "demo: the agent did not get ready" >&2; cat "$TMP/agent.err" >&2; exit 1; }

FAILED=0
conn() {	# EXPECT FROM TO PORT WHY
	local expect=$1 from=$2 to=$3 port=$4 why=$5 got
	if ip netns exec "bh-demo-$from" "$PROBE" connect tcp "$to" "$port" --timeout-ms 700; then
		got=allowed
	else
		got=denied
	fi
	printf '  %-7s -> %-16s %-8s %-32s %s\n' "$from" "$to:$port" "$got" "($why)" \
		"$([ "$got" = "$expect" ] && echo ok || echo "UNEXPECTED, expected $expect")"
	[ "$got" = "$expect" ] || FAILED=1
}

say "connections (bhprobe)"
conn allowed client 10.77.0.11 80 "anyone may reach web:http"
conn allowed web 10.77.0.12 8080 "web -> api on 8080"
conn allowed api 10.77.0.13 5432 "api -> db on 5432"
conn allowed prom 10.77.0.13 9100 "prometheus scrapes metrics"
conn allowed web fd77::12 8080 "the same over IPv6"
conn denied web 10.77.0.13 5432 "web may not skip the api tier"
conn denied client 10.77.0.13 5432 "the outside never reaches db"
conn denied db 10.77.0.12 8080 "db opens no connections"
conn denied api 10.77.0.11 80 "api -> web is not allowed"

# the four denied attempts above each become one line: wait for them (at most 5 s)
denied_tcp() { grep '"action":"denied"' "$TMP/events.json" 2>/dev/null | grep -c '"transport":"tcp"'; }
for _ in $(seq 50); do
	[ "$(denied_tcp)" -ge 4 ] && break
	sleep 0.1
done
say "denied connections, as the agent logged them ($TMP/events.json)"
if command -v jq >/dev/null; then
	jq -c 'select(.event.action=="denied" and .network.transport=="tcp") | {
		direction: .network.direction,
		from: (if .bulkhead.source_workload then "\(.bulkhead.source_workload.namespace)/\(.bulkhead.source_workload.name)" else .source.ip end),
		to: (if .bulkhead.destination_workload then "\(.bulkhead.destination_workload.namespace)/\(.bulkhead.destination_workload.name)" else .destination.ip end),
		port: .destination.port, isolated_by: .bulkhead.isolated_by}' "$TMP/events.json"
	other=$(jq -c 'select(.event.action=="denied" and .network.transport!="tcp")' "$TMP/events.json" | wc -l)
	[ "$other" -gt 0 ] && echo "  (and $other denied non-TCP packets, e.g. IPv6 multicast listener reports)"
	say "one full line"
	jq 'select(.event.action=="denied" and .network.transport=="tcp")' "$TMP/events.json" | jq -s '.[0]'
else
	grep '"action":"denied"' "$TMP/events.json"
fi

say "bulkhead explain --from shop/web --to shop/db --port 5432/tcp"
"$BULKHEAD" explain --inventory "$INV" --policies "$POL" --from shop/web --to shop/db --port 5432/tcp || true
say "bulkhead explain --from shop/api --to shop/db --port 5432/tcp"
"$BULKHEAD" explain --inventory "$INV" --policies "$POL" --from shop/api --to shop/db --port 5432/tcp || true

say "bulkhead status"
"$BULKHEAD" status --control "$TMP/control.sock"

say "the table in db's namespace (nft list table inet bulkhead, first lines)"
ip netns exec bh-demo-db nft list table inet bulkhead 2>/dev/null | head -25 || true

if [ "$FAILED" -ne 0 ]; then
	echo "demo: some connections did not behave as the policies say" >&2
	exit 1
fi
say "done: every connection behaved as the policies say"
