#!/usr/bin/env bash
# Installs what gameday needs on Debian 12, builds it, and runs the default scenario
# (a simulated vendor latency spike with the built-in assistant).
#   scripts/setup.sh            install + build + run the default scenario
#   scripts/setup.sh --no-run   install + build only
set -euo pipefail
cd "$(dirname "$0")/.."

run_demo=1
[[ "${1:-}" == "--no-run" ]] && run_demo=0

packages=(build-essential cmake ninja-build pkg-config
          libboost-dev libyaml-cpp-dev libcurl4-openssl-dev libspdlog-dev libcli11-dev
          catch2 nlohmann-json3-dev)
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

cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
ninja -C build -j2

if ((run_demo)); then
  echo
  ./build/gameday run
fi
