#!/usr/bin/env bash
# Runs every test and ends with "N passed, M failed".
# Each test program speaks TAP ("ok ..." / "not ok ..." lines); a program
# that dies without reporting counts as one failure. Every program runs
# under a time limit.
#   BH_ONLY=unit|golden|netns|docker   run one section
#   BH_FILTER=substring                run only the scripts whose path matches
set -u
cd "$(dirname "$0")/.."
: "${BULKHEAD:=$PWD/bulkhead}" "${BH_UNIT_DIR:=$PWD/build/san/tests}" "${BH_TOOLS:=$PWD/build/tools}"
export BULKHEAD BH_UNIT_DIR BH_TOOLS
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
export CMOCKA_MESSAGE_OUTPUT=TAP
LOGDIR=${BH_LOGDIR:-$(mktemp -d /tmp/bh-tests.XXXXXX)}
passed=0 failed=0 skipped=0
failures=()

run_one() {	# name timeout cmd...
	local name=$1 limit=$2; shift 2
	local log="$LOGDIR/$(echo "$name" | tr '/ ' '__').log"
	[ -n "${BH_FILTER:-}" ] && [[ "$name" != *"$BH_FILTER"* ]] && return
	timeout --kill-after=10 "$limit" "$@" >"$log" 2>&1
	local rc=$?
	local p f s
	p=$(grep -cE '^ok [0-9]+' "$log" | head -1)
	s=$(grep -cE '^ok [0-9]+.*# (SKIP|skip)' "$log" | head -1)
	f=$(grep -cE '^not ok [0-9]+' "$log" | head -1)
	p=$((p - s))
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		f=1
		echo "not ok - $name exited with status $rc (see $log)" >>"$log"
	fi
	passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + s))
	printf '%-40s %3d passed, %d failed%s\n' "$name" "$p" "$f" "$([ "$s" -gt 0 ] && echo ", $s skipped")"
	if [ "$f" -gt 0 ]; then
		failures+=("$name")
		grep -E '^not ok|^#' "$log" | head -40 | sed 's/^/    /'
	fi
}

section() { [ -z "${BH_ONLY:-}" ] || [ "$BH_ONLY" = "$1" ]; }

if section unit; then
	# one binary per source: a stale binary of a removed test never runs
	for src in tests/unit/test_*.c; do
		t=$BH_UNIT_DIR/$(basename "$src" .c)
		[ -x "$t" ] || { run_one "unit/$(basename "$t") (not built)" 10 false; continue; }
		run_one "unit/$(basename "$t")" 300 "$t"
	done
fi
for sec in golden netns docker; do
	section "$sec" || continue
	for t in tests/$sec/t_*.sh; do
		[ -f "$t" ] || continue
		run_one "$sec/$(basename "$t" .sh)" 900 bash "$t"
	done
done

echo "logs: $LOGDIR"
[ "$skipped" -gt 0 ] && echo "$skipped skipped (kernel features this machine lacks)"
[ ${#failures[@]} -gt 0 ] && echo "failing: ${failures[*]}"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
