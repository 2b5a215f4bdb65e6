#!/usr/bin/env bash
# Installs what gameday needs on Debian 12, builds it, and runs the default scenario
# (a simulated vendor latency spike with the built-in assistant).
#   scripts/setup.sh            install + build + run the default scenario
#   scripts/setup.sh --no-run   install + build only
set -euo pipefail
cd "$(dirname "$0")/.."

run_demo=1
[[ "${1:-}" == "--no-run" ]] && run_demo=0

# Build: compiler, CMake/Ninja and the libraries (cmark-gfm renders report.md into report.html,
# libzstd writes and reads journal.jsonl.zst, jemalloc is gameday's allocator).
# Tests: curl (scripts in playbook exec steps), zstd (decodes a compressed journal), Prometheus
# and Alertmanager (the compatibility tests run the real ones on loopback), Chromium and a font
# (the HTML pages are opened headless).
packages=(build-essential cmake ninja-build pkg-config
          libboost-dev libyaml-cpp-dev libcurl4-openssl-dev libspdlog-dev libcli11-dev
          catch2 nlohmann-json3-dev libsqlite3-dev libcmark-gfm-dev libcmark-gfm-extensions-dev
          libzstd-dev libjemalloc-dev zstd curl prometheus prometheus-alertmanager chromium fonts-dejavu-core)
# Node.js runs the real client SDKs in the end-to-end tests (openai, @anthropic-ai/sdk,
# @langchain/openai, @langchain/anthropic, fhir-kit-client), the OpenTelemetry definitions
# that decode the traces file and puppeteer-core (drives the system Chromium, downloads none); any installed Node >= 18 with npm will do, else Debian's (Node 20
# on Debian 12).
command -v node >/dev/null && command -v npm >/dev/null || packages+=(nodejs npm)
# Python 3 runs the second reference service (tests/python, standard library only).
command -v python3 >/dev/null || packages+=(python3)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  sudo=""
  [[ $(id -u) -ne 0 ]] && sudo="sudo"
  echo "installing: ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The npm clients the end-to-end tests drive (pinned by tests/node/package-lock.json).
if [[ ! -d tests/node/node_modules || tests/node/package-lock.json -nt tests/node/node_modules ]]; then
  (cd tests/node && npm ci --no-audit --no-fund --loglevel=error)
fi

cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
ninja -C build -j2

if ((run_demo)); then
  echo
  ./build/gameday run
fi
