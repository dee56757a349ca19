// SPDX-License-Identifier: MIT
#pragma once

// The contract between a launcher that starts a fresh image of a program and the program's
// run_worker_if_requested(): the flags on its command line and the descriptor its channel
// arrives on. Both sides include this; neither includes the other.
//
//     program --poolcore-worker PARENT_PID MAX_FRAME MEASURE_PRIVATE SLOT
//     program --poolcore-forkserver PARENT_PID

namespace poolcore {

namespace entry {
inline constexpr const char* kWorkerFlag = "--poolcore-worker";
inline constexpr const char* kForkServerFlag = "--poolcore-forkserver";
} // namespace entry

// The descriptor a worker (or a forkserver) finds its channel on.
inline constexpr int kWorkerChannelFd = 3;

// Whether this program called run_worker_if_requested(): a spawn of this program without it
// would start a second copy of the program instead of a worker, so spawning refuses.
bool worker_entry_installed();
// Recorded by run_worker_if_requested().
void mark_worker_entry_installed();

} // namespace poolcore
