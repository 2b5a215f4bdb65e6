#!/usr/bin/env bash
# report.html at scale: the default scenario (vendor-latency-spike) stretched to 24 h at
# 20 requests/s (1.7 M requests), against the same scenario's 1 h at 20 requests/s as the
# baseline, in one invocation. Prints figures and ratios only (never pass/fail):
#   - report.html size (the charts are per minute, so it grows with minutes, not requests);
#   - the time `gameday report JOURNAL` takes to score the journal and write the three reports;
#   - the time headless Chromium takes from navigation to the page's charts drawn (median of
#     BENCH_OPENS, default 5), through tests/node/html_pages.mjs (needs `npm ci` in tests/node
#     and Debian's chromium, as scripts/setup.sh installs).
# Usage: bench/report_html_bench.sh [path/to/gameday]   (default: build/gameday)
# Knobs: BENCH_HOURS (default 24), BENCH_RATE (default 20), BENCH_OPENS (default 5).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=${1:-$ROOT/build/gameday}
HOURS=${BENCH_HOURS:-24}
RATE=${BENCH_RATE:-20}
OPENS=${BENCH_OPENS:-5}
TMP=$(mktemp -d /tmp/gameday-html-bench-XXXXXX)
trap 'rm -rf "$TMP"' EXIT
export GAMEDAY_HISTORY=$TMP/history.sqlite

# The default scenario with its duration and rate replaced (absolute paths to fakes and playbooks).
scenario() {  # NAME DURATION
  sed -e "s|^name: .*|name: $1|" -e "s|^duration: .*|duration: $2|" -e "s|^  rate: .*|  rate: $RATE|" \
      -e "s|^fakes: .*|fakes: $ROOT/fakes|" -e "s|\.\./playbooks/|$ROOT/playbooks/|" \
      "$ROOT/scenarios/vendor-latency-spike.yaml" > "$TMP/$1.yaml"
}
scenario base 60m
scenario long "${HOURS}h"

now() { date +%s.%N; }
for name in base long; do
  "$BIN" run "$TMP/$name.yaml" --no-traces -q --out "$TMP/$name" || [[ $? -eq 1 ]]
  t0=$(now)
  "$BIN" report "$TMP/$name/journal.jsonl" -q || [[ $? -eq 1 ]]
  t1=$(now)
  eval "${name}_report_s=$(echo "$t1 - $t0" | bc -l)"
  eval "${name}_html=$(stat -c %s "$TMP/$name/report.html")"
  eval "${name}_journal=$(stat -c %s "$TMP/$name/journal.jsonl")"
  eval "${name}_requests=$(grep -c '"type":"request","id"' "$TMP/$name/journal.jsonl")"
done

# Open each page OPENS times in one browser; the median load time counts.
pages=""
for ((i = 0; i < OPENS; i++)); do
  for name in base long; do
    pages+="${pages:+,}{\"file\":\"$TMP/$name/report.html\",\"kind\":\"report\"}"
  done
done
echo "{\"pages\":[$pages]}" > "$TMP/pages.json"
(cd "$ROOT/tests/node" && node html_pages.mjs "$TMP/pages.json") > "$TMP/opened.json"
read -r base_open long_open base_ok long_ok < <(node -e '
  const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).pages;
  const med = (k) => { const v = r.filter((p) => p.file.includes("/" + k + "/")).map((p) => p.load_ms).sort((a, b) => a - b);
                       return v[Math.floor(v.length / 2)]; };
  const ok = (k) => r.filter((p) => p.file.includes("/" + k + "/")).every((p) => p.rendered && !p.console_errors.length &&
                       p.charts_with_data === p.charts);
  console.log(med("base"), med("long"), ok("base"), ok("long"));' "$TMP/opened.json")

mib() { printf '%.2f' "$(echo "$1 / 1048576" | bc -l)"; }
ratio() { printf '%.2f' "$(echo "$1 / $2" | bc -l)"; }
printf '%-34s %16s %16s %8s\n' "vendor-latency-spike at ${RATE} req/s" "1 h (baseline)" "${HOURS} h" "ratio"
printf '%-34s %16s %16s %8s\n' "requests" "$base_requests" "$long_requests" "$(ratio "$long_requests" "$base_requests")"
printf '%-34s %16s %16s %8s\n' "journal.jsonl (MiB)" "$(mib "$base_journal")" "$(mib "$long_journal")" "$(ratio "$long_journal" "$base_journal")"
printf '%-34s %16s %16s %8s\n' "report.html (MiB)" "$(mib "$base_html")" "$(mib "$long_html")" "$(ratio "$long_html" "$base_html")"
printf '%-34s %16.2f %16.2f %8s\n' "gameday report JOURNAL (s)" "$base_report_s" "$long_report_s" "$(ratio "$long_report_s" "$base_report_s")"
printf '%-34s %16s %16s %8s\n' "Chromium open to charts drawn (ms)" "$base_open" "$long_open" "$(ratio "$long_open" "$base_open")"
echo "pages rendered with data and no console error: 1 h $base_ok, ${HOURS} h $long_ok (median of $OPENS opens)"
