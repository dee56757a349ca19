// SPDX-License-Identifier: MIT
#pragma once

// The Windows start method. engine/launcher_factory.cpp picks it; fork and forkserver do not
// exist on Windows and are refused there.

#include "platform/process_launcher.h"

#include <memory>
#include <string>

namespace poolcore {

// CreateProcessW() of `program` (empty: this program), entered through
// run_worker_if_requested() (win_launcher.cpp).
std::unique_ptr<ProcessLauncher> make_windows_launcher(std::string program = {});

} // namespace poolcore
