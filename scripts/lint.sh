#!/usr/bin/env bash
# `make lint`: the declared style, checked. Every finding fails the run.
#   - clang-format-19: every C/C++ file formatted as .clang-format says
#   - clang-tidy-19: naming, bugprone, performance and function size (.clang-tidy) on every
#     translation unit of src/, fuzz/ and bench/, with the compile flags of a configured build
#   - eslint: web/ and tests/web (web/eslint.config.js)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${LINT_BUILD:-build/lint}
jobs=${LINT_JOBS:-$(nproc)}

mapfile -t sources < <(git ls-files '*.cpp' '*.hpp' '*.h' '*.c')
echo "lint: clang-format-19 on ${#sources[@]} files" >&2
clang-format-19 --dry-run --Werror "${sources[@]}"

echo "lint: configuring $build for the compile database" >&2
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Debug >/dev/null
mapfile -t units < <(git ls-files 'src/*.cpp' 'fuzz/*.cpp' 'bench/*.cpp')
echo "lint: clang-tidy-19 on ${#units[@]} translation units ($jobs at a time)" >&2
run-clang-tidy-19 -quiet -p "$build" -j "$jobs" "${units[@]/#/$PWD/}" > "$build/clang-tidy.log" 2>&1 || {
  grep -E "(error|warning):" "$build/clang-tidy.log" | sort -u >&2 || true
  echo "lint: clang-tidy found problems (full log: $build/clang-tidy.log)" >&2
  exit 1
}

echo "lint: eslint" >&2
(cd web && npm run --silent lint)
echo "lint: clean" >&2
