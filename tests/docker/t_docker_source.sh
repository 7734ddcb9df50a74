#!/usr/bin/env bash
# The Docker workload source against a real daemon, through `bulkhead workloads`:
# initial list, identity/labels/IPs/netns, start/stop/rename, network
# connect/disconnect, skipped and unmappable containers, and a daemon crash
# (lost, regained, resynchronised). Runs a daemon of its own so restarting it
# disturbs nobody and `docker ps` shows only this test's containers.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/lib.sh"

bh_docker_require
command -v jq >/dev/null || { nok "jq is not installed (bash tests/deps.sh install)"; exit 1; }
W=$(mktemp -d /tmp/bh-dsrc.XXXXXX)
on_exit rm -rf "$W"
check "private dockerd starts" bh_dockerd_private_up "$W/d"
SOCK=$W/d/docker.sock
check "probe image builds" bh_probe_image
O1=$(bh_subnet_octet)
O2=$((O1 + 1))
bh_docker_net bhsrc1 --ipv6 --subnet 10.213.$O1.0/24 --subnet fd00:b4:$O1::/64
bh_docker_net bhsrc2 --subnet 10.213.$O2.0/24
IMG=$BH_PROBE_IMAGE

# jq over the output lines, ignoring a line still being written
sel() {	# FILE FILTER
	jq -c -R "fromjson? | select($2)" "$1" 2>/dev/null
}
has() { [ -n "$(sel "$1" "$2")" ]; }
# the value of `docker inspect` for a container, as the source should report it
ips_of() {
	docker inspect "$1" | jq -c '[.[0].NetworkSettings | (.IPAddress, .GlobalIPv6Address),
		(.Networks[] | .IPAddress, .GlobalIPv6Address)] | map(select(. != "")) | unique | sort'
}

last_ips() { sel "$OUT" ".event==\"upsert\" and .name==\"$1\"" | tail -1 | jq -c '.ips | sort'; }
ips_settled() { [ "$(last_ips "$1")" = "$(ips_of "$1")" ]; }

# ---- containers that exist before the source starts ---------------------------
bh_docker_run web --network bhsrc1 --restart always -l app=web -l tier=front \
	-l bulkhead.io/namespace=shop -l bulkhead.io/ports='http=80/tcp, dns=53/udp' $IMG
bh_docker_run proj-db-1 --network bhsrc1 -l com.docker.compose.project=proj \
	-l com.docker.compose.service=db -l com.docker.compose.container-number=1 $IMG
bh_docker_run hostnet --network host $IMG

# one-shot listing
"$BULKHEAD" workloads --docker="$SOCK" >"$W/list.out" 2>"$W/list.err"
check_eq "one-shot listing exits 0" 0 $?
check_eq "one-shot listing ends with synced" synced "$(tail -1 "$W/list.out" | jq -r .event)"
check_eq "one-shot listing: 2 upserts" 2 "$(sel "$W/list.out" '.event=="upsert"' | wc -l)"
check_eq "one-shot listing: host-network container skipped" hostnet \
	"$(sel "$W/list.out" '.event=="skip"' | jq -r .container.name)"

# ---- the watcher ----------------------------------------------------------------
OUT=$W/watch.out
"$BULKHEAD" workloads --docker="$SOCK" --watch --max-seconds 300 >"$OUT" 2>"$W/watch.err" &
WPID=$!
on_exit kill -9 $WPID
check "watcher reports synced" bh_wait 20 has "$OUT" '.event=="synced"'

WEB_ID=$(docker inspect -f '{{.Id}}' web)
WEB=$(sel "$OUT" ".event==\"upsert\" and .container.id==\"$WEB_ID\"" | head -1)
check_eq "web: namespace from bulkhead.io/namespace" shop "$(jq -r .namespace <<<"$WEB")"
check_eq "web: name is the container name" web "$(jq -r .name <<<"$WEB")"
check_eq "web: labels are the container labels" \
	'{"app":"web","bulkhead.io/namespace":"shop","bulkhead.io/ports":"http=80/tcp, dns=53/udp","tier":"front"}' \
	"$(jq -c -S .labels <<<"$WEB")"
check_eq "web: IPv4 and IPv6 addresses" "$(ips_of web)" "$(jq -c '.ips | sort' <<<"$WEB")"
check "web: has an IPv6 address" jq -e '.ips | any(test(":"))' <<<"$WEB"
check_eq "web: netns is the SandboxKey" "$(docker inspect -f '{{.NetworkSettings.SandboxKey}}' web)" \
	"$(jq -r .netns <<<"$WEB")"
check "web: netns path exists" test -e "$(jq -r .netns <<<"$WEB")"
check_eq "web: named ports" '[{"name":"dns","port":53,"protocol":"UDP"},{"name":"http","port":80,"protocol":"TCP"}]' \
	"$(jq -c .ports <<<"$WEB")"
check_eq "web: image" "$IMG" "$(jq -r .container.image <<<"$WEB")"
DB=$(sel "$OUT" '.event=="upsert" and .container.name=="proj-db-1"' | head -1)
check_eq "compose container: namespace/name from compose labels" proj/db-1 \
	"$(jq -r '.namespace + "/" + .name' <<<"$DB")"
check "host-network container reported as skipped" has "$OUT" \
	'.event=="skip" and .container.name=="hostnet" and (.message | test("host"))'

# ---- start ----------------------------------------------------------------------
T0=$(date +%s%N)
bh_docker_run api --network bhsrc1 -l app=api $IMG
T1=$(date +%s%N)
check "started container reported" bh_wait 20 has "$OUT" '.event=="upsert" and .name=="api"'
API=$(sel "$OUT" '.event=="upsert" and .name=="api"' | head -1)
check_eq "api: namespace defaults to 'default'" default "$(jq -r .namespace <<<"$API")"
check_eq "api: addresses" "$(ips_of api)" "$(jq -c '.ips | sort' <<<"$API")"
SEEN=$(jq -r .seen_time_nano <<<"$API")
diag "docker run took $(((T1 - T0) / 1000000)) ms; start of 'docker run' to upsert line: $(((SEEN - T0) / 1000000)) ms"
diag "first docker event ($(jq -r .action <<<"$API")) to upsert line: $((($(jq -r '.seen_time_nano - .docker_time_nano' <<<"$API")) / 1000000)) ms"
START=$(docker inspect -f '{{.State.StartedAt}}' api)
diag "container StartedAt (runtime started the process) to upsert line: $(((SEEN - $(date -d "$START" +%s%N)) / 1000000)) ms"

# ---- network connect / disconnect -------------------------------------------------
docker network connect bhsrc2 api
IP2=$(docker inspect -f '{{(index .NetworkSettings.Networks "bhsrc2").IPAddress}}' api)
check "network connect: new address reported" bh_wait 20 has "$OUT" \
	".event==\"upsert\" and .name==\"api\" and (.ips | index(\"$IP2\"))"
docker network disconnect bhsrc2 api
check "network disconnect: address withdrawn" bh_wait 20 ips_settled api
check_eq "api: latest upsert matches docker inspect" "$(ips_of api)" "$(last_ips api)"

# ---- rename -----------------------------------------------------------------------
docker rename api api2
on_exit docker rm -f api2
check "rename: old identity removed" bh_wait 20 has "$OUT" '.event=="remove" and .name=="api"'
check "rename: new identity upserted" bh_wait 20 has "$OUT" '.event=="upsert" and .name=="api2"'

# ---- stop -------------------------------------------------------------------------
docker stop -t 1 api2 >/dev/null
check "stopped container removed" bh_wait 20 has "$OUT" '.event=="remove" and .name=="api2"'

# ---- an unmappable container is reported, not dropped -------------------------------
bh_docker_run badports --network bhsrc1 -l bulkhead.io/ports='http=80,web=99999' $IMG
check "invalid ports label reported as error" bh_wait 20 has "$OUT" \
	'.event=="error" and .container.name=="badports" and (.message | test("web=99999"))'
check_not "invalid ports label: no upsert" has "$OUT" '.event=="upsert" and .container.name=="badports"'

# ---- daemon crash: lost, regained, resynchronised -------------------------------------
N_BEFORE=$(wc -l <"$OUT")
bh_dockerd_private_kill KILL
check "daemon gone: lost reported" bh_wait 20 has "$OUT" '.event=="lost"'
sleep 1
bh_dockerd_private_start
check "daemon back: regained reported" bh_wait 60 has "$OUT" '.event=="regained"'
check_eq "lost reported once" 1 "$(sel "$OUT" '.event=="lost"' | wc -l)"
# replay the stream: the final view must be exactly what runs now
VIEW=$(jq -s -R -c '[split("\n")[] | fromjson? | select(.event=="upsert" or .event=="remove")]
	| reduce .[] as $e ({}; if $e.event=="upsert" then .[$e.container.id]=$e.netns
	  else del(.[$e.container.id]) end) | keys | sort' "$OUT")
RUNNING=$(docker ps -q --no-trunc --filter network=bhsrc1 | jq -R -s -c 'split("\n") | map(select(. != "")) | sort')
check_eq "after resync the reported set equals the running containers" "$RUNNING" "$VIEW"
check "proj-db-1 (no restart policy) removed by the resync" has "$OUT" \
	'.event=="remove" and .container.name=="proj-db-1" and .action=="list"'
if docker ps -q --no-trunc | grep -q "$WEB_ID"; then
	NEWWEB=$(tail -n +$((N_BEFORE + 1)) "$OUT" | jq -c -R "fromjson? | select(.event==\"upsert\" and .container.id==\"$WEB_ID\")" | tail -1)
	check_eq "web (restart always) upserted with its new netns" \
		"$(docker inspect -f '{{.NetworkSettings.SandboxKey}}' web)" "$(jq -r .netns <<<"$NEWWEB")"
else
	skip "web did not come back after the daemon crash"
fi
bh_docker_run late --network bhsrc1 -l app=late $IMG
check "events followed after the resync" bh_wait 20 has "$OUT" '.event=="upsert" and .name=="late"'

# ---- clean exit ------------------------------------------------------------------------
kill -INT $WPID
bh_wait 10 eval "! kill -0 $WPID 2>/dev/null"
wait $WPID
check_eq "watcher exits 0 on SIGINT" 0 $?
check_not "watcher: no sanitizer report" grep -q "Sanitizer\|runtime error" "$W/watch.err"

S0=$(date +%s%N)
"$BULKHEAD" workloads --docker="$SOCK" --watch --max-seconds 2 >"$W/short.out" 2>"$W/short.err"
RC=$?
S1=$(date +%s%N)
check_eq "--watch --max-seconds 2 exits 0" 0 $RC
check "--watch --max-seconds 2 ends in 2-5 s" [ $(((S1 - S0) / 1000000)) -ge 1900 -a $(((S1 - S0) / 1000000)) -lt 5000 ]
check_not "--max-seconds run: no sanitizer report" grep -q "Sanitizer\|runtime error" "$W/short.err"
"$BULKHEAD" workloads --docker="$SOCK" --watch --max-events 1 >"$W/one.out" 2>&1
check_eq "--max-events 1 prints one line" 1 "$(wc -l <"$W/one.out")"

# ---- no daemon --------------------------------------------------------------------------
"$BULKHEAD" workloads --docker="$W/nothing.sock" >"$W/none.out" 2>"$W/none.err"
check_eq "unreachable daemon: could not answer (exit 2)" 2 $?
check "unreachable daemon: lost line" has "$W/none.out" '.event=="lost"'
"$BULKHEAD" workloads --docker="$W/nothing.sock" --watch --max-seconds 2 >"$W/none2.out" 2>&1
check_eq "unreachable daemon with --watch: exit 0 at the deadline" 0 $?
check_eq "unreachable daemon with --watch: lost reported once" 1 "$(sel "$W/none2.out" '.event=="lost"' | wc -l)"
"$BULKHEAD" workloads --max-seconds x >/dev/null 2>&1
check_eq "bad --max-seconds: usage error" 2 $?
