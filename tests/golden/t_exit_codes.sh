#!/usr/bin/env bash
# One exit-code convention for every command: 0 success or a positive
# answer, 1 the command's negative answer, 2 could not answer (usage
# error, unreadable input, invalid input where validity is not the
# question). Namespace results (apply/reset exit 1) are in tests/netns.
. "$(dirname "$0")/../lib.sh"
ex="$BH_ROOT/examples"
tmp=$(mktemp -d /tmp/bh-exit.XXXXXX)
on_exit rm -rf "$tmp"
mkdir "$tmp/bad" "$tmp/empty"
printf 'apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: x}\nspec:\n  podSelector: {}\n  ingress: [{ports: [{port: 70000}]}]\n' >"$tmp/bad/p.yaml"
printf 'workloads:\n  - {name: a, labels: {app: a}, ips: [10.9.9.1]}\n' >"$tmp/peers.yaml"

# code WANT DESCRIPTION CMD...
code() {
	local want=$1 d=$2; shift 2
	"$BULKHEAD" "$@" >/dev/null 2>&1
	check_eq "$d (exit $want)" "$want" "$?"
}
I=(--inventory "$ex/inventory.yaml")
P=(--policies "$ex/policies")

code 0 "check: valid" check "$ex/policies"
code 1 "check: invalid policy" check "$tmp/bad"
code 2 "check: unreadable file" check "$tmp/missing.yaml"
code 2 "check: unreadable inventory" check --inventory "$tmp/missing.yaml"
code 2 "check: usage" check

code 0 "compile: printed" compile "${I[@]}" "${P[@]}"
code 2 "compile: invalid policy" compile "${I[@]}" --policies "$tmp/bad"
code 2 "compile: unreadable inventory" compile --inventory "$tmp/missing.yaml" "${P[@]}"
code 2 "compile: no such workload" compile "${I[@]}" "${P[@]}" --workload shop/nope
code 2 "compile: usage" compile "${I[@]}"

code 0 "explain: allowed" explain "${I[@]}" "${P[@]}" --from shop/web --to shop/api --port 8080
code 1 "explain: denied" explain "${I[@]}" "${P[@]}" --from shop/web --to shop/db --port 5432
code 2 "explain: invalid policy" explain "${I[@]}" --policies "$tmp/bad" --from shop/web --to shop/api
code 2 "explain: usage" explain "${I[@]}" "${P[@]}" --from shop/web

# workloads without a netns: nothing to program, so no kernel is touched
code 0 "apply: nothing to program" apply --inventory "$tmp/peers.yaml" --policies "$tmp/empty"
code 2 "apply: invalid policy" apply --inventory "$tmp/peers.yaml" --policies "$tmp/bad"
code 2 "apply: unreadable inventory" apply --inventory "$tmp/missing.yaml" --policies "$tmp/empty"
code 2 "apply: usage" apply --inventory "$tmp/peers.yaml"

code 0 "reset: nothing to reset" reset --inventory "$tmp/peers.yaml"
code 2 "reset: unreadable inventory" reset --inventory "$tmp/missing.yaml"
code 2 "reset: usage" reset

code 2 "status: no agent to ask" status --control "$tmp/none.sock"
code 2 "reload: no agent to ask" reload --control "$tmp/none.sock"
code 2 "status: usage" status --frobnicate
code 2 "workloads: usage" workloads --max-events x
code 2 "agent: usage" agent --frobnicate
code 2 "agent: invalid policy at start" agent --policies "$tmp/bad" --inventory "$tmp/peers.yaml" \
	--control "$tmp/a.sock" --log "$tmp/a.log"
code 2 "unknown command" frobnicate
for c in check compile explain apply reset agent status reload workloads; do
	code 0 "$c --help" "$c" --help
done
