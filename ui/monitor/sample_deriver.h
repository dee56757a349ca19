// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "poolcore/stats.h"
#include "ui/monitor/counter_rate.h"
#include "ui/monitor/sample.h"

#include <array>

namespace poolscope {

// Derives samples from successive snapshots, keeping the counter history the rates need.
class SampleDeriver {
public:
    Sample derive(double time, const poolcore::StatsSnapshot& snapshot);

private:
    std::array<CounterRate, poolcore::kOutcomeCount> outcomes_;
    CounterRate finished_, writes_;
};

} // namespace poolscope
