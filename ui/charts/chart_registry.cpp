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

// The rates and latency stack on the right; the per-worker charts line up along the bottom.
const std::array kChartRows{
    ChartRow{"processesChart", &make<ProcessCountChart>, Qt::RightDockWidgetArea, Qt::Vertical,
             480},
    ChartRow{"throughputChart", &make<ThroughputChart>, Qt::RightDockWidgetArea, Qt::Vertical},
    ChartRow{"latencyChart", &make<LatencyChart>, Qt::RightDockWidgetArea, Qt::Vertical},
    ChartRow{"queueRunChart", &make<QueueRunChart>, Qt::RightDockWidgetArea, Qt::Vertical},
    ChartRow{"writesChart", &make<WriteStatsChart>, Qt::BottomDockWidgetArea, Qt::Horizontal, 300},
    ChartRow{"queueChart", &make<QueueDepthChart>, Qt::BottomDockWidgetArea, Qt::Horizontal},
    ChartRow{"memoryChart", &make<MemoryChart>, Qt::BottomDockWidgetArea, Qt::Horizontal},
    ChartRow{"latencyHistogramChart", &make<LatencyHistogramChart>, Qt::RightDockWidgetArea,
             Qt::Vertical},
    ChartRow{"offeredLoadChart", &make<OfferedLoadChart>, Qt::RightDockWidgetArea, Qt::Vertical},
};

} // namespace

std::span<const ChartRow> chartRows() {
    return kChartRows;
}

} // namespace poolscope
