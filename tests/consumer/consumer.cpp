// SPDX-License-Identifier: MIT
// An embedder outside Poolscope's tree, built only from an installed poolcore: its own task,
// 100 jobs on each start method, and a non-zero exit unless every job succeeded.
#include <chrono>
#include <cstdio>
#include <poolcore/task_pool.h>
#include <poolcore/task_registry.h>
#include <poolcore/version.h>
#include <poolcore/worker_entry.h>
#include <string>

static_assert(POOLCORE_VERSION_MAJOR == 0 && POOLCORE_VERSION_MINOR >= 2,
              "built against the poolcore it asked find_package/pkg-config for");

namespace {

constexpr int kJobs = 100;

int run_jobs(poolcore::StartMethod method) {
    poolcore::PoolOptions options;
    options.processes = 2;
    options.start_method = method;
    poolcore::TaskPool pool(options);
    pool.on_start();
    if (!pool.did_start_ok()) {
        std::fprintf(stderr, "%s: the pool did not start\n",
                     std::string(poolcore::to_string(method)).c_str());
        return 0;
    }
    int succeeded = 0, finished = 0;
    for (int i = 0; i < kJobs; ++i) {
        const std::string payload(std::size_t(i % 7), 'x');
        poolcore::JobCallbacks callbacks;
        // Success means this task's own answer for this job's payload, not just any result.
        callbacks.on_success = [&, expected = "consumed " + std::to_string(payload.size())](
                                   const poolcore::JobResult& r) {
            succeeded += r.value == expected ? 1 : 0;
            ++finished;
        };
        callbacks.on_error = [&](const poolcore::JobResult& r) {
            std::fprintf(stderr, "job failed: %s\n", r.value.c_str());
            ++finished;
        };
        pool.apply_async(poolcore::TaskCall{.task = "consumer_task", .payload = payload},
                         callbacks);
    }
    pool.wait_until([&] { return finished == kJobs; }, std::chrono::seconds(120));
    pool.on_stop();
    return succeeded;
}

} // namespace

int main(int argc, char** argv) {
    poolcore::TaskRegistry::global().add(
        {"consumer_task", "", "The consumer's own task"}, [](const poolcore::TaskContext& ctx) {
            return "consumed " + std::to_string(ctx.payload().size());
        });
    poolcore::run_worker_if_requested(argc, argv); // spawn starts workers as this program

    std::printf("poolcore %s\n", POOLCORE_VERSION_STRING);
    bool all = true;
    for (auto method : {poolcore::StartMethod::Fork, poolcore::StartMethod::Forkserver,
                        poolcore::StartMethod::Spawn}) {
        const int succeeded = run_jobs(method);
        std::printf("%s: %d/%d succeeded\n", std::string(poolcore::to_string(method)).c_str(),
                    succeeded, kJobs);
        all = all && succeeded == kJobs;
    }
    return all ? 0 : 1;
}
