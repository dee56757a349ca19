#!/usr/bin/env bash
# Runs one test of a sanitizer tree (tests/sanitizers.cmake) with every sanitizer report of it
# and of its children written to a fresh directory, and fails when any report was written.
# Workers are separate processes: a worker's report ends only that worker, which the pool counts
# as a crash and replaces, so the test itself could pass. The app's own processes and the
# forkserver report there too.
#
#   run_sanitized.sh COMMAND [ARGS...]
set -u
reports=$(mktemp -d "${TMPDIR:-/tmp}/poolscope-sanitizer.XXXXXX")
trap 'rm -rf "$reports"' EXIT
add_option() { # VAR OPTION: appends OPTION to the colon-separated VAR
    local current=${!1:-}
    export "$1=${current:+$current:}$2"
}
add_option ASAN_OPTIONS "log_path=$reports/asan"
add_option UBSAN_OPTIONS "log_path=$reports/ubsan"
add_option TSAN_OPTIONS "log_path=$reports/tsan"
add_option LSAN_OPTIONS "log_path=$reports/lsan"

"$@"
status=$?

shopt -s nullglob
found=("$reports"/*)
if [ ${#found[@]} -gt 0 ]; then
    for f in "${found[@]}"; do
        echo "== sanitizer report ${f##*/} (pid ${f##*.}):"
        cat "$f"
    done
    echo "FAIL: ${#found[@]} sanitizer report(s) from $1 or its children (exit status $status)"
    [ "$status" -ne 0 ] || status=1
fi
exit "$status"
