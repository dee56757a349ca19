// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QWidget>

class QTableView;

namespace poolscope {

class JobStats;
class TaskTableModel;

// The per-task table: one sortable row per task name (TaskTableModel), refreshed per sample.
class TasksPage final : public QWidget {
    Q_OBJECT
public:
    explicit TasksPage(const JobStats& stats, QWidget* parent = nullptr);

    TaskTableModel& model() { return *model_; }

public Q_SLOTS:
    void refresh();

private:
    TaskTableModel* model_;
    QTableView* table_;
};

} // namespace poolscope
