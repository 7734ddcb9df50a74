#!/usr/bin/env bash
# bulkhead apply when things go wrong: namespaces that cannot be entered,
# a namespace whose kernel refuses the transaction, invalid policies and a
# namespace shared by two workloads. Whatever fails is reported by workload
# and namespace, everything else is still enforced, and a namespace whose
# transaction failed keeps exactly what it had.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/lib.sh"
need_tools
OWN=$BH_TOOLS/bhnft_own
[ -x "$OWN" ] || { nok "missing $OWN"; exit 1; }
T=$(mktemp -d /tmp/bh-applyfail.XXXXXX)
on_exit "rm -rf $T"
mkdir "$T/pol"
for w in db:11 web:12 own:13; do
	ns_add "${w%%:*}" "${w##*:}" || { nok "namespace ${w%%:*}"; exit 1; }
done
serve db tcp 5432 8080 || nok "servers in db"
serve own tcp 8080 || nok "servers in own"
echo "not a namespace" >"$T/plain"

inventory() {	# inventory FILE [extra workload lines]
	cat >"$1" <<EOF2
workloads:
  - {name: db, namespace: shop, labels: {app: db}, netns: $(ns_path db), ips: [10.200.0.11]}
  - {name: web, namespace: shop, labels: {app: web}, netns: $(ns_path web), ips: [10.200.0.12]}
  - {name: own, namespace: shop, labels: {app: own}, netns: $(ns_path own), ips: [10.200.0.13]}
$2
EOF2
}
cat >"$T/pol/p.yaml" <<'EOF2'
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: from-web, namespace: shop}
spec:
  podSelector: {matchExpressions: [{key: app, operator: In, values: [db, own, ghost, notns]}]}
  ingress:
    - from: [{podSelector: {matchLabels: {app: web}}}]
      ports: [{port: 5432}]
EOF2

# ---- namespaces that cannot be entered --------------------------------------------
inventory "$T/inv-bad.yaml" "  - {name: ghost, namespace: shop, labels: {app: ghost}, netns: $(ns_path missing), ips: [10.200.0.98]}
  - {name: notns, namespace: shop, labels: {app: notns}, netns: $T/plain, ips: [10.200.0.99]}"
"$BULKHEAD" apply --inventory "$T/inv-bad.yaml" --policies "$T/pol" >"$T/out" 2>"$T/err"
rc=$?
check_eq "missing namespaces: exit 1" 1 "$rc"
check "missing netns reported by workload and path" \
	grep -q "^shop/ghost: NOT enforced in $(ns_path missing): .*No such file or directory" "$T/err"
check "non-namespace file reported by workload and path" \
	grep -q "^shop/notns: NOT enforced in $T/plain: .*not a network namespace" "$T/err"
check "the others are still enforced" grep -q "^shop/db: enforced" "$T/out"
probe_ok "others enforced: web -> db:5432" web tcp 10.200.0.11 5432
probe_denied "others enforced: web -> db:8080" web tcp 10.200.0.11 8080
probe_denied "others enforced: web -> own:8080" web tcp 10.200.0.13 8080
diag "$(cat "$T/err")"
"$BULKHEAD" reset --inventory "$T/inv-bad.yaml" >"$T/out" 2>"$T/err"
check_eq "reset with missing namespaces: exit 1" 1 "$?"
check "reset reports the missing namespace" grep -q "^shop/ghost: NOT reset in $(ns_path missing)" "$T/err"
check_eq "reset still removed the others' tables" "" "$(nft_table db)$(nft_table own)"
"$BULKHEAD" apply --inventory "$T/inv-bad.yaml" --policies "$T/pol" >/dev/null 2>&1

# ---- the kernel refuses one namespace's transaction ---------------------------------
inventory "$T/inv.yaml" ""
ns_exec own nft delete table inet bulkhead
ip netns exec "$(ns_name own)" "$OWN" --max-seconds 600 >"$T/own.out" 2>&1 &
own=$!
on_exit "kill $own"
for ((i = 0; i < 100; i++)); do grep -q ready "$T/own.out" && break; sleep 0.05; done
check "a foreign owner holds table inet bulkhead in own" grep -q ready "$T/own.out"
before=$(nft_table own)
echo "# extra" >>"$T/pol/p.yaml"	# same policy: db stays as it is
"$BULKHEAD" apply --inventory "$T/inv.yaml" --policies "$T/pol" >"$T/out" 2>"$T/err"
check_eq "kernel refusal: exit 1" 1 "$?"
check "refusal reported with the kernel's reason" \
	grep -q "^shop/own: NOT enforced in $(ns_path own): table inet bulkhead.*Operation not permitted" "$T/err"
check_eq "refused namespace keeps its table untouched" "$before" "$(nft_table own)"
check "db still enforced" grep -q "^shop/db: enforced" "$T/out"
probe_ok "not isolated while refused: web -> own:8080" web tcp 10.200.0.13 8080
kill "$own"; wait "$own" 2>/dev/null
"$BULKHEAD" apply --inventory "$T/inv.yaml" --policies "$T/pol" >"$T/out" 2>"$T/err"
check_eq "once released, apply exits 0" 0 "$?"
probe_denied "now enforced: web -> own:8080" web tcp 10.200.0.13 8080
diag "$(cat "$T/err")"

# ---- an invalid policy file: nothing changes -------------------------------------------
before=$(nft_table db)
cat >"$T/pol/bad.yaml" <<'EOF2'
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: bad, namespace: shop}
spec:
  podSelector: {}
  ingress:
    - ports: [{port: 70000}]
EOF2
"$BULKHEAD" apply --inventory "$T/inv.yaml" --policies "$T/pol" >"$T/out" 2>"$T/err"
check_eq "invalid policy: could not answer (exit 2)" 2 "$?"
check "invalid policy reported with its file" grep -q "bad.yaml:[0-9]*:[0-9]*: error" "$T/err"
check "invalid policy: nothing changed" grep -q "nothing changed" "$T/err"
check_eq "invalid policy: table untouched" "$before" "$(nft_table db)"
probe_ok "previous rules still enforced: web -> db:5432" web tcp 10.200.0.11 5432
probe_denied "previous rules still enforced: web -> db:8080" web tcp 10.200.0.11 8080
rm "$T/pol/bad.yaml"
diag "$(cat "$T/err")"

# ---- two workloads in one namespace ------------------------------------------------------
"$BULKHEAD" reset --inventory "$T/inv.yaml" >/dev/null 2>&1
inventory "$T/inv-shared.yaml" "  - {name: twin, namespace: shop, labels: {app: twin}, netns: $(ns_path db)}"
"$BULKHEAD" apply --inventory "$T/inv-shared.yaml" --policies "$T/pol" >"$T/out" 2>"$T/err"
check_eq "shared namespace: invalid inventory (exit 2)" 2 "$?"
diag "$(cat "$T/err")"
check "shared namespace reported" grep -q "share the network namespace $(ns_path db)" "$T/err"
check_eq "shared namespace: nothing programmed" "" "$(nft_table db)$(nft_table own)"

# ---- usage ----------------------------------------------------------------------------------
"$BULKHEAD" apply --inventory "$T/inv.yaml" >/dev/null 2>&1
check_eq "apply without --policies: exit 2" 2 "$?"
check "apply --help" bash -c "'$BULKHEAD' apply --help | grep -q '^Usage: bulkhead apply'"
check "reset --help" bash -c "'$BULKHEAD' reset --help | grep -q '^Usage: bulkhead reset'"
