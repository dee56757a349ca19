#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Proves poolcore usable from outside this tree: installs the libpoolcore-dev component of a
# built tree into a temporary prefix, then builds this folder's consumer twice from a copy
# outside the tree, once with find_package (CMake) and once with pkg-config (a plain compiler
# command), and runs each: 100 jobs of its own task on each start method.
#
#   install_and_consume.sh BUILD_DIR SOURCE_DIR [CMAKE] [CXX]
set -euo pipefail

build_dir=$(cd "$1" && pwd)
source_dir=$(cd "$2" && pwd)
cmake=${3:-cmake}
cxx=${4:-c++}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

work=$(mktemp -d /tmp/poolcore-install-test.XXXXXX)
trap 'rm -rf "$work"' EXIT
prefix=$work/prefix

fail() {
    echo "FAIL: $*" >&2
    exit 1
}

echo "== install the libpoolcore-dev component into $prefix"
"$cmake" --install "$build_dir" --prefix "$prefix" --component libpoolcore-dev >/dev/null
[ -d "$prefix" ] || fail "the libpoolcore-dev component installs nothing"
(cd "$prefix" && find . -mindepth 1 | sort)

# What must be there, and what must not: the public face only.
lib=$(find "$prefix" -name 'libpoolcore.a' -o -name 'libpoolcore.so' | head -n 1)
[ -n "$lib" ] || fail "no libpoolcore.a or libpoolcore.so installed"
config=$(find "$prefix" -name poolcoreConfig.cmake | head -n 1)
[ -n "$config" ] || fail "no poolcoreConfig.cmake installed"
[ -n "$(find "$prefix" -name poolcoreConfigVersion.cmake)" ] || fail "no version file installed"
pc=$(find "$prefix" -name poolcore.pc | head -n 1)
[ -n "$pc" ] || fail "no poolcore.pc installed"
[ -f "$prefix/include/poolcore/version.h" ] || fail "no poolcore/version.h installed"
[ -f "$prefix/include/poolcore/task_pool.h" ] || fail "no public headers installed"
for private in engine protocol worker platform; do
    [ ! -e "$prefix/include/poolcore/$private" ] || fail "private headers installed: $private/"
done
if find "$prefix" -name 'poolscope*' -o -name '*qtloop*' -o -name '*internals*' | grep .; then
    fail "the libpoolcore-dev component holds something that is not poolcore"
fi

# The consumer is copied out of the tree, so nothing can reach Poolscope's sources by a
# relative include; every path its builds use is then checked.
mkdir -p "$work/consumer"
cp "$here/consumer.cpp" "$here/CMakeLists.txt" "$work/consumer/"
no_tree_paths() {
    if grep -n -e "$source_dir" -e "$build_dir" "$1"; then
        fail "$2 reaches into the source or build tree"
    fi
}

echo "== find_package consumer"
"$cmake" -S "$work/consumer" -B "$work/consumer-build" -DCMAKE_PREFIX_PATH="$prefix" \
    -DCMAKE_CXX_COMPILER="$cxx" -DCMAKE_BUILD_TYPE=Release -DCMAKE_EXPORT_COMPILE_COMMANDS=ON \
    >/dev/null
"$cmake" --build "$work/consumer-build" >/dev/null
no_tree_paths "$work/consumer-build/compile_commands.json" "the find_package build"
"$work/consumer-build/consumer" | tee "$work/cmake-run.txt"

echo "== pkg-config consumer"
# A shared poolcore is found at run time like any library outside the system's paths.
case $lib in
*.so) export LD_LIBRARY_PATH=$(dirname "$lib")${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH} ;;
esac
export PKG_CONFIG_PATH=$(dirname "$pc")
flags=$(pkg-config --cflags --libs poolcore)
echo "pkg-config --cflags --libs poolcore: $flags"
echo "$flags" >"$work/pc-flags.txt"
no_tree_paths "$work/pc-flags.txt" "pkg-config's flags"
# shellcheck disable=SC2086 # the flags are words
"$cxx" -std=c++20 -O2 "$work/consumer/consumer.cpp" $flags -o "$work/consumer-pc"
"$work/consumer-pc" | tee "$work/pc-run.txt"

for run in cmake pc; do
    for method in fork forkserver spawn; do
        grep -qx "$method: 100/100 succeeded" "$work/$run-run.txt" ||
            fail "the $run consumer did not run 100 jobs on $method"
    done
done
echo "== both consumers ran 100 jobs on fork, forkserver and spawn"
