// SPDX-License-Identifier: MIT
#include "engine/launcher_factory.h"

#include "poolcore/forkserver.h"
#include "poolcore/options.h"
#ifdef _WIN32
#include "platform/win/win_launcher.h"
#else
#include "platform/posix/launchers.h"
#endif

namespace poolcore {

#ifdef _WIN32

std::unique_ptr<ProcessLauncher> make_launcher(const PoolOptions& options) {
    switch (options.effective_start_method()) {
    case StartMethod::Spawn:
        return make_windows_launcher(options.worker_program);
    case StartMethod::Fork:
    case StartMethod::Forkserver:
        throw PoolError("the " + std::string(to_string(options.effective_start_method())) +
                        " start method needs fork(), which Windows does not have: use spawn");
    }
    throw PoolError("unknown start method");
}

#else

std::unique_ptr<ProcessLauncher> make_launcher(const PoolOptions& options) {
    switch (options.effective_start_method()) {
    case StartMethod::Fork:
        return make_fork_launcher(options.allow_fork_with_threads);
    case StartMethod::Spawn:
        return make_spawn_launcher(options.worker_program);
    case StartMethod::Forkserver:
        if (options.forkserver)
            return make_forkserver_launcher(options.forkserver);
        try {
            return make_forkserver_launcher(ForkServer::start());
        } catch (const std::exception& e) {
            throw PoolError(std::string("could not start the forkserver: ") + e.what());
        }
    }
    throw PoolError("unknown start method");
}

#endif

} // namespace poolcore
