#!/usr/bin/env bash
# CI: the `celery` label against the real thing, proved to have run. scripts/dev.sh installs
# redis-server, python3-celery and python3-redis with the build's packages, and the suite it ran
# just before this (.ci/run) included the label; a test that skips (a package missing) passes in
# ctest, so this reads the suite's log and fails unless every celery test ran and passed without
# a skip. The tests start redis-server on 127.0.0.1 at a free port and the Celery workers
# themselves, and stop them. Run alone (no suite log with the label in it), it runs the label.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
build_dir=${BUILD_DIR:-build}
log=$build_dir/Testing/Temporary/LastTest.log
command -v redis-server >/dev/null || { echo "celery.sh: redis-server missing"; exit 1; }
/usr/bin/python3 -c 'import celery, redis' || { echo "celery.sh: python3-celery missing"; exit 1; }

tests=$(cd "$build_dir" && ctest -N -L celery | sed -n 's/^ *Test *#[0-9]*: //p')
[ -n "$tests" ] || { echo "celery.sh: no test carries the celery label"; exit 1; }
# One test's part of the log: from its "N/M Testing: NAME" line to the next test's.
section_of() {
    awk -v name="$1" '/^[0-9]+\/[0-9]+ Testing: /{on = ($3 == name)} on' "$log" 2>/dev/null
}
for t in $tests; do
    if [ -z "$(section_of "$t")" ]; then
        echo "celery.sh: $t is not in the last run's log; running the label"
        (cd "$build_dir" && ctest -L celery --output-on-failure)
        break
    fi
done
for t in $tests; do
    section=$(section_of "$t")
    if grep -q '^SKIP' <<<"$section"; then
        grep '^SKIP' -A1 <<<"$section"
        echo "celery.sh: $t skipped; CI must run it"
        exit 1
    fi
    if ! grep -q '^Totals: [0-9]* passed, 0 failed' <<<"$section"; then
        tail -30 <<<"$section"
        echo "celery.sh: $t did not pass"
        exit 1
    fi
    echo "celery.sh: $t: $(grep '^Totals:' <<<"$section")"
done
