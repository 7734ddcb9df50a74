#!/usr/bin/env bash
# Policy changes inotify does not deliver still get enforced:
#  1. the inotify queue overflows (a burst of events while the agent's loop
#     is stopped): the agent reloads every input;
#  2. a policy file changed through a hard link in another directory (no
#     event on the watched directory at all): the periodic resync sees its
#     new size and mtime and reloads it.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/agent_lib.sh"

D=$(mktemp -d /tmp/bha-watch.XXXXXX)
on_exit "rm -rf $D"
mkdir -p "$D/pol" "$D/src"
QE=/proc/sys/fs/inotify/max_queued_events
QE_OLD=$(cat "$QE")
QE_LOW=16

mk_hub || { nok "hub namespace"; exit 1; }
mk_ns web 10.97.0.1 && mk_ns api 10.97.0.2 && mk_ns db 10.97.0.3 || { nok "namespaces"; exit 1; }
listen db 5432

cat >"$D/inv.yaml" <<EOI
workloads:
  - {name: web, namespace: shop, labels: {app: web}, netns: /run/netns/$P-web, ips: [10.97.0.1]}
  - {name: api, namespace: shop, labels: {app: api}, netns: /run/netns/$P-api, ips: [10.97.0.2]}
  - {name: db, namespace: shop, labels: {app: db}, netns: /run/netns/$P-db, ips: [10.97.0.3]}
EOI

policy() {	# NAME APP...: db admits the listed apps on 5432
	local name=$1 apps; shift
	apps=$(printf '%s, ' "$@"); apps=${apps%, }
	cat <<EOP
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: $name, namespace: shop}
spec:
  podSelector: {matchLabels: {app: db}}
  policyTypes: [Ingress]
  ingress:
    - from: [{podSelector: {matchExpressions: [{key: app, operator: In, values: [$apps]}]}}]
      ports: [{port: 5432}]
EOP
}

# nft_has TEXT: the db namespace's table mentions TEXT (policy names are in the comments)
nft_has() { ip netns exec "$P-db" nft list table inet bulkhead 2>/dev/null | grep -q "$1"; }

stop_agent() {
	kill -CONT "$AGENT_PID" 2>/dev/null
	kill -TERM "$AGENT_PID" 2>/dev/null
	wait "$AGENT_PID" 2>/dev/null
}

# ---- 1. inotify queue overflow --------------------------------------------------------
policy db-from-api api >"$D/pol/db.yaml"
# The queue size is read when the agent creates its inotify instance: lower it
# for that instant only, and restore it even if this test dies.
on_exit "echo $QE_OLD >$QE"
echo "$QE_LOW" >"$QE"
start_agent "$D/log1.json" --policies "$D/pol" --inventory "$D/inv.yaml" --control "$D/ctl" \
	--debounce-ms 100 --resync-interval 0
eventually 10 bash -c "ls -l /proc/$AGENT_PID/fd 2>/dev/null | grep -q inotify"
echo "$QE_OLD" >"$QE"
check_eq "max_queued_events restored at once" "$QE_OLD" "$(cat "$QE")"
check "first agent ready" eventually 10 log_has '.event.action=="ready"'
check "api -> db allowed" probe api 10.97.0.3 5432
check_not "web -> db denied" probe web 10.97.0.3 5432

# Stop the loop, queue far more than $QE_LOW events, then change the policy:
# the change's own events are the ones the kernel drops.
kill -STOP "$AGENT_PID"
for i in $(seq 1 $((QE_LOW * 4))); do : >"$D/pol/burst-$i.txt"; done
policy db-from-web-and-api web api >"$D/pol/.db.yaml.tmp"
mv "$D/pol/.db.yaml.tmp" "$D/pol/db.yaml"
t0=$(date +%s%N)
kill -CONT "$AGENT_PID"
check "after an overflow: the new policy is in db's table within 5 s" \
	eventually 5 nft_has db-from-web-and-api
diag "overflow to enforced: $((($(date +%s%N) - t0) / 1000000)) ms"
check "after an overflow: web -> db allowed" probe web 10.97.0.3 5432
check_not "after an overflow: the old policy is gone" nft_has 'db-from-api"'
check "after an overflow: the reload is a reconcile" \
	log_has '.event.action=="reconciled" and .bulkhead.generation>1 and .bulkhead.namespaces_touched>=1'
stop_agent
rm -f "$D"/pol/burst-*.txt

# ---- 2. a change inotify never reports: the resync reloads it -----------------------
rm -f "$D/pol/db.yaml"
policy db-from-api api >"$D/src/db.yaml"
ln "$D/src/db.yaml" "$D/pol/db.yaml"	# written through $D/src: no event on $D/pol
start_agent "$D/log2.json" --policies "$D/pol" --inventory "$D/inv.yaml" --control "$D/ctl" \
	--debounce-ms 100 --resync-interval 1
check "second agent ready" eventually 10 log_has '.event.action=="ready"'
check_not "web -> db denied again" probe web 10.97.0.3 5432
sleep 1.5	# a resync with nothing changed reloads nothing
check_eq "no reload without a change" 0 "$(count_lines '.event.action=="reconciled" and .bulkhead.generation>1')"
policy db-from-web-too web api >"$D/src/db.yaml"	# same inode, new size and mtime
check_eq "the policy file is still the same inode" "$(stat -c %i "$D/src/db.yaml")" "$(stat -c %i "$D/pol/db.yaml")"
check "resync: the edit made behind inotify's back is enforced within 5 s" \
	eventually 5 nft_has db-from-web-too
check "resync: web -> db allowed" probe web 10.97.0.3 5432
stop_agent
