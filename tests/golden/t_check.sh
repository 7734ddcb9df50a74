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

golden_ok "ok-01.yaml: lists, kubectl output, IPv6, named ports" "ok: 3 policies in 1 file" ok-01.yaml
golden_ok "ok-02.yml: a file without documents" "ok: 0 policies in 1 file" ok-02.yml
golden_ok "inventory with implied namespaces" "ok: inventory inv-ok-01.yaml: 2 workloads in 2 namespaces" \
	--inventory inv-ok-01.yaml

# the shipped examples
out=$(cd "$BH_ROOT" && "$BULKHEAD" check examples/policies --inventory examples/inventory.yaml 2>&1)
check_eq "examples/policies and examples/inventory.yaml are valid" \
	"ok: 7 policies in 6 files
ok: inventory examples/inventory.yaml: 4 workloads in 2 namespaces" "$out"

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
