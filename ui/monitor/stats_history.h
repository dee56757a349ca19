// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "poolcore/stats.h"
#include "ui/monitor/sample.h"

#include <deque>
#include <string>

namespace poolscope {

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
