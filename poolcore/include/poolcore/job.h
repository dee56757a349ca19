// SPDX-License-Identifier: MIT
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <sys/types.h>

/// A prefork process pool with the API of Celery's prefork TaskPool: a parent process starts
/// worker processes, writes jobs to them and reads their outcomes, enforces time limits, recycles
/// and replaces workers. TaskPool is the front door; Pool and BlockingPool are the two pools
/// behind it.
namespace poolcore {

/// A job's number, unique within its pool, counted from 1 (0: no job).
using JobId = std::uint64_t;
/// Durations in the options and limits: seconds, fractions allowed, as Celery takes them.
using Seconds = std::chrono::duration<double>;

/// Every job ends in exactly one of these.
enum class Outcome : std::uint8_t {
    Success = 0,       ///< the task returned; JobResult::value is what it returned
    TaskError = 1,     ///< the task threw, or named an unknown task
    SoftTimeLimit = 2, ///< the task gave up when its soft time limit was signalled
    WorkerLost = 3,    ///< the worker died (signal, exit, OOM kill, protocol error) mid-job
    TimeLimit = 4,     ///< the hard time limit struck; the worker was killed
    Terminated = 5,    ///< terminate_job() or on_terminate() ended it
};
/// How many Outcome values there are: the size of a table indexed by outcome.
inline constexpr int kOutcomeCount = 6;
/// "success", "task-error", ...: the outcome's name in reports and JSON.
std::string_view to_string(Outcome outcome);

/// What to run: a registered task name, its argument (the `arg` of `name=arg`) and a payload.
/// Every member has a default, so `TaskCall{.task = "resize", .payload = bytes}` names only
/// what it needs (and -Wextra's missing-initializer warning stays quiet).
struct TaskCall {
    std::string task{};     ///< the name it was registered under (TaskRegistry::add)
    std::string argument{}; ///< text the task reads with TaskContext::argument(); often empty
    std::string payload{};  ///< the bytes the task reads with TaskContext::payload()
    std::optional<Seconds> soft_time_limit{}; ///< overrides the pool default for this call
    std::optional<Seconds> time_limit{};      ///< overrides the pool's hard limit for this call

    /// The call a `name=arg` spec names (as `--task` takes it): text before the first `=` is
    /// the task, the rest its argument.
    static TaskCall parse(std::string_view spec, std::string payload = {});
};

/// How one job ended: given once per job, to on_success or on_error (or a future).
struct JobResult {
    JobId id = 0;                       ///< the job, as apply_async numbered it
    Outcome outcome = Outcome::Success; ///< the one way it ended
    std::string value; ///< the task's result on success, else a human-readable error
    pid_t pid = 0;     ///< the worker that accepted it, 0 if none did
    std::chrono::nanoseconds latency{0}; ///< from apply_async to the outcome
    /// True for Outcome::Success.
    bool ok() const { return outcome == Outcome::Success; }
};

/// Callbacks run on the thread that drives the pool (the event loop's, or BlockingPool's own).
struct JobCallbacks {
    /// A worker (`pid`) acknowledged the job and is about to run it; time limits start here.
    std::function<void(JobId, pid_t)> on_accepted;
    /// The job succeeded.
    std::function<void(const JobResult&)> on_success;
    std::function<void(const JobResult&)> on_error; ///< every outcome but Success
    /// A time limit struck while the job ran: `soft` first (the task is told and may finish),
    /// then the hard one, after which the job ends through on_error as Outcome::TimeLimit.
    std::function<void(JobId, bool soft, Seconds limit)> on_timeout;
};

} // namespace poolcore
