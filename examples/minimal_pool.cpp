// SPDX-License-Identifier: MIT
// The smallest whole program around poolcore: register a task, start a pool of worker
// processes, hand it jobs, wait for every outcome, stop gracefully.
//
// Prints one line per job ("job 'pool' -> 4") and then "10 of 10 jobs succeeded".
#include "poolcore/task_pool.h"
#include "poolcore/task_registry.h"
#include "poolcore/worker_entry.h"

#include <chrono>
#include <cstdio>
#include <string>

// [snippet:minimal]
// A task is a function from bytes to bytes: the payload's format is yours to choose.
std::string count_letters(const poolcore::TaskContext& ctx) {
    ctx.check_soft_time_limit(); // throws SoftTimeLimitExceeded once the soft limit has struck
    return std::to_string(ctx.payload().size());
}

int main(int argc, char** argv) {
    // Register before the pool starts: a worker knows the tasks its parent knew at the time.
    poolcore::TaskRegistry::global().add({"count_letters", "", "Counts the payload's bytes"},
                                         count_letters);
    // A spawned worker is a fresh copy of this program, and this is where it turns into one.
    poolcore::run_worker_if_requested(argc, argv);

    poolcore::PoolOptions options;
    options.processes = 2;
    options.time_limit = poolcore::Seconds(30); // a job still running then is killed
    poolcore::TaskPool pool(options);
    pool.on_start(); // did_start_ok() answers at once afterwards
    if (!pool.did_start_ok()) {
        std::fprintf(stderr, "the pool did not start\n");
        return 1;
    }

    const char* words[] = {"a",    "pool", "of",  "worker", "processes",
                           "runs", "each", "job", "in",     "turn"};
    int succeeded = 0, finished = 0;
    for (const char* word : words) {
        poolcore::JobCallbacks callbacks;
        // Callbacks run on the thread that drives the pool: here, inside wait_until() below.
        callbacks.on_success = [&, word](const poolcore::JobResult& r) {
            std::printf("job '%s' -> %s\n", word, r.value.c_str());
            ++succeeded, ++finished;
        };
        callbacks.on_error = [&](const poolcore::JobResult& r) {
            std::printf("job failed (%s): %s\n",
                        std::string(poolcore::to_string(r.outcome)).c_str(), r.value.c_str());
            ++finished;
        };
        pool.apply_async(poolcore::TaskCall{.task = "count_letters", .payload = word}, callbacks);
    }
    pool.wait_until([&] { return finished == 10; }, std::chrono::seconds(60));
    pool.on_stop(); // graceful: every queued job finishes first, then the workers exit
    std::printf("%d of %d jobs succeeded\n", succeeded, finished);
    return succeeded == 10 ? 0 : 1;
}
// [/snippet]
