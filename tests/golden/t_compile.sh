#!/usr/bin/env bash
# Golden compile tests: `bulkhead compile` of every case under
# tests/golden/compile/NAME/ (inventory.yaml, policies/) must equal
# expected.nft, every table must be accepted by `nft -c` (in a throwaway
# namespace), and compiling twice gives the same text.
. "$(dirname "$0")/../lib.sh"
NS=bhg$$-nftc
ip netns add "$NS" || { nok "create namespace $NS"; exit 1; }
on_exit ip netns del "$NS"
tmp=$(mktemp -d); on_exit rm -rf "$tmp"

for dir in "$BH_ROOT"/tests/golden/compile/*/; do
	name=$(basename "$dir")
	out="$tmp/$name.nft"
	if ! "$BULKHEAD" compile --inventory "$dir/inventory.yaml" --policies "$dir/policies" >"$out" 2>"$tmp/$name.err"; then
		nok "compile $name"; sed 's/^/# /' "$tmp/$name.err"; continue
	fi
	if diff -u "$dir/expected.nft" "$out" >"$tmp/$name.diff"; then
		ok "compile $name matches expected.nft"
	else
		nok "compile $name matches expected.nft"; head -40 "$tmp/$name.diff" | sed 's/^/# /'
	fi
	"$BULKHEAD" compile --inventory "$dir/inventory.yaml" --policies "$dir/policies" >"$out.2" 2>/dev/null
	check "compile $name is deterministic" cmp -s "$out" "$out.2"
	# nft -c each table on its own (they all share the name inet bulkhead)
	bad=0; n=0
	awk -v dir="$tmp/$name.t" 'BEGIN{i=0} /^# /{i++} {print > (dir "." i)}' "$out"
	for t in "$tmp/$name.t".*; do
		n=$((n + 1))
		if ! ip netns exec "$NS" nft -c -f "$t" 2>"$t.err"; then
			bad=$((bad + 1)); sed 's/^/# /' "$t.err" | head -5
		fi
	done
	check_eq "nft -c accepts all $n tables of $name" 0 "$bad"
done

# the examples compile and nft accepts them
ex="$BH_ROOT/examples"
if "$BULKHEAD" compile --inventory "$ex/inventory.yaml" --policies "$ex/policies" >"$tmp/ex.nft" 2>"$tmp/ex.err"; then
	ok "compile examples"
	awk -v dir="$tmp/ex.t" 'BEGIN{i=0} /^# /{i++} {print > (dir "." i)}' "$tmp/ex.nft"
	bad=0
	for t in "$tmp/ex.t".*; do ip netns exec "$NS" nft -c -f "$t" 2>/dev/null || bad=$((bad + 1)); done
	check_eq "nft -c accepts every example table" 0 "$bad"
else
	nok "compile examples"; sed 's/^/# /' "$tmp/ex.err"
fi

# the cluster-wide examples on top of them compile and nft accepts them
if "$BULKHEAD" compile --inventory "$ex/inventory.yaml" --policies "$ex/policies" \
	--policies "$ex/cluster-policies" >"$tmp/cx.nft" 2>"$tmp/cx.err"; then
	ok "compile examples with cluster-policies"
	awk -v dir="$tmp/cx.t" 'BEGIN{i=0} /^# /{i++} {print > (dir "." i)}' "$tmp/cx.nft"
	bad=0
	for t in "$tmp/cx.t".*; do ip netns exec "$NS" nft -c -f "$t" 2>/dev/null || bad=$((bad + 1)); done
	check_eq "nft -c accepts every example table with the tiers" 0 "$bad"
	check "the metadata deny is in every table" bash -c \
		"[ \$(grep -c 'goto egress_admin_deny' '$tmp/cx.nft') -ge 4 ]"
else
	nok "compile examples with cluster-policies"; sed 's/^/# /' "$tmp/cx.err"
fi

# --workload selects one table; an unknown one is an error
"$BULKHEAD" compile --inventory "$ex/inventory.yaml" --policies "$ex/policies" --workload shop/db >"$tmp/db.nft" 2>/dev/null
check_eq "--workload prints one table" 1 "$(grep -c '^table inet bulkhead' "$tmp/db.nft")"
check_not "--workload of an unknown workload fails" "$BULKHEAD" compile --inventory "$ex/inventory.yaml" \
	--policies "$ex/policies" --workload shop/nope
check_not "compile without --policies is a usage error" "$BULKHEAD" compile --inventory "$ex/inventory.yaml"
