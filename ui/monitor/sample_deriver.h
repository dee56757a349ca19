// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "poolcore/stats.h"
#include "ui/monitor/counter_rate.h"
#include "ui/monitor/sample.h"

namespace poolscope {

// Derives samples from successive snapshots, keeping the counter history the rates need.
class SampleDeriver {
public:
    Sample derive(double time, const poolcore::StatsSnapshot& snapshot);

private:
    CounterRate succeeded_, failed_, lost_, timed_out_, finished_, writes_;
};

} // namespace poolscope
