// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QWidget>
#include <vector>

class QGridLayout;

namespace poolscope {

class ChartView;

// The charts as the centre of the window: a grid of equal cells, as many columns as fit at the
// chart's minimum width (at most three), the rows sharing the height. A hidden chart gives its
// cell to the others. Charts sit side by side in a grid rather than in docks because docks
// stacked in the dock areas add their minimum sizes up into a window taller than a laptop screen.
class ChartGrid final : public QWidget {
    Q_OBJECT
public:
    static constexpr int kMaxColumns = 3;

    explicit ChartGrid(QWidget* parent = nullptr);

    void addChart(ChartView* chart);
    const std::vector<ChartView*>& charts() const { return charts_; }
    // Shows or hides a chart and lays the others out again.
    void setChartVisible(ChartView* chart, bool visible);
    int columns() const { return columns_; }

    QSize minimumSizeHint() const override;

protected:
    void resizeEvent(QResizeEvent* event) override;

private:
    int columnsFor(int width) const;
    void relayout(int columns);

    QGridLayout* grid_;
    std::vector<ChartView*> charts_;
    std::vector<bool> shown_;
    int columns_ = kMaxColumns;
};

} // namespace poolscope
