#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Proves add_subdirectory(poolcore) works with nothing else: a project outside this tree builds
# poolcore in its own build and runs the consumer (100 jobs on each start method); poolcore, not
# being the top-level project, installs nothing into the embedder's install.
#
#   subdirectory_consumer.sh SOURCE_DIR [CMAKE] [CXX]
set -euo pipefail
source_dir=$(cd "$1" && pwd)
cmake=${2:-cmake}
cxx=${3:-c++}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

work=$(mktemp -d /tmp/poolcore-subdirectory-test.XXXXXX)
trap 'rm -rf "$work"' EXIT
fail() {
    echo "FAIL: $*" >&2
    exit 1
}

mkdir -p "$work/project/subdirectory"
cp "$here/consumer.cpp" "$work/project/"
cp "$here/subdirectory/CMakeLists.txt" "$work/project/subdirectory/"
"$cmake" -S "$work/project/subdirectory" -B "$work/build" -DPOOLCORE_DIR="$source_dir/poolcore" \
    -DCMAKE_CXX_COMPILER="$cxx" -DCMAKE_BUILD_TYPE=Release >/dev/null
"$cmake" --build "$work/build" --parallel 2 >/dev/null
"$work/build/consumer" | tee "$work/run.txt"
for method in fork forkserver spawn; do
    grep -qx "$method: 100/100 succeeded" "$work/run.txt" ||
        fail "the add_subdirectory consumer did not run 100 jobs on $method"
done

"$cmake" --install "$work/build" --prefix "$work/prefix" >/dev/null
if [ -d "$work/prefix" ] && find "$work/prefix" -type f | grep .; then
    fail "poolcore installed files into an embedder's install without POOLCORE_INSTALL"
fi
echo "== add_subdirectory(poolcore): built, ran 100 jobs on each start method, installed nothing"
