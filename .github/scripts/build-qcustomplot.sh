#!/usr/bin/env bash
# Builds QCustomPlot from its release source and installs it, with the CMake package Debian's
# libqcustomplot-dev has, into the prefix given (packaging/qcustomplot/CMakeLists.txt). For the
# macOS and Windows workflows, whose package managers do not carry it.
#   bash .github/scripts/build-qcustomplot.sh PREFIX [extra cmake arguments...]
set -euo pipefail
prefix=$1
shift
version=2.1.1
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
work=$(mktemp -d)
curl -fsSL --retry 3 -o "$work/qcp.tar.gz" \
    "https://www.qcustomplot.com/release/$version/QCustomPlot-source.tar.gz"
tar -xzf "$work/qcp.tar.gz" -C "$work"
source_dir=$(dirname "$(find "$work" -name qcustomplot.cpp | head -n 1)")
cmake -S "$here/packaging/qcustomplot" -B "$work/build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DQCUSTOMPLOT_SOURCE_DIR="$source_dir" "$@"
cmake --build "$work/build" --parallel
cmake --install "$work/build" --prefix "$prefix"
