// SPDX-License-Identifier: MIT
// The fork start method: the worker is a fork() of the pool's own process.
#include "platform/entry_flags.h"
#include "platform/posix/launchers.h"
#include "platform/posix/posix_process.h"
#include "worker/worker_main.h"

#include <cstdio>
#include <fcntl.h>
#include <stdexcept>
#include <unistd.h>

namespace poolcore {

namespace {

class ForkLauncher final : public posix::PosixLauncher {
public:
    explicit ForkLauncher(bool allow_with_threads) : allow_with_threads_(allow_with_threads) {}

    std::string_view name() const override { return "fork"; }

    std::string refusal() const override {
        if (allow_with_threads_)
            return {};
        const int threads = posix::running_thread_count();
        if (threads <= 1)
            return {};
        return "the fork start method is not safe here: this process runs " +
               std::to_string(threads) +
               " threads, and a forked worker can hang on a lock one of them held; use the "
               "forkserver or spawn start method (an embedder that knows every other thread to be "
               "harmless can set allow_fork_with_threads)";
    }

    LaunchedWorker launch(const WorkerSettings& settings) override {
        if (auto why = refusal(); !why.empty())
            throw std::runtime_error(why);
        auto [parent_end, child_end] = posix::make_socketpair();
        // Without pidfd, exit is seen as EOF on a pipe whose write end only the child holds.
        UniqueFd death_read, death_write;
        if (!posix::kernel_has_pidfd())
            std::tie(death_read, death_write) = posix::make_pipe();

        const pid_t parent = ::getpid();
        std::fflush(nullptr);
        const pid_t pid = ::fork();
        if (pid < 0)
            posix::throw_errno("fork");
        if (pid == 0)
            become_worker(parent, child_end.get(), death_write.get(), settings);

        child_end.reset();
        death_write.reset();
        return posix::adopt_child(pid, std::move(parent_end), std::move(death_read));
    }

private:
    [[noreturn]] static void become_worker(pid_t parent, int channel, int death_write,
                                           const WorkerSettings& settings) {
        posix::die_with_parent(parent);
        // The channel goes to 3 and the death pipe to 4, so that closing everything above
        // leaves the worker holding nothing of its siblings' or the parent's event loop. Both
        // are parked high first: either may sit where the other is going.
        channel = ::fcntl(channel, F_DUPFD, 64);
        death_write = death_write >= 0 ? ::fcntl(death_write, F_DUPFD, 64) : -1;
        if (channel < 0 || !posix::pin_descriptor(channel, kWorkerChannelFd))
            ::_exit(70);
        if (death_write >= 0 && !posix::pin_descriptor(death_write, kWorkerChannelFd + 1))
            ::_exit(70);
        posix::close_from(kWorkerChannelFd + (death_write >= 0 ? 2 : 1));
        run_worker(kWorkerChannelFd, settings);
    }

    bool allow_with_threads_;
};

} // namespace

std::unique_ptr<ProcessLauncher> make_fork_launcher(bool allow_with_threads) {
    return std::make_unique<ForkLauncher>(allow_with_threads);
}

} // namespace poolcore
