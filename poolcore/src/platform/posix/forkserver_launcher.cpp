// SPDX-License-Identifier: MIT
// The forkserver start method, as the pool sees it: workers come from a ForkServer.
#include "platform/posix/forkserver_client.h"
#include "platform/posix/launchers.h"
#include "platform/posix/posix_process.h"
#include "poolcore/forkserver.h"

namespace poolcore {

using namespace std::chrono_literals;

namespace {

class ForkServerLauncher final : public posix::PosixLauncher {
public:
    explicit ForkServerLauncher(std::shared_ptr<ForkServer> server) : server_(std::move(server)) {}

    std::string_view name() const override { return "forkserver"; }

    LaunchedWorker launch(const WorkerSettings& settings) override {
        return server_->client().launch(settings,
                                        [this](const std::string& text) { notice(text); });
    }

    ExitStatus reap(pid_t, int exit_fd) override {
        return posix::ForkServerClient::read_exit_status(exit_fd, 2s);
    }

private:
    std::shared_ptr<ForkServer> server_;
};

} // namespace

std::unique_ptr<ProcessLauncher> make_forkserver_launcher(std::shared_ptr<ForkServer> server) {
    return std::make_unique<ForkServerLauncher>(std::move(server));
}

} // namespace poolcore
