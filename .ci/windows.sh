#!/usr/bin/env bash
# CI: the `windows` label. Installs Debian's mingw-w64 (posix threads) and wine64 if missing,
# then runs the label in the normal build tree: the tests cross-compile poolcore,
# poolscope-worker.exe and the behaviour driver, make a wine prefix and run each case under wine.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

source scripts/packages.sh
install_missing_packages g++-mingw-w64-x86-64-posix wine64

started=$(date +%s)
bash scripts/dev.sh test -L windows
echo "windows label: $(($(date +%s) - started)) s"
