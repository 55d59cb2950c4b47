#!/usr/bin/env bash
# Builds the libmbus command-line tools the M-bus interop tests run, from the C sources
# that the npm package node-mbus ships (pinned in tests/interop/mbus/package-lock.json).
# Nothing is committed: the package is fetched with npm into OUT_DIR/npm and the tools
# are compiled into OUT_DIR/bin. Does nothing when the tools are already there.
#
#   tests/interop/build_libmbus.sh OUT_DIR      (prints OUT_DIR/bin on success)
set -euo pipefail

out=${1:?usage: build_libmbus.sh OUT_DIR}
here=$(cd "$(dirname "$0")" && pwd)
tools=(mbus-tcp-request-data mbus-tcp-scan mbus-tcp-scan-secondary mbus-tcp-select-secondary
       mbus-tcp-raw-send mbus-serial-request-data mbus-serial-switch-baudrate mbus-serial-set-address
       mbus-serial-scan mbus-serial-scan-secondary)

mkdir -p "$out/bin"
missing=0
for t in "${tools[@]}"; do [ -x "$out/bin/$t" ] || missing=1; done
if [ "$missing" -eq 0 ]; then echo "$out/bin"; exit 0; fi

exec 9>"$out/.lock"
flock 9

src="$out/npm/node_modules/node-mbus/libmbus"
if [ ! -f "$src/mbus/mbus-protocol.c" ]; then
  command -v npm >/dev/null || { echo "build_libmbus: npm is missing (scripts/install-deps.sh)" >&2; exit 1; }
  mkdir -p "$out/npm"
  cp "$here/mbus/package.json" "$here/mbus/package-lock.json" "$out/npm/"
  (cd "$out/npm" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >&2)
fi

for t in "${tools[@]}"; do
  [ -x "$out/bin/$t" ] && continue
  gcc -O1 -w -I"$src" -I"$src/mbus" -o "$out/bin/$t.tmp" "$src/bin/$t.c" "$src"/mbus/*.c \
      "$here/mbus/tool_shim.c" -lm -ldl
  mv "$out/bin/$t.tmp" "$out/bin/$t"
done
echo "$out/bin"
