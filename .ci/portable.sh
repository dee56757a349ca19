#!/usr/bin/env bash
# CI: the portable POSIX build (-DPOOLCORE_PORTABLE_POSIX=ON, poolcore/src/platform/posix/
# posix_features.h) passes the pool label on Linux. It takes the paths macOS takes where Linux
# has its own calls: exits watched by death pipes instead of pidfds, a parent watch thread in
# workers instead of PR_SET_PDEATHSIG, close-on-exec and non-blocking by fcntl, descriptors
# closed one by one instead of close_range.
#
#   bash .ci/portable.sh [ctest arguments...]
# BUILD_ROOT (default: the checkout) holds build-portable. Builds only what the pool label runs
# (each test's target brings the worker programs and the app it drives).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build_root=${BUILD_ROOT:-$here}
dir=$build_root/build-portable
SECONDS=0
source "$here/scripts/packages.sh"
install_missing_packages "${poolscope_packages[@]}"
launchers=()
if command -v ccache >/dev/null; then
    launchers=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache)
fi

echo "== portable: configure"
cmake -S "$here" -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DPOOLCORE_PORTABLE_POSIX=ON -DPOOLSCOPE_BUILD_GUI=OFF -DPOOLSCOPE_BUILD_BENCH=OFF \
    -DPOOLSCOPE_BUILD_EXAMPLES=OFF -DPOOLSCOPE_BUILD_PACKAGING=OFF "${launchers[@]}" >/dev/null
# A test's name is its target's (tests/CMakeLists.txt, poolscope_add_test).
mapfile -t targets < <(cd "$dir" && ctest -L pool -N | sed -n 's/^ *Test *#[0-9]*: *//p')
[ ${#targets[@]} -gt 0 ] || { echo "portable.sh: no test has the pool label" >&2; exit 1; }
echo "== portable: build ${targets[*]}"
nice cmake --build "$dir" --parallel "$(nproc)" --target "${targets[@]}"
echo "== portable: built at $((SECONDS / 60)) min $((SECONDS % 60)) s; ctest -L pool"
started=$SECONDS
(cd "$dir" && ctest -L pool --output-on-failure --parallel 2 --no-tests=error "$@")
echo "== portable: ctest -L pool passed in $((SECONDS - started)) s" \
    "(all done at $((SECONDS / 60)) min $((SECONDS % 60)) s)"
