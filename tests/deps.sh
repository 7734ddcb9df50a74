#!/usr/bin/env bash
# Installs the Debian packages that building and testing bulkhead need,
# only when one is missing (a fresh Debian 12 machine has none of them).
set -euo pipefail
PKGS=(build-essential pkg-config clang libnftnl-dev libmnl-dev libnetfilter-log-dev
      libyaml-dev libuv1-dev libjansson-dev libcurl4-openssl-dev libcmocka-dev
      nftables iproute2 conntrack valgrind docker.io rsyslog ulogd2 ulogd2-json
      procps psmisc jq python3 util-linux
      libmicrohttpd-dev prometheus debhelper lintian help2man systemd fakeroot dpkg-dev
      logrotate man-db)
missing=()
for p in "${PKGS[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
	echo "deps: missing packages: ${missing[*]} (run as root to install them)" >&2
	exit 1
fi
echo "deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# The tests start their own dockerd, rsyslogd, ulogd and prometheus when they need them.
# Keep the packages' services from starting at install: a dockerd started by
# the package would rewrite the host's own firewall ruleset.
policy_rc=
if [ ! -e /usr/sbin/policy-rc.d ]; then
	policy_rc=/usr/sbin/policy-rc.d
	printf '#!/bin/sh\nexit 101\n' >"$policy_rc"
	chmod 755 "$policy_rc"
	trap 'rm -f "$policy_rc"' EXIT
fi
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
