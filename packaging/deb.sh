#!/usr/bin/env bash
# deb.sh VERSION: build/deb/bulkhead_VERSION_ARCH.deb with dpkg-buildpackage
# (debhelper, debian/ at the top of the tree), from a copy of the tracked
# and new-but-not-ignored files only: whatever was built or left in this
# tree stays out of the package.
set -euo pipefail
cd "$(dirname "$0")/.."
ver=$1
chver=$(dpkg-parsechangelog -S Version)
if [ "$ver" != "$chver" ]; then
	echo "deb: the Makefile says version $ver but debian/changelog says $chver" >&2
	exit 1
fi
out=build/deb
# built outside the tree (the tree's own checks scan it), the results moved into build/deb
work=$(mktemp -d /tmp/bulkhead-deb.XXXXXX)
trap 'rm -rf "$work"' EXIT
src=$work/bulkhead-$ver
rm -rf "$out"
mkdir -p "$src" "$out"
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	git ls-files --cached --others --exclude-standard |
		while IFS= read -r f; do [ -e "$f" ] && printf '%s\n' "$f"; done |
		tar -cf - -T - | tar -xf - -C "$src"
else
	tar --exclude=./build --exclude=./bulkhead --exclude='*.o' --exclude='*.d' -cf - . |
		tar -xf - -C "$src"
fi
echo "  DEB     $out/bulkhead_${ver}_$(dpkg --print-architecture).deb"
if ! (cd "$src" && dpkg-buildpackage -b -us -uc -j2) >"$out/build.log" 2>&1; then
	tail -40 "$out/build.log" >&2
	exit 1
fi
mv "$work"/bulkhead_"$ver"_*.deb "$work"/*.buildinfo "$work"/*.changes "$out"/
