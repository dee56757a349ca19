// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>

namespace poolcore {

// What a worker is told when it starts: by the fork launchers in memory, by the spawn launcher
// on its command line (see platform/entry_flags.h), by the forkserver in its request.
struct WorkerSettings {
    std::size_t max_frame = 0;
    // Measure private memory after each job (costs a read of smaps_rollup): on when a memory
    // limit is set.
    bool measure_private_memory = false;
    // Windows: the control channel soft-limit frames arrive on (there is no SIGUSR1); -1 on POSIX.
    int control_fd = -1;
    // The slot the worker fills, for its process title (platform/process_title.h); -1 untold.
    int slot = -1;
};

} // namespace poolcore
