// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <span>

namespace poolscope {

class ChartView;

// One row per live chart of the main window: adding a chart is a class in live_charts and a row
// here. The window lays the charts out in a grid in the order of the rows, left to right.
struct ChartRow {
    const char* object_name; // the chart's
    ChartView* (*make)();
};

std::span<const ChartRow> chartRows();

} // namespace poolscope
