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
# One prefix for all: a process running ASan and UBSan writes one file, report.<pid>.
for options in ASAN_OPTIONS UBSAN_OPTIONS TSAN_OPTIONS LSAN_OPTIONS; do
    add_option "$options" "log_path=$reports/report"
done

"$@"
status=$?

shopt -s nullglob
found=("$reports"/*)
if [ ${#found[@]} -gt 0 ]; then
    for f in "${found[@]}"; do
        echo "== sanitizer report of pid ${f##*.}:"
        cat "$f"
    done
    echo "FAIL: ${#found[@]} sanitizer report(s) from $1 or its children (exit status $status)"
    [ "$status" -ne 0 ] || status=1
fi
exit "$status"
