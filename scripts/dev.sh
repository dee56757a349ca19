#!/usr/bin/env bash
# One entry point for a fresh Debian 12 machine: installs what is missing, configures, builds,
# then runs the app or the tests.
#
#   bash scripts/dev.sh run  [poolscope arguments...]   build, then start the desktop app
#   bash scripts/dev.sh test [ctest arguments...]       build, then run the whole test suite
#   bash scripts/dev.sh build                           only install and build
#
# BUILD_DIR (default: build) and BUILD_TYPE (default: RelWithDebInfo) can be set in the
# environment.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build_dir=${BUILD_DIR:-$here/build}
build_type=${BUILD_TYPE:-RelWithDebInfo}

source "$here/scripts/packages.sh"

build() {
    install_missing_packages "${poolscope_packages[@]}"
    cmake -S "$here" -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE="$build_type" >/dev/null
    cmake --build "$build_dir" --parallel "$(nproc)"
}

command=${1:-}
shift || true
case "$command" in
run)
    build
    exec "$build_dir/app/poolscope" "$@"
    ;;
test)
    build
    cd "$build_dir"
    exec ctest --output-on-failure --parallel 2 "$@"
    ;;
build)
    build
    ;;
*)
    sed -n '2,12p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
    exit 2
    ;;
esac
