// SPDX-License-Identifier: MIT
// poolscope-worker: what the spawn start method starts each worker as. It holds poolcore's
// worker and the built-in tasks and nothing of Qt, so a spawned worker loads and maps a fraction
// of what a copy of the desktop app would.
#include "poolcore/worker_entry.h"

#include <cstdio>

int main(int argc, char** argv) {
    poolcore::run_worker_if_requested(argc, argv); // never returns in a worker
    std::fputs("poolscope-worker: runs the workers of a Poolscope pool started with the spawn "
               "method; it is started by the pool, not by hand\n",
               stderr);
    return 2;
}
