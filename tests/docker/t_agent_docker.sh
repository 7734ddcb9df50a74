#!/usr/bin/env bash
# The agent with the Docker source against a private dockerd: labelled
# containers are isolated within a bounded time, a compose project label maps
# to the policy namespace, a stopped container leaves its peers' sets, the
# container-start-to-enforced window is reported, and a daemon restart is
# survived (lost, then resynchronised, containers enforced again).
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/lib.sh"

bh_docker_require
command -v jq >/dev/null || { nok "jq is not installed (bash tests/deps.sh install)"; exit 1; }
[ -x "$BH_TOOLS/bhprobe" ] || { nok "no $BH_TOOLS/bhprobe: run make tools"; exit 1; }
W=$(mktemp -d /tmp/bha-dock.XXXXXX)
on_exit rm -rf "$W"
check "private dockerd starts" bh_dockerd_private_up "$W/d" || exit 1
SOCK=$W/d/docker.sock
check "probe image builds" bh_probe_image || exit 1
O=$(bh_subnet_octet)
NET=bha$$
# Packets between two containers cross the daemon's bridge, and with
# br_netfilter the host's own FORWARD policy decides about them, which this
# test must not change. So packets are checked from the host to the
# containers (the gateway address is the peer, allowed by an ipBlock), and
# container-to-container rules through the peer sets in each namespace.
bh_docker_net "$NET" --subnet 10.213.$O.0/24 --gateway 10.213.$O.1
GW=10.213.$O.1
IMG=$BH_PROBE_IMAGE
mkdir -p "$W/pol"
cat >"$W/pol/db.yaml" <<'EOP'
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: db-from-api, namespace: shop}
spec:
  podSelector: {matchLabels: {app: db}}
  policyTypes: [Ingress]
  ingress:
    - from: [{podSelector: {matchLabels: {app: api}}}]
      ports: [{port: pg}]
    - from: [{ipBlock: {cidr: GW/32}}]
      ports: [{port: 9100}]
EOP
sed -i "s|GW/32|$GW/32|" "$W/pol/db.yaml"

LOG=$W/log.json
CTL=$W/ctl.sock
sel() { jq -c -R "fromjson? | select($1)" "$LOG" 2>/dev/null; }
has() { [ -n "$(sel "$1")" ]; }
status() { "$BULKHEAD" status --json --control "$CTL"; }
netns_of() { docker inspect -f '{{.NetworkSettings.SandboxKey}}' "$1"; }
ip_of() { docker inspect -f "{{(index .NetworkSettings.Networks \"$NET\").IPAddress}}" "$1"; }
has_table() { local k; k=$(netns_of "$1") && [ -n "$k" ] && nsenter --net="$k" nft list table inet bulkhead >/dev/null 2>&1; }
in_set() {	# CONTAINER IP: IP is an element of the container's in4 set
	nsenter --net="$(netns_of "$1")" nft list set inet bulkhead in4 2>/dev/null | grep -q "$2 "
}
probe() {	# TO_IP PORT: from the host, through the network's gateway address
	"$BH_TOOLS/bhprobe" connect tcp "$1" "$2" --timeout-ms 700 >/dev/null 2>&1
}

"$BULKHEAD" agent --docker="$SOCK" --policies "$W/pol" --log "$LOG" --control "$CTL" \
	--debounce-ms 50 --resync-interval 5 2>"$W/agent.err" &
APID=$!
on_exit "kill -9 $APID 2>/dev/null"
check "agent ready with no containers" bh_wait 20 has '.event.action=="ready"'

# db: compose-style labels, namespace from the project; named port from bulkhead.io/ports
bh_docker_run shop-db-1 --network "$NET" --restart always -l app=db \
	-l com.docker.compose.project=shop -l com.docker.compose.service=db \
	-l com.docker.compose.container-number=1 -l bulkhead.io/ports=pg=5432 \
	$IMG /bhprobe serve 5432 9100
t0=$(date +%s%N)
check "db container isolated within 5 s of its start" bh_wait 5 has_table shop-db-1
t1=$(date +%s%N)
diag "db: docker run returned -> table seen: $(( (t1 - t0) / 1000000 )) ms"
check "compose project label maps to namespace shop" bh_wait 5 \
	bash -c "'$BULKHEAD' status --json --control '$CTL' | jq -e '.workloads[]|select(.name==\"db-1\" and .namespace==\"shop\")' >/dev/null"
check "container start to enforced window reported" bh_wait 5 has '.bulkhead.container_start_to_enforced_ms>0'
diag "container start -> enforced: $(sel '.bulkhead.container_start_to_enforced_ms>0' | tail -1 | jq .bulkhead.container_start_to_enforced_ms) ms"
check "status reports the window (p50/p99)" bash -c "'$BULKHEAD' status --json --control '$CTL' | jq -e '.docker_start_to_enforced_ms.samples>=1' >/dev/null"

bh_docker_run api --network "$NET" -l bulkhead.io/namespace=shop -l app=api $IMG
bh_docker_run web --network "$NET" -l bulkhead.io/namespace=shop -l app=web $IMG
DB=$(ip_of shop-db-1); API=$(ip_of api)
check "api enters db's peer set" bh_wait 5 in_set shop-db-1 "$API"
# web must be known to the agent before its absence from the set means anything
bh_wait 5 bash -c "'$BULKHEAD' status --json --control '$CTL' | jq -e '.workloads[]|select(.name==\"web\" and .state==\"enforced\")' >/dev/null"
check_not "web does not enter db's peer set" in_set shop-db-1 "$(ip_of web)"
check "gateway -> db:9100 allowed (ipBlock)" bh_wait 5 probe "$DB" 9100
check_not "gateway -> db:5432 denied" probe "$DB" 5432
check "denied line for gateway -> db:5432 with container fields" bh_wait 5 has \
	".event.action==\"denied\" and .source.ip==\"$GW\" and .destination.ip==\"$DB\" and .destination.port==5432 and .container.name==\"shop-db-1\" and .bulkhead.destination_workload.namespace==\"shop\""

docker stop -t 1 api >/dev/null
check "stopped container leaves db's peer set" bh_wait 5 eval "! in_set shop-db-1 $API"

# dockerd restart: lost, then resynchronised; db (restart always) is enforced in its new netns
bh_dockerd_private_kill TERM
check "daemon stop reported" bh_wait 20 has '.event.action=="source-lost"'
bh_dockerd_private_start
check "daemon back: source-regained reported" bh_wait 30 has '.event.action=="source-regained"'
check "db back after the daemon restart" bh_wait 30 bash -c "[ \"\$(docker inspect -f '{{.State.Running}}' shop-db-1 2>/dev/null)\" = true ]"
check "db enforced again after the restart" bh_wait 15 has_table shop-db-1
bh_docker_run api2 --network "$NET" -l bulkhead.io/namespace=shop -l app=api $IMG
DB=$(ip_of shop-db-1)
check "a new container after the restart is a peer" bh_wait 5 in_set shop-db-1 "$(ip_of api2)"
check "gateway -> db:9100 allowed after the restart" bh_wait 5 probe "$DB" 9100
check_not "gateway -> db:5432 denied after the restart" probe "$DB" 5432
check "agent still running" kill -0 $APID
kill -TERM $APID
rc=0; wait $APID || rc=$?
check_eq "agent exits 0 on SIGTERM" 0 "$rc"
