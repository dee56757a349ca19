// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QColor>

class QPalette;

namespace poolscope {

// The colours of every chart, derived from the widget palette so that charts read well on light
// and dark themes alike: series colours are darker and more saturated on a light background,
// lighter on a dark one.
struct ChartPalette {
    bool dark = false;
    QColor background, foreground, muted, grid, subgrid;
    QColor alive, target, busy;
    QColor succeeded, failed, lost, timed_out;
    QColor p50, p99;
    QColor pending, in_flight;
    QColor writes, bars;

    // A distinct colour for the i-th of many similar series (one per worker slot).
    QColor series(int i) const;

    static ChartPalette from(const QPalette& palette);
};

} // namespace poolscope
