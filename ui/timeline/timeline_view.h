// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "poolcore/job.h"
#include "ui/charts/chart_palette.h"
#include "ui/charts/time_series.h"
#include "ui/timeline/timeline_store.h"

#include <QWidget>
#include <functional>

class QLabel;
class QPushButton;

namespace poolscope {

class TimelineCanvas;

// The per-slot job timeline: one lane per slot, labelled with the slot and its worker's pid;
// each job a bar from written to finished (a thin line before it is the wait in the queue, the
// lighter start of the bar the wait for the worker's ack), coloured by outcome; the pool's
// events as marks. It follows the live edge until the user scrolls, drags or zooms, and says so;
// "Follow Live" or a double click follows again. Shift+drag (or a right-button drag) selects a
// time range; a click on a bar activates that job.
class TimelineView final : public QWidget {
    Q_OBJECT
public:
    explicit TimelineView(QWidget* parent = nullptr);

    // Names a lane from its slot and pid; an empty answer leaves the default, "slot 3 · 4711".
    using LaneLabeler = std::function<QString(int slot, qint64 pid)>;
    void setLaneLabeler(LaneLabeler labeler);
    // What the lane of `slot` whose process is `pid` is called.
    QString laneLabel(int slot, qint64 pid) const;

    TimelineStore& store() { return store_; }
    const TimelineStore& store() const { return store_; }

    // Shows [begin, end] (wall-clock seconds) and stops following.
    void showRange(double begin, double end);
    void followLive();
    bool isFollowing() const { return window_.following(); }
    ValueRange visibleRange() const;
    void setWindowSeconds(double seconds);
    // The frame the canvas would draw now, at its present width (for tests and the benchmark).
    TimelineFrame currentFrame() const;
    QPushButton* followButton() const { return follow_button_; }
    QString statusText() const;
    // Paints now, synchronously; returns how long it took in ms (the benchmark uses it).
    double repaintNow();
    double lastPaintMs() const { return last_paint_ms_; }

public Q_SLOTS:
    // New data arrived or time moved on: redraw if visible.
    void refresh();
    void addJobs(const std::vector<poolcore::JobRecord>& jobs);
    void addEvents(const QList<poolscope::PoolEvent>& events);
    // The jobs running now, from a sample of the pool.
    void setRunning(const poolcore::StatsSnapshot& snapshot);

Q_SIGNALS:
    void jobActivated(poolcore::JobId id);
    void timeRangeSelected(double begin, double end);
    void followingChanged(bool following);

protected:
    void changeEvent(QEvent* event) override;

private:
    friend class TimelineCanvas;
    double now() const;
    double historyBegin() const;
    void userMoved(ValueRange requested);
    void updateStatus();

    TimelineStore store_;
    LaneLabeler lane_labeler_;
    RollingWindow window_{60.0, 0.001};
    ChartPalette palette_;
    TimelineCanvas* canvas_;
    QLabel* status_;
    QPushButton* follow_button_;
    double last_paint_ms_ = 0;
    bool was_following_ = true;
};

} // namespace poolscope
