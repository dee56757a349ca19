// SPDX-License-Identifier: MIT
#include "poolcore/stats.h"

#include "poolcore/enum_text.h"

#include <algorithm>
#include <cstdio>
#include <nlohmann/json.hpp>

namespace poolcore {

namespace {
std::string two_decimals(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.2f", v);
    return buf;
}

constexpr EnumTable<WorkerState, 4> kWorkerStateNames{{{WorkerState::Starting, "starting"},
                                                       {WorkerState::Idle, "idle"},
                                                       {WorkerState::Busy, "busy"},
                                                       {WorkerState::Exiting, "exiting"}}};
} // namespace

std::string_view to_string(WorkerState s) {
    return enum_text(kWorkerStateNames, s);
}

WriteStats WriteStats::from_counts(const std::vector<std::pair<int, std::uint64_t>>& counts,
                                   std::string strategy, int inqueues_total, int inqueues_active) {
    WriteStats w;
    for (const auto& [slot, n] : counts)
        w.total += n;
    const double total = double(w.total);
    w.avg = two_decimals(w.total && !counts.empty() ? (total / double(counts.size())) / total : 0);
    for (const auto& [slot, n] : counts) {
        if (!w.all.empty()) {
            w.all += ", ";
            w.raw += ", ";
        }
        w.all += two_decimals(w.total ? double(n) / total : 0);
        w.raw += std::to_string(n);
    }
    w.strategy = std::move(strategy);
    w.inqueues_total = inqueues_total;
    w.inqueues_active = inqueues_active;
    return w;
}

void to_json(nlohmann::json& j, const WriteStats& w) {
    j = {{"total", w.total},
         {"avg", w.avg},
         {"all", w.all},
         {"raw", w.raw},
         {"strategy", w.strategy},
         {"inqueues", {{"total", w.inqueues_total}, {"active", w.inqueues_active}}}};
}

void to_json(nlohmann::json& j, const Info& info) {
    j = nlohmann::json::object();
    j["max-concurrency"] = info.max_concurrency;
    j["processes"] = info.processes;
    if (info.max_tasks_per_child)
        j["max-tasks-per-child"] = *info.max_tasks_per_child;
    else
        j["max-tasks-per-child"] = "N/A";
    j["put-guarded-by-semaphore"] = info.put_guarded_by_semaphore;
    j["timeouts"] = {info.timeouts.first, info.timeouts.second};
    j["writes"] = info.writes;
}

void to_json(nlohmann::json& j, const WorkerStats& w) {
    j = {{"slot", w.slot},
         {"pid", w.pid},
         {"state", to_string(w.state)},
         {"current_job", w.current_job},
         {"current_task", w.current_task},
         {"current_job_accepted", w.current_job_accepted},
         {"current_job_seconds", w.current_job_seconds},
         {"queued", w.queued},
         {"jobs_done", w.jobs_done},
         {"writes", w.writes},
         {"rss_kib", w.rss_kib},
         {"last_exit", w.last_exit},
         {"uptime_seconds", w.uptime_seconds},
         {"cpu_seconds", w.cpu_seconds},
         {"cpu_percent", w.cpu_percent},
         {"generation", w.generation},
         {"slot_replacements", w.slot_replacements}};
}

void to_json(nlohmann::json& j, const StatsSnapshot& s) {
    nlohmann::json outcomes = nlohmann::json::object();
    for (int i = 0; i < kOutcomeCount; ++i)
        outcomes[std::string(to_string(Outcome(i)))] = s.outcomes[std::size_t(i)];
    j = {{"state", to_string(s.state)},
         {"target_processes", s.target_processes},
         {"alive_processes", s.alive_processes},
         {"busy_processes", s.busy_processes},
         {"pending", s.pending},
         {"in_flight", s.in_flight},
         {"workers", s.workers},
         {"outcomes", outcomes},
         {"submitted", s.submitted},
         {"finished", s.finished},
         {"workers_started", s.workers_started},
         {"workers_exited", s.workers_exited},
         {"total_writes", s.total_writes},
         {"latency_us", {{"p50", s.latency_p50_us}, {"p99", s.latency_p99_us}}},
         {"restart_in_progress", s.restart_in_progress},
         {"replacement_paused", s.replacement_paused}};
}

void LatencyWindow::add(std::chrono::nanoseconds latency) {
    samples_[count_ % samples_.size()] = latency.count();
    ++count_;
}

double LatencyWindow::percentile_us(double p) const {
    const std::size_t n = size();
    if (n == 0)
        return 0;
    std::vector<std::int64_t> copy(samples_.begin(), samples_.begin() + std::ptrdiff_t(n));
    const std::size_t k = std::min(n - 1, std::size_t(p * double(n - 1) + 0.5));
    std::nth_element(copy.begin(), copy.begin() + std::ptrdiff_t(k), copy.end());
    return double(copy[k]) / 1000.0;
}

std::pair<double, double> LatencyWindow::p50_p99_us() const {
    return {percentile_us(0.50), percentile_us(0.99)};
}

} // namespace poolcore
