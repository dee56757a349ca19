// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// The one seam between the scheduler and the operating system: starting a worker, watching it
// exit, signalling it, reaping it and reading its memory. One implementation per start method
// (fork_launcher.cpp, forkserver.cpp, spawn_launcher.cpp); a Windows backend implements the
// same interface.

#include "poolcore/event_loop.h"
#include "poolcore/options.h"
#include "poolcore/unique_fd.h"

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <sys/types.h>

namespace poolcore {

struct ExitStatus {
    bool known = true;     // false when someone else reaped the process
    bool signaled = false; // killed by `code` as a signal; otherwise exited with `code`
    int code = 0;

    bool clean() const { return known && !signaled && code == 0; }
    // "exitcode 1", "signal 9 (SIGKILL)", as Celery words it.
    std::string describe() const;
};

struct LaunchedWorker {
    pid_t pid = 0;
    UniqueFd channel; // the parent's end: non-blocking, close-on-exec
    UniqueFd exit_fd; // becomes readable once the process has exited
};

struct WorkerSettings {
    std::size_t max_frame = 0;
    // Measure private memory after each job (costs a read of smaps_rollup): on when a memory
    // limit is set.
    bool measure_private_memory = false;
};

class ProcessLauncher {
public:
    virtual ~ProcessLauncher() = default;
    virtual std::string_view name() const = 0;

    // Why launch() would be refused right now ("fork in a process that runs 5 threads ..."),
    // empty when it would not: lets the pool refuse to start with a clear error instead of
    // retrying something that cannot work.
    virtual std::string refusal() const { return {}; }

    // Starts one worker whose only inherited descriptor (besides stdio) is its channel end.
    // Throws std::system_error when the OS refuses, std::runtime_error when it is not safe.
    virtual LaunchedWorker launch(const WorkerSettings& settings) = 0;

    // Collects the exit status once `exit_fd` (the worker's LaunchedWorker::exit_fd) has fired,
    // or after the pool killed the worker; may wait a moment for it, never indefinitely.
    virtual ExitStatus reap(pid_t pid, int exit_fd) = 0;

    // Delivers `signal`; `job_tag` rides along where the platform can carry it (sigqueue) so a
    // worker can ignore a soft-limit signal aimed at a job it has already finished.
    virtual bool send_signal(pid_t pid, int signal, std::uint32_t job_tag = 0) = 0;

    // Resident memory now (not the peak), in KiB; 0 if unknown.
    virtual std::uint64_t resident_kib(pid_t pid) = 0;

    // Where a launcher reports what the pool's user should hear of (a forkserver that died and
    // was replaced). The pool routes it to its observers.
    void set_notice_handler(std::function<void(const std::string&)> handler) {
        notice_ = std::move(handler);
    }

protected:
    void notice(const std::string& text) const {
        if (notice_)
            notice_(text);
    }

private:
    std::function<void(const std::string&)> notice_;
};

// fork(): refuses while the process runs other threads, unless `allow_with_threads`.
std::unique_ptr<ProcessLauncher> make_fork_launcher(bool allow_with_threads = false);
// posix_spawn() of `program` (empty: this program), entered through run_worker_if_requested().
std::unique_ptr<ProcessLauncher> make_spawn_launcher(std::string program = {});
// Workers forked by `server`; if it dies, the launcher says so and starts a new one.
std::unique_ptr<ProcessLauncher> make_forkserver_launcher(std::shared_ptr<ForkServer> server);
// The launcher `options` ask for (effective_start_method()), starting a forkserver if the
// options name none. Throws PoolError when that cannot be done safely.
std::unique_ptr<ProcessLauncher> make_launcher(const PoolOptions& options);

// Resident memory of the calling process, in KiB.
std::uint64_t current_resident_kib();
// Memory only the calling process holds (private clean + dirty pages: what it would free by
// exiting), in KiB; pages still shared copy-on-write with the parent after fork do not count.
// Falls back to resident memory where the platform cannot tell.
std::uint64_t current_private_kib();

// "SIGKILL" for 9; "SIG?" for a number it does not know.
std::string_view signal_name(int signal);
// "9", "KILL" or "SIGKILL" -> 9; 0 when the text names no signal.
int parse_signal(std::string_view text);

// The descriptor a worker finds its channel on.
inline constexpr int kWorkerChannelFd = 3;

} // namespace poolcore
