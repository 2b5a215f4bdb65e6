#!/usr/bin/env bash
# Runs every shipped scenario (scenarios/*.yaml and examples/*.yaml) at seeds 1..N with one
# gameday binary and keeps each run's journal.jsonl, report.json, report.md and report.html under OUTDIR, so
# two builds (or two revisions) can be compared byte for byte with `diff -r`.
#   scripts/journal-identity.sh BIN OUTDIR [SEEDS]
set -euo pipefail
cd "$(dirname "$0")/.."
bin=$1 out=$2 seeds=${3:-5}
rm -rf "$out"
mkdir -p "$out"
# The run history is not compared (and binaries before it write none): keep it out of OUTDIR
# and out of reports/history.sqlite.
history_dir=$(mktemp -d)
trap 'rm -rf "$history_dir"' EXIT
export GAMEDAY_HISTORY=$history_dir/history.sqlite
for f in scenarios/*.yaml examples/*.yaml; do
  name=$(basename "$f" .yaml)
  for ((s = 1; s <= seeds; s++)); do
    dir="$out/$name/$s"
    # Exit 1 (an expectation failed) is a result like any other here.
    # No traces file: it is not compared (revisions before it wrote none, and
    # tests/e2e/traces_test.cpp checks that a seed's traces are byte-identical).
    "$bin" run "$f" --seed "$s" --out "$dir" -q --no-traces || [[ $? -eq 1 ]]
  done
done
