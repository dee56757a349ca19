// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/monitor/job_stats.h"

#include <climits>
#include <cmath>

namespace poolscope {

namespace {

double ms(std::chrono::nanoseconds d) {
    return double(d.count()) / 1e6;
}

} // namespace

LatencySummary LatencySummary::of(const LatencyHistogram& h) {
    return {ms(h.percentile(0.5)), ms(h.percentile(0.9)), ms(h.percentile(0.99)), ms(h.max())};
}

double JobStats::secondsAt(Clock::time_point t) const {
    return std::chrono::duration<double>(t - epoch_).count();
}

TaskAggregate& JobStats::taskFor(const std::string& name) {
    auto it = tasks_.find(name);
    if (it != tasks_.end())
        return it->second;
    const std::string& key = tasks_.size() < kMaxTasks ? name : std::string(kOtherTasks);
    TaskAggregate& t = tasks_[key];
    t.task = key;
    return t;
}

void JobStats::add(const std::vector<poolcore::JobRecord>& records) {
    for (const poolcore::JobRecord& r : records) {
        ++jobs_;
        const auto latency = r.latency(), queue = r.queue_wait(), run = r.run_time();
        const long long second = (long long)std::floor(secondsAt(r.finished));
        if (second < closed_before_) {
            ++late_;
        } else {
            OpenSecond& s = open_[second];
            ++s.jobs;
            s.latency.add(latency);
            s.queue_wait.add(queue);
            s.run_time.add(run);
        }
        TaskAggregate& t = taskFor(r.task);
        ++t.total;
        ++t.outcomes[std::size_t(r.outcome)];
        t.queue_wait.add(queue);
        t.run_time.add(run);
        if (!r.error.empty() && r.finished >= t.last_error_at) {
            t.last_error = r.error;
            t.last_error_at = r.finished;
        }
        ++recent_[t.task][second];
        latency_[{t.task, r.outcome}].add(latency);
        latency_[{std::string(), r.outcome}].add(latency);
    }
}

std::size_t JobStats::closeUntil(Clock::time_point now) {
    const long long limit = (long long)std::floor(secondsAt(now) - kCloseDelay); // [.., limit)
    std::size_t added = 0;
    while (!open_.empty() && open_.begin()->first < limit) {
        const auto& [second, s] = *open_.begin();
        points_.push_back({double(second), s.jobs, LatencySummary::of(s.latency),
                           LatencySummary::of(s.queue_wait), LatencySummary::of(s.run_time)});
        if (points_.size() > kMaxPoints)
            points_.pop_front();
        open_.erase(open_.begin());
        ++added;
    }
    if (limit > closed_before_)
        closed_before_ = limit;
    // Rates over the complete seconds [limit - kRateSeconds, limit).
    for (auto& [task, per_second] : recent_) {
        while (!per_second.empty() && per_second.begin()->first < limit - kRateSeconds)
            per_second.erase(per_second.begin());
        std::uint64_t n = 0;
        for (auto it = per_second.begin(); it != per_second.end() && it->first < limit; ++it)
            n += it->second;
        tasks_[task].rate_per_s = double(n) / kRateSeconds;
    }
    return added;
}

void JobStats::clear() {
    const Clock::time_point epoch = epoch_;
    *this = JobStats(epoch);
}

const LatencyHistogram* JobStats::latency(const std::string& task,
                                          poolcore::Outcome outcome) const {
    auto it = latency_.find({task, outcome});
    return it == latency_.end() ? nullptr : &it->second;
}

} // namespace poolscope
