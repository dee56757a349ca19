#!/usr/bin/env bash
# Runs one libFuzzer harness for a bounded time, as ctest -L fuzz does:
#   run_fuzzer.sh FUZZER SEED_CORPUS RUN_DIR [DICT]
# The seeds are read, never written: what the fuzzer finds goes to RUN_DIR/corpus (kept between
# runs, so a later run starts from it) and a crashing input to RUN_DIR/artifacts/. Exits
# non-zero on any crash, leak, timeout, sanitizer report or violated property.
#   POOLSCOPE_FUZZ_SECONDS  how long to fuzz (default 60)
#   POOLSCOPE_FUZZ_ARGS     more libFuzzer flags (e.g. -jobs=2, -only_ascii=1)
set -euo pipefail
fuzzer=$1 seeds=$2 run_dir=$3 dict=${4:-}
seconds=${POOLSCOPE_FUZZ_SECONDS:-60}
mkdir -p "$run_dir/corpus" "$run_dir/artifacts"
args=(-max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1
      -artifact_prefix="$run_dir/artifacts/")
[ -n "$dict" ] && args+=(-dict="$dict")
# A sanitizer report aborts the harness, so that libFuzzer saves the input that caused it.
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:abort_on_error=1:print_stacktrace=1}
status=0
# shellcheck disable=SC2086 # POOLSCOPE_FUZZ_ARGS is a list of flags
"$fuzzer" "${args[@]}" ${POOLSCOPE_FUZZ_ARGS:-} "$run_dir/corpus" "$seeds" \
    >"$run_dir/last.log" 2>&1 || status=$?
# The log without the progress lines: the start, any report, the final statistics.
grep -v '^#[0-9].*\(NEW\|REDUCE\|pulse\)' "$run_dir/last.log" || true
if [ "$status" -eq 0 ] && ! grep -q '^stat::number_of_executed_units' "$run_dir/last.log"; then
    echo "FAIL: $fuzzer printed no final statistics"
    status=1
fi
exit "$status"
