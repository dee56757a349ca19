#!/usr/bin/env bash
# One headless run of the app, as a user starts it, that must finish every job:
#   headless_load.sh APP COUNT [poolscope options...]
# Exits non-zero unless the app exits 0 and its JSON report has COUNT jobs succeeded and none
# lost. In a sanitizer tree it runs under run_sanitized.sh, so a report from the app, its
# forkserver or any worker fails it as well.
set -u
app=$1 count=$2
shift 2
report=$("$app" --headless --json --count "$count" "$@")
status=$?
echo "$report"
if [ "$status" -ne 0 ]; then
    echo "FAIL: poolscope exited $status"
    exit 1
fi
field() { grep -o "\"$1\":[0-9]*" <<<"$report" | head -1 | cut -d: -f2; }
if [ "$(field succeeded)" != "$count" ] || [ "$(field lost)" != 0 ]; then
    echo "FAIL: expected $count succeeded and 0 lost"
    exit 1
fi
