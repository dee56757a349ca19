#!/usr/bin/env bash
# CI: the sanitizer trees (cmake/sanitizers.cmake, tests/sanitizers.cmake), built with clang-14
# and only what their labels run (no bench, examples, packaging or docs; the tsan tree without
# the GUI), then run:
#   build-asan  -DPOOLSCOPE_SANITIZE=address,undefined   ctest -L asan
#   build-tsan  -DPOOLSCOPE_SANITIZE=thread              ctest -L tsan
# Any sanitizer report, in a test or in any process it starts, fails its test.
#
#   bash .ci/sanitizers.sh [asan|tsan]...   (default: both)
# BUILD_ROOT (default: the checkout) holds build-asan and build-tsan.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$here"
build_root=${BUILD_ROOT:-$here}
SECONDS=0
source "$here/scripts/packages.sh"
install_missing_packages "${poolscope_clang_packages[@]}"

configure_and_run() { # NAME SANITIZERS [cmake options...]
    local name=$1 sanitizers=$2
    shift 2
    local dir=$build_root/build-$name
    echo "== $name: configure and build ($sanitizers)"
    CC=clang-14 CXX=clang++-14 cmake -S "$here" -B "$dir" -G Ninja \
        -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPOOLSCOPE_SANITIZE="$sanitizers" \
        -DPOOLSCOPE_BUILD_BENCH=OFF -DPOOLSCOPE_BUILD_EXAMPLES=OFF \
        -DPOOLSCOPE_BUILD_PACKAGING=OFF "$@" >/dev/null
    nice cmake --build "$dir" --parallel "$(nproc)" --target sanitizer_tests
    echo "== $name: built at $((SECONDS / 60)) min $((SECONDS % 60)) s; ctest -L $name"
    (cd "$dir" && ctest -L "$name" --output-on-failure --parallel 2 --no-tests=error)
    echo "== $name: passed at $((SECONDS / 60)) min $((SECONDS % 60)) s"
}

trees=("$@")
[ ${#trees[@]} -gt 0 ] || trees=(asan tsan)
for tree in "${trees[@]}"; do
    case "$tree" in
    asan) configure_and_run asan address,undefined ;;
    tsan) configure_and_run tsan thread -DPOOLSCOPE_BUILD_GUI=OFF ;;
    *) echo "sanitizers.sh: unknown tree '$tree' (asan or tsan)" >&2; exit 2 ;;
    esac
done
echo "== sanitizers.sh: done in $((SECONDS / 60)) min $((SECONDS % 60)) s"
