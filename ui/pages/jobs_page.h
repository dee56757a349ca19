// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "ui/sources/job_records.h"

#include <QWidget>

class QComboBox;
class QLabel;
class QLineEdit;
class QPlainTextEdit;
class QPushButton;
class QSpinBox;
class QSplitter;
class QTableView;

namespace poolscope {

class JobFilterModel;
class JobTableModel;

// The recent jobs: a searchable, sortable, filterable table (JobTableModel through
// JobFilterModel) and a detail panel with every timestamp of the selected job, as wall-clock
// time, and its full error. The timeline, the process table and the event log drive it through
// showJob() and setTimeRange(). In a wide, short dock (a laptop's lower dock) the detail sits
// beside the table, so that the table keeps the page's height; in a tall one, under it.
class JobsPage final : public QWidget {
    Q_OBJECT
public:
    using Clock = JobRecord::Clock;
    explicit JobsPage(QWidget* parent = nullptr);

    JobTableModel& model() { return *model_; }
    JobFilterModel& filter() { return *filter_; }
    // The detail panel's text, for the tests.
    QString detailText() const;

public Q_SLOTS:
    void append(const poolscope::JobRecords& jobs);
    // Selects job `id` and shows its detail; false when it is not kept (any more). Filters that
    // hide it are cleared first.
    bool showJob(poolcore::JobId id);
    // Shows only jobs whose life overlaps [begin, end] (steady clock).
    void setTimeRange(std::chrono::steady_clock::time_point begin,
                      std::chrono::steady_clock::time_point end);
    void clearTimeRange();

protected:
    void resizeEvent(QResizeEvent* event) override;

private:
    void showDetail(const QModelIndex& proxy_index);
    void clearFilters();

    JobTableModel* model_;
    JobFilterModel* filter_;
    QLineEdit* search_;
    QComboBox* outcome_;
    QLineEdit* task_;
    QSpinBox* slot_;
    QLabel* range_label_;
    QPushButton* clear_range_;
    QTableView* table_;
    QPlainTextEdit* detail_;
    QSplitter* split_;
    poolcore::JobId shown_ = 0;
};

// A steady-clock time as the wall clock read then: "2026-12-02 06:14:03.123456".
QString wallClockText(std::chrono::steady_clock::time_point t);

} // namespace poolscope
