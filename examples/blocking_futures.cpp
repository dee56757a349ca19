// SPDX-License-Identifier: MIT
// BlockingPool: the pool on a thread of its own, for a program that has no event loop and wants
// to wait for results where it needs them. apply_async() returns a std::future; submit() takes
// callbacks instead and never waits. Every method may be called from any thread.
//
// Prints "sum of squares 1..20 = 2870" and "submitted 20, all succeeded".
#include "poolcore/blocking_pool.h"
#include "poolcore/forkserver.h"
#include "poolcore/task_registry.h"
#include "poolcore/worker_entry.h"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <future>
#include <string>
#include <vector>

namespace {
void register_square() {
    poolcore::TaskRegistry::global().add(
        {"square", "N", "Squares its argument"}, [](const poolcore::TaskContext& ctx) {
            const long long n = std::stoll(std::string(ctx.argument())); // throws: TaskError
            return std::to_string(n * n);
        });
}
} // namespace

// [snippet:entry]
int main(int argc, char** argv) {
    register_square();                               // tasks registered here exist in every worker
    poolcore::run_worker_if_requested(argc, argv);   // never returns in a spawned process
    auto forkserver = poolcore::ForkServer::start(); // before any thread: by fork, cheap

    poolcore::PoolOptions options;
    options.start_method = poolcore::StartMethod::Forkserver; // BlockingPool's default anyway
    options.forkserver = forkserver;                          // shared by every pool of the program
    // [/snippet]
    options.processes = 2;
    // [snippet:blocking]
    poolcore::BlockingPool pool(options);
    pool.start(); // waits, at most the alive timeout, until every worker is up
    if (!pool.did_start_ok())
        return 1;

    // apply_async: one future per job. With `putlocks` on (the default) it waits while every
    // worker already has a job, so a producer cannot run ahead of the pool without bound.
    std::vector<std::future<poolcore::JobResult>> results;
    for (int n = 1; n <= 20; ++n)
        results.push_back(
            pool.apply_async(poolcore::TaskCall{.task = "square", .argument = std::to_string(n)}));
    long long sum = 0;
    for (auto& result : results) {
        const poolcore::JobResult r = result.get(); // every job ends in exactly one outcome
        if (r.ok())
            sum += std::stoll(r.value);
    }
    std::printf("sum of squares 1..20 = %lld\n", sum);
    // [/snippet]

    // submit: callbacks, run on the pool's thread; it returns at once however busy the pool is.
    std::atomic<int> succeeded{0}, finished{0};
    poolcore::JobCallbacks callbacks;
    callbacks.on_success = [&](const poolcore::JobResult&) { ++succeeded, ++finished; };
    callbacks.on_error = [&](const poolcore::JobResult&) { ++finished; };
    for (int n = 1; n <= 20; ++n)
        pool.submit(poolcore::TaskCall{.task = "square", .argument = std::to_string(n)}, callbacks);
    pool.stop(std::chrono::seconds(60)); // graceful: returns once all 20 have finished
    std::printf("submitted 20, %s\n", succeeded == 20 ? "all succeeded" : "some failed");
    return sum == 2870 && succeeded == 20 && finished == 20 ? 0 : 1;
}
