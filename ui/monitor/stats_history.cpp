// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/monitor/stats_history.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <nlohmann/json.hpp>

namespace poolscope {

using poolcore::Outcome;

std::string iso_utc(double wall_seconds) {
    const auto ms = static_cast<long long>(std::llround(wall_seconds * 1000.0));
    const std::time_t secs = std::time_t(ms / 1000);
    std::tm tm{};
#ifdef _WIN32
    ::gmtime_s(&tm, &secs);
#else
    ::gmtime_r(&secs, &tm);
#endif
    char out[64];
    std::snprintf(out, sizeof out, "%04d-%02d-%02dT%02d:%02d:%02d.%03lldZ", tm.tm_year + 1900,
                  tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ms % 1000);
    return out;
}

namespace {

// The percentile columns and fields, in one order for the CSV and the JSON.
struct PercentileField {
    const char* name;
    double LatencySummary::*value;
};
constexpr PercentileField kPercentiles[] = {{"p50", &LatencySummary::p50_ms},
                                            {"p90", &LatencySummary::p90_ms},
                                            {"p99", &LatencySummary::p99_ms},
                                            {"max", &LatencySummary::max_ms}};
struct SpreadField {
    const char* name;
    LatencySummary LatencyPoint::*summary;
};
constexpr SpreadField kSpreads[] = {{"latency", &LatencyPoint::latency},
                                    {"queue_wait", &LatencyPoint::queue_wait},
                                    {"run_time", &LatencyPoint::run_time}};

double microseconds(double ms) {
    return std::round(ms * 1000.0 * 10.0) / 10.0; // 0.1 µs: what the histograms resolve at best
}

std::uint64_t kib(double mib) {
    return std::uint64_t(std::llround(mib * 1024.0)); // the snapshot's KiB, divided for the charts
}

// The point of the second `time` falls in, or null.
const LatencyPoint* pointAt(const std::deque<LatencyPoint>& seconds, double time) {
    const double second = std::floor(time);
    const auto it = std::lower_bound(seconds.begin(), seconds.end(), second,
                                     [](const LatencyPoint& p, double s) { return p.second < s; });
    return it != seconds.end() && it->second == second ? &*it : nullptr;
}

} // namespace

void StatsHistory::append(Sample sample) {
    samples_.push_back(std::move(sample));
    while (samples_.size() > capacity_)
        samples_.pop_front();
}

std::string StatsHistory::to_csv(const std::deque<LatencyPoint>& seconds) const {
    // Outcomes by poolcore's names (soft and hard time limits apart); units as the header says.
    std::string out = "time_s,state,target,alive,busy,pending,in_flight";
    // Appended piece by piece: GCC 12 at -O2 takes `"," + std::string(...)` for an overlapping
    // memcpy (-Wrestrict, a false positive) and the package build allows no warning.
    for (int o = 0; o < poolcore::kOutcomeCount; ++o) {
        out += ',';
        out += poolcore::to_string(Outcome(o));
        out += "_per_s";
    }
    out += ",writes_per_s,jobs_in_second";
    for (const auto& spread : kSpreads)
        for (const auto& percentile : kPercentiles) {
            out += ',';
            out += spread.name;
            out += '_';
            out += percentile.name;
            out += "_us";
        }
    out += ",submitted";
    for (int o = 0; o < poolcore::kOutcomeCount; ++o) {
        out += ',';
        out += poolcore::to_string(Outcome(o));
    }
    out += ",total_writes,wall_time\n";
    char line[128];
    for (const Sample& s : samples_) {
        std::snprintf(line, sizeof line, "%.3f,%s,%d,%d,%d,%.0f,%.0f", s.time,
                      std::string(poolcore::to_string(s.state)).c_str(), s.target, s.alive, s.busy,
                      s.pending, s.in_flight);
        out += line;
        for (double rate : s.outcome_per_s) {
            std::snprintf(line, sizeof line, ",%.2f", rate);
            out += line;
        }
        std::snprintf(line, sizeof line, ",%.2f", s.writes_per_s);
        out += line;
        const LatencyPoint* point = pointAt(seconds, s.time);
        out += ',';
        if (point)
            out += std::to_string(point->jobs);
        for (const auto& spread : kSpreads)
            for (const auto& percentile : kPercentiles) {
                out += ',';
                if (point) {
                    std::snprintf(line, sizeof line, "%.1f",
                                  microseconds((point->*spread.summary).*percentile.value));
                    out += line;
                }
            }
        out += ',';
        out += std::to_string(s.submitted);
        for (std::uint64_t total : s.totals) {
            out += ',';
            out += std::to_string(total);
        }
        out += ',';
        out += std::to_string(s.total_writes);
        out += ',';
        out += iso_utc(time_origin_ + s.time);
        out += '\n';
    }
    return out;
}

std::string StatsHistory::to_json(const poolcore::StatsSnapshot& latest, const poolcore::Info* info,
                                  const std::deque<LatencyPoint>& seconds) const {
    nlohmann::json history = nlohmann::json::array();
    for (const Sample& s : samples_) {
        nlohmann::json workers = nlohmann::json::array();
        for (const auto& w : s.workers)
            workers.push_back({{"slot", w.slot},
                               {"pid", w.pid},
                               {"rss_kib", kib(w.rss_mib)},
                               {"writes", w.writes}});
        nlohmann::json row = {{"time_s", s.time},
                              {"wall_time", iso_utc(time_origin_ + s.time)},
                              {"state", poolcore::to_string(s.state)},
                              {"target", s.target},
                              {"alive", s.alive},
                              {"busy", s.busy},
                              {"pending", s.pending},
                              {"in_flight", s.in_flight},
                              {"writes_per_s", s.writes_per_s},
                              {"workers", std::move(workers)}};
        for (int o = 0; o < poolcore::kOutcomeCount; ++o)
            row[std::string(poolcore::to_string(Outcome(o))) + "_per_s"] =
                s.outcome_per_s[std::size_t(o)];
        history.push_back(std::move(row));
    }
    nlohmann::json per_second = nlohmann::json::array();
    for (const LatencyPoint& p : seconds) {
        nlohmann::json point = {{"second_s", p.second},
                                {"wall_time", iso_utc(time_origin_ + p.second)},
                                {"jobs", p.jobs}};
        for (const auto& spread : kSpreads)
            for (const auto& percentile : kPercentiles)
                point[std::string(spread.name) + "_" + percentile.name + "_us"] =
                    microseconds((p.*spread.summary).*percentile.value);
        per_second.push_back(std::move(point));
    }
    nlohmann::json snapshot = latest;
    // Its p50/p99 are over the last jobs however old: latency_per_second is the honest one.
    snapshot.erase("latency_us");
    nlohmann::json doc = {{"started_at", iso_utc(time_origin_)},
                          {"started_at_unix_s", time_origin_},
                          {"units",
                           {{"time", "s since started_at"},
                            {"latency", "us"},
                            {"memory", "KiB"},
                            {"rates", "per s"}}},
                          {"snapshot", std::move(snapshot)},
                          {"history", std::move(history)},
                          {"latency_per_second", std::move(per_second)}};
    if (info)
        doc["info"] = *info;
    return doc.dump(2);
}

} // namespace poolscope
