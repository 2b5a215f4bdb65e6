#!/usr/bin/env bash
# Refreshes docs/img/report.png, the README's picture of report.html: the end-to-end test that
# opens every shipped scenario's report in headless Chromium saves its screenshot of the default
# run there when GAMEDAY_DOCS_IMG names a file. Needs a built tree (scripts/setup.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
GAMEDAY_DOCS_IMG="$PWD/docs/img/report.png" ./build/gameday_e2e \
  "report.html of every shipped scenario shows its timeline and charts in headless Chromium"
ls -l docs/img/report.png
