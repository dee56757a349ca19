// SPDX-License-Identifier: MIT
#pragma once

#include "poolcore/job.h"

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace poolcore {

/// Drives load into a pool through a bounded window: at most `window` jobs are outstanding, and
/// outcomes make room for more. So a run of any length, or a rate the pool cannot follow, costs
/// memory bounded by the window, never by the count. It submits through a function that must
/// not wait for the pool (Pool::apply_async, BlockingPool::submit), and it stops at the first
/// refusal, keeping its text.
///
/// Two paces: a total (a burst: as fast as the window allows until `total` jobs have gone), and
/// a budget granted from outside (rate mode: each grant() lets that many more jobs go; what the
/// window could not take is handed back by take_unused_budget(), so the owner can count it as
/// "behind" instead of flooding the pool later).
///
/// Threading: outcomes may arrive on the pool's thread while the owner grants, refills and reads
/// counters on its own. Every method is thread-safe. The per-job path is a few atomics; one
/// thread at a time submits, and a refill that finds another under way leaves the work to it
/// (so an outcome delivered inside the submit function does not recurse). Job callbacks share
/// the driver's counters and may outlive it: once it is stopped or destroyed they only count,
/// and the submit function is never called again.
class LoadDriver {
public:
    /// Submits one job, or throws (PoolError) to refuse it.
    using Submit = std::function<void(TaskCall, JobCallbacks)>;
    /// The call for the job with this index (0, 1, 2, ...).
    using MakeCall = std::function<TaskCall(long long index)>;

    /// How the driver paces its jobs.
    struct Settings {
        long long window = 1024;        ///< the most jobs outstanding at once (at least 1)
        std::optional<long long> total; ///< unset: no end but stop()
        bool budgeted = false;          ///< every job needs a granted unit of budget
        /// True: each outcome refills at once, on whichever thread delivers it, so the submit
        /// function must be callable there. False: only the owner's refill() and grant() submit.
        bool refill_on_outcome = true;
        /// Hears every outcome before it is counted, on the thread that delivers it.
        std::function<void(const JobResult&)> on_outcome;
    };

    /// A driver that has submitted nothing yet: refill() (or grant()) begins.
    LoadDriver(Submit submit, MakeCall make_call, Settings settings);
    /// Stops, and waits for a refill under way on another thread to put down the submit function.
    ~LoadDriver();
    LoadDriver(const LoadDriver&) = delete;
    LoadDriver& operator=(const LoadDriver&) = delete;

    /// Submits while the window, the total and the budget allow. Call it once to begin.
    void refill();
    /// Rate mode: lets `jobs` more go, and submits them if the window has room.
    void grant(long long jobs);
    /// Rate mode: takes back the budget not spent yet and returns how much it was.
    long long take_unused_budget();
    /// Submits nothing more; outcomes of jobs already submitted are still counted.
    void stop();

    /// The most jobs outstanding at once.
    long long window() const;
    /// Resizes the window, as the pool grows or shrinks; a smaller one only stops submitting
    /// until enough outcomes are in.
    void set_window(long long window);
    /// Jobs the submit function took.
    long long submitted() const;
    long long completed() const; ///< jobs with an outcome, of any kind
    long long succeeded() const; ///< jobs that ended as Success
    long long failed() const;    ///< every outcome but Success
    /// Jobs submitted and still without an outcome.
    long long outstanding() const { return submitted() - completed(); }
    /// Every job of the total has its outcome (never, without a total).
    bool complete() const;
    /// stop() was called, or a job was refused.
    bool stopped() const;
    /// The submit function refused a job (see error()).
    bool refused() const;
    /// The first refusal's text; empty when none.
    std::string error() const;

private:
    struct State;
    std::shared_ptr<State> state_;
};

/// A mixed load: job i is `calls[i % calls.size()]` carrying `payload` (what `poolscope --headless
/// --task A --task B` and the window's Mix run). `calls` must not be empty.
LoadDriver::MakeCall round_robin_calls(std::vector<TaskCall> calls, std::string payload);

} // namespace poolcore
