#!/usr/bin/env bash
# Installs the Debian packages the build and the tests need, only when one is missing.
# Debian 12 (bookworm). Safe to run again: it does nothing when everything is there.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config
  libcli11-dev libfmt-dev nlohmann-json3-dev libboost-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  libmodbus-dev libsqlite3-dev libsqlitecpp-dev libtomlplusplus-dev zlib1g-dev
  # the MQTT exporter (docs/integrations.md)
  libmosquitto-dev
  python3 python3-pytest
  clang-19 libclang-rt-19-dev
  # make lint: the declared style (scripts/lint.sh)
  clang-format-19 clang-tidy-19
  # interop peers nobody here wrote (tests/interop)
  python3-pymodbus python3-serial python3-serial-asyncio python3-yaml mbpoll socat
  # the real servers the integration tests start on loopback: an MQTT broker with a
  # client nobody here wrote, and a Prometheus that scrapes the twin
  mosquitto python3-paho-mqtt prometheus
  # the browser the web page's tests drive (tests/web, through playwright-core from npm)
  chromium
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

# npm fetches libmbus (the npm package node-mbus ships its C sources) for the M-bus interop
# tests (tests/interop/build_libmbus.sh). A nodejs from another source may bundle npm.
command -v npm >/dev/null 2>&1 || missing+=(nodejs npm)

if ((${#missing[@]})); then
  echo "install-deps: installing ${missing[*]}" >&2
  sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  export DEBIAN_FRONTEND=noninteractive
  "${sudo_cmd[@]}" apt-get update -qq
  "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# The web page's npm packages (web/package-lock.json): uPlot, embedded in the binary at build
# time, and playwright-core for the browser tests. `npm ci` when web/node_modules is missing
# or older than the lock file (npm writes node_modules/.package-lock.json on every install).
web_dir="$(cd "$(dirname "$0")/../web" && pwd)"
stamp="$web_dir/node_modules/.package-lock.json"
if [ ! -e "$stamp" ] || [ "$web_dir/package-lock.json" -nt "$stamp" ]; then
  echo "install-deps: npm ci in $web_dir" >&2
  (cd "$web_dir" && npm ci --no-audit --no-fund)
fi
