// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <Qt>
#include <span>

namespace poolscope {

class ChartView;

// One row per live chart of the main window: adding a chart is a class in live_charts and a row
// here. The window docks the charts in the order of the rows.
struct ChartRow {
    const char* object_name; // the chart's; its dock is named object_name + "Dock"
    ChartView* (*make)();
    Qt::DockWidgetArea area;
    // How the dock lines up with the row before it in the same area (ignored for the first).
    Qt::Orientation split;
    // The dock's first extent in pixels (its width in the left or right area, its height in
    // the top or bottom one); 0 leaves it to the layout.
    int extent = 0;
};

std::span<const ChartRow> chartRows();

} // namespace poolscope
