// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// The live charts of the main window, one class each. All take their data from Sample; none
// touches the pool. The charts drawn from job records are in job_charts.h.

#include "ui/charts/chart_view.h"

#include <array>
#include <map>

class QCPBars;
class QCPAxisTickerText;

namespace poolscope {

// Processes alive against the target, and how many are busy, as steps.
class ProcessCountChart final : public ChartView {
    Q_OBJECT
public:
    explicit ProcessCountChart(QWidget* parent = nullptr);

protected:
    void append(const Sample& s) override;
    void restyle(const ChartPalette& p) override;

private:
    PlotSeries* alive_;
    PlotSeries* target_;
    PlotSeries* busy_;
};

// Jobs finished per second, by outcome.
class ThroughputChart final : public ChartView {
    Q_OBJECT
public:
    explicit ThroughputChart(QWidget* parent = nullptr);

protected:
    void append(const Sample& s) override;
    void restyle(const ChartPalette& p) override;

private:
    std::array<PlotSeries*, poolcore::kOutcomeCount> outcomes_{};
};

// Jobs waiting in the pool's queue, and jobs written to workers and not yet finished.
class QueueDepthChart final : public ChartView {
    Q_OBJECT
public:
    explicit QueueDepthChart(QWidget* parent = nullptr);

protected:
    void append(const Sample& s) override;
    void restyle(const ChartPalette& p) override;

private:
    PlotSeries* pending_;
    PlotSeries* in_flight_;
};

// Resident memory of the worker in each slot.
class MemoryChart final : public ChartView {
    Q_OBJECT
public:
    explicit MemoryChart(QWidget* parent = nullptr);

protected:
    void append(const Sample& s) override;
    void restyle(const ChartPalette& p) override;
    bool extrasChanged() override;
    double minimumTop() const override { return 8.0; }

private:
    struct Slot {
        PlotSeries* series = nullptr;
        pid_t pid = 0;
    };
    std::map<int, Slot> slots_;
    bool labels_changed_ = false;
};

// Celery's write statistics: raw writes per slot as bars labelled with the slot's current pid,
// and the total writes per second below.
class WriteStatsChart final : public ChartView {
    Q_OBJECT
public:
    explicit WriteStatsChart(QWidget* parent = nullptr);

    // The bars as drawn: slot -> writes, and the tick label under each.
    std::vector<std::pair<int, double>> bars() const;
    QStringList barLabels() const;

protected:
    void append(const Sample& s) override;
    void restyle(const ChartPalette& p) override;
    bool extrasChanged() override;
    void resizeEvent(QResizeEvent* event) override;

private:
    // "slot\npid" under each bar where there is room for the pid, else the slot alone: eight
    // pids side by side in a narrow chart run into one another.
    void labelSlots();

    QCPAxisRect* bars_rect_;
    QCPBars* bars_;
    QSharedPointer<QCPAxisTickerText> slot_ticker_;
    PlotSeries* writes_per_s_;
    std::vector<WorkerSample> shown_;
    bool bars_changed_ = false;
    bool pids_shown_ = true;
};

} // namespace poolscope
