// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// The one seam between the scheduler and the operating system: starting a worker, watching it
// exit, signalling it, reaping it and reading its memory. One implementation per start method
// (platform/posix/: fork_launcher.cpp, forkserver_launcher.cpp, spawn_launcher.cpp); a Windows backend
// implements the same interface, and engine/launcher_factory.cpp picks one.

#include "poolcore/observer.h"
#include "poolcore/unique_fd.h"
#include "worker/worker_settings.h"

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <sys/types.h>

namespace poolcore {

struct LaunchedWorker {
    pid_t pid = 0;
    UniqueFd channel; // the parent's end: non-blocking, close-on-exec
    UniqueFd exit_fd; // becomes readable once the process has exited
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

} // namespace poolcore
