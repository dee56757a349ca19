// SPDX-License-Identifier: MIT
#include "engine/launcher_factory.h"

#include "platform/posix/launchers.h"
#include "poolcore/forkserver.h"
#include "poolcore/options.h"

namespace poolcore {

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

} // namespace poolcore
