// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "poolcore/stats.h"
#include "ui/charts/time_series.h"

#include <array>
#include <cstdint>
#include <deque>
#include <string>
#include <vector>

namespace poolscope {

struct WorkerSample {
    int slot = -1;
    pid_t pid = 0;
    double rss_mib = 0;
    std::uint64_t writes = 0;
};

// One sample of the pool as the charts, the status bar and the exports see it: the snapshot's
// gauges plus per-second rates derived from its counters.
struct Sample {
    double time = 0; // seconds since sampling began
    poolcore::PoolState state = poolcore::PoolState::Init;
    int target = 0;
    int alive = 0;
    int busy = 0;
    double pending = 0;
    double in_flight = 0;
    // Per second. "failed" is task errors plus terminated jobs; "timed out" is hard and soft
    // time limits; "lost" is jobs whose worker died.
    double succeeded_per_s = 0;
    double failed_per_s = 0;
    double lost_per_s = 0;
    double timed_out_per_s = 0;
    double finished_per_s = 0;
    double writes_per_s = 0;
    double p50_ms = 0;
    double p99_ms = 0;
    std::array<std::uint64_t, poolcore::kOutcomeCount> totals{};
    std::uint64_t submitted = 0;
    std::uint64_t total_writes = 0;
    std::vector<WorkerSample> workers; // workers that hold a slot, by slot
};

// Derives samples from successive snapshots, keeping the counter history the rates need.
class SampleDeriver {
public:
    Sample derive(double time, const poolcore::StatsSnapshot& snapshot);

private:
    CounterRate succeeded_, failed_, lost_, timed_out_, finished_, writes_;
};

// The bounded history of samples the File menu exports.
class StatsHistory {
public:
    explicit StatsHistory(std::size_t capacity = 36000) : capacity_(capacity) {}
    void append(Sample sample);
    const std::deque<Sample>& samples() const { return samples_; }
    void clear() { samples_.clear(); }

    // One row per sample, with a header; the gauges and rates the charts show.
    std::string to_csv() const;
    // {"snapshot": the latest StatsSnapshot, "info": Celery's info report, "history": [...]}.
    std::string to_json(const poolcore::StatsSnapshot& latest, const poolcore::Info* info) const;

private:
    std::size_t capacity_;
    std::deque<Sample> samples_;
};

} // namespace poolscope
