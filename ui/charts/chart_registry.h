// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "ui/sources/pool_action.h"

#include <optional>
#include <span>

namespace poolscope {

class ChartView;

// One row per live chart of the main window: adding a chart is a class in live_charts and a row
// here. The window lays the charts out in a grid in the order of the rows, left to right.
struct ChartRow {
    const char* object_name; // the chart's
    ChartView* (*make)();
    // What the source must have for the chart to show anything; without it the chart says why.
    std::optional<SourceFeature> needs = std::nullopt;
};

std::span<const ChartRow> chartRows();

} // namespace poolscope
