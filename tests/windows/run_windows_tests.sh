#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The `windows` ctest label's driver (tests/windows.cmake):
#   run_windows_tests.sh build SOURCE_ROOT CROSS_DIR GENERATOR
#       cross-compiles poolcore, poolscope-worker.exe and windows_driver.exe with mingw-w64 into
#       CROSS_DIR and makes the wine prefix there
#   run_windows_tests.sh run CROSS_DIR CASE
#       runs one case of windows_driver.exe under wine64; it passes when the driver says
#       "1 passed, 0 failed"
# Exits 77 (ctest's skip) with the reason when mingw-w64 or wine64 is missing.
set -euo pipefail

mingw=x86_64-w64-mingw32-g++-posix
wine=""
for candidate in "${POOLSCOPE_WINE64:-}" /usr/lib/wine/wine64 "$(command -v wine64 || true)"; do
    if [[ -n "$candidate" && -x "$candidate" ]]; then
        wine=$candidate
        break
    fi
done
if ! command -v "$mingw" >/dev/null; then
    echo "SKIP: $mingw not found (Debian: apt-get install g++-mingw-w64-x86-64; .ci/windows.sh does)"
    exit 77
fi
if [[ -z "$wine" ]]; then
    echo "SKIP: wine64 not found (Debian: apt-get install wine64; .ci/windows.sh does)"
    exit 77
fi

mode=$1
case "$mode" in
build)
    source_root=$2 cross_dir=$3 generator=$4
    launcher=()
    if command -v ccache >/dev/null; then
        launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
    fi
    cmake -S "$source_root/tests/windows" -B "$cross_dir" -G "$generator" \
        -DCMAKE_TOOLCHAIN_FILE="$source_root/cmake/mingw-w64-x86_64.cmake" \
        -DCMAKE_BUILD_TYPE=RelWithDebInfo "${launcher[@]}"
    cmake --build "$cross_dir" --parallel 2
    if [[ ! -f "$cross_dir/wine-prefix/system.reg" ]]; then
        echo "making the wine prefix (the first start of one takes a while)"
        WINEPREFIX="$cross_dir/wine-prefix" WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml=" \
            timeout 600 "$wine" wineboot --init >/dev/null 2>&1
    fi
    ;;
run)
    cross_dir=$2 case_name=$3
    output=$(WINEPREFIX="$cross_dir/wine-prefix" WINEDEBUG=-all \
        timeout 300 "$wine" "$cross_dir/windows_driver.exe" "$case_name" 2>&1) || true
    echo "$output"
    grep -q "^1 passed, 0 failed" <<<"$output"
    ;;
*)
    echo "usage: $0 build SOURCE_ROOT CROSS_DIR GENERATOR | run CROSS_DIR CASE" >&2
    exit 2
    ;;
esac
