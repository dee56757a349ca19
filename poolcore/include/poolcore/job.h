// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <sys/types.h>

namespace poolcore {

using JobId = std::uint64_t;
using Seconds = std::chrono::duration<double>;

// Every job ends in exactly one of these.
enum class Outcome : std::uint8_t {
    Success = 0,
    TaskError = 1,     // the task threw, or named an unknown task
    SoftTimeLimit = 2, // the task gave up when its soft time limit was signalled
    WorkerLost = 3,    // the worker died (signal, exit, OOM kill, protocol error) mid-job
    TimeLimit = 4,     // the hard time limit struck; the worker was killed
    Terminated = 5,    // terminate_job() or on_terminate() ended it
};
inline constexpr int kOutcomeCount = 6;
std::string_view to_string(Outcome outcome);

// What to run: a registered task name, its argument (the `arg` of `name=arg`) and a payload.
struct TaskCall {
    std::string task;
    std::string argument;
    std::string payload;
    std::optional<Seconds> soft_time_limit; // overrides the pool default for this call
    std::optional<Seconds> time_limit;

    static TaskCall parse(std::string_view spec, std::string payload = {});
};

struct JobResult {
    JobId id = 0;
    Outcome outcome = Outcome::Success;
    std::string value; // the task's result on success, else a human-readable error
    pid_t pid = 0;     // the worker that accepted it, 0 if none did
    std::chrono::nanoseconds latency{0}; // from apply_async to the outcome
    bool ok() const { return outcome == Outcome::Success; }
};

// Callbacks run on the thread that drives the pool (the event loop's, or BlockingPool's own).
struct JobCallbacks {
    std::function<void(JobId, pid_t)> on_accepted;
    std::function<void(const JobResult&)> on_success;
    std::function<void(const JobResult&)> on_error; // every outcome but Success
    std::function<void(JobId, bool soft, Seconds limit)> on_timeout;
};

} // namespace poolcore
