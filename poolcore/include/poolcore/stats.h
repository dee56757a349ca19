// SPDX-License-Identifier: MIT
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

/// Celery's human_write_stats(): fractions and raw counts per slot that has had a write.
struct WriteStats {
    std::uint64_t total = 0; ///< jobs written, over every slot
    std::string avg;         ///< the mean share of writes per slot, "0.50"
    std::string all;         ///< each slot's share, "0.51, 0.49"
    std::string raw;         ///< each slot's count, "10265, 9735"
    std::string strategy;    ///< "fair" or "fcfs"
    int inqueues_total = 0;  ///< workers that can be written to
    int inqueues_active = 0; ///< workers with a write in progress

    /// The report for writes `counts` (slot, jobs written), as Celery computes it.
    static WriteStats from_counts(const std::vector<std::pair<int, std::uint64_t>>& counts,
                                  std::string strategy, int inqueues_total, int inqueues_active);
};

/// The report of Celery's TaskPool._get_info(), key for key.
struct Info {
    int max_concurrency = 0;                  ///< the target number of workers
    std::vector<pid_t> processes;             ///< the pid in each slot
    std::optional<int> max_tasks_per_child;   ///< "N/A" when unset
    bool put_guarded_by_semaphore = true;     ///< apply_async waits on a put-lock (BlockingPool)
    std::pair<double, double> timeouts{0, 0}; ///< (soft, hard), 0 when unset
    WriteStats writes;                        ///< human_write_stats()
};

/// Where a worker is: started and not yet up, up with nothing to do, running or sent a job,
/// leaving (retired, recycled or killed, not yet reaped).
enum class WorkerState { Starting, Idle, Busy, Exiting };
/// "starting", "idle", "busy" or "exiting".
std::string_view to_string(WorkerState s);

/// One worker, as StatsSnapshot shows it.
struct WorkerStats {
    int slot = -1;                             ///< -1 once a retiring worker has handed its slot on
    pid_t pid = 0;                             ///< its process
    WorkerState state = WorkerState::Starting; ///< what it does now
    JobId current_job = 0;    ///< the job it runs, or was sent and has not yet acknowledged
    std::string current_task; ///< that job's task name; empty when none
    bool current_job_accepted = false; ///< the worker acknowledged it: it is running
    double current_job_seconds = 0;    ///< since the acknowledgement; 0 before it
    std::size_t queued = 0;            ///< jobs written to it and not yet finished
    std::uint64_t jobs_done = 0;       ///< jobs it finished, any outcome
    std::uint64_t writes = 0;          ///< for its slot
    std::uint64_t rss_kib = 0;         ///< resident memory at its latest sample, KiB
    std::string last_exit;             ///< how the previous worker of this slot ended
    double uptime_seconds = 0;         ///< since the pool started this process
    /// CPU time (user + system) the process has used, seconds; -1 where the system cannot say.
    double cpu_seconds = -1;
    /// Its CPU use between its two latest samples, percent of one core; -1 until two exist.
    double cpu_percent = -1;
    /// The pool's restart() count when this worker started: 0 for the first set.
    std::uint64_t generation = 0;
    /// Workers that have replaced an earlier one in this slot (a crash, a recycle, a restart).
    std::uint64_t slot_replacements = 0;
};

/// A cheap, self-contained picture of the pool, for charts and tables polled many times a second.
struct StatsSnapshot {
    PoolState state = PoolState::Init; ///< where the pool is in its life
    int target_processes = 0;          ///< num_processes()
    int alive_processes = 0;           ///< workers running, starting and retiring ones included
    int busy_processes = 0;            ///< workers with a job
    std::size_t pending = 0;           ///< accepted by apply_async, not yet written to a worker
    std::size_t in_flight = 0;         ///< written to a worker, not finished
    std::vector<WorkerStats> workers;  ///< every worker alive
    std::array<std::uint64_t, kOutcomeCount> outcomes{}; ///< jobs ended, per Outcome; see count()
    std::uint64_t submitted = 0;                         ///< jobs accepted since construction
    std::uint64_t finished = 0;                          ///< jobs ended, any outcome
    std::uint64_t workers_started = 0;                   ///< worker processes started
    std::uint64_t workers_exited = 0;                    ///< worker processes reaped
    std::uint64_t total_writes = 0;                      ///< job frames written
    double latency_p50_us = 0;                           ///< over the most recent jobs
    double latency_p99_us = 0;                           ///< the same, 99th percentile
    bool restart_in_progress = false; ///< restart() has not yet proved the new workers
    bool replacement_paused = false;  ///< the restart limiter tripped

    /// Jobs that ended as `o`.
    std::uint64_t count(Outcome o) const { return outcomes[std::size_t(o)]; }
};

// JSON through nlohmann::json (`nlohmann::json j = pool.info();`).

/// The write statistics as Celery's report has them ("total", "avg", "all", "raw", "strategy",
/// "inqueues").
void to_json(nlohmann::json& j, const WriteStats& w);
/// Celery's `info` report, key for key ("max-concurrency", "put-guarded-by-semaphore", ...).
void to_json(nlohmann::json& j, const Info& info);
/// One worker, keyed by the field names.
void to_json(nlohmann::json& j, const WorkerStats& w);
/// The snapshot, keyed by the field names (the latencies under "latency_us").
void to_json(nlohmann::json& j, const StatsSnapshot& s);

/// Percentiles over a bounded window of recent latencies.
class LatencyWindow {
public:
    /// Keeps the latest `capacity` samples; `capacity` must be at least 1.
    explicit LatencyWindow(std::size_t capacity = 4096) : samples_(capacity) {}
    /// Records one latency, dropping the oldest once full.
    void add(std::chrono::nanoseconds latency);
    /// p in [0, 1]; microseconds; 0 when empty.
    double percentile_us(double p) const;
    /// The median and the 99th percentile, microseconds.
    std::pair<double, double> p50_p99_us() const;
    /// How many samples it holds.
    std::size_t size() const { return std::min<std::uint64_t>(count_, samples_.size()); }

private:
    std::vector<std::int64_t> samples_;
    std::uint64_t count_ = 0;
};

} // namespace poolcore
