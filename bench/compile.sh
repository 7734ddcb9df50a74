#!/usr/bin/env bash
# Compile time and heap for 100 / 1,000 / 5,000 workloads x 100 / 1,000 policies.
set -eu
"${BH_BENCH:-$(dirname "$0")/../build/bench}/compile_bench"
