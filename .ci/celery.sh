#!/usr/bin/env bash
# CI: the `celery` label against the real thing. scripts/dev.sh installs redis-server,
# python3-celery and python3-redis with the build's packages; this runs the label again on its
# own so that a skip (a package missing) fails CI instead of passing silently. The tests start
# redis-server on 127.0.0.1 at a free port and the Celery workers themselves, and stop them.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
build_dir=${BUILD_DIR:-build}
command -v redis-server >/dev/null || { echo "celery.sh: redis-server missing"; exit 1; }
/usr/bin/python3 -c 'import celery, redis' || { echo "celery.sh: python3-celery missing"; exit 1; }
out=$(cd "$build_dir" && ctest -L celery --output-on-failure 2>&1) || { echo "$out"; exit 1; }
echo "$out"
if grep -q "SKIP" <<<"$out"; then
    echo "celery.sh: the celery tests skipped; CI must run them"
    exit 1
fi
