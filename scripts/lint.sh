#!/usr/bin/env bash
# `make lint`: the declared style, checked. Every finding fails the run.
#   - clang-format-19: every C/C++ file formatted as .clang-format says
#   - clang-tidy-19: naming, bugprone, performance and function size (.clang-tidy) on every
#     translation unit of src/, bench/ (gcc's flags) and fuzz/ (clang's), from configured builds
#   - eslint: web/ and tests/web (web/eslint.config.js)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${LINT_BUILD:-build/lint}
jobs=${LINT_JOBS:-$(nproc)}

mapfile -t sources < <(git ls-files '*.cpp' '*.hpp' '*.h' '*.c')
echo "lint: clang-format-19 on ${#sources[@]} files" >&2
clang-format-19 --dry-run --Werror "${sources[@]}"

echo "lint: configuring $build (gcc) and $build-fuzz (clang, the fuzzers) for the compile databases" >&2
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Debug >/dev/null
cmake -S . -B "$build-fuzz" -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_COMPILER=clang++-19 \
  -DCMAKE_C_COMPILER=clang-19 -DAMBI_FUZZ=ON >/dev/null

# run-clang-tidy skips a file its compile database does not hold: every unit must be in one.
tidy() {  # tidy BUILD_DIR UNIT...
  local db=$1
  shift
  echo "lint: clang-tidy-19 on $# translation units of $db ($jobs at a time)" >&2
  run-clang-tidy-19 -quiet -p "$db" -j "$jobs" "${@/#/$PWD/}" > "$db/clang-tidy.log" 2>&1 || {
    grep -E "(error|warning):" "$db/clang-tidy.log" | sort -u >&2 || true
    echo "lint: clang-tidy found problems (full log: $db/clang-tidy.log)" >&2
    exit 1
  }
  local checked
  checked=$(grep -c -- "clang-tidy-19 -p=" "$db/clang-tidy.log" || true)
  if [ "$checked" -ne $# ]; then
    echo "lint: clang-tidy checked $checked of $# units; the others are not in $db" >&2
    exit 1
  fi
}
mapfile -t units < <(git ls-files 'src/*.cpp' 'bench/*.cpp')
tidy "$build" "${units[@]}"
mapfile -t fuzz_units < <(git ls-files 'fuzz/*.cpp')
tidy "$build-fuzz" "${fuzz_units[@]}"

echo "lint: eslint" >&2
(cd web && npm run --silent lint)
echo "lint: clean" >&2
