// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "ui/monitor/sample_deriver.h"
#include "ui/monitor/stats_history.h"

#include <QObject>

namespace poolscope {

class PoolController;

// Turns the controller's snapshots into samples (gauges plus per-second rates) and keeps their
// history, so that the charts, the status bar and the exports read derived data from one place
// and the window only passes it on.
class PoolMonitor final : public QObject {
    Q_OBJECT
public:
    explicit PoolMonitor(PoolController& controller, QObject* parent = nullptr);

    const StatsHistory& history() const { return history_; }
    // The wall-clock time (seconds since the Unix epoch) of sample time 0.
    double timeOrigin() const { return history_.time_origin(); }

Q_SIGNALS:
    // One per controller sample, after the sample is derived and before it joins the history.
    void sampleDerived(const poolscope::Sample& sample);

private:
    void onSampled(const poolcore::StatsSnapshot& snapshot);

    PoolController& controller_;
    SampleDeriver deriver_;
    StatsHistory history_;
};

} // namespace poolscope
