// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "ui/sources/job_records.h"

#include <QAbstractTableModel>
#include <QSortFilterProxyModel>
#include <deque>
#include <optional>

namespace poolscope {

// The most recent jobs, one row each, oldest first: at most `capacity` rows (a batch that
// overflows it removes the oldest rows first), so memory is bounded however fast jobs finish.
class JobTableModel final : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column {
        Id,
        Task,
        Argument,
        Payload,
        Slot,
        Pid,
        OutcomeColumn,
        QueueWait,
        RunTime,
        Latency,
        Error,
        ColumnCount
    };
    // The raw value behind a cell (numbers as numbers), for sorting and filtering.
    static constexpr int SortRole = Qt::UserRole + 1;
    // 100,000 records: about 16 MiB with short names.
    static constexpr std::size_t kDefaultCapacity = 100000;

    explicit JobTableModel(std::size_t capacity = kDefaultCapacity, QObject* parent = nullptr);

    void append(const JobRecords& jobs);
    void clear();
    std::size_t capacity() const { return capacity_; }
    const JobRecord& record(int row) const { return rows_[std::size_t(row)]; }
    // The row of job `id`, -1 when it is not (or no longer) kept.
    int rowOfJob(poolcore::JobId id) const;

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;

private:
    std::size_t capacity_;
    std::deque<JobRecord> rows_;
};

// What the Jobs page shows of a JobTableModel: sorted by any column, filtered by outcome, task,
// slot, a time range (jobs whose life overlaps it, on the steady clock) and a search text
// matched against task, argument, error, id and pid.
class JobFilterModel final : public QSortFilterProxyModel {
    Q_OBJECT
public:
    using Clock = JobRecord::Clock;
    explicit JobFilterModel(QObject* parent = nullptr);

    void setOutcome(std::optional<poolcore::Outcome> outcome);
    void setTask(const QString& task); // empty: every task
    void setSlot(int slot);            // -1: every slot
    void setSearch(const QString& text);
    void setTimeRange(Clock::time_point begin, Clock::time_point end);
    void clearTimeRange();
    bool hasTimeRange() const { return range_.has_value(); }

protected:
    bool filterAcceptsRow(int source_row, const QModelIndex& source_parent) const override;

private:
    std::optional<poolcore::Outcome> outcome_;
    std::string task_;
    int slot_ = -1;
    QString search_;
    std::optional<std::pair<Clock::time_point, Clock::time_point>> range_;
};

// "12.3 ms", "1.24 s", "850 µs": one unit per magnitude, as the Jobs and Tasks tables show them.
QString durationText(std::chrono::nanoseconds d);

} // namespace poolscope
