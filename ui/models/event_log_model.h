// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "ui/sources/pool_events.h"

#include <QAbstractTableModel>
#include <QSortFilterProxyModel>
#include <deque>

namespace poolscope {

// The event log: the newest `capacity` events, oldest first. When full, the oldest rows go in
// one removal per batch.
class EventLogModel final : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column { Time, Kind, Slot, Pid, Message, ColumnCount };
    static constexpr int KindRole = Qt::UserRole + 1;
    static constexpr int SeverityRole = Qt::UserRole + 2; // "info", "warning", "error"

    explicit EventLogModel(std::size_t capacity = 20000, QObject* parent = nullptr);

    void append(const QList<PoolEvent>& events);
    void clear();
    const PoolEvent& event_at(int row) const { return events_[std::size_t(row)]; }
    std::size_t capacity() const { return capacity_; }

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;

private:
    std::size_t capacity_;
    std::deque<PoolEvent> events_;
};

// Shows the events of the kinds switched on whose text contains the search text.
class EventLogFilter final : public QSortFilterProxyModel {
    Q_OBJECT
public:
    explicit EventLogFilter(QObject* parent = nullptr);

    void setKindShown(EventKind kind, bool shown);
    bool isKindShown(EventKind kind) const { return shown_ & (1u << unsigned(kind)); }
    void setSearchText(const QString& text);

protected:
    bool filterAcceptsRow(int source_row, const QModelIndex& source_parent) const override;

private:
    unsigned shown_ = ~0u;
    QString search_;
};

// The visible rows of `model` as CSV (time, kind, severity, slot, pid, message).
QString eventsToCsv(const QAbstractItemModel& model);

} // namespace poolscope
