#!/usr/bin/env bash
# Runs every bench/*.sh (each prints its own table and ratios against a
# baseline measured in the same run) and ends with a summary: status and
# duration of each, plus the lines each marks with "summary:".
#   BULKHEAD=... BH_TOOLS=... BH_BENCH=... bash bench/run.sh [NAME...]
set -u
cd "$(dirname "$0")/.."
: "${BULKHEAD:=$PWD/bulkhead}" "${BH_TOOLS:=$PWD/build/tools}" "${BH_BENCH:=$PWD/build/bench}"
export BULKHEAD BH_TOOLS BH_BENCH
LOG=$(mktemp -d /tmp/bh-bench.XXXXXX)
results=()
failed=0
for b in bench/*.sh; do
	name=$(basename "$b" .sh)
	[ "$name" = run ] && continue
	if [ $# -gt 0 ] && [[ " $* " != *" $name "* ]]; then
		continue
	fi
	echo "=== $name"
	start=$(date +%s.%N)
	timeout --kill-after=10 1800 bash "$b" 2>&1 | tee "$LOG/$name.log"
	rc=${PIPESTATUS[0]}
	[ "$rc" -eq 0 ] || failed=$((failed + 1))
	secs=$(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN { printf "%.0f", e - s }')
	results+=("$(printf '%-12s %-6s %5ss' "$name" "$([ "$rc" -eq 0 ] && echo ok || echo FAIL)" "$secs")")
	while IFS= read -r line; do
		results+=("    ${line#summary: }")
	done < <(grep '^summary: ' "$LOG/$name.log")
	echo
done
echo "=== summary (logs in $LOG)"
printf '%s\n' "${results[@]}"
[ "$failed" -eq 0 ]
