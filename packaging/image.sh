#!/usr/bin/env bash
# image.sh VERSION: the container image bulkhead:VERSION, built offline: a
# root filesystem made of the Debian package's files and the shared
# libraries they load (ldd of the binary, plus libcurl, which the Docker
# source loads when it starts), then `docker import` into the engine that
# DOCKER_HOST names. No registry, no base image.
set -euo pipefail
cd "$(dirname "$0")/.."
ver=$1
deb=build/deb/bulkhead_${ver}_$(dpkg --print-architecture).deb
r=build/image/rootfs
[ -s "$deb" ] || { echo "image: no $deb (make deb)" >&2; exit 1; }
rm -rf build/image
mkdir -p "$r"
dpkg-deb -x "$deb" "$r"
# what a container does not use: docs, the unit, logrotate (docker logs rotate)
rm -rf "$r/usr/share" "$r/lib/systemd" "$r/etc/logrotate.d"
libs() { ldd "$1" | awk '/=> \// { print $3 } /^\t\// { print $1 }'; }
curl=$(ldconfig -p | awk '/libcurl\.so\.4 / { print $NF; exit }')
{
	libs "$r/usr/sbin/bulkhead"
	if [ -n "$curl" ]; then
		echo "$curl"
		libs "$curl"
	fi
} | sort -u | while read -r f; do
	cp -L --parents "$f" "$r"
done
mkdir -p "$r/tmp" "$r/run/bulkhead" "$r/run/netns" "$r/var/log/bulkhead" "$r/proc" "$r/sys" "$r/dev"
chmod 1777 "$r/tmp"
echo "  IMAGE   bulkhead:$ver ($(du -sh "$r" | cut -f1) uncompressed)"
# The config file's log sinks are overridden by CMD: a container logs to stdout.
tar -C "$r" --numeric-owner --owner=0 --group=0 -cf - . |
	docker import \
		-c 'ENTRYPOINT ["/usr/sbin/bulkhead", "agent", "--config", "/etc/bulkhead/agent.yaml"]' \
		-c 'CMD ["--log", "-"]' \
		-c 'VOLUME ["/etc/bulkhead"]' \
		-c "LABEL org.opencontainers.image.title=bulkhead org.opencontainers.image.version=$ver" \
		- "bulkhead:$ver" >/dev/null
