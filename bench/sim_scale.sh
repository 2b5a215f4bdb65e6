#!/usr/bin/env bash
# Simulation speed, memory, journal size and CI scaling in one invocation: gameday_bench (one
# hour at 20 requests/s against the bare event queue, the zstd journal, the rate sweep with its
# heap), bench/sim_memory.sh (peak resident size of a million-request run) and
# bench/ci_bench.sh --seeds 20 (the library on one thread and on every core). Prints figures and
# ratios; never passes or fails on them.
#
#   bench/sim_scale.sh [--seeds 20]
set -euo pipefail
cd "$(dirname "$0")/.."
seeds=20
while (($#)); do
  case "$1" in
    --seeds) seeds=$2; shift 2 ;;
    *) echo "usage: $0 [--seeds N]" >&2; exit 2 ;;
  esac
done
[[ -x build/gameday_bench && -x build/gameday ]] || { echo "build first (scripts/setup.sh --no-run)" >&2; exit 2; }
echo "== simulation speed, journal size, rate sweep (build/gameday_bench)"
build/gameday_bench
echo
echo "== memory of a million-request run (bench/sim_memory.sh)"
bench/sim_memory.sh
echo
echo "== gameday ci over the library at $seeds seeds (bench/ci_bench.sh)"
bench/ci_bench.sh --seeds "$seeds" --repeat 1
