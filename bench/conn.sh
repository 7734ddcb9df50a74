#!/usr/bin/env bash
# Per-namespace transaction cost on a socket of its own vs a long-lived
# connection, and the cost of closes (bench/conn_bench.c), over 100
# throwaway namespaces.
#   BH_BENCH=build/bench bash bench/conn.sh [NAMESPACES] [ROUNDS]
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
: "${BH_BENCH:=$ROOT/build/bench}"
N=${1:-100}
ROUNDS=${2:-5}
P=bhc$$
cleanup() {
	local i
	for ((i = 0; i < N; i++)); do echo "netns del $P-$i"; done | ip -force -batch - 2>/dev/null
}
trap cleanup EXIT
trap 'exit 130' INT TERM
for ((i = 0; i < N; i++)); do echo "netns add $P-$i"; done | ip -batch - || exit 1
bash "$ROOT/bench/kernel-info"
args=()
for ((i = 0; i < N; i++)); do args+=("/run/netns/$P-$i"); done
"$BH_BENCH/conn_bench" "$ROUNDS" "${args[@]}"
