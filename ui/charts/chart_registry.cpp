// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/charts/chart_registry.h"

#include "ui/charts/live_charts.h"

#include <array>

namespace poolscope {

namespace {

template <typename Chart> ChartView* make() {
    return new Chart;
}

// The pool-wide rates first, the per-worker charts after them.
const std::array kChartRows{
    ChartRow{"processesChart", &make<ProcessCountChart>},
    ChartRow{"throughputChart", &make<ThroughputChart>},
    ChartRow{"latencyChart", &make<LatencyChart>},
    ChartRow{"queueChart", &make<QueueDepthChart>},
    ChartRow{"memoryChart", &make<MemoryChart>},
    ChartRow{"writesChart", &make<WriteStatsChart>},
};

} // namespace

std::span<const ChartRow> chartRows() {
    return kChartRows;
}

} // namespace poolscope
