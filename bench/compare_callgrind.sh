#!/usr/bin/env bash
# Instructions the parent spends per no-op job, two trees side by side: callgrind's count for
# 40,000 jobs minus that for 20,000, over 20,000, so start-up cancels (the event-loop Pool on the
# poll loop, 2 forked workers). Repetitions alternate the trees; callgrind counts instructions,
# so a loaded machine does not move them, though batching can by a few per cent.
#
#   bash bench/compare_callgrind.sh BEFORE_BUILD AFTER_BUILD [REPS]   (Release builds)
#   POOL=async-qt bash bench/compare_callgrind.sh ...   the same Pool on the Qt loop instead
set -euo pipefail
before=$1
after=$2
reps=${3:-3}

per_job() { # build strategy
    local tmp counts=()
    tmp=$(mktemp -d)
    for count in 20000 40000; do
        valgrind --tool=callgrind --callgrind-out-file="$tmp/cg.$count.%p" \
            "$1/bench/poolbench" throughput --pool "${POOL:-async}" --processes 2 --strategy "$2" \
            --count "$count" --start-method fork >/dev/null 2>&1
        # The parent has the lowest pid of the run's output files.
        local parent
        parent=$(ls "$tmp"/cg."$count".* | sort -t. -k3 -n | head -n 1)
        counts+=("$(grep -m1 -E '^(summary|totals):' "$parent" | awk '{print $2}')")
    done
    rm -rf "$tmp"
    echo $(((counts[1] - counts[0]) / 20000))
}

echo "| repetition | strategy | before | after |"
echo "|---:|---|---:|---:|"
for rep in $(seq "$reps"); do
    for strategy in fair fcfs; do
        echo "| $rep | $strategy | $(per_job "$before" "$strategy") | $(per_job "$after" "$strategy") |"
    done
done
