// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "poolcore/job.h"
#include "poolcore/job_record.h"
#include "ui/monitor/latency_histogram.h"

#include <array>
#include <chrono>
#include <climits>
#include <cstdint>
#include <deque>
#include <map>
#include <string>
#include <vector>

namespace poolscope {

// Percentiles of one second's jobs, in milliseconds.
struct LatencySummary {
    double p50_ms = 0, p90_ms = 0, p99_ms = 0, max_ms = 0;
    static LatencySummary of(const LatencyHistogram& h);
};

// The jobs that finished in one second: how many, and the spread of their total latency, queue
// wait and run time. A second without jobs has no point at all.
struct LatencyPoint {
    double second = 0; // its start, in seconds after the epoch (see JobStats)
    std::uint64_t jobs = 0;
    LatencySummary latency, queue_wait, run_time;
};

// Everything known about one task name, over every job of it that reached the app.
struct TaskAggregate {
    std::string task;
    std::array<std::uint64_t, poolcore::kOutcomeCount> outcomes{};
    std::uint64_t total = 0;
    LatencyHistogram queue_wait, run_time;
    std::string last_error;
    poolcore::JobRecord::Clock::time_point last_error_at{};
    double rate_per_s = 0; // finished per second over the last complete kRateSeconds
};

// Aggregates of job records that never drop anything that reached them: per-second latency
// points, per task name the counts by outcome and queue-wait and run-time histograms, and per
// task name and outcome a latency histogram. Times are steady-clock; seconds count from
// `epoch` (the controller's sampling start, the charts' time zero).
//
// Records arrive up to a sample tick after they finished, so a second is closed (its point
// computed) only once `now` is kCloseDelay past its end; a record for a second already closed
// still counts everywhere else and in late().
class JobStats {
public:
    using Clock = poolcore::JobRecord::Clock;
    static constexpr double kCloseDelay = 0.5;
    static constexpr int kRateSeconds = 10;
    // At one point a second, a day: ~9 MiB.
    static constexpr std::size_t kMaxPoints = 86400;
    // More distinct task names than this share the one row "(other tasks)": a source that
    // reports a fresh name per job must not grow memory without bound.
    static constexpr std::size_t kMaxTasks = 1000;
    static constexpr const char* kOtherTasks = "(other tasks)";

    explicit JobStats(Clock::time_point epoch = Clock::now()) : epoch_(epoch) {}

    void add(const std::vector<poolcore::JobRecord>& records);
    // Closes every second that ended kCloseDelay or more before `now`; returns how many points
    // that added.
    std::size_t closeUntil(Clock::time_point now);
    void clear();

    Clock::time_point epoch() const { return epoch_; }
    double secondsAt(Clock::time_point t) const;

    const std::deque<LatencyPoint>& points() const { return points_; }
    // Per task name, in name order.
    const std::map<std::string, TaskAggregate>& tasks() const { return tasks_; }
    // The latency of every job of `task` ("" for all tasks) that ended as `outcome`.
    const LatencyHistogram* latency(const std::string& task, poolcore::Outcome outcome) const;
    std::uint64_t jobs() const { return jobs_; }
    std::uint64_t late() const { return late_; }

private:
    struct OpenSecond {
        std::uint64_t jobs = 0;
        LatencyHistogram latency, queue_wait, run_time;
    };
    TaskAggregate& taskFor(const std::string& name);

    Clock::time_point epoch_;
    std::map<long long, OpenSecond> open_; // by second after the epoch
    long long closed_before_ = LLONG_MIN;  // every second below this is closed
    std::deque<LatencyPoint> points_;
    std::map<std::string, TaskAggregate> tasks_;
    std::map<std::pair<std::string, poolcore::Outcome>, LatencyHistogram> latency_;
    // Per task, jobs finished in each of the last kRateSeconds + 1 seconds, for its rate.
    std::map<std::string, std::map<long long, std::uint64_t>> recent_;
    std::uint64_t jobs_ = 0;
    std::uint64_t late_ = 0;
};

} // namespace poolscope
