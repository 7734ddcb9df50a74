#!/usr/bin/env bash
# Identity conflicts against a private dockerd. Docker merges an image's
# LABELs into its containers' labels, so an image can claim an identity:
# two containers claiming shop/web (one through its image's labels), and a
# container claiming shop/db, which the inventory lists. The owner is
# chosen in a fixed order (the inventory, then the container created first);
# every other claimant is isolated fail closed: its table denies everything
# (probes from the host are refused), a workload-isolated line names the
# cause identity-conflict, status shows it isolated, and its denials are
# logged with that cause. When the owner goes, the next claimant takes over.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/lib.sh"

bh_docker_require
command -v jq >/dev/null || { nok "jq is not installed (bash tests/deps.sh install)"; exit 1; }
[ -x "$BH_TOOLS/bhprobe" ] || { nok "no $BH_TOOLS/bhprobe: run make tools"; exit 1; }
W=$(mktemp -d /tmp/bhi-dock.XXXXXX)
on_exit rm -rf "$W"
check "private dockerd starts" bh_dockerd_private_up "$W/d" || exit 1
SOCK=$W/d/docker.sock
check "probe image builds" bh_probe_image || exit 1
O=$(bh_subnet_octet)
NET=bhi$$
bh_docker_net "$NET" --subnet 10.213.$O.0/24 --gateway 10.213.$O.1
GW=10.213.$O.1
IMG=$BH_PROBE_IMAGE

# an image whose labels claim shop/web
docker create --name bhi-base$$ "$IMG" >/dev/null && on_exit docker rm -f bhi-base$$
check "claiming image builds (docker commit with LABELs)" docker commit \
	-c 'LABEL bulkhead.io/namespace=shop' -c 'LABEL bulkhead.io/name=web' -c 'LABEL app=web' \
	bhi-base$$ bhi-claimer:test
on_exit docker rmi -f bhi-claimer:test

# the inventory lists shop/db in a namespace of this test
DBNS=bhi$$-db
ip netns add "$DBNS" && on_exit ip netns del "$DBNS"
cat >"$W/inv.yaml" <<EOI
workloads:
  - {name: db, namespace: shop, labels: {app: db}, netns: /run/netns/$DBNS, ips: [10.213.$O.250]}
EOI
mkdir -p "$W/pol"
cat >"$W/pol/web.yaml" <<EOP
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web-9100, namespace: shop}
spec:
  podSelector: {matchLabels: {app: web}}
  policyTypes: [Ingress]
  ingress:
    - from: [{ipBlock: {cidr: $GW/32}}]
      ports: [{port: 9100}]
EOP

LOG=$W/log.json
CTL=$W/ctl.sock
sel() { jq -c -R "fromjson? | select($1)" "$LOG" 2>/dev/null; }
has() { [ -n "$(sel "$1")" ]; }
status() { "$BULKHEAD" status --json --control "$CTL"; }
id_of() { docker inspect -f '{{.Id}}' "$1"; }
ip_of() { docker inspect -f "{{(index .NetworkSettings.Networks \"$NET\").IPAddress}}" "$1"; }
wl_of() {	# CONTAINER FIELD: a field of the status entry of that container
	status | jq -r ".workloads[] | select(.container.name==\"$1\") | $2"
}
state_is() { [ "$(wl_of "$1" .state)" = "$2" ]; }
probe() { "$BH_TOOLS/bhprobe" connect tcp "$1" 9100 --timeout-ms 700 >/dev/null 2>&1; }

"$BULKHEAD" agent --docker="$SOCK" --inventory "$W/inv.yaml" --policies "$W/pol" --log "$LOG" \
	--control "$CTL" --debounce-ms 50 2>"$W/agent.err" &
APID=$!
on_exit "kill -9 $APID 2>/dev/null"
check "agent ready" bh_wait 20 has '.event.action=="ready"'

L=(-l bulkhead.io/namespace=shop -l app=web)
bh_docker_run web1 --network "$NET" "${L[@]}" -l bulkhead.io/name=web $IMG /bhprobe serve 9100
check "web1 (first to claim shop/web) enforced" bh_wait 10 state_is web1 enforced
bh_docker_run web2 --network "$NET" bhi-claimer:test /bhprobe serve 9100
bh_docker_run imp --network "$NET" "${L[@]}" -l bulkhead.io/name=db $IMG /bhprobe serve 9100
WEB1=$(ip_of web1) WEB2=$(ip_of web2) IMP=$(ip_of imp)

check "web2 (image labels claim shop/web, created later): isolated" bh_wait 10 state_is web2 isolated
check_eq "web2: listed under its own name" "web/$(id_of web2)" "$(wl_of web2 .name)"
check_eq "web2: cause, claim and owner in status" \
	"identity-conflict shop/web container $(id_of web1)" \
	"$(wl_of web2 '.isolated | "\(.cause) \(.claimed) \(.held_by)"')"
check "web2: workload-isolated line, cause identity-conflict" has \
	'.event.action=="workload-isolated" and .bulkhead.cause=="identity-conflict" and .bulkhead.container.name=="web2" and .bulkhead.claimed=="shop/web"'
check "imp (claims shop/db, the inventory's): isolated" bh_wait 10 state_is imp isolated
check_eq "imp: held by the inventory" inventory "$(wl_of imp .isolated.held_by)"
check "imp: workload-isolated line" has \
	'.event.action=="workload-isolated" and .bulkhead.cause=="identity-conflict" and .bulkhead.container.name=="imp"'
check "the inventory's shop/db keeps its table" bh_wait 5 \
	eval "ip netns exec $DBNS nft list table inet bulkhead >/dev/null 2>&1"
check_eq "the inventory's shop/db is enforced" enforced \
	"$(status | jq -r '.workloads[] | select(.namespace=="shop" and .name=="db") | .state')"

check "gateway -> web1:9100 allowed (its policy)" bh_wait 5 probe "$WEB1"
check_not "gateway -> web2:9100 denied (isolated)" probe "$WEB2"
check_not "gateway -> imp:9100 denied (isolated)" probe "$IMP"
check "web2's denial logged with the cause as the rule" bh_wait 5 has \
	".event.action==\"denied\" and .destination.ip==\"$WEB2\" and .rule.ruleset==\"isolated:identity-conflict\" and .bulkhead.isolated==\"identity-conflict\""
check_eq "each isolation reported once" 2 "$(sel '.event.action=="workload-isolated"' | wc -l)"

# the owner goes: the next claimant owns shop/web and gets its policy
docker rm -f web1 >/dev/null
check "web1 gone: web2 owns shop/web, enforced" bh_wait 10 state_is web2 enforced
check_eq "web2 listed as shop/web" web "$(wl_of web2 .name)"
check "gateway -> web2:9100 allowed now" bh_wait 5 probe "$WEB2"
check_not "gateway -> imp:9100 still denied" probe "$IMP"

check "agent still running" kill -0 $APID
kill -TERM $APID
rc=0; wait $APID || rc=$?
check_eq "agent exits 0 on SIGTERM" 0 "$rc"
check_not "no sanitizer report" grep -q "Sanitizer\|runtime error" "$W/agent.err"
