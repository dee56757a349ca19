// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "poolcore/job.h"

#include <string>
#include <string_view>
#include <sys/types.h>

namespace poolcore {

// How a worker process ended.
struct ExitStatus {
    bool known = true;     // false when someone else reaped the process
    bool signaled = false; // killed by `code` as a signal; otherwise exited with `code`
    int code = 0;

    bool clean() const { return known && !signaled && code == 0; }
    // "exitcode 1", "signal 9 (SIGKILL)", as Celery words it.
    std::string describe() const;
};

// "SIGKILL" for 9; "SIG?" for a number it does not know.
std::string_view signal_name(int signal);
// "9", "KILL" or "SIGKILL" -> 9; 0 when the text names no signal.
int parse_signal(std::string_view text);

enum class PoolState { Init, Run, Close, Terminate, Stopped };
std::string_view to_string(PoolState s);

// Why a worker left the pool.
enum class ExitReason {
    Died,      // unexpected: signal, exit code, OOM kill
    Recycled,  // max tasks or max memory per child
    Retired,   // restart, shrink or stop
    TimeLimit, // killed by the hard time limit
    Killed,    // killed on request, or for a protocol error or a missed start-up
};
std::string_view to_string(ExitReason r);

enum class Severity { Info, Warning, Error };

// Everything the pool does, as it happens, on the thread that drives it. All methods have empty
// defaults; override what you need. Keep them cheap: they run inside the dispatch loop.
class PoolObserver {
public:
    virtual ~PoolObserver() = default;
    virtual void on_worker_up(int /*slot*/, pid_t /*pid*/) {}
    // `fault`: why the pool killed it (a protocol error, a missed start-up), empty otherwise.
    // A crash is reported here only, not also as a message.
    virtual void on_worker_exit(int /*slot*/, pid_t /*pid*/, const ExitStatus& /*status*/,
                                ExitReason /*reason*/, const std::string& /*fault*/) {}
    virtual void on_job_accepted(JobId /*id*/, pid_t /*pid*/) {}
    virtual void on_job_finished(const JobResult& /*result*/) {}
    virtual void on_write(int /*slot*/) {}
    virtual void on_state_changed(PoolState /*state*/) {}
    virtual void on_message(Severity /*severity*/, const std::string& /*text*/) {}
};

} // namespace poolcore
