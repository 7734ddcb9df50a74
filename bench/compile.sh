#!/usr/bin/env bash
# Compile time and heap for 100 / 1,000 / 5,000 workloads x 100 / 1,000 policies,
# then what the limits save on amplifying input.
set -eu
"${BH_BENCH:-$(dirname "$0")/../build/bench}/compile_bench"

# Limits: what an amplifying policy costs when refused at the default element
# limit, against compiling it in full with the limit raised (same run).
B=${BULKHEAD:-$(dirname "$0")/../bulkhead}
T=$(mktemp -d /tmp/bh-bench-limits.XXXXXX)
trap 'rm -rf "$T"' EXIT
python3 - "$T" <<'PY'
import sys
d = sys.argv[1]
with open(f"{d}/amp.yaml", "w") as f:
    f.write("apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: amp, namespace: shop}\n"
            "spec:\n  podSelector: {}\n  ingress:\n")
    for i in range(1000):
        f.write(f"    - from: [{{ipBlock: {{cidr: 10.1.0.0/16, except: [10.1.{i // 256}.{i % 256}/32]}}}}]\n"
                f"      ports: [{{port: {1000 + i}}}]\n")
with open(f"{d}/inv.yaml", "w") as f:
    f.write("workloads:\n  - {name: a, namespace: shop, labels: {app: a}, ips: [10.0.0.1]}\n")
with open(f"{d}/labels.yaml", "w") as f:
    f.write("apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: big\n  labels:\n")
    for i in range(80000):
        f.write(f"    k{i}: v\n")
    f.write("spec:\n  podSelector: {}\n")
PY
# run LABEL CMD...: prints seconds and max RSS of CMD
run() {
	local label=$1; shift
	/usr/bin/time -f "%e %M" -o "$T/time" "$@" >/dev/null 2>&1 || true
	read -r secs kib < <(tail -1 "$T/time")
	printf '%-58s %8.2f s %8d KiB\n' "$label" "$secs" "$kib"
	echo "$secs" >"$T/last"
}
echo
echo "limits: 1,000 rules of a /16 minus a /32 (1,000,000 elements), 80,000 labels"
run "compile, refused at the default limit (100,000)" \
	"$B" compile --inventory "$T/inv.yaml" --policies "$T/amp.yaml"
refused=$(cat "$T/last")
run "compile with --limit-elements-per-set 1000000" \
	"$B" compile --inventory "$T/inv.yaml" --policies "$T/amp.yaml" --limit-elements-per-set 1000000
full=$(cat "$T/last")
run "check 80,000 labels, refused at the default key limit" "$B" check "$T/labels.yaml"
run "check 80,000 labels with --limit-keys-per-mapping 100000" \
	"$B" check --limit-keys-per-mapping 100000 "$T/labels.yaml"
echo "summary: limits: amplifying policy refused in ${refused} s vs ${full} s compiled in full" \
	"(x$(awk -v a="$full" -v b="$refused" 'BEGIN { printf "%.0f", (b > 0 ? a / b : 0) }'))"
