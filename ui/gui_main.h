// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "poolcore/options.h"

namespace poolscope {

// Runs the desktop application: opens the main window and starts an embedded pool with the
// saved settings, over which the pool options given on the command line (`defaults`) win.
// Returns the process exit code.
int run_gui(int argc, char** argv, const poolcore::PoolOptions& defaults);

} // namespace poolscope
