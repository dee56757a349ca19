// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/monitor/stats_history.h"

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
    ::gmtime_r(&secs, &tm);
    char out[64];
    std::snprintf(out, sizeof out, "%04d-%02d-%02dT%02d:%02d:%02d.%03lldZ", tm.tm_year + 1900,
                  tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ms % 1000);
    return out;
}

void StatsHistory::append(Sample sample) {
    samples_.push_back(std::move(sample));
    while (samples_.size() > capacity_)
        samples_.pop_front();
}

std::string StatsHistory::to_csv() const {
    // Outcomes by poolcore's names (soft and hard time limits apart), latency in ms, memory in
    // MiB: the units of every export of the window.
    std::string out = "time_s,state,target,alive,busy,pending,in_flight";
    // Appended piece by piece: GCC 12 at -O2 takes `"," + std::string(...)` for an overlapping
    // memcpy (-Wrestrict, a false positive) and the package build allows no warning.
    for (int o = 0; o < poolcore::kOutcomeCount; ++o) {
        out += ',';
        out += poolcore::to_string(Outcome(o));
        out += "_per_s";
    }
    out += ",writes_per_s,latency_p50_ms,latency_p99_ms,submitted";
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
        std::snprintf(line, sizeof line, ",%.2f,%.3f,%.3f,%llu", s.writes_per_s, s.p50_ms, s.p99_ms,
                      static_cast<unsigned long long>(s.submitted));
        out += line;
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

std::string StatsHistory::to_json(const poolcore::StatsSnapshot& latest,
                                  const poolcore::Info* info) const {
    nlohmann::json history = nlohmann::json::array();
    for (const Sample& s : samples_) {
        nlohmann::json workers = nlohmann::json::array();
        for (const auto& w : s.workers)
            workers.push_back(
                {{"slot", w.slot}, {"pid", w.pid}, {"rss_mib", w.rss_mib}, {"writes", w.writes}});
        nlohmann::json per_second = {{"writes", s.writes_per_s}};
        for (int o = 0; o < poolcore::kOutcomeCount; ++o)
            per_second[std::string(poolcore::to_string(Outcome(o)))] =
                s.outcome_per_s[std::size_t(o)];
        history.push_back({{"time_s", s.time},
                           {"wall_time", iso_utc(time_origin_ + s.time)},
                           {"state", poolcore::to_string(s.state)},
                           {"target", s.target},
                           {"alive", s.alive},
                           {"busy", s.busy},
                           {"pending", s.pending},
                           {"in_flight", s.in_flight},
                           {"per_second", per_second},
                           {"latency_ms", {{"p50", s.p50_ms}, {"p99", s.p99_ms}}},
                           {"workers", std::move(workers)}});
    }
    nlohmann::json doc = {{"started_at", iso_utc(time_origin_)},
                          {"started_at_unix_s", time_origin_},
                          {"snapshot", latest},
                          {"history", std::move(history)}};
    if (info)
        doc["info"] = *info;
    return doc.dump(2);
}

} // namespace poolscope
