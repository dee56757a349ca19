// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/pages/jobs_page.h"

#include "ui/models/job_table_model.h"

#include <QComboBox>
#include <QDateTime>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QItemSelectionModel>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QResizeEvent>
#include <QSpinBox>
#include <QSplitter>
#include <QTableView>
#include <QVBoxLayout>
#include <algorithm>

namespace poolscope {

QString wallClockText(std::chrono::steady_clock::time_point t) {
    using namespace std::chrono;
    const auto wall =
        system_clock::now() - duration_cast<system_clock::duration>(steady_clock::now() - t);
    const auto us = duration_cast<microseconds>(wall.time_since_epoch()).count();
    const QDateTime when = QDateTime::fromMSecsSinceEpoch(us / 1000);
    return when.toString(QStringLiteral("yyyy-MM-dd HH:mm:ss.zzz")) +
           QStringLiteral("%1").arg(us % 1000, 3, 10, QLatin1Char('0'));
}

JobsPage::JobsPage(QWidget* parent)
    : QWidget(parent), model_(new JobTableModel(JobTableModel::kDefaultCapacity, this)),
      filter_(new JobFilterModel(this)) {
    filter_->setSourceModel(model_);

    search_ = new QLineEdit;
    search_->setObjectName(QStringLiteral("jobSearch"));
    search_->setPlaceholderText(tr("Search task, argument, error, job id or pid"));
    search_->setClearButtonEnabled(true);
    outcome_ = new QComboBox;
    outcome_->setObjectName(QStringLiteral("jobOutcome"));
    outcome_->addItem(tr("every outcome"), -1);
    for (int o = 0; o < poolcore::kOutcomeCount; ++o)
        outcome_->addItem(QString::fromLatin1(poolcore::to_string(poolcore::Outcome(o)).data()), o);
    task_ = new QLineEdit;
    task_->setObjectName(QStringLiteral("jobTask"));
    task_->setPlaceholderText(tr("task name"));
    task_->setClearButtonEnabled(true);
    slot_ = new QSpinBox;
    slot_->setObjectName(QStringLiteral("jobSlot"));
    slot_->setRange(-1, 1023);
    slot_->setSpecialValueText(tr("every slot"));
    slot_->setPrefix(tr("slot "));
    slot_->setValue(-1);
    range_label_ = new QLabel;
    clear_range_ = new QPushButton(tr("All Times"));
    clear_range_->setToolTip(tr("Show jobs of every time again"));
    clear_range_->setVisible(false);
    range_label_->setVisible(false);

    auto* filters = new QHBoxLayout;
    filters->addWidget(search_, 3);
    filters->addWidget(outcome_);
    filters->addWidget(task_, 1);
    filters->addWidget(slot_);
    filters->addWidget(range_label_);
    filters->addWidget(clear_range_);

    table_ = new QTableView;
    table_->setObjectName(QStringLiteral("jobTable"));
    table_->setModel(filter_);
    table_->setSortingEnabled(true);
    table_->sortByColumn(JobTableModel::Id, Qt::DescendingOrder);
    table_->setSelectionBehavior(QAbstractItemView::SelectRows);
    table_->setSelectionMode(QAbstractItemView::SingleSelection);
    table_->verticalHeader()->setVisible(false);
    table_->verticalHeader()->setDefaultSectionSize(table_->fontMetrics().height() + 6);
    table_->horizontalHeader()->setStretchLastSection(true);
    // Each column as wide as its heading or a typical value needs, not Qt's 100 px for all, so
    // that outcome and latency are in view in a laptop's dock without scrolling.
    const QFontMetrics metrics = table_->fontMetrics();
    const auto typical = [](int column) -> QString {
        switch (column) {
        case JobTableModel::Id:
        case JobTableModel::Pid:
            return QStringLiteral("4,194,304");
        case JobTableModel::Payload:
            return QStringLiteral("65,536 bytes");
        case JobTableModel::Slot:
            return QStringLiteral("88");
        case JobTableModel::OutcomeColumn:
            return QStringLiteral("soft-time-limit");
        case JobTableModel::QueueWait:
        case JobTableModel::RunTime:
        case JobTableModel::Latency:
            return QStringLiteral("999.99 ms");
        default:
            return QStringLiteral("sleep=1000");
        }
    };
    for (int column = 0; column < JobTableModel::Error; ++column) {
        const QString heading = model_->headerData(column, Qt::Horizontal).toString();
        table_->setColumnWidth(column, std::max(metrics.horizontalAdvance(heading) + 28,
                                                metrics.horizontalAdvance(typical(column)) + 14));
    }
    table_->setWordWrap(false);

    detail_ = new QPlainTextEdit;
    detail_->setObjectName(QStringLiteral("jobDetail"));
    detail_->setReadOnly(true);
    detail_->setPlaceholderText(tr("Select a job to see every step of its life."));

    split_ = new QSplitter(Qt::Vertical);
    split_->setObjectName(QStringLiteral("jobsSplit"));
    split_->addWidget(table_);
    split_->addWidget(detail_);
    split_->setStretchFactor(0, 3);
    split_->setStretchFactor(1, 1);

    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->addLayout(filters);
    layout->addWidget(split_, 1);

    connect(search_, &QLineEdit::textChanged, filter_, &JobFilterModel::setSearch);
    connect(task_, &QLineEdit::textChanged, filter_, &JobFilterModel::setTask);
    connect(slot_, &QSpinBox::valueChanged, filter_, &JobFilterModel::setSlot);
    connect(outcome_, &QComboBox::currentIndexChanged, this, [this] {
        const int o = outcome_->currentData().toInt();
        filter_->setOutcome(o < 0 ? std::nullopt : std::optional(poolcore::Outcome(o)));
    });
    connect(clear_range_, &QPushButton::clicked, this, &JobsPage::clearTimeRange);
    connect(table_->selectionModel(), &QItemSelectionModel::currentRowChanged, this,
            [this](const QModelIndex& current) { showDetail(current); });
}

void JobsPage::append(const JobRecords& jobs) {
    model_->append(jobs);
}

void JobsPage::clearFilters() {
    search_->clear();
    task_->clear();
    slot_->setValue(-1);
    outcome_->setCurrentIndex(0);
    // The filter too: a caller may have set it without the widgets.
    filter_->setSearch({});
    filter_->setTask({});
    filter_->setSlot(-1);
    filter_->setOutcome(std::nullopt);
    clearTimeRange();
}

bool JobsPage::showJob(poolcore::JobId id) {
    const int row = model_->rowOfJob(id);
    if (row < 0)
        return false;
    QModelIndex index = filter_->mapFromSource(model_->index(row, 0));
    if (!index.isValid()) {
        clearFilters();
        index = filter_->mapFromSource(model_->index(row, 0));
    }
    table_->setCurrentIndex(index);
    table_->scrollTo(index);
    showDetail(index);
    return true;
}

void JobsPage::setTimeRange(std::chrono::steady_clock::time_point begin,
                            std::chrono::steady_clock::time_point end) {
    filter_->setTimeRange(begin, end);
    range_label_->setText(tr("%1 – %2").arg(wallClockText(std::min(begin, end)).mid(11, 12),
                                            wallClockText(std::max(begin, end)).mid(11, 12)));
    range_label_->setVisible(true);
    clear_range_->setVisible(true);
}

void JobsPage::clearTimeRange() {
    filter_->clearTimeRange();
    range_label_->setVisible(false);
    clear_range_->setVisible(false);
}

QString JobsPage::detailText() const {
    return detail_->toPlainText();
}

void JobsPage::resizeEvent(QResizeEvent* event) {
    QWidget::resizeEvent(event);
    // Beside the table when the page is more than twice as wide as it is high; the sizes are
    // set only when the orientation changes, so a splitter the user dragged stays where it is.
    const Qt::Orientation wanted = width() > 2 * height() ? Qt::Horizontal : Qt::Vertical;
    if (split_->orientation() == wanted)
        return;
    split_->setOrientation(wanted);
    const int length = wanted == Qt::Horizontal ? width() : height();
    split_->setSizes(wanted == Qt::Horizontal ? QList<int>{length * 13 / 20, length * 7 / 20}
                                              : QList<int>{length * 3 / 4, length / 4});
}

void JobsPage::showDetail(const QModelIndex& proxy_index) {
    if (!proxy_index.isValid()) {
        detail_->clear();
        shown_ = 0;
        return;
    }
    const JobRecord& r = model_->record(filter_->mapToSource(proxy_index).row());
    shown_ = r.id;
    const auto when = [](Clock::time_point t) {
        return t == Clock::time_point{} ? tr("never") : wallClockText(t);
    };
    QStringList lines;
    lines << tr("Job %1: %2%3")
                 .arg(r.id)
                 .arg(QString::fromStdString(r.task),
                      r.argument.empty()
                          ? QString()
                          : QStringLiteral("=") + QString::fromStdString(r.argument));
    lines << tr("Outcome: %1").arg(QString::fromLatin1(poolcore::to_string(r.outcome).data()));
    lines << tr("Slot %1 · pid %2 · generation %3 of its slot · payload %4 bytes")
                 .arg(r.slot < 0 ? tr("none") : QString::number(r.slot))
                 .arg(r.pid ? QString::number(r.pid) : tr("none"))
                 .arg(r.generation)
                 .arg(r.payload_bytes);
    lines << tr("Submitted: %1").arg(when(r.submitted));
    lines << tr("Written:   %1").arg(when(r.written));
    lines << tr("Accepted:  %1").arg(when(r.accepted));
    lines << tr("Finished:  %1").arg(when(r.finished));
    lines << tr("Queue wait %1 · run time %2 · latency %3")
                 .arg(durationText(r.queue_wait()), durationText(r.run_time()),
                      durationText(r.latency()));
    if (!r.error.empty())
        lines << QString() << tr("Error:") << QString::fromStdString(r.error);
    detail_->setPlainText(lines.join(QLatin1Char('\n')));
}

} // namespace poolscope
