// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "poolcore/options.h"

#include <QString>
#include <functional>
#include <string>

namespace poolscope {

// Puts the pool options given on the command line over the saved ones (CommandLine::overlay).
using PoolOptionsOverlay = std::function<poolcore::PoolOptions(const poolcore::PoolOptions& saved)>;

// Runs the desktop application: opens the main window and starts an embedded pool with the
// saved settings, put through `overlay` so that the options given on the command line win.
// With `celery_url` it watches that Celery cluster instead (File › Connect to Celery…), its keys
// and channels named with kombu's `celery_keyprefix` (global_keyprefix); with `attach_socket`, it
// attaches to the pool served there and starts none.
// Returns the process exit code.
int run_gui(int argc, char** argv, const PoolOptionsOverlay& overlay,
            const std::string& celery_url = {}, const QString& attach_socket = {},
            const std::string& celery_keyprefix = {});

} // namespace poolscope
