// SPDX-License-Identifier: MIT
#pragma once

#include "poolcore/job.h"

#include <chrono>
#include <cstdint>
#include <string>
#include <sys/types.h>

namespace poolcore {

/// One job's life as the pool saw it: where it ran, when each step happened and how it ended.
/// A pool keeps the most recent ones in a bounded ring (PoolOptions::job_record_capacity) for a
/// viewer to collect in batches; the task's result is not kept (it can be large and nobody
/// draws it), an error's text is.
///
/// Times are on the steady clock; a step the job never reached is the zero time_point (a job
/// refused before any worker took it has only `submitted` and `finished`).
struct JobRecord {
    using Clock = std::chrono::steady_clock; ///< the clock every time below is on

    JobId id = 0;                       ///< the job, as apply_async numbered it
    std::string task{};                 ///< the registered name it called
    std::string argument{};             ///< TaskCall::argument
    std::uint64_t payload_bytes = 0;    ///< the size of TaskCall::payload
    int slot = -1;                      ///< the slot whose worker it was written to; -1 if none
    pid_t pid = 0;                      ///< the worker that accepted it; 0 if none did
    std::uint32_t generation = 0;       ///< how many workers the slot had started before this one
    Outcome outcome = Outcome::Success; ///< the one way it ended
    std::string error{};                ///< empty on success, else the human-readable reason

    Clock::time_point submitted{}; ///< apply_async accepted it
    /// it was queued on a worker's channel, in the scheduling pass that flushes it: one clock
    /// reading per dispatch turn (the result that freed the worker, or the submission), so it
    /// may precede the first byte by the few microseconds of that turn's callbacks
    Clock::time_point written{};
    Clock::time_point accepted{}; ///< the worker acknowledged it (time limits start here)
    Clock::time_point finished{}; ///< its outcome was known

    /// From submission to being written: time spent waiting for a free worker.
    std::chrono::nanoseconds queue_wait() const {
        return written == Clock::time_point{} ? finished - submitted : written - submitted;
    }
    /// From being written to the outcome: the worker's share (zero if never written).
    std::chrono::nanoseconds run_time() const {
        return written == Clock::time_point{} ? std::chrono::nanoseconds{0} : finished - written;
    }
    /// From submission to the outcome, as JobResult::latency.
    std::chrono::nanoseconds latency() const { return finished - submitted; }
};

} // namespace poolcore
