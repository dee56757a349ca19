#!/usr/bin/env bash
# CI: the libFuzzer harnesses (fuzz/), built with clang-14 in a tree of their own (no GUI, no
# tests), then ctest -L fuzz: each harness for POOLSCOPE_FUZZ_SECONDS (default 60) on its seed
# corpus, two at a time, failing on any crash, leak, sanitizer report or violated property.
#
#   bash .ci/fuzz.sh
# BUILD_ROOT (default: the checkout) holds build-fuzz.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$here"
dir=${BUILD_ROOT:-$here}/build-fuzz
SECONDS=0
source "$here/scripts/packages.sh"
install_missing_packages "${poolscope_clang_packages[@]}"

echo "== fuzz: configure and build"
CC=clang-14 CXX=clang++-14 cmake -S "$here" -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DPOOLSCOPE_FUZZ=ON -DPOOLSCOPE_BUILD_GUI=OFF -DPOOLSCOPE_BUILD_TESTS=OFF \
    -DPOOLSCOPE_BUILD_BENCH=OFF -DPOOLSCOPE_BUILD_EXAMPLES=OFF -DPOOLSCOPE_BUILD_PACKAGING=OFF \
    >/dev/null
nice cmake --build "$dir" --parallel "$(nproc)" --target fuzzers
echo "== fuzz: built at $((SECONDS / 60)) min $((SECONDS % 60)) s; ctest -L fuzz"
(cd "$dir" && ctest -L fuzz --output-on-failure --parallel 2 --no-tests=error)
for log in "$dir"/fuzz/runs/*/last.log; do
    name=$(basename "$(dirname "$log")")
    echo "   $name: $(grep '^stat::number_of_executed_units' "$log" | awk '{print $2}') executions"
done
echo "== fuzz.sh: done in $((SECONDS / 60)) min $((SECONDS % 60)) s"
