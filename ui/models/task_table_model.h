// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "ui/monitor/job_stats.h"

#include <QAbstractTableModel>
#include <vector>

namespace poolscope {

// One row per task name, from JobStats: rate, counts per outcome, p50/p99 of queue wait and run
// time, the last error. refresh() inserts rows for new task names (names only ever arrive) and
// signals the cells of the others.
class TaskTableModel final : public QAbstractTableModel {
    Q_OBJECT
public:
    // Task, Rate, Total, one column per outcome, then the percentiles and the last error.
    static constexpr int kFirstOutcome = 3;
    static constexpr int kQueueP50 = kFirstOutcome + poolcore::kOutcomeCount;
    static constexpr int kQueueP99 = kQueueP50 + 1;
    static constexpr int kRunP50 = kQueueP50 + 2;
    static constexpr int kRunP99 = kQueueP50 + 3;
    static constexpr int kLastError = kQueueP50 + 4;
    static constexpr int kColumnCount = kLastError + 1;
    static constexpr int SortRole = Qt::UserRole + 1;

    explicit TaskTableModel(const JobStats& stats, QObject* parent = nullptr);

    void refresh();
    const TaskAggregate& task(int row) const { return *rows_[std::size_t(row)]; }

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;

private:
    const JobStats& stats_;
    std::vector<const TaskAggregate*> rows_; // into stats_.tasks(), in name order
};

} // namespace poolscope
