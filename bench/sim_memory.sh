#!/usr/bin/env bash
# Memory of a long simulated run: peak resident size (/usr/bin/time) of `gameday run` on one hour
# of the latency-spike scenario at 280 requests/s (about a million requests), with the journal
# plain and zstd-compressed, against the same hour at 5 requests/s measured in the same
# invocation. Prints figures and ratios; never passes or fails on them.
#
#   bench/sim_memory.sh [--bin build/gameday] [--rate 280]
set -euo pipefail
cd "$(dirname "$0")/.."

bin=build/gameday
rate=280
while (($#)); do
  case "$1" in
    --bin) bin=$2; shift 2 ;;
    --rate) rate=$2; shift 2 ;;
    *) echo "usage: $0 [--bin PATH] [--rate N]" >&2; exit 2 ;;
  esac
done
[[ -x $bin ]] || { echo "no gameday binary at $bin (build first, or pass --bin)" >&2; exit 2; }
[[ -x /usr/bin/time ]] || { echo "needs /usr/bin/time (Debian package time)" >&2; exit 2; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export GAMEDAY_HISTORY=$tmp/history.sqlite

# The shipped scenario at another rate; its relative paths made absolute.
scenario_at() {
  sed -e "s|^  rate: .*|  rate: $1|" -e "s|\.\./|$PWD/|g" scenarios/vendor-latency-spike.yaml >"$tmp/rate-$1.yaml"
  echo "$tmp/rate-$1.yaml"
}

# measure ID LABEL SCENARIO [FLAGS...]: prints one row (requests, seconds, peak RSS, journal
# size) and keeps the peak RSS in KiB in $tmp/ID.kib.
measure() {
  local id=$1 name=$2 file=$3
  shift 3
  local out=$tmp/$id
  /usr/bin/time -f '%e %M' -o "$tmp/time" "$bin" run "$file" --out "$out" -q --no-traces --no-history "$@" ||
    [[ $? -eq 1 ]]
  read -r secs kib <"$tmp/time"
  local journal
  journal=$(ls "$out"/journal.jsonl* | head -1)
  local requests
  requests=$(grep -o '"requests": *[0-9]*' "$out/report.json" | head -1 | grep -o '[0-9]*$')
  local bytes
  bytes=$(stat -c %s "$journal")
  printf '  %-28s %10s requests %7.2f s  peak RSS %7.1f MiB  %s %7.1f MiB (%s bytes/request)\n' \
    "$name" "$requests" "$secs" "$(awk -v k="$kib" 'BEGIN { print k / 1024 }')" "$(basename "$journal")" \
    "$(awk -v b="$bytes" 'BEGIN { print b / 1048576 }')" "$(awk -v b="$bytes" -v r="$requests" 'BEGIN { printf "%.0f", b / r }')"
  echo "$kib" >"$tmp/$id.kib"
}

echo "gameday run, 60 min of vendor-latency-spike, no traces file:"
measure base "5 req/s (baseline)" "$(scenario_at 5)"
measure big "$rate req/s" "$(scenario_at "$rate")"
measure big-zstd "$rate req/s, --zstd" "$(scenario_at "$rate")" --zstd
base=$(cat "$tmp/base.kib")
big=$(cat "$tmp/big.kib")
awk -v a="$base" -v b="$big" -v r="$rate" 'BEGIN {
  printf "ratio: peak RSS at %s req/s is %.2fx the 5 req/s run'"'"'s (target: under 150 MB for a million requests)\n", r, b / a }'
