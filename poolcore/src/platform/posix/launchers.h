// SPDX-License-Identifier: MIT
#pragma once

// The POSIX start methods, one per file in this folder. engine/launcher_factory.cpp picks one.

#include "platform/process_launcher.h"

#include <memory>
#include <string>

namespace poolcore {

class ForkServer;

// fork(): refuses while the process runs other threads, unless `allow_with_threads`
// (fork_launcher.cpp).
std::unique_ptr<ProcessLauncher> make_fork_launcher(bool allow_with_threads = false);
// posix_spawn() of `program` (empty: this program), entered through run_worker_if_requested()
// (spawn_launcher.cpp).
std::unique_ptr<ProcessLauncher> make_spawn_launcher(std::string program = {});
// Workers forked by `server`; if it dies, the launcher says so and starts a new one
// (forkserver_launcher.cpp).
std::unique_ptr<ProcessLauncher> make_forkserver_launcher(std::shared_ptr<ForkServer> server);

} // namespace poolcore
