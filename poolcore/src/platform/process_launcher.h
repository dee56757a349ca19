// SPDX-License-Identifier: MIT
#pragma once

// The one seam between the scheduler and the operating system: starting a worker, watching it
// exit, limiting, terminating and killing it, reaping it and reading its memory. One implementation
// per start method (platform/posix/: fork_launcher.cpp, forkserver_launcher.cpp,
// spawn_launcher.cpp); a Windows backend implements the same interface, and
// engine/launcher_factory.cpp picks one.

#include "poolcore/observer.h"
#include "poolcore/unique_fd.h"
#include "worker/worker_settings.h"

#include <chrono>
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

// How many workers the OS lets this process run beside what it holds already (POSIX: within
// its descriptor limit), against how many the pool wants.
struct Capacity {
    int fits = 0;
    std::string shortfall; // empty when every worker asked for fits; else why not, and the maximum
};

class ProcessLauncher {
public:
    virtual ~ProcessLauncher() = default;
    virtual std::string_view name() const = 0;

    // Why launch() would be refused right now ("fork in a process that runs 5 threads ..."),
    // empty when it would not: lets the pool refuse to start with a clear error instead of
    // retrying something that cannot work.
    virtual std::string refusal() const { return {}; }

    // Whether `processes` workers fit in what the OS allows this process now. The pool refuses
    // to start when none fits and warns when only some do: those still run every job, and a
    // limit can be raised while the pool runs.
    virtual Capacity capacity_for(int processes) const { return Capacity{processes, {}}; }

    // Starts one worker whose only inherited descriptor (besides stdio) is its channel end.
    // Throws std::system_error when the OS refuses, std::runtime_error when it is not safe.
    virtual LaunchedWorker launch(const WorkerSettings& settings) = 0;

    // How often the pool should ask has_exited() about each worker, for an exit watch that a
    // worker's own children can hide (a death pipe whose write end they inherit); zero where the
    // exit watch sees every exit by itself.
    virtual std::chrono::milliseconds exit_check_period() const { return {}; }
    // Whether `pid` has exited, without reaping it: reap() still collects its status.
    virtual bool has_exited(pid_t) { return false; }

    // Collects the exit status once `exit_fd` (the worker's LaunchedWorker::exit_fd) has fired,
    // or after the pool killed the worker; may wait a moment for it, never indefinitely.
    virtual ExitStatus reap(pid_t pid, int exit_fd) = 0;

    // What the pool does to a worker, as verbs rather than signals; each is false when the
    // worker is gone. soft_limit() tells the worker that job `job_tag` ran out of time (POSIX:
    // SIGUSR1 carrying the tag, so a worker can ignore one aimed at a job it has already
    // finished); terminate() asks it to exit (SIGTERM); kill() ends it at once (SIGKILL).
    virtual bool soft_limit(pid_t pid, std::uint32_t job_tag) = 0;
    virtual bool terminate(pid_t pid) = 0;
    virtual bool kill(pid_t pid) = 0;
    // A signal the pool's user chose (Pool::terminate_job, Pool::kill_worker): POSIX only. A
    // backend without signals maps SIGTERM and SIGKILL to terminate() and kill() and refuses any
    // other (false).
    virtual bool deliver(pid_t pid, int signal) = 0;

    // Resident memory now (not the peak), in KiB; 0 if unknown.
    virtual std::uint64_t resident_kib(pid_t pid) = 0;
    // CPU time (user + system) the process has used so far, seconds; negative if unknown (a
    // backend with no way to ask keeps this default).
    virtual double cpu_seconds(pid_t pid) {
        (void)pid;
        return -1;
    }

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
