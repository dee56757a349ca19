// SPDX-License-Identifier: MIT
#pragma once

#include "platform/process_launcher.h"

#include <memory>

namespace poolcore {

struct PoolOptions;

// The launcher `options` ask for (effective_start_method()), starting a forkserver if the
// options name none. Throws PoolError when that cannot be done safely. The one place that knows
// every start method: a backend for another OS registers its launchers here.
std::unique_ptr<ProcessLauncher> make_launcher(const PoolOptions& options);

} // namespace poolcore
