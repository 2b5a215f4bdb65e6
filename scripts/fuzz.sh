#!/usr/bin/env bash
# Runs each libFuzzer target of a GAMEDAY_FUZZ build for a bounded time, seeded from the shipped
# files (scenarios/, playbooks/, fakes/, scenarios/golden/), a run's journal (plain and zstd,
# written by BUILD/gameday) and the request bodies in
# fuzz/corpus/<target>/. Inputs that find new coverage are kept in BUILD/fuzz-corpus/<target>/
# (reused by the next run); a crash, a sanitizer report or an uncaught exception leaves its
# input in BUILD/fuzz-findings/ and makes the script exit 1 once every target has run.
#   scripts/fuzz.sh BUILD [SECONDS] [TARGET...]    (TARGET: e.g. scenario, fhir_target)
# FUZZ_JOBS (default: the number of cores) targets run at a time, each for SECONDS (default 20).
# Replay one finding: BUILD/fuzz/fuzz_<target> BUILD/fuzz-findings/<target>-crash-...
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:?usage: scripts/fuzz.sh BUILD [SECONDS] [TARGET...]}
seconds=${2:-20}
shift $(($# < 2 ? $# : 2))

targets=("$@")
if ((${#targets[@]} == 0)); then
  for bin in "$build"/fuzz/fuzz_*; do
    [[ -x $bin ]] && targets+=("$(basename "$bin" | sed 's/^fuzz_//')")
  done
fi
if ((${#targets[@]} == 0)); then
  echo "fuzz.sh: no fuzz targets in $build/fuzz (configure with -DGAMEDAY_FUZZ=ON, build gameday_fuzzers)" >&2
  exit 2
fi

# Seeds for one target into directory $2: its committed inputs, plus the shipped files it reads.
seed() {
  local target=$1 dir=$2 f
  mkdir -p "$dir"
  [[ -d fuzz/corpus/$target ]] && cp fuzz/corpus/"$target"/* "$dir"/
  case $target in
    scenario) cp scenarios/*.yaml examples/*.yaml "$dir"/ ;;
    playbook) cp playbooks/*.yaml "$dir"/ ;;
    golden_set) cp scenarios/golden/*.yaml "$dir"/ ;;
    fault) cp scenarios/*.yaml "$dir"/ ;;
    journal)
      # A short run's journal, plain and compressed.
      "$build/gameday" run --out "$dir/run" -q --no-traces --no-history --zstd >/dev/null 2>&1 || true
      [[ -f $dir/run/journal.jsonl.zst ]] && mv "$dir/run/journal.jsonl.zst" "$dir/journal.zst"
      zstd -dcq "$dir/journal.zst" 2>/dev/null | head -c 12000 >"$dir/journal.jsonl" || true
      rm -rf "$dir/run"
      ;;
    fakes)
      # The fakes target reads "<file under fakes/>\n<its contents>".
      for f in fakes/*.yaml fakes/assistant/*; do
        { printf '%s\n' "${f#fakes/}"; cat "$f"; } >"$dir/$(echo "${f#fakes/}" | tr / _)"
      done
      ;;
  esac
}

# Longest input per target: room for the largest shipped file (fakes/policies.yaml, ~12 KB)
# and for headers past Beast's 8 KB limit; request bodies are small.
max_len() {
  case $1 in
    scenario | playbook | golden_set | fakes | fault | http_request | journal) echo 16384 ;;
    *) echo 4096 ;;
  esac
}

findings="$build/fuzz-findings"
mkdir -p "$findings" "$build/fuzz-logs"

# Fuzzes one target; prints one line (and the report's gist on a finding); fails on a finding.
fuzz_one() {
  local t=$1 bin="$build/fuzz/fuzz_$1" seeds="$build/fuzz-seeds/$1" corpus="$build/fuzz-corpus/$1"
  local log="$build/fuzz-logs/$1.log"
  rm -rf "$seeds"
  seed "$t" "$seeds"
  mkdir -p "$corpus"
  # -timeout: one input running this long is a finding (a hang); -rss_limit_mb: ASan's shadow
  # memory included. Leaks (LeakSanitizer, on with ASan) are findings too.
  if "$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len="$(max_len "$t")" \
      -print_final_stats=1 -artifact_prefix="$findings/$t-" "$corpus" "$seeds" >"$log" 2>&1; then
    printf 'fuzz %-22s ok   %s runs, %s corpus inputs\n' "$t" \
      "$(grep -Eo 'stat::number_of_executed_units: *[0-9]+' "$log" | grep -Eo '[0-9]+$')" \
      "$(ls "$corpus" | wc -l)"
  else
    printf 'fuzz %-22s FAIL (log: %s)\n%s\n' "$t" "$log" \
      "$(grep -E 'ERROR|SUMMARY|Test unit written|uncaught|terminate|what\(\)' "$log" | head -20 | sed 's/^/    /')"
    return 1
  fi
}

# FUZZ_JOBS targets at a time (libFuzzer runs one thread each): default one per core.
jobs=${FUZZ_JOBS:-$(nproc)}
status="$build/fuzz-logs/failed"
: >"$status"
running=0
for t in "${targets[@]}"; do
  if ((running >= jobs)); then
    wait -n || true
    running=$((running - 1))
  fi
  { fuzz_one "$t" || echo "$t" >>"$status"; } &
  running=$((running + 1))
done
wait
if [[ -s $status ]]; then
  echo "fuzz.sh: findings in: $(sort "$status" | tr '\n' ' ')(inputs under $findings/)" >&2
  exit 1
fi
