#!/usr/bin/env bash
# The benchmark suite in one command: installs what it needs (apt-get), builds Release, runs
# every contender alternately REPS times and prints the tables README shows.
#
#   bash bench/run.sh            # 5 repetitions (about 20 minutes on 2 cores)
#   REPS=3 bash bench/run.sh     # fewer
#   bash bench/run.sh --quick    # one repetition at 2 workers, small counts (under a minute)
#
# Results: bench/results/latest.json (and the tables on stdout). Build: build-release/
# (BENCH_BUILD_DIR overrides it).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build_dir=${BENCH_BUILD_DIR:-$here/build-release}

peers=(python3 python3-celery python3-billiard valgrind)
source "$here/scripts/packages.sh"
install_missing_packages "${peers[@]}"

BUILD_TYPE=Release BUILD_DIR=$build_dir bash "$here/scripts/dev.sh" build >&2
# Debian's interpreter, where python3-celery lives (a pyenv python3 earlier on PATH has none).
exec /usr/bin/python3 "$here/bench/run_all.py" --build "$build_dir" --reps "${REPS:-5}" "$@"
