#!/usr/bin/env bash
# Line coverage of each harness's decoder over a corpus: builds the harnesses with clang's
# source-based coverage in a tree of their own, runs every input of the corpus once (-runs=0)
# and reports the covered lines of the file the harness is about (llvm-cov-14).
#
#   bash fuzz/coverage.sh [RUNS_DIR]
# RUNS_DIR (default: build-fuzz/fuzz/runs) holds what ctest -L fuzz found, one corpus/ per
# harness; the committed seeds are always read too. COVERAGE_DIR (default: build-fuzz-cov) is
# the tree.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
runs=${1:-$here/build-fuzz/fuzz/runs}
dir=${COVERAGE_DIR:-$here/build-fuzz-cov}

CC=clang-14 CXX=clang++-14 cmake -S "$here" -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DPOOLSCOPE_FUZZ=ON -DPOOLSCOPE_FUZZ_COVERAGE=ON -DPOOLSCOPE_BUILD_GUI=OFF \
    -DPOOLSCOPE_BUILD_TESTS=OFF -DPOOLSCOPE_BUILD_BENCH=OFF -DPOOLSCOPE_BUILD_EXAMPLES=OFF \
    -DPOOLSCOPE_BUILD_PACKAGING=OFF >/dev/null
nice cmake --build "$dir" --parallel 2 --target fuzzers >/dev/null

# harness:the source it is about
subjects=(
    wire_parent:poolcore/src/protocol/wire_protocol.cpp
    wire_worker:poolcore/src/protocol/wire_protocol.cpp
    command_line:app/command_line.cpp
    forkserver_protocol:poolcore/src/platform/posix/forkserver_protocol.h
)
printf '%-22s %8s %s\n' harness inputs "lines covered (llvm-cov) of its subject"
for entry in "${subjects[@]}"; do
    name=${entry%%:*} subject=${entry#*:}
    fuzzer=$dir/fuzz/fuzz_$name
    profiles=$dir/coverage/$name
    rm -rf "$profiles" && mkdir -p "$profiles"
    corpora=("$here/fuzz/corpus/$name")
    [ -d "$runs/$name/corpus" ] && corpora+=("$runs/$name/corpus")
    inputs=$(find "${corpora[@]}" -type f | wc -l)
    LLVM_PROFILE_FILE="$profiles/%p.profraw" ASAN_OPTIONS=detect_leaks=0 \
        "$fuzzer" -runs=0 "${corpora[@]}" >"$profiles/run.log" 2>&1
    llvm-profdata-14 merge -sparse "$profiles"/*.profraw -o "$profiles/merged.profdata"
    read -r covered lines percent < <(llvm-cov-14 export -summary-only "$fuzzer" \
        -instr-profile="$profiles/merged.profdata" "$here/$subject" |
        /usr/bin/python3 -c 'import json, sys
t = json.load(sys.stdin)["data"][0]["totals"]["lines"]
print(t["covered"], t["count"], "%.1f" % t["percent"])')
    printf '%-22s %8s %s of %s (%s %%) in %s\n' "$name" "$inputs" "$covered" "$lines" "$percent" \
        "$subject"
done
