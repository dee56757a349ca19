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
    std::string out = "time_s,state,target,alive,busy,pending,in_flight,succeeded_per_s,"
                      "failed_per_s,lost_per_s,timed_out_per_s,writes_per_s,latency_p50_ms,"
                      "latency_p99_ms,submitted,succeeded,failed,soft_timed_out,lost,timed_out,"
                      "terminated,total_writes,wall_time\n";
    char line[512];
    for (const Sample& s : samples_) {
        const auto& t = s.totals;
        std::snprintf(line, sizeof line,
                      "%.3f,%s,%d,%d,%d,%.0f,%.0f,%.2f,%.2f,%.2f,%.2f,%.2f,%.3f,%.3f,%llu,%llu,"
                      "%llu,%llu,%llu,%llu,%llu,%llu,%s\n",
                      s.time, std::string(poolcore::to_string(s.state)).c_str(), s.target, s.alive,
                      s.busy, s.pending, s.in_flight, s.succeeded_per_s, s.failed_per_s,
                      s.lost_per_s, s.timed_out_per_s, s.writes_per_s, s.p50_ms, s.p99_ms,
                      static_cast<unsigned long long>(s.submitted),
                      static_cast<unsigned long long>(t[std::size_t(Outcome::Success)]),
                      static_cast<unsigned long long>(t[std::size_t(Outcome::TaskError)]),
                      static_cast<unsigned long long>(t[std::size_t(Outcome::SoftTimeLimit)]),
                      static_cast<unsigned long long>(t[std::size_t(Outcome::WorkerLost)]),
                      static_cast<unsigned long long>(t[std::size_t(Outcome::TimeLimit)]),
                      static_cast<unsigned long long>(t[std::size_t(Outcome::Terminated)]),
                      static_cast<unsigned long long>(s.total_writes),
                      iso_utc(time_origin_ + s.time).c_str());
        out += line;
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
        history.push_back({{"time_s", s.time},
                           {"wall_time", iso_utc(time_origin_ + s.time)},
                           {"state", poolcore::to_string(s.state)},
                           {"target", s.target},
                           {"alive", s.alive},
                           {"busy", s.busy},
                           {"pending", s.pending},
                           {"in_flight", s.in_flight},
                           {"per_second",
                            {{"succeeded", s.succeeded_per_s},
                             {"failed", s.failed_per_s},
                             {"lost", s.lost_per_s},
                             {"timed_out", s.timed_out_per_s},
                             {"writes", s.writes_per_s}}},
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
