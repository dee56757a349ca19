#!/usr/bin/env bash
# The desktop app at full load and idle, under Xvfb (a real X server paints as a desktop does):
# builds Release, installs xvfb if missing, runs poolscope-gui-bench and prints its table.
#
#   bash bench/gui/run.sh [poolscope-gui-bench options]     e.g. --pool threads --idle-seconds 30
#   OFFSCREEN=1 bash bench/gui/run.sh                       Qt's offscreen platform instead
#
# Results: bench/results/gui-latest.json and gui-load.png (the window under load).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
build_dir=${BENCH_BUILD_DIR:-$here/build-release}
results=$here/bench/results
mkdir -p "$results"

source "$here/scripts/packages.sh"
[ -n "${OFFSCREEN:-}" ] || install_missing_packages xvfb xauth
BUILD_TYPE=Release BUILD_DIR=$build_dir bash "$here/scripts/dev.sh" build >&2

bench=("$build_dir/bench/gui/poolscope-gui-bench" --json "$results/gui-latest.json"
       --screenshot "$results/gui-load.png" "$@")
if [ -n "${OFFSCREEN:-}" ]; then
    QT_QPA_PLATFORM=offscreen exec "${bench[@]}"
fi
exec xvfb-run -a -s "-screen 0 1600x1000x24" "${bench[@]}"
