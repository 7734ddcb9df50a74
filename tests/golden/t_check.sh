#!/usr/bin/env bash
# Golden tests for `bulkhead check`: every fail-NN.yaml must be rejected with
# exactly the stderr in fail-NN.err (inv-fail-NN.* the same for --inventory),
# every ok-* file accepted, and the shipped examples must stay valid.
. "$(dirname "$0")/../lib.sh"
G=$BH_ROOT/tests/golden/check
tmp=$(mktemp -d /tmp/bh-check.XXXXXX)
on_exit rm -rf "$tmp"

# golden_fail DESCRIPTION ERRFILE ARGS...: exit 1, nothing on stdout, stderr == ERRFILE
golden_fail() {
	local d=$1 want=$2 rc; shift 2
	(cd "$G" && "$BULKHEAD" check "$@") >"$tmp/out" 2>"$tmp/err"
	rc=$?
	if [ "$rc" = 1 ] && [ ! -s "$tmp/out" ] && cmp -s "$G/$want" "$tmp/err"; then
		ok "$d"
	else
		nok "$d (exit $rc)"
		diff -u "$G/$want" "$tmp/err" | sed 's/^/# /' | head -40
		sed 's/^/# stdout: /' "$tmp/out" | head -5
	fi
}

# golden_ok DESCRIPTION EXPECTED_STDOUT ARGS... (run in the golden directory)
golden_ok() {
	local d=$1 want=$2 rc; shift 2
	(cd "$G" && "$BULKHEAD" check "$@") >"$tmp/out" 2>"$tmp/err"
	rc=$?
	if [ "$rc" = 0 ] && [ ! -s "$tmp/err" ] && [ "$(cat "$tmp/out")" = "$want" ]; then
		ok "$d"
	else
		nok "$d (exit $rc)"
		sed 's/^/# stdout: /' "$tmp/out" | head -5
		sed 's/^/# stderr: /' "$tmp/err" | head -20
	fi
}

for f in "$G"/fail-*.yaml; do
	b=$(basename "$f" .yaml)
	golden_fail "check rejects $b.yaml" "$b.err" "$b.yaml"
done
for f in "$G"/inv-fail-*.yaml; do
	b=$(basename "$f" .yaml)
	golden_fail "check --inventory rejects $b.yaml" "$b.err" --inventory "$b.yaml"
done

# ClusterNetworkPolicy (and v1alpha1 AdminNetworkPolicy) validation
for f in "$G"/tier-fail-*.yaml; do
	[ -e "$f" ] || continue
	b=$(basename "$f" .yaml)
	golden_fail "check rejects $b.yaml" "$b.err" "$b.yaml"
done

# warn-NN.yaml (with warn-NN.inv.yaml as inventory when present): valid, so
# exit 0 with the summary counting the warnings; stderr == warn-NN.err;
# --strict turns them into a failure (exit 1, the same stderr, no summary).
for f in "$G"/warn-[0-9][0-9].yaml; do
	b=$(basename "$f" .yaml)
	args=("$b.yaml")
	[ -f "$G/$b.inv.yaml" ] && args=(--inventory "$b.inv.yaml" "$b.yaml")
	n=$(wc -l <"$G/$b.err")
	(cd "$G" && "$BULKHEAD" check "${args[@]}") >"$tmp/out" 2>"$tmp/err"
	rc=$?
	if [ "$rc" = 0 ] && cmp -s "$G/$b.err" "$tmp/err" && head -1 "$tmp/out" | grep -q ", $n warnings\$"; then
		ok "check accepts $b.yaml with $n warnings"
	else
		nok "check accepts $b.yaml with $n warnings (exit $rc)"
		diff -u "$G/$b.err" "$tmp/err" | sed 's/^/# /' | head -20
		sed 's/^/# stdout: /' "$tmp/out" | head -3
	fi
	golden_fail "check --strict rejects $b.yaml for its warnings" "$b.err" --strict "${args[@]}"
done

# tier-ok-NN.yaml: valid without a word on stderr; stdout == tier-ok-NN.out
for f in "$G"/tier-ok-[0-9][0-9].yaml; do
	[ -e "$f" ] || continue
	b=$(basename "$f" .yaml)
	golden_ok "check accepts $b.yaml and lists its tiers" "$(cat "$G/$b.out")" "$b.yaml"
done

golden_ok "ok-01.yaml: lists, kubectl output, IPv6, named ports" "ok: 3 policies in 1 file" ok-01.yaml
golden_ok "ok-02.yml: a file without documents" "ok: 0 policies in 1 file" ok-02.yml
golden_ok "inventory with implied namespaces" "ok: inventory inv-ok-01.yaml: 2 workloads in 2 namespaces" \
	--inventory inv-ok-01.yaml

# the shipped examples
out=$(cd "$BH_ROOT" && "$BULKHEAD" check examples/policies --inventory examples/inventory.yaml 2>&1)
check_eq "examples/policies and examples/inventory.yaml are valid" \
	"ok: 7 policies in 6 files
ok: inventory examples/inventory.yaml: 4 workloads in 2 namespaces" "$out"

# the shipped cluster-wide examples, with the NetworkPolicy ones
out=$(cd "$BH_ROOT" && "$BULKHEAD" check examples/policies examples/cluster-policies 2>&1)
check_eq "examples/cluster-policies are valid, without a warning, tiers in order" \
	"ok: 13 policies in 10 files
tiers, in evaluation order:
  Admin priority 0: deny-instance-metadata
  Admin priority 10: monitoring-may-scrape, prometheus-may-reach-targets
  NetworkPolicy: 7 policies in 1 namespace
  Baseline priority 100: tenant-blue, tenant-green
  Baseline priority 1000: baseline-default-deny (audit)" "$out"

# directories: *.yaml and *.yml only, sorted, not recursive, no hidden files
mkdir -p "$tmp/pols/sub"
cp "$G/ok-01.yaml" "$tmp/pols/b.yml"
printf 'apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: a}\nspec: {podSelector: {}}\n' >"$tmp/pols/a.yaml"
echo "not: [yaml" >"$tmp/pols/notes.txt"
echo "not: [yaml" >"$tmp/pols/.hidden.yaml"
echo "not: [yaml" >"$tmp/pols/sub/c.yaml"
out=$("$BULKHEAD" check "$tmp/pols" 2>&1)
check_eq "a directory means its *.yaml and *.yml files" "ok: 4 policies in 2 files" "$out"

printf 'apiVersion: v1\nkind: NetworkPolicy\n' >"$tmp/pols/z.yaml"
printf 'kind: NetworkPolicy\n' >"$tmp/pols/c.yaml"
out=$("$BULKHEAD" check "$tmp/pols" 2>&1)
rc=$?
check_eq "directory errors come in file name order" \
	"$tmp/pols/c.yaml:1:1: error: apiVersion: required field is missing
$tmp/pols/z.yaml:1:13: error: apiVersion: unsupported apiVersion \"v1\" for kind NetworkPolicy (expected \"networking.k8s.io/v1\")" "$out"
check_eq "exit status 1 on errors" 1 "$rc"

# the same policy in two files
cp "$tmp/pols/a.yaml" "$tmp/a2.yaml"
out=$(cd "$tmp" && "$BULKHEAD" check pols/a.yaml a2.yaml 2>&1)
check_eq "a policy defined twice across files names the first" \
	"a2.yaml:3:18: error: metadata.name: policy \"default/a\" is already defined at pols/a.yaml:3:18" "$out"

# standard input
out=$(for f in "$BH_ROOT"/examples/policies/*.yaml; do echo ---; cat "$f"; done | "$BULKHEAD" check - 2>&1)
check_eq "- reads policies from standard input" "ok: 7 policies in 1 file" "$out"
out=$(printf 'apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: x}\n' |
	"$BULKHEAD" check - 2>&1)
check_eq "errors on standard input are located in <stdin>" \
	"<stdin>:1:1: error: spec: required field is missing" "$out"

# I/O and usage errors
out=$(cd "$tmp" && "$BULKHEAD" check missing.yaml pols/a.yaml 2>&1)
rc=$?
check_eq "a missing file is named with the reason" \
	"missing.yaml: error: cannot open: No such file or directory" "$out"
check_eq "a missing file: could not answer (exit 2)" 2 "$rc"
"$BULKHEAD" check >/dev/null 2>&1
check_eq "no arguments is a usage error" 2 "$?"
"$BULKHEAD" check --frobnicate x.yaml >/dev/null 2>&1
check_eq "an unknown option is a usage error" 2 "$?"
out=$("$BULKHEAD" check --help 2>/dev/null)
rc=$?
check_eq "--help exits 0" 0 "$rc"
check_eq "--help prints the usage" "Usage: bulkhead check [--inventory FILE] FILE|DIR..." "$(echo "$out" | head -1)"

# ---- limits ------------------------------------------------------------------
# N labels in one mapping, the last a duplicate of the first
gen_labels() {	# FILE N
	python3 - "$1" "$2" <<'EOF'
import sys
path, n = sys.argv[1], int(sys.argv[2])
with open(path, "w") as f:
    f.write("apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: big\n  labels:\n")
    for i in range(n):
        f.write(f"    k{i}: v\n")
    f.write("    k0: again\nspec:\n  podSelector: {}\n")
EOF
}
# 80,000 labels: the duplicate is found (keys are sorted, not compared
# pairwise: that took 18 s) and the mapping refused by the key limit, all
# within a bound that holds under ASan.
gen_labels "$tmp/labels.yaml" 80000
start=$(date +%s%N)
out=$(cd "$tmp" && timeout 60 "$BULKHEAD" check labels.yaml 2>&1)
rc=$?
ms=$((($(date +%s%N) - start) / 1000000))
check_eq "80,000 labels: the duplicate and the key limit reported" \
	"labels.yaml:6:5: error: metadata.labels: 80000 keys in one mapping, more than the limit of 1000 (--limit-keys-per-mapping)
labels.yaml:80006:5: error: duplicate key \"k0\" (first defined at line 6, column 5)" "$out"
check_eq "80,000 labels: exit 1" 1 "$rc"
check "80,000 labels checked in under 10 s (took $ms ms)" test "$ms" -lt 10000
# with the limit raised to the mapping's size, only the duplicate is left
gen_labels "$tmp/labels5k.yaml" 5000
out=$(cd "$tmp" && timeout 60 "$BULKHEAD" check --limit-keys-per-mapping 5000 labels5k.yaml 2>&1)
check_eq "5,000 labels within a raised limit: only the duplicate" \
	"labels5k.yaml:5006:5: error: duplicate key \"k0\" (first defined at line 6, column 5)" "$out"

# 1,000 rules of a /16 minus a /32, on distinct ports: 92 KB that would
# decompose into 1,000,000 set elements for one workload.
python3 - "$tmp/amp.yaml" 1000 <<'EOF'
import sys
path, n = sys.argv[1], int(sys.argv[2])
with open(path, "w") as f:
    f.write("apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: amp, namespace: shop}\n"
            "spec:\n  podSelector: {}\n  ingress:\n")
    for i in range(n):
        f.write(f"    - from: [{{ipBlock: {{cidr: 10.1.0.0/16, except: [10.1.{i // 256}.{i % 256}/32]}}}}]\n"
                f"      ports: [{{port: {1000 + i}}}]\n")
EOF
printf 'workloads:\n  - {name: a, namespace: shop, labels: {app: a}, ips: [10.0.0.1]}\n' >"$tmp/amp-inv.yaml"
AMP_ERR="amp.yaml:1:1: error: policy shop/amp: workload shop/a: set in4 would hold more than 100000 elements, the limit (--limit-elements-per-set)"
out=$(cd "$tmp" && timeout 60 "$BULKHEAD" check amp.yaml 2>&1)
check_eq "the amplifying policy alone is valid" "ok: 1 policy in 1 file" "$out"
out=$(cd "$tmp" && timeout 60 "$BULKHEAD" check --inventory amp-inv.yaml amp.yaml 2>&1)
rc=$?
check_eq "check --inventory refuses the amplifying policy, naming policy, workload and set" "$AMP_ERR" "$out"
check_eq "check --inventory: exit 1" 1 "$rc"
out=$(cd "$tmp" && timeout 60 "$BULKHEAD" compile --inventory amp-inv.yaml --policies amp.yaml 2>&1)
rc=$?
check_eq "compile refuses the amplifying policy" "$AMP_ERR" "$out"
check_eq "compile: exit 2 (invalid input, as for any invalid policy)" 2 "$rc"
out=$(cd "$tmp" && timeout 60 "$BULKHEAD" explain --inventory amp-inv.yaml --policies amp.yaml \
	--from 10.1.0.8 --to shop/a --port 1007/tcp 2>&1)
rc=$?
check_eq "explain refuses the amplifying policy" "$AMP_ERR" "$out"
check_eq "explain: exit 2 (could not answer)" 2 "$rc"
out=$(cd "$tmp" && timeout 60 "$BULKHEAD" explain --inventory amp-inv.yaml --policies amp.yaml \
	--from 10.1.0.8 --to shop/a --port 1007/tcp --limit-elements-per-set 1000000 2>&1)
check "a raised limit lets explain answer" grep -q "ALLOWED" <<<"$out"
# the limit counts elements: 999,999 refuses the 1,000,000, 1,000,000 takes them
out=$(cd "$tmp" && timeout 60 "$BULKHEAD" check --inventory amp-inv.yaml --limit-elements-per-set 999999 amp.yaml 2>&1)
check "999,999 elements allowed: refused" grep -q "more than 999999 elements" <<<"$out"
out=$(cd "$tmp" && timeout 60 "$BULKHEAD" check --inventory amp-inv.yaml --limit-elements-per-set 1000000 amp.yaml 2>&1)
check_eq "1,000,000 elements allowed: accepted" "ok: 1 policy in 1 file
ok: inventory amp-inv.yaml: 1 workload in 1 namespace" "$out"

# the other limits, each named at its location
out=$(cd "$tmp" && "$BULKHEAD" check --limit-rules-per-policy 999 amp.yaml 2>&1)
check_eq "rules per policy" "amp.yaml:7:5: error: spec.ingress: 1000 rules, more than the limit of 999 (--limit-rules-per-policy)" "$out"
printf 'apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: p}\nspec:\n  podSelector: {}\n  egress:\n    - to: [{ipBlock: {cidr: 10.0.0.0/8}}, {ipBlock: {cidr: 11.0.0.0/8}}]\n      ports: [{port: 1}, {port: 2}, {port: 3}]\n' >"$tmp/small.yaml"
out=$(cd "$tmp" && "$BULKHEAD" check --limit-peers-per-rule 1 --limit-ports-per-rule 2 small.yaml 2>&1)
check_eq "peers and ports per rule" "small.yaml:7:11: error: spec.egress[0].to: 2 peers, more than the limit of 1 (--limit-peers-per-rule)
small.yaml:8:14: error: spec.egress[0].ports: 3 ports, more than the limit of 2 (--limit-ports-per-rule)" "$out"
cp "$tmp/small.yaml" "$tmp/small2.yaml"
sed -i 's/name: p}/name: q}/' "$tmp/small2.yaml"
out=$(cd "$tmp" && "$BULKHEAD" check --limit-policies 1 small.yaml small2.yaml 2>&1)
check_eq "policies in the set" "small2.yaml:1:1: error: more than 1 policies, the limit (--limit-policies): this one and those after it are not loaded" "$out"
out=$(cd "$tmp" && "$BULKHEAD" check --limit-policies 2 small.yaml small2.yaml 2>&1)
check_eq "policies in the set: at the limit" "ok: 2 policies in 2 files" "$out"
for bad in 0 -1 x 4294967296; do
	"$BULKHEAD" check --limit-policies "$bad" "$tmp/small.yaml" >/dev/null 2>&1
	check_eq "--limit-policies $bad is a usage error" 2 "$?"
done
# one flag table: every command that loads policies takes the limits, with
# one range, one message and one default (the agent too)
for cmd in check compile explain apply agent; do
	"$BULKHEAD" "$cmd" --limit-elements-per-set 0 --help >/dev/null 2>"$tmp/err"
	check_eq "$cmd --limit-elements-per-set 0: usage error" 2 "$?"
	check_eq "$cmd --limit-elements-per-set 0: the table's message" \
		"bulkhead $cmd: invalid value '0' for --limit-elements-per-set (expected 1..4294967295)" \
		"$(head -1 "$tmp/err")"
	check "$cmd --help lists the limits with their defaults" \
		grep -qE -- "--limit-keys-per-mapping N +.*\(default: 1000\)" <("$BULKHEAD" "$cmd" --help)
done
