// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// The one seam between the scheduler and the operating system: starting a worker, watching it
// exit, signalling it, reaping it and reading its memory. The fork launcher lives in
// posix_process.cpp; forkserver, spawn and a Windows backend implement the same interface.

#include "poolcore/event_loop.h"
#include "poolcore/unique_fd.h"

#include <cstdint>
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

    // Starts one worker whose only inherited descriptor (besides stdio) is its channel end.
    // Throws std::system_error when the OS refuses.
    virtual LaunchedWorker launch(const WorkerSettings& settings) = 0;

    // Collects the exit status once the exit fd has fired.
    virtual ExitStatus reap(pid_t pid) = 0;

    // Delivers `signal`; `job_tag` rides along where the platform can carry it (sigqueue) so a
    // worker can ignore a soft-limit signal aimed at a job it has already finished.
    virtual bool send_signal(pid_t pid, int signal, std::uint32_t job_tag = 0) = 0;

    // Resident memory now (not the peak), in KiB; 0 if unknown.
    virtual std::uint64_t resident_kib(pid_t pid) = 0;
};

std::unique_ptr<ProcessLauncher> make_fork_launcher();

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
