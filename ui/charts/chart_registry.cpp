// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/charts/chart_registry.h"

#include "ui/charts/job_charts.h"
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
    ChartRow{"queueRunChart", &make<QueueRunChart>},
    ChartRow{"queueChart", &make<QueueDepthChart>},
    ChartRow{"memoryChart", &make<MemoryChart>, SourceFeature::WorkerMemory},
    ChartRow{"writesChart", &make<WriteStatsChart>},
    ChartRow{"latencyHistogramChart", &make<LatencyHistogramChart>},
    ChartRow{"offeredLoadChart", &make<OfferedLoadChart>},
};

} // namespace

std::span<const ChartRow> chartRows() {
    return kChartRows;
}

} // namespace poolscope
