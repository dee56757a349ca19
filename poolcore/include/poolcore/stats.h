// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "poolcore/job.h"
#include "poolcore/observer.h"

#include <array>
#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace poolcore {

// Celery's human_write_stats(): fractions and raw counts per slot that has had a write.
struct WriteStats {
    std::uint64_t total = 0;
    std::string avg;
    std::string all;
    std::string raw;
    std::string strategy;
    int inqueues_total = 0;  // workers that can be written to
    int inqueues_active = 0; // workers with a write in progress

    static WriteStats from_counts(const std::vector<std::pair<int, std::uint64_t>>& counts,
                                  std::string strategy, int inqueues_total, int inqueues_active);
};

// The report of Celery's TaskPool._get_info(), key for key.
struct Info {
    int max_concurrency = 0;
    std::vector<pid_t> processes;
    std::optional<int> max_tasks_per_child; // "N/A" when unset
    bool put_guarded_by_semaphore = true;
    std::pair<double, double> timeouts{0, 0}; // (soft, hard), 0 when unset
    WriteStats writes;
};

enum class WorkerState { Starting, Idle, Busy, Exiting };
std::string_view to_string(WorkerState s);

struct WorkerStats {
    int slot = -1; // -1 once a retiring worker has handed its slot on
    pid_t pid = 0;
    WorkerState state = WorkerState::Starting;
    JobId current_job = 0; // the job it runs, or was sent and has not yet acknowledged
    std::string current_task;
    bool current_job_accepted = false; // the worker acknowledged it: it is running
    double current_job_seconds = 0;    // since the acknowledgement; 0 before it
    std::size_t queued = 0;            // jobs written to it and not yet finished
    std::uint64_t jobs_done = 0;
    std::uint64_t writes = 0; // for its slot
    std::uint64_t rss_kib = 0;
    std::string last_exit; // how the previous worker of this slot ended
};

// A cheap, self-contained picture of the pool, for charts and tables polled many times a second.
struct StatsSnapshot {
    PoolState state = PoolState::Init;
    int target_processes = 0;
    int alive_processes = 0;
    int busy_processes = 0;
    std::size_t pending = 0;   // accepted by apply_async, not yet written to a worker
    std::size_t in_flight = 0; // written to a worker, not finished
    std::vector<WorkerStats> workers;
    std::array<std::uint64_t, kOutcomeCount> outcomes{};
    std::uint64_t submitted = 0;
    std::uint64_t finished = 0;
    std::uint64_t workers_started = 0;
    std::uint64_t workers_exited = 0;
    std::uint64_t total_writes = 0;
    double latency_p50_us = 0; // over the most recent jobs
    double latency_p99_us = 0;
    bool restart_in_progress = false;
    bool replacement_paused = false; // the restart limiter tripped

    std::uint64_t count(Outcome o) const { return outcomes[std::size_t(o)]; }
};

void to_json(nlohmann::json& j, const WriteStats& w);
void to_json(nlohmann::json& j, const Info& info);
void to_json(nlohmann::json& j, const WorkerStats& w);
void to_json(nlohmann::json& j, const StatsSnapshot& s);

// Percentiles over a bounded window of recent latencies.
class LatencyWindow {
public:
    explicit LatencyWindow(std::size_t capacity = 4096) : samples_(capacity) {}
    void add(std::chrono::nanoseconds latency);
    // p in [0, 1]; microseconds; 0 when empty.
    double percentile_us(double p) const;
    std::pair<double, double> p50_p99_us() const;
    std::size_t size() const { return std::min<std::uint64_t>(count_, samples_.size()); }

private:
    std::vector<std::int64_t> samples_;
    std::uint64_t count_ = 0;
};

} // namespace poolcore
