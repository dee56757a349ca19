// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "poolcore/stats.h"
#include "ui/monitor/job_stats.h"
#include "ui/monitor/sample.h"

#include <deque>
#include <string>

namespace poolscope {
// A wall-clock time (seconds since the Unix epoch) as ISO 8601 UTC with milliseconds.
std::string iso_utc(double wall_seconds);
} // namespace poolscope

namespace poolscope {

// The bounded history of samples the File menu exports.
class StatsHistory {
public:
    explicit StatsHistory(std::size_t capacity = 36000) : capacity_(capacity) {}
    void append(Sample sample);
    const std::deque<Sample>& samples() const { return samples_; }
    void clear() { samples_.clear(); }
    // The wall-clock time (seconds since the Unix epoch) of sample time 0, so that every export
    // says when it happened, in the window's one time base.
    void set_time_origin(double wall_seconds) { time_origin_ = wall_seconds; }
    double time_origin() const { return time_origin_; }

    // Every export says its unit in each field's name, one unit per quantity: seconds (_s),
    // latency in microseconds (_us), memory in KiB (_kib), rates per second (_per_s).
    //
    // One row per sample, with a header; the gauges and rates the charts show, and the
    // percentiles of the jobs that finished in the second the sample falls in (`seconds`,
    // JobStats' points; empty cells when none did). time_s counts from time_origin(); the last
    // column, wall_time, is the same instant in UTC (ISO 8601).
    std::string to_csv(const std::deque<LatencyPoint>& seconds = {}) const;
    // {"started_at": time_origin() in ISO 8601 UTC, "started_at_unix_s", "snapshot": the latest
    // StatsSnapshot (without its percentiles over the last jobs), "info": Celery's info report,
    // "history": [... each with "wall_time"], "latency_per_second": [one object per second with
    // jobs: its start, the count, p50/p90/p99/max of latency, queue wait and run time]}.
    std::string to_json(const poolcore::StatsSnapshot& latest, const poolcore::Info* info,
                        const std::deque<LatencyPoint>& seconds = {}) const;

private:
    std::size_t capacity_;
    double time_origin_ = 0;
    std::deque<Sample> samples_;
};

} // namespace poolscope
