// SPDX-License-Identifier: MIT
// The worker program of the spawn example: what each worker of spawn_app is started as. It is
// small on purpose: a spawned worker is a fresh process image, and one that holds only the tasks
// starts faster and stays smaller than a copy of a large application.
#include "poolcore/worker_entry.h"
#include "spawn_tasks.h"

#include <cstdio>

// [snippet:spawn-worker]
int main(int argc, char** argv) {
    register_example_tasks();                      // the same tasks as the app
    poolcore::run_worker_if_requested(argc, argv); // never returns when started as a worker
    std::fputs("example_spawn_worker: started by a pool, not by hand\n", stderr);
    return 2;
}
// [/snippet]
