#!/usr/bin/env bash
# Builds every tests/fuzz/fuzz_*.c as a libFuzzer binary in build/fuzz/
# (clang, -fsanitize=fuzzer,address,undefined) linked with the lib/*.c and policy/*.c
# sources. A harness that needs more sources names them in a line
#   // fuzz-sources: netlink/foo.c agent/bar.c
#   build.sh             build only
#   build.sh run [SECS]  build, then run each harness for SECS seconds (default 30)
#                        on a corpus seeded from the golden tests and examples
set -eu
cd "$(dirname "$0")/../.."
CC=${FUZZ_CC:-clang}
OUT=build/fuzz
mkdir -p "$OUT"
PKGS="libnftnl libmnl libnetfilter_log yaml-0.1 libuv jansson libcurl"
CFLAGS="-std=gnu11 -D_GNU_SOURCE -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
	-I. $(pkg-config --cflags $PKGS)"
LIBS="$(pkg-config --libs $PKGS) -lm"

built=()
for src in tests/fuzz/fuzz_*.c; do
	[ -f "$src" ] || continue
	name=$(basename "$src" .c)
	extra=$(sed -n 's|^// fuzz-sources: *||p' "$src" | tr '\n' ' ')
	echo "  FUZZ    $OUT/$name"
	# shellcheck disable=SC2086
	$CC $CFLAGS -o "$OUT/$name" "$src" lib/*.c policy/*.c $extra $LIBS
	built+=("$name")
done

[ "${1:-}" = run ] || exit 0
secs=${2:-30}
rc=0
for name in "${built[@]}"; do
	corpus="$OUT/corpus-$name"
	mkdir -p "$corpus"
	if [ -d "tests/fuzz/corpus/$name" ]; then cp -n tests/fuzz/corpus/"$name"/* "$corpus"/ 2>/dev/null || true; fi
	if [ "$name" = fuzz_policy ]; then
		for f in tests/golden/check/*.yaml tests/golden/check/*.yml examples/policies/*.yaml \
			 examples/cluster-policies/*.yaml examples/inventory.yaml; do
			[ -f "$f" ] && cp -n "$f" "$corpus/seed-$(basename "$f")" 2>/dev/null || true
		done
	fi
	dict=()
	[ -f "tests/fuzz/${name#fuzz_}.dict" ] && dict=(-dict="tests/fuzz/${name#fuzz_}.dict")
	echo "  RUN     $name for ${secs}s"
	if ! "$OUT/$name" "${dict[@]}" -max_total_time="$secs" -max_len=8192 -timeout=10 \
		-rss_limit_mb=2048 -artifact_prefix="$OUT/$name-" -print_final_stats=1 "$corpus" \
		>"$OUT/$name.log" 2>&1; then
		echo "  FAIL    $name (see $OUT/$name.log)"
		tail -30 "$OUT/$name.log"
		rc=1
	fi
done
exit $rc
