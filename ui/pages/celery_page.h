// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QDateTime>
#include <QWidget>
#include <map>
#include <string>

class QLabel;
class QMenu;
class QTreeWidget;
class QTreeWidgetItem;

namespace poolscope {

class CelerySource;
class PoolController;

// The Celery workers of the cluster the controller watches, one row each: online or offline by
// heartbeat (with the last heartbeat's age and why it went offline), software version, load
// average, its pool from `inspect stats` (processes, Celery's max-concurrency where it lags,
// writes, autoscaler, prefetch), active tasks with the child pid running each, whether it
// allows pool restarts, and the last control sent to it with the worker's reply or error.
// Refreshed from the controller's samples, once a second at most.
//
// A worker row's context menu sends Celery's remote control to that worker alone: ping,
// pool_grow / pool_shrink (n), pool_restart, autoscale (max, min), enable / disable events and
// shutdown (after a confirmation); a task row's revokes its task, or terminates it by a signal.
class CeleryPage final : public QWidget {
    Q_OBJECT
public:
    explicit CeleryPage(PoolController& controller, QWidget* parent = nullptr);

    // The columns; the third holds each worker's last control and its reply, in sight.
    enum Column {
        WorkerColumn,
        StateColumn,
        ControlColumn,
        HeartbeatColumn,
        VersionColumn,
        LoadColumn,
        PoolColumn,
        ActiveColumn,
        ProcessedColumn,
        WritesColumn,
        AutoscalerColumn,
        RestartsColumn,
        ColumnCount
    };

    QTreeWidget* tree() const { return tree_; }
    // Rebuilds the rows now.
    void refresh();
    // The row of worker `node` (by node name, or its prefix up to '@'), or null.
    QTreeWidgetItem* workerRow(const QString& node) const;
    // The context menu of `row` (a worker or a task row), owned by the caller; its actions are
    // named celeryPing, celeryPoolGrow, ... for tests and accessibility.
    QMenu* contextMenuFor(QTreeWidgetItem* row);
    // Sends `method` to worker `node` and shows the reply in its row; false when not watching a
    // Celery cluster.
    bool sendControl(const QString& node, const QString& method, const QString& argumentsJson);
    // What the row of `node` says of the last control sent to it.
    QString lastControlText(const QString& node) const;

private:
    struct LastControl {
        QString method;
        QString text;
        bool ok = true;
        bool waiting = true;
        QDateTime at;
    };
    // A pool_grow / pool_shrink / autoscale the worker accepted whose effect inspect stats has
    // not listed yet.
    struct PendingResize {
        int processes = 0; // what stats should list once applied; 0: unknown (autoscale)
        QDateTime since;
    };
    CelerySource* source() const;
    void addWorkerActions(QMenu* menu, const QString& node);
    void addTaskActions(QMenu* menu, const QString& node, const QString& task);
    void askShutdown(const QString& node);
    void showControl(QTreeWidgetItem* row, const std::string& node) const;

    PoolController& controller_;
    QLabel* summary_;
    QTreeWidget* tree_;
    qint64 last_refresh_ms_ = 0;
    std::map<std::string, LastControl> last_control_; // by node name
    std::map<std::string, PendingResize> pending_;
};

} // namespace poolscope
