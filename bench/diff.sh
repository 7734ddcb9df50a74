#!/usr/bin/env bash
# `bulkhead diff`: time and max RSS of the whole command (loading and compiling
# both sides included) for N workloads x 100 policies on each side, the new side
# widening ten selectors and extending ten port lists (then every one of them);
# against `compile` of one side alone, in the same run.
set -eu
B=${BULKHEAD:-$(dirname "$0")/../bulkhead}
T=$(mktemp -d /tmp/bh-bench-diff.XXXXXX)
trap 'rm -rf "$T"' EXIT
gen() { # gen DIR N_WL N_POL
	python3 - "$@" <<'PY'
import os, sys
d, n_wl, n_pol = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
os.makedirs(f"{d}/old", exist_ok=True)
os.makedirs(f"{d}/new", exist_ok=True)
os.makedirs(f"{d}/all", exist_ok=True)
with open(f"{d}/inv.yaml", "w") as f:
    f.write("namespaces:\n")
    for i in range(20):
        f.write(f"  - {{name: ns{i}, labels: {{tier: t{i % 4}}}}}\n")
    f.write("workloads:\n")
    for i in range(n_wl):
        f.write(f"  - {{name: w{i}, namespace: ns{i % 20}, labels: {{app: app{i % 50}, replica: r{i // 50}}},"
                f" ips: [10.{1 + i // 65536}.{(i // 256) % 256}.{i % 256}], ports: [{{name: http, port: {8000 + i % 7}}}]}}\n")
def pol(p, changed):
    app = (p + 10) % 50
    sel = f"{{matchExpressions: [{{key: app, operator: In, values: [app{app}, app{(app + 1) % 50}]}}]}}" \
        if changed and p % 2 else f"{{matchLabels: {{app: app{app}}}}}"
    ports = f"[{{port: {1000 + p % 100}, endPort: {1010 + p % 100}}}, {{port: http}}]" \
        if changed and not p % 2 else f"[{{port: {1000 + p % 100}}}, {{port: http}}]"
    return (f"---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
            f"metadata: {{name: p{p}, namespace: ns{p % 20}}}\nspec:\n"
            f"  podSelector: {{matchLabels: {{app: app{p % 50}}}}}\n"
            f"  policyTypes: [Ingress, Egress]\n"
            f"  ingress:\n  - from:\n    - podSelector: {sel}\n"
            f"    - namespaceSelector: {{matchLabels: {{tier: t{p % 4}}}}}\n"
            f"      podSelector: {{matchLabels: {{app: app{(p + 7) % 50}}}}}\n"
            f"    ports: {ports}\n"
            f"  egress:\n  - to: [{{ipBlock: {{cidr: 10.0.0.0/8, except: [10.9.{p % 2}.0/24]}}}}]\n"
            f"    ports: [{{port: 5432}}, {{port: 53, protocol: UDP}}, {{port: 1000, endPort: 1110}}]\n")
with open(f"{d}/old/p.yaml", "w") as f:
    for p in range(n_pol):
        f.write(pol(p, False))
with open(f"{d}/new/p.yaml", "w") as f:
    for p in range(n_pol):
        f.write(pol(p, p < 20))
with open(f"{d}/all/p.yaml", "w") as f:
    for p in range(n_pol):
        f.write(pol(p, True))
PY
}
# run LABEL CMD...: seconds and max RSS of CMD (exit 1 is diff's "changed")
run() {
	local label=$1; shift
	/usr/bin/time -f "%e %M" -o "$T/time" "$@" >"$T/out" 2>&1 || true
	read -r secs kib < <(tail -1 "$T/time")
	printf '%-44s %8.2f s %8d KiB %8d lines\n' "$label" "$secs" "$kib" "$(wc -l <"$T/out")"
	echo "$secs $kib" >"$T/last"
}
for n in 250 500 1000; do
	gen "$T/$n" "$n" 100
	run "compile, one side, $n x 100" "$B" compile --inventory "$T/$n/inv.yaml" --policies "$T/$n/old"
	run "diff, $n x 100 each side" "$B" diff --inventory "$T/$n/inv.yaml" --old "$T/$n/old" --new "$T/$n/new"
	[ "$n" = 500 ] && read -r s500 k500 <"$T/last"
	run "diff, $n x 100, every policy changed" "$B" diff --inventory "$T/$n/inv.yaml" --old "$T/$n/old" --new "$T/$n/all"
	[ "$n" = 500 ] && read -r a500 ka500 <"$T/last"
done
echo "summary: diff: 500 workloads x 100 policies each side in ${s500} s, max RSS $((k500 / 1024)) MiB;" \
	"every policy changed: ${a500} s, $((ka500 / 1024)) MiB"
