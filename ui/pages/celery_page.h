// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QWidget>

class QLabel;
class QTreeWidget;

namespace poolscope {

class PoolController;

// The Celery workers of the cluster the controller watches, one row each: online or offline by
// heartbeat (with the last heartbeat's age and why it went offline), software version, load
// average, its pool from `inspect stats` (processes, Celery's max-concurrency where it lags,
// writes, autoscaler, prefetch), active tasks with the child pid running each, and whether it
// allows pool restarts. Refreshed from the controller's samples, once a second at most.
class CeleryPage final : public QWidget {
    Q_OBJECT
public:
    explicit CeleryPage(PoolController& controller, QWidget* parent = nullptr);

    QTreeWidget* tree() const { return tree_; }
    // Rebuilds the rows now.
    void refresh();

private:
    PoolController& controller_;
    QLabel* summary_;
    QTreeWidget* tree_;
    qint64 last_refresh_ms_ = 0;
};

} // namespace poolscope
