#!/usr/bin/env bash
# The Debian package: `make deb` builds it from a clean copy of the tree;
# lintian reports no error and no warning; the unit passes
# `systemd-analyze verify`; the agent enforces under exactly the unit's
# capability bounding set and fails without each of them; `dpkg -i` (the
# service kept from starting by policy-rc.d) puts every file where the
# README says; `dpkg --purge` takes bulkhead's table out of a running
# agent's workload and leaves nothing of the package behind. The machine
# is left as it was: the package purged, policy-rc.d as it was.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/agent_lib.sh"
need_tools
for t in dpkg-buildpackage lintian systemd-analyze setpriv; do
	command -v "$t" >/dev/null || { nok "missing $t (tests/deps.sh)"; exit 1; }
done
if dpkg-query -W -f='${Status}' bulkhead 2>/dev/null | grep -q 'install ok installed'; then
	skip "a bulkhead package is installed on this machine: not replaced by a test"
	exit 0
fi

D=$(mktemp -d /tmp/bhl-deb.XXXXXX)
on_exit "rm -rf $D"
VER=$(sed -n 's/^VERSION ?= //p' "$BH_ROOT/Makefile")
ARCH=$(dpkg --print-architecture)
DEB=$BH_ROOT/build/deb/bulkhead_${VER}_${ARCH}.deb

# --- build
check "make deb" make -C "$BH_ROOT" --no-print-directory deb
check "build/deb/bulkhead_${VER}_${ARCH}.deb exists" test -s "$DEB"
[ -s "$DEB" ] || exit 1
lintian --fail-on error,warning "$DEB" >"$D/lintian.txt" 2>&1
check_eq "lintian: no error, no warning" 0 "$?"
grep -E '^[EW]:' "$D/lintian.txt" | sed 's/^/# /'
dpkg-deb -e "$DEB" "$D/ctl"
check_eq "conffiles" "/etc/bulkhead/agent.yaml /etc/logrotate.d/bulkhead" "$(sort "$D/ctl/conffiles" | xargs)"

# --- the unit's capabilities, measured: a workload whose namespace is named
# by /proc/PID/ns/net of a process with every capability (as a container's)
ns_add capw 7 || { nok "namespace"; exit 1; }
ip netns exec "$(ns_name capw)" sleep 600 &
HOLD=$!
on_exit "kill $HOLD"
dpkg-deb -x "$DEB" "$D/root"
mkdir -p "$D/pol"
cat >"$D/inv.yaml" <<EOF
workloads:
  - {name: capw, namespace: shop, labels: {app: capw}, netns: /proc/$HOLD/ns/net, ips: [10.200.0.7]}
EOF
cat >"$D/pol/p.yaml" <<'EOF'
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: closed, namespace: shop}
spec: {podSelector: {}, policyTypes: [Ingress]}
EOF
unit_caps=$(sed -n 's/^CapabilityBoundingSet=//p' "$D/root/lib/systemd/system/bulkhead.service")
check_eq "the unit keeps three capabilities" "CAP_NET_ADMIN CAP_SYS_ADMIN CAP_SYS_PTRACE" "$unit_caps"
# with_caps CAPS LOG: the packaged binary under that bounding set and no_new_privs, until
# it is ready or reports a failure; exit 0 when bulkhead's table is in the namespace
with_caps() {
	local caps=$1 log=$2 pid rc=1
	setpriv --bounding-set "-all,$caps" --inh-caps -all --no-new-privs \
		"$D/root/usr/sbin/bulkhead" agent --policies "$D/pol" --inventory "$D/inv.yaml" \
		--control "$D/ctl.sock" --log "$log" --resync-interval 0 2>"$log.err" &
	pid=$!
	AGENT_LOG=$log
	eventually 15 log_has '.event.action=="ready" or .event.action=="program-failed"'
	ip netns exec "$(ns_name capw)" nft list table inet bulkhead >/dev/null 2>&1 && rc=0
	kill "$pid"
	wait "$pid"
	ip netns exec "$(ns_name capw)" nft delete table inet bulkhead 2>/dev/null
	return $rc
}
all="+net_admin,+sys_admin,+sys_ptrace"
check "enforces under the unit's bounding set and no_new_privs" with_caps "$all" "$D/c0.json"
check_not "fails without CAP_SYS_PTRACE (the container's /proc/PID/ns/net)" with_caps "+net_admin,+sys_admin" "$D/c1.json"
check_not "fails without CAP_SYS_ADMIN (setns)" with_caps "+net_admin,+sys_ptrace" "$D/c2.json"
check_not "fails without CAP_NET_ADMIN (nftables)" with_caps "+sys_admin,+sys_ptrace" "$D/c3.json"

# --- install, with services kept from starting
if [ ! -e /usr/sbin/policy-rc.d ]; then
	printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
	chmod 755 /usr/sbin/policy-rc.d
	on_exit "rm -f /usr/sbin/policy-rc.d"
fi
on_exit "dpkg --purge bulkhead"
check "dpkg -i" bash -c "DEBIAN_FRONTEND=noninteractive dpkg -i '$DEB' >'$D/dpkg.log' 2>&1"
check_eq "bulkhead --version" "bulkhead $VER" "$(/usr/sbin/bulkhead --version)"
for f in /usr/sbin/bulkhead /etc/bulkhead/agent.yaml /etc/logrotate.d/bulkhead \
	/lib/systemd/system/bulkhead.service /usr/share/man/man8/bulkhead.8.gz \
	/usr/share/doc/bulkhead/copyright /usr/share/doc/bulkhead/examples/prometheus/alerts.yml; do
	check "installed: $f" test -s "$f"
done
check "installed: /etc/bulkhead/policies/ (empty)" bash -c '[ -d /etc/bulkhead/policies ] && [ -z "$(ls -A /etc/bulkhead/policies)" ]'
check "the default config parses" /usr/sbin/bulkhead agent --config /etc/bulkhead/agent.yaml --help
check "the man page renders" bash -c "MANWIDTH=80 man -l /usr/share/man/man8/bulkhead.8.gz 2>&1 | grep -q -- '--community-id'"
systemd-analyze verify /lib/systemd/system/bulkhead.service >"$D/verify.txt" 2>&1
check_eq "systemd-analyze verify bulkhead.service" 0 "$?"
check "systemd-analyze verify: nothing said about bulkhead.service" bash -c "! grep -q 'bulkhead.service' '$D/verify.txt'"
sed 's/^/# verify: /' "$D/verify.txt"
if systemd-analyze security --help 2>&1 | grep -q -- '--offline'; then
	systemd-analyze security --offline=true /lib/systemd/system/bulkhead.service 2>/dev/null |
		tail -1 | sed 's/^/# /'
fi
if command -v logrotate >/dev/null; then
	check "logrotate accepts the snippet" logrotate -d /etc/logrotate.d/bulkhead
fi
dpkg -L bulkhead >"$D/files.txt"

# --- removal: a running agent's workload loses bulkhead's table
ns_add rmw 8 || { nok "namespace"; exit 1; }
cat >"$D/inv2.yaml" <<EOF
workloads:
  - {name: rmw, namespace: shop, labels: {app: rmw}, netns: $(ns_path rmw), ips: [10.200.0.8]}
EOF
mkdir -p /run/bulkhead
on_exit "rm -f /run/bulkhead/control.sock; rmdir /run/bulkhead"
start_agent "$D/run.json" --policies "$D/pol" --inventory "$D/inv2.yaml" \
	--control /run/bulkhead/control.sock --resync-interval 0
check "the installed agent enforces" eventually 15 log_has '.event.action=="ready"'
check "its table is in the workload" ip netns exec "$(ns_name rmw)" nft list table inet bulkhead
check "dpkg --purge" bash -c "DEBIAN_FRONTEND=noninteractive dpkg --purge bulkhead >>'$D/dpkg.log' 2>&1"
check_not "the removal took the table out of the running workload" \
	ip netns exec "$(ns_name rmw)" nft list table inet bulkhead
kill "$AGENT_PID" 2>/dev/null
wait "$AGENT_PID" 2>/dev/null
check "dpkg no longer lists the package" bash -c "! dpkg-query -W -f='\${Status}' bulkhead 2>/dev/null | grep -q installed"
left=$(grep -E 'bulkhead' "$D/files.txt" | while read -r f; do [ -e "$f" ] && echo "$f"; done)
check_eq "nothing of the package is left" "" "$left"
for f in /etc/bulkhead /var/log/bulkhead /etc/systemd/system/multi-user.target.wants/bulkhead.service \
	/var/lib/systemd/deb-systemd-helper-enabled/bulkhead.service.dsh-also; do
	check_not "gone after purge: $f" test -e "$f"
done
sed 's/^/# dpkg: /' "$D/dpkg.log" | tail -20
