// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "ui/charts/chart_palette.h"
#include "ui/timeline/timeline_store.h"

#include <QColor>

namespace poolscope {

// One colour per kind of mark, the same on the timeline and on every chart.
QColor markColour(const ChartPalette& palette, MarkKind kind);

} // namespace poolscope
