// SPDX-License-Identifier: MIT
#pragma once

#include "worker/worker_settings.h"

namespace poolcore {

// The worker's side: announces itself, then reads jobs from `channel_fd`, acknowledges each,
// runs it through the task registry and sends the result back. Returns never: the worker
// _exit()s with 0 when the parent closes the channel, skipping the destructors of state it
// inherited from the parent.
[[noreturn]] void run_worker(int channel_fd, const WorkerSettings& settings);

} // namespace poolcore
