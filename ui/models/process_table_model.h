// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "poolcore/stats.h"

#include <QAbstractTableModel>
#include <vector>

namespace poolscope {

// One row per worker process, from the pool's stats snapshot. Rows are keyed by pid: an update
// inserts the workers that appeared, removes the ones that left and signals only the cells that
// changed, so views keep their selection and an idle pool repaints nothing.
class ProcessTableModel final : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column {
        Slot,
        Pid,
        State,
        CurrentJob,
        RunningFor,
        JobsDone,
        Writes,
        ResidentMemory,
        Cpu,
        Uptime,
        Generation,
        Replacements,
        LastExit,
        ColumnCount
    };
    // The raw value behind a cell (numbers as numbers), for sorting.
    static constexpr int SortRole = Qt::UserRole + 1;

    explicit ProcessTableModel(QObject* parent = nullptr);

    void update(const std::vector<poolcore::WorkerStats>& workers);
    const poolcore::WorkerStats& worker(int row) const { return rows_[std::size_t(row)]; }
    int rowOfPid(pid_t pid) const;

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;

private:
    QVariant display(const poolcore::WorkerStats& w, int column) const;
    QVariant sortValue(const poolcore::WorkerStats& w, int column) const;

    std::vector<poolcore::WorkerStats> rows_;
};

} // namespace poolscope
