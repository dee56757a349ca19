// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/pages/tasks_page.h"

#include "ui/models/task_table_model.h"

#include <QHeaderView>
#include <QSortFilterProxyModel>
#include <QTableView>
#include <QVBoxLayout>

namespace poolscope {

TasksPage::TasksPage(const JobStats& stats, QWidget* parent)
    : QWidget(parent), model_(new TaskTableModel(stats, this)) {
    auto* sorted = new QSortFilterProxyModel(this);
    sorted->setSourceModel(model_);
    sorted->setSortRole(TaskTableModel::SortRole);
    table_ = new QTableView;
    table_->setObjectName(QStringLiteral("taskTable"));
    table_->setModel(sorted);
    table_->setSortingEnabled(true);
    table_->sortByColumn(0, Qt::AscendingOrder);
    table_->verticalHeader()->setVisible(false);
    table_->horizontalHeader()->setStretchLastSection(true);
    table_->setWordWrap(false);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->addWidget(table_);
}

void TasksPage::refresh() {
    model_->refresh();
}

} // namespace poolscope
