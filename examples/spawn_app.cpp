// SPDX-License-Identifier: MIT
// The spawn start method with a dedicated worker program. spawn starts every worker as a new
// process image (posix_spawn), so nothing of the parent's state, threads or locks is inherited:
// safe in any program. Here the workers run as example_spawn_worker, installed beside this
// program, rather than as copies of this program.
//
// Prints "HELLO FROM A SPAWNED WORKER (pid N)" lines and "3 of 3 jobs succeeded on spawn".
#include "poolcore/task_pool.h"
#include "poolcore/worker_entry.h"
#include "spawn_tasks.h"

#include <chrono>
#include <cstdio>
#include <string>

int main(int argc, char** argv) {
    register_example_tasks();
    poolcore::run_worker_if_requested(argc, argv);

    // [snippet:spawn-app]
    // The worker program beside this one. worker_program_problem() says why it cannot be used
    // (missing, not executable) before the pool tries to start it.
    const std::string self = poolcore::this_program_file();
    const std::string worker = self.substr(0, self.rfind('/') + 1) + "example_spawn_worker";
    if (const std::string problem = poolcore::worker_program_problem(worker); !problem.empty()) {
        std::fprintf(stderr, "%s\n", problem.c_str());
        return 1;
    }
    poolcore::PoolOptions options;
    options.processes = 2;
    options.start_method = poolcore::StartMethod::Spawn;
    options.worker_program = worker;
    // [/snippet]
    poolcore::TaskPool pool(options);
    pool.on_start();
    if (!pool.did_start_ok()) {
        std::fprintf(stderr, "the pool did not start\n");
        return 1;
    }

    int succeeded = 0, finished = 0;
    poolcore::JobCallbacks callbacks;
    callbacks.on_success = [&](const poolcore::JobResult& r) {
        std::printf("%s (pid %d)\n", r.value.c_str(), int(r.pid));
        ++succeeded, ++finished;
    };
    callbacks.on_error = [&](const poolcore::JobResult& r) {
        std::printf("failed: %s\n", r.value.c_str());
        ++finished;
    };
    for (int i = 0; i < 3; ++i)
        pool.apply_async(
            poolcore::TaskCall{.task = "shout", .payload = "hello from a spawned worker"},
            callbacks);
    pool.wait_until([&] { return finished == 3; }, std::chrono::seconds(60));
    pool.on_stop();
    std::printf("%d of 3 jobs succeeded on spawn\n", succeeded);
    return succeeded == 3 ? 0 : 1;
}
