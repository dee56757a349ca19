// SPDX-License-Identifier: MIT
// poolscope-worker: what the spawn start method starts each worker as. It holds poolcore's
// worker and the built-in tasks and nothing of Qt, so a spawned worker loads and maps a fraction
// of what a copy of the desktop app would.
#include "poolcore/worker_entry.h"

#include <cstdio>
#include <cstring>

namespace {

// Shaped as help2man reads it (usage, description, options), since its man page is made from it.
constexpr const char* kHelp =
    "Usage: poolscope-worker --poolcore-worker PARENT_PID MAX_FRAME MEASURE_PRIVATE SLOT\n"
    "Run the workers of a Poolscope pool started with the spawn start method.\n"
    "\n"
    "A pool started with --start-method spawn starts each of its workers as this\n"
    "program, which holds poolcore's worker and the built-in tasks and nothing of Qt.\n"
    "The pool starts it with the arguments above and a channel on an inherited\n"
    "descriptor; it is not meant to be run by hand, and exits with status 2 when it is.\n"
    "\n"
    "Options:\n"
    "  -h, --help  Show this help.\n"
    "  --version   Show the version.\n";

} // namespace

int main(int argc, char** argv) {
    poolcore::run_worker_if_requested(argc, argv); // never returns in a worker
    if (argc == 2 && (std::strcmp(argv[1], "--help") == 0 || std::strcmp(argv[1], "-h") == 0)) {
        std::fputs(kHelp, stdout);
        return 0;
    }
    if (argc == 2 && std::strcmp(argv[1], "--version") == 0) {
        std::puts("poolscope-worker " POOLSCOPE_VERSION);
        return 0;
    }
    std::fputs("poolscope-worker: runs the workers of a Poolscope pool started with the spawn "
               "method; it is started by the pool, not by hand (see --help)\n",
               stderr);
    return 2;
}
