// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "ui/sources/pool_events.h"

#include <QWidget>

class QLineEdit;
class QTableView;
class QToolButton;

namespace poolscope {

class EventLogModel;
class EventLogFilter;

// The event log: what the pool did, filterable by kind and text, exportable as CSV.
class EventLogPage final : public QWidget {
    Q_OBJECT
public:
    explicit EventLogPage(QWidget* parent = nullptr);

    void append(const QList<PoolEvent>& events);
    EventLogModel* model() const { return model_; }
    EventLogFilter* filter() const { return filter_; }
    QTableView* view() const { return view_; }
    QToolButton* kindButton(EventKind kind) const { return kind_buttons_[int(kind)]; }
    QToolButton* clearButton() const { return clear_; }

    // Writes the rows that pass the filter to `path` as CSV.
    bool exportCsv(const QString& path, QString* error) const;

public Q_SLOTS:
    void exportWithDialog();
    // Asks first, saying how many events go; empties the log only on yes.
    void clearWithQuestion();

private:
    // A kind's toggle reads as on or off by itself, not by a faint highlight.
    static void showToggleState(QToolButton* button, EventKind kind, bool shown);

    EventLogModel* model_;
    EventLogFilter* filter_;
    QTableView* view_;
    QLineEdit* search_;
    QToolButton* kind_buttons_[kEventKindCount];
    QToolButton* clear_;
};

} // namespace poolscope
