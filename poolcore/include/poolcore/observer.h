// SPDX-License-Identifier: MIT
#pragma once

#include "poolcore/job.h"

#include <string>
#include <string_view>
#include <sys/types.h>

namespace poolcore {

/// How a worker process ended.
struct ExitStatus {
    bool known = true;     ///< false when someone else reaped the process
    bool signaled = false; ///< killed by `code` as a signal; otherwise exited with `code`
    int code = 0;          ///< the exit code, or the signal number when `signaled`

    /// Exited by itself with code 0.
    bool clean() const { return known && !signaled && code == 0; }
    /// "exitcode 1", "signal 9 (SIGKILL)", as Celery words it.
    std::string describe() const;
};

/// "SIGKILL" for 9; "SIG?" for a number it does not know.
std::string_view signal_name(int signal);
/// "9", "KILL" or "SIGKILL" -> 9; 0 when the text names no signal.
int parse_signal(std::string_view text);

/// A pool's life, as Celery names it: INIT (built), RUN (started, accepting jobs), CLOSE (no new
/// jobs; queued ones go on), TERMINATE (being forced down), STOPPED (no worker left; start()
/// may run it again).
enum class PoolState { Init, Run, Close, Terminate, Stopped };
/// "INIT", "RUN", "CLOSE", "TERMINATE" or "STOPPED".
std::string_view to_string(PoolState s);

/// Why a worker left the pool.
enum class ExitReason {
    Died,      ///< unexpected: signal, exit code, OOM kill
    Recycled,  ///< max tasks or max memory per child
    Retired,   ///< restart, shrink or stop
    TimeLimit, ///< killed by the hard time limit
    Killed,    ///< killed on request, or for a protocol error or a missed start-up
};
/// "died", "recycled", "retired", "time-limit" or "killed".
std::string_view to_string(ExitReason r);

/// How much a PoolObserver::on_message() matters.
enum class Severity { Info, Warning, Error };

/// Everything the pool does, as it happens, on the thread that drives it. All methods have empty
/// defaults; override what you need. Keep them cheap: they run inside the dispatch loop.
class PoolObserver {
public:
    virtual ~PoolObserver() = default;
    /// The worker `pid` in `slot` said it is up and can take jobs.
    virtual void on_worker_up(int /*slot*/, pid_t /*pid*/) {}
    /// The worker `pid` left `slot`: how it ended, why, and
    /// `fault`: why the pool killed it (a protocol error, a missed start-up), empty otherwise.
    /// A crash is reported here only, not also as a message.
    virtual void on_worker_exit(int /*slot*/, pid_t /*pid*/, const ExitStatus& /*status*/,
                                ExitReason /*reason*/, const std::string& /*fault*/) {}
    /// The worker `pid` acknowledged job `id` and runs it now.
    virtual void on_job_accepted(JobId /*id*/, pid_t /*pid*/) {}
    /// Job `result.id` ended, with any outcome; after its own callbacks.
    virtual void on_job_finished(const JobResult& /*result*/) {}
    /// A job frame was fully written to the worker in `slot` (what write_stats() counts).
    virtual void on_write(int /*slot*/) {}
    /// The pool moved to `state`.
    virtual void on_state_changed(PoolState /*state*/) {}
    /// Something the pool has to say, in words meant for the user: a refusal it could not throw,
    /// a time limit that struck, replacement pausing for a crash loop.
    virtual void on_message(Severity /*severity*/, const std::string& /*text*/) {}
};

} // namespace poolcore
