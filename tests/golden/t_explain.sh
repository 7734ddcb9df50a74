#!/usr/bin/env bash
# `bulkhead explain` on the examples: verdicts, reasons, exit codes, matrix.
. "$(dirname "$0")/../lib.sh"
ex="$BH_ROOT/examples"
X=("$BULKHEAD" explain --inventory "$ex/inventory.yaml" --policies "$ex/policies")

out=$("${X[@]}" --from shop/web --to shop/api --port 8080/tcp); rc=$?
check_eq "web -> api 8080/tcp is allowed (exit 0)" 0 "$rc"
case "$out" in ALLOWED*"allowed by shop/"*) ok "allowed answer names the allowing rule" ;; *) nok "allowed answer names the allowing rule"; diag "$out" ;; esac

out=$("${X[@]}" --from shop/web --to shop/db --port 5432/tcp); rc=$?
check_eq "web -> db 5432/tcp is denied (exit 1)" 1 "$rc"
case "$out" in DENIED*"isolated by"*"shop/db-from-api"*) ok "denied answer names the isolating policies" ;; *) nok "denied answer names the isolating policies"; diag "$out" ;; esac

"${X[@]}" --from shop/api --to shop/db --port 5432 >/dev/null
check_eq "api -> db 5432 (tcp by default) is allowed" 0 $?
"${X[@]}" --from shop/web --to shop/api --port 8080/udp >/dev/null
check_eq "web -> api 8080/udp is denied" 1 $?
"${X[@]}" --from 192.0.2.10 --to shop/web --port 80/tcp >/dev/null
check_eq "an outside address -> web 80/tcp follows the web policy" 0 $?
"${X[@]}" --from shop/web --to shop/web --port 1/tcp >/dev/null
check_eq "a workload reaches itself" 0 $?

"${X[@]}" --from shop/nope --to shop/web --port 80 2>/dev/null
check_eq "an unknown workload is an input error (exit 2)" 2 $?
"${X[@]}" --from shop/web --to shop/api --port 99999 2>/dev/null
check_eq "a bad port is a usage error (exit 2)" 2 $?

m=$("${X[@]}" --matrix --port 8080/tcp)
n_wl=$("$BULKHEAD" compile --inventory "$ex/inventory.yaml" --policies "$ex/policies" | grep -c '^table inet bulkhead')
check_eq "matrix has a row per workload" "$n_wl" "$(grep -cE '^ *[0-9]+ [a-z]' <<<"$m")"
# a row is: index, name, then one cell per column in index order
idx() { grep -E " $1 " <<<"$m" | awk '{print $1}'; }
cells=($(grep -E ' shop/web ' <<<"$m"))
check_eq "matrix: web -> api allowed" "." "${cells[$(( $(idx shop/api) + 1 ))]}"
check_eq "matrix: web -> db denied" "X" "${cells[$(( $(idx shop/db) + 1 ))]}"
