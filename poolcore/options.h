// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "poolcore/job.h"

#include <chrono>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace poolcore {

// Any refusal by the pool: an impossible setting, a call in the wrong state, a resize that
// cannot happen. what() is meant for the user, as is.
class PoolError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

enum class Strategy {
    Fair, // write a job only to an idle worker (Celery's default, -Ofair)
    Fcfs, // write to any worker with fewer than `prefetch` jobs queued on it
};
std::string_view to_string(Strategy s);
std::optional<Strategy> parse_strategy(std::string_view text);

struct PoolOptions {
    int processes = 0;    // 0: one per CPU
    bool threads = false; // true selects BlockingPool
    Strategy strategy = Strategy::Fair;
    int prefetch = 4;                       // fcfs only: jobs queued per worker at most
    std::optional<Seconds> soft_time_limit; // default for every job
    std::optional<Seconds> time_limit;      // default hard limit for every job
    std::optional<int> max_tasks_per_child;
    // Judged on the worker's private memory now (USS: what it alone holds), not the peak RSS and
    // not pages it still shares with the parent after fork.
    std::optional<std::uint64_t> max_memory_per_child_kib;
    Seconds proc_alive_timeout{4.0}; // a worker must say it is up within this
    Seconds kill_grace{0.1};         // SIGTERM, then SIGKILL after this
    int max_restarts = 100;          // abnormal exits tolerated per restart window
    Seconds restart_window{1.0};
    std::size_t max_frame_bytes = 64u << 20; // larger frames from a worker are a protocol error
    bool putlocks = true;                    // BlockingPool: apply_async waits for a free slot

    struct Problem {
        std::string field;
        std::string message;
    };
    // Every impossible or contradictory setting, with the field it concerns; empty when valid.
    std::vector<Problem> problems() const;
    // Throws PoolError listing every problem.
    void validate() const;
    int effective_processes() const;
};

int default_process_count();

} // namespace poolcore
