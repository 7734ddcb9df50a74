#!/usr/bin/env bash
# Golden tests for `bulkhead diff`: each case directory holds old/ and new/
# policies over the shared inventory, the expected text (and some JSON or
# markdown) and the expected exit status.
. "$(dirname "$0")/../lib.sh"
G=$BH_ROOT/tests/golden/diff
tmp=$(mktemp -d /tmp/bh-diff.XXXXXX)
on_exit rm -rf "$tmp"

# golden CASE FORMAT EXPECTED_FILE
golden() {
	local c=$1 fmt=$2 want=$3 rc
	"$BULKHEAD" diff --inventory "$G/inventory.yaml" --old "$G/$c/old" --new "$G/$c/new" \
		--format "$fmt" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	if [ "$rc" = "$(cat "$G/$c/rc")" ] && [ ! -s "$tmp/err" ] && cmp -s "$G/$c/$want" "$tmp/out"; then
		ok "$c ($fmt)"
	else
		nok "$c ($fmt): exit $rc, want $(cat "$G/$c/rc")"
		diff -u "$G/$c/$want" "$tmp/out" | sed 's/^/# /' | head -40
		sed 's/^/# stderr: /' "$tmp/err" | head -5
	fi
}

for d in "$G"/[0-9]*/; do
	c=$(basename "$d")
	golden "$c" text expected.txt
	[ -f "$d/expected.json" ] && golden "$c" json expected.json
	[ -f "$d/expected.md" ] && golden "$c" markdown expected.md
done

# every old and new side is the same as itself: nothing printed, exit 0
for d in "$G"/01-*/ "$G"/05-*/; do
	out=$("$BULKHEAD" diff --inventory "$G/inventory.yaml" --old "$d/old" --new "$d/old"); rc=$?
	check_eq "$(basename "$d"): old against itself is identical (exit 0)" 0 "$rc"
	check_eq "$(basename "$d"): old against itself prints nothing" "" "$out"
done

# swapping the sides swaps opened and closed
"$BULKHEAD" diff --inventory "$G/inventory.yaml" --old "$G/01-selector-widened/new" \
	--new "$G/01-selector-widened/old" --format json >"$tmp/swap"
check_eq "swapped sides: the widened selector's pair is closed" \
	'{"opened":[],"closed":[{"from":"app/web","to":"data/db","protocol":"tcp","ports":"5432","egress_by":"not isolated","ingress_by":"data/db-in#ingress[0]"}],"audit":[],"flows":[]}' \
	"$(cat "$tmp/swap")"

# invalid input on either side: exit 2, the side named
mkdir -p "$tmp/bad"
printf 'apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: x}\nspec: {podSelector: 7}\n' >"$tmp/bad/x.yaml"
"$BULKHEAD" diff --inventory "$G/inventory.yaml" --old "$G/01-selector-widened/old" --new "$tmp/bad" \
	>"$tmp/out" 2>"$tmp/err"
check_eq "an invalid new side: exit 2" 2 $?
check "an invalid new side: the diagnostics name the file and the side" \
	grep -q "x.yaml:.*" "$tmp/err"
check "an invalid new side: the side is named" grep -q "the new side" "$tmp/err"
"$BULKHEAD" diff --inventory "$G/inventory.yaml" --old "$tmp/bad" --new "$G/01-selector-widened/old" \
	>/dev/null 2>"$tmp/err"
check_eq "an invalid old side: exit 2" 2 $?
check "an invalid old side: the side is named" grep -q "the old side" "$tmp/err"
"$BULKHEAD" diff --inventory "$G/inventory.yaml" --old "$G/01-selector-widened/old" 2>/dev/null
check_eq "--new missing: usage error (exit 2)" 2 $?
"$BULKHEAD" diff --inventory "$G/inventory.yaml" --old "$G/01-selector-widened/old" \
	--new "$G/01-selector-widened/new" --format yaml 2>/dev/null
check_eq "an unknown format: usage error (exit 2)" 2 $?

# --git DIR: --old and --new are revisions of the policy directory
repo=$tmp/repo
mkdir -p "$repo/policies"
git -C "$repo" init -q
cp "$G/01-selector-widened/old/db.yaml" "$repo/policies/"
git -C "$repo" add . && git -C "$repo" -c user.name=t -c user.email=t@t commit -qm old
cp "$G/01-selector-widened/new/db.yaml" "$repo/policies/"
git -C "$repo" -c user.name=t -c user.email=t@t commit -qam new
TMPDIR=$tmp "$BULKHEAD" diff --inventory "$G/inventory.yaml" --git "$repo/policies" --old HEAD~1 --new HEAD \
	>"$tmp/out" 2>"$tmp/err"
check_eq "--git: exit 1 on the widened selector" 1 $?
check "--git: the same answer as the directories" cmp -s "$G/01-selector-widened/expected.txt" "$tmp/out"
check_eq "--git: the extracted trees are removed" "" "$(ls -d "$tmp"/bh-diff.* 2>/dev/null)"
"$BULKHEAD" diff --inventory "$G/inventory.yaml" --git "$repo/policies" --old HEAD --new HEAD >"$tmp/out"
check_eq "--git: a revision against itself: exit 0" 0 $?
TMPDIR=$tmp "$BULKHEAD" diff --inventory "$G/inventory.yaml" --git "$repo/policies" --old nosuchrev \
	--new HEAD >/dev/null 2>"$tmp/err"
check_eq "--git: an unknown revision: exit 2" 2 $?
check "--git: the side and the revision are named" grep -q "the old side: could not read revision 'nosuchrev'" "$tmp/err"
check_eq "--git: nothing left behind on failure" "" "$(ls -d "$tmp"/bh-diff.* 2>/dev/null)"
