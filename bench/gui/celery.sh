#!/usr/bin/env bash
# The window watching a real Celery worker pushed as hard as it goes (redis-server and
# python3-celery from Debian, installed here when missing): Celery events per second the Celery
# source ingests while the GUI loop's p99 stall stays under 16 ms. Under Xvfb, or Qt's offscreen
# platform with OFFSCREEN=1.
#
#   bash bench/gui/celery.sh [poolscope-celery-bench options]   e.g. --seconds 30 --concurrency 4
#
# Results: bench/results/celery-gui-latest.json and celery-gui.png (the window at the end).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
build_dir=${BENCH_BUILD_DIR:-$here/build-release}
results=$here/bench/results
mkdir -p "$results"

source "$here/scripts/packages.sh"
install_missing_packages redis-server python3-celery python3-redis
[ -n "${OFFSCREEN:-}" ] || install_missing_packages xvfb xauth
if [ -z "${BENCH_BUILD_DIR:-}" ]; then
    BUILD_TYPE=Release BUILD_DIR=$build_dir bash "$here/scripts/dev.sh" build >&2
fi
cmake --build "$build_dir" --target poolscope-celery-bench >&2

bench=("$build_dir/bench/gui/poolscope-celery-bench" --json "$results/celery-gui-latest.json"
       --screenshot "$results/celery-gui.png" "$@")
if [ -n "${OFFSCREEN:-}" ]; then
    QT_QPA_PLATFORM=offscreen exec "${bench[@]}"
fi
exec xvfb-run -a -s "-screen 0 1600x1000x24" "${bench[@]}"
