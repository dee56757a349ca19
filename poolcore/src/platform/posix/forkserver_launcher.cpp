// SPDX-License-Identifier: MIT
// The forkserver start method, as the pool sees it: workers come from a ForkServer.
#include "platform/posix/forkserver_client.h"
#include "platform/posix/launchers.h"
#include "platform/posix/posix_process.h"
#include "poolcore/forkserver.h"

#include <algorithm>
#include <climits>
#include <poll.h>
#include <unordered_map>

namespace poolcore {

using namespace std::chrono_literals;

namespace {

class ForkServerLauncher final : public posix::PosixLauncher {
public:
    explicit ForkServerLauncher(std::shared_ptr<ForkServer> server) : server_(std::move(server)) {}

    std::string_view name() const override { return "forkserver"; }

    LaunchedWorker launch(const WorkerSettings& settings) override {
        posix::ServedWorker served = server_->client().launch(settings, told());
        // The exit-status pipe tells only what the server relays, and a stopped server relays
        // nothing; a pidfd (the kernel allows one for any process) fires on the exit itself,
        // and so does, where there is none, the worker's own death pipe.
        UniqueFd exit_watch = served.death_read.valid() ? std::move(served.death_read)
                                                        : posix::open_pidfd(served.pid);
        LaunchedWorker worker = std::move(served);
        if (exit_watch.valid()) {
            status_pipes_[worker.pid] = std::move(worker.exit_fd);
            worker.exit_fd = std::move(exit_watch);
        }
        return worker;
    }

    // The workers are the server's children, not this process's: a death pipe their own
    // children hold is seen through by the status the server relays once it has reaped one.
    bool has_exited(pid_t pid) override {
        const auto it = status_pipes_.find(pid);
        if (it == status_pipes_.end())
            return false;
        pollfd p{it->second.get(), POLLIN, 0};
        return ::poll(&p, 1, 0) > 0;
    }

    ExitStatus reap(pid_t pid, int exit_fd) override {
        const auto it = status_pipes_.find(pid);
        if (it == status_pipes_.end()) // the status pipe is the exit watch itself
            return posix::ForkServerClient::read_exit_status(exit_fd, 2s);
        const UniqueFd status_pipe = std::move(it->second);
        status_pipes_.erase(it);
        return server_->client().exit_status_of(pid, status_pipe.get(), 2s, told());
    }

    // This process's limit, and the server's own (the same RLIMIT_NOFILE, inherited): it binds
    // first only at a limit of a few dozen.
    Capacity capacity_for(int processes) const override {
        Capacity ours = PosixLauncher::capacity_for(processes);
        const int limit = posix::descriptor_limit();
        if (limit == INT_MAX)
            return ours;
        // Stdio, its control socket and self-pipe; one exit-status pipe end per worker; a
        // socket pair and a pipe (and a death pipe where there is no pidfd) for a moment while
        // it starts one.
        constexpr int kServerHolds = 6, kServerPerWorker = 1;
        const int server_to_start = posix::kernel_has_pidfd() ? 4 : 6;
        const int server_fits =
            std::max(0, (limit - kServerHolds - server_to_start) / kServerPerWorker + 1);
        if (server_fits >= std::min(ours.fits, processes))
            return ours;
        std::string text = "RLIMIT_NOFILE allows the forkserver " + std::to_string(limit) +
                           " descriptors; it holds " + std::to_string(kServerHolds) + ", " +
                           std::to_string(kServerPerWorker) +
                           " per worker (its exit-status pipe) and starting one needs " +
                           std::to_string(server_to_start) + " more for a moment, so ";
        text += server_fits == 0 ? "no worker can start"
                                 : "only about " + std::to_string(server_fits) + " of the " +
                                       std::to_string(processes) + " processes asked for can run";
        text += "; raise the limit (ulimit -n) or ask for fewer processes";
        return Capacity{server_fits, text};
    }

private:
    // What the reply brings, and the pidfd: nothing else is opened here.
    int descriptors_per_worker() const override { return 3; }
    int descriptors_to_start() const override { return descriptors_per_worker(); }
    const char* descriptor_costs() const override {
        return posix::kernel_has_pidfd() ? "its channel, a pidfd and its exit-status pipe"
                                         : "its channel, its exit-status pipe and a death pipe";
    }

    std::function<void(const std::string&)> told() {
        return [this](const std::string& text) { notice(text); };
    }

    std::shared_ptr<ForkServer> server_;
    // By worker, where exit_fd is a pidfd or a death pipe.
    std::unordered_map<pid_t, UniqueFd> status_pipes_;
};

} // namespace

std::unique_ptr<ProcessLauncher> make_forkserver_launcher(std::shared_ptr<ForkServer> server) {
    return std::make_unique<ForkServerLauncher>(std::move(server));
}

} // namespace poolcore
