#!/usr/bin/env bash
# CI sweep speed: `gameday ci scenarios --seeds N` (every scenario x N seeds, all cores, and
# one thread) against a single `gameday run` of the default scenario, timed in the same
# invocation on the same machine. Prints figures and ratios; never passes or fails on timing.
#
#   bench/ci_bench.sh [--bin build/gameday] [--seeds 10] [--repeat 3]
#
# Best of --repeat wall times (less noise from other processes on a shared machine).
set -euo pipefail
cd "$(dirname "$0")/.."

bin=build/gameday
seeds=10
repeat=3
while (($#)); do
  case "$1" in
    --bin) bin=$2; shift 2 ;;
    --seeds) seeds=$2; shift 2 ;;
    --repeat) repeat=$2; shift 2 ;;
    *) echo "usage: $0 [--bin PATH] [--seeds N] [--repeat N]" >&2; exit 2 ;;
  esac
done
[[ -x $bin ]] || { echo "no gameday binary at $bin (build first, or pass --bin)" >&2; exit 2; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# The runs' history goes with the other throwaway files, not into reports/history.sqlite.
export GAMEDAY_HISTORY=$tmp/history.sqlite

# best_of CMD...: runs CMD $repeat times (exit codes 0 and 1 are results, not errors) and
# prints the best wall time in seconds.
best_of() {
  local best="" t0 t1 dt rc
  for ((r = 0; r < repeat; ++r)); do
    t0=$EPOCHREALTIME
    set +e
    "$@" >/dev/null 2>&1
    rc=$?
    set -e
    t1=$EPOCHREALTIME
    ((rc <= 1)) || { echo "command failed ($rc): $*" >&2; exit 3; }
    dt=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')
    if [[ -z $best ]] || awk -v x="$dt" -v y="$best" 'BEGIN { exit !(x < y) }'; then best=$dt; fi
  done
  echo "$best"
}

cores=$(nproc)
n_scenarios=$(find scenarios -maxdepth 1 -name '*.yaml' | wc -l)
runs=$((n_scenarios * seeds))

single=$(best_of "$bin" run scenarios/vendor-latency-spike.yaml -q --out "$tmp/run")
serial=$(best_of "$bin" ci scenarios --seeds "$seeds" -j 1 --summary "$tmp/serial.json")
parallel=$(best_of "$bin" ci scenarios --seeds "$seeds" --summary "$tmp/parallel.json")
cmp -s "$tmp/serial.json" "$tmp/parallel.json" && same=yes || same=NO

awk -v s="$single" -v j1="$serial" -v jn="$parallel" -v runs="$runs" -v sc="$n_scenarios" \
    -v seeds="$seeds" -v cores="$cores" -v same="$same" 'BEGIN {
  printf "machine: %d cores; library: %d scenarios x %d seeds = %d runs (60 min simulated each)\n", cores, sc, seeds, runs
  printf "single gameday run (load, simulate, score, write reports): %.3f s\n", s
  printf "gameday ci, 1 thread:      %.3f s  (%.3f s/run, %.1fx a single run)\n", j1, j1 / runs, j1 / s
  printf "gameday ci, %d threads:     %.3f s  (%.3f s/run, %.1fx a single run)\n", cores, jn, jn / runs, jn / s
  printf "parallel speedup: %.2fx on %d cores; serial and parallel summaries identical: %s\n", j1 / jn, cores, same
  printf "simulated time per wall second: %.0fx real time\n", runs * 3600 / jn
}'
