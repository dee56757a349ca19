// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/charts/chart_grid.h"

#include "ui/charts/chart_view.h"

#include <QGridLayout>
#include <QResizeEvent>
#include <algorithm>
#include <vector>

namespace poolscope {

ChartGrid::ChartGrid(QWidget* parent) : QWidget(parent), grid_(new QGridLayout(this)) {
    setObjectName(QStringLiteral("chartGrid"));
    grid_->setContentsMargins(2, 2, 2, 2);
    grid_->setSpacing(4);
}

void ChartGrid::addChart(ChartView* chart) {
    chart->setParent(this);
    charts_.push_back(chart);
    shown_.push_back(true);
    relayout(columnsFor(width()));
}

void ChartGrid::setChartVisible(ChartView* chart, bool visible) {
    const auto it = std::find(charts_.begin(), charts_.end(), chart);
    if (it == charts_.end())
        return;
    shown_[std::size_t(it - charts_.begin())] = visible;
    relayout(columnsFor(width()));
}

int ChartGrid::columnsFor(int width) const {
    const int shown = int(std::count(shown_.begin(), shown_.end(), true));
    if (shown == 0)
        return 1;
    const int cell = ChartView::kMinimumWidth + grid_->spacing();
    return std::clamp(width / cell, 1, std::min(kMaxColumns, shown));
}

void ChartGrid::relayout(int columns) {
    columns_ = columns;
    for (ChartView* c : charts_)
        grid_->removeWidget(c);
    for (int r = 0; r < grid_->rowCount(); ++r)
        grid_->setRowStretch(r, 0);
    for (int c = 0; c < grid_->columnCount(); ++c)
        grid_->setColumnStretch(c, 0);
    int cell = 0;
    for (std::size_t i = 0; i < charts_.size(); ++i) {
        charts_[i]->setVisible(shown_[i]);
        if (!shown_[i])
            continue;
        grid_->addWidget(charts_[i], cell / columns, cell % columns);
        ++cell;
    }
    for (int r = 0; r < (cell + columns - 1) / columns; ++r)
        grid_->setRowStretch(r, 1);
    for (int c = 0; c < columns; ++c)
        grid_->setColumnStretch(c, 1);
    updateGeometry();
}

QSize ChartGrid::minimumSizeHint() const {
    // As narrow as one column allows, as short as the widest layout (the one a wide window
    // uses) allows: the window's minimum height must not assume the one-column layout.
    const int shown = int(std::count(shown_.begin(), shown_.end(), true));
    const int columns = std::min(kMaxColumns, std::max(shown, 1));
    const int rows = (shown + columns - 1) / columns;
    // Each row as tall as its tallest chart's minimum (a chart with two plots asks for more).
    std::vector<int> row_heights(std::size_t(rows), ChartView::kMinimumHeight);
    int cell = 0;
    for (std::size_t i = 0; i < charts_.size(); ++i)
        if (shown_[i]) {
            int& row = row_heights[std::size_t(cell / columns)];
            row = std::max(row, charts_[i]->minimumHeight());
            ++cell;
        }
    int height = 0;
    for (int h : row_heights)
        height += h;
    const QMargins m = grid_->contentsMargins();
    return {ChartView::kMinimumWidth + m.left() + m.right(),
            height + std::max(rows - 1, 0) * grid_->spacing() + m.top() + m.bottom()};
}

void ChartGrid::resizeEvent(QResizeEvent* event) {
    QWidget::resizeEvent(event);
    const int columns = columnsFor(event->size().width());
    if (columns != columns_)
        relayout(columns);
}

} // namespace poolscope
