// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/models/job_table_model.h"

#include <QLocale>

namespace poolscope {

namespace {

QString text(const std::string& s) {
    return QString::fromStdString(s);
}

double ms(std::chrono::nanoseconds d) {
    return double(d.count()) / 1e6;
}

} // namespace

QString durationText(std::chrono::nanoseconds d) {
    const QLocale locale;
    const double ns = double(d.count());
    if (ns < 1e6)
        return QStringLiteral("%1 µs").arg(locale.toString(ns / 1e3, 'f', 0));
    if (ns < 1e9)
        return QStringLiteral("%1 ms").arg(locale.toString(ns / 1e6, 'f', ns < 1e7 ? 2 : 1));
    return QStringLiteral("%1 s").arg(locale.toString(ns / 1e9, 'f', 2));
}

JobTableModel::JobTableModel(std::size_t capacity, QObject* parent)
    : QAbstractTableModel(parent), capacity_(std::max<std::size_t>(capacity, 1)) {}

void JobTableModel::append(const JobRecords& jobs) {
    if (jobs.empty())
        return;
    const std::size_t incoming = std::min(jobs.size(), capacity_);
    const std::size_t overflow =
        rows_.size() + incoming > capacity_ ? rows_.size() + incoming - capacity_ : 0;
    if (overflow) {
        beginRemoveRows({}, 0, int(overflow) - 1);
        rows_.erase(rows_.begin(), rows_.begin() + std::ptrdiff_t(overflow));
        endRemoveRows();
    }
    beginInsertRows({}, int(rows_.size()), int(rows_.size() + incoming) - 1);
    rows_.insert(rows_.end(), jobs.end() - std::ptrdiff_t(incoming), jobs.end());
    endInsertRows();
}

void JobTableModel::clear() {
    beginResetModel();
    rows_.clear();
    endResetModel();
}

int JobTableModel::rowOfJob(poolcore::JobId id) const {
    // Mostly in id order (jobs end roughly as they were submitted): look from the newest back.
    for (std::size_t i = rows_.size(); i-- > 0;)
        if (rows_[i].id == id)
            return int(i);
    return -1;
}

int JobTableModel::rowCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : int(rows_.size());
}

int JobTableModel::columnCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant JobTableModel::data(const QModelIndex& index, int role) const {
    if (!index.isValid() || index.row() >= int(rows_.size()))
        return {};
    const JobRecord& r = rows_[std::size_t(index.row())];
    const bool sort = role == SortRole;
    if (role != Qt::DisplayRole && !sort && role != Qt::ToolTipRole &&
        role != Qt::TextAlignmentRole)
        return {};
    const int column = index.column();
    if (role == Qt::TextAlignmentRole) {
        const bool number = column == Id || column == Payload || column == Slot || column == Pid ||
                            column == QueueWait || column == RunTime || column == Latency;
        return QVariant(int((number ? Qt::AlignRight : Qt::AlignLeft) | Qt::AlignVCenter));
    }
    if (role == Qt::ToolTipRole)
        return column == Error || column == Argument
                   ? QVariant(text(column == Error ? r.error : r.argument))
                   : QVariant();
    const QLocale locale;
    switch (column) {
    case Id:
        return sort ? QVariant(qulonglong(r.id)) : QVariant(locale.toString(qulonglong(r.id)));
    case Task:
        return text(r.task);
    case Argument:
        return text(r.argument);
    case Payload:
        return sort ? QVariant(qulonglong(r.payload_bytes))
                    : QVariant(locale.formattedDataSize(qint64(r.payload_bytes), 1,
                                                        QLocale::DataSizeTraditionalFormat));
    case Slot:
        if (sort)
            return r.slot;
        return r.slot < 0 ? QStringLiteral("–") : QString::number(r.slot);
    case Pid:
        if (sort)
            return qlonglong(r.pid);
        return r.pid == 0 ? QStringLiteral("–") : QString::number(r.pid);
    case OutcomeColumn:
        return QString::fromLatin1(poolcore::to_string(r.outcome).data());
    case QueueWait:
        return sort ? QVariant(ms(r.queue_wait())) : QVariant(durationText(r.queue_wait()));
    case RunTime:
        return sort ? QVariant(ms(r.run_time())) : QVariant(durationText(r.run_time()));
    case Latency:
        return sort ? QVariant(ms(r.latency())) : QVariant(durationText(r.latency()));
    case Error: {
        if (sort)
            return text(r.error);
        // The table shows the first line; the detail panel and the tooltip the whole text.
        const QString e = text(r.error);
        const qsizetype nl = e.indexOf(QLatin1Char('\n'));
        return nl < 0 ? e : e.left(nl) + QStringLiteral(" …");
    }
    default:
        return {};
    }
}

QVariant JobTableModel::headerData(int section, Qt::Orientation orientation, int role) const {
    if (orientation != Qt::Horizontal)
        return {};
    if (role == Qt::ToolTipRole) {
        switch (section) {
        case QueueWait:
            return tr("From submission until it was written to a worker: waiting for a free one");
        case RunTime:
            return tr("From being written to a worker until its outcome was known");
        case Latency:
            return tr("From submission to outcome: queue wait plus run time");
        case Slot:
            return tr("The slot of the worker it was written to (– if it never was)");
        default:
            return {};
        }
    }
    if (role != Qt::DisplayRole)
        return {};
    switch (section) {
    case Id:
        return tr("Job");
    case Task:
        return tr("Task");
    case Argument:
        return tr("Argument");
    case Payload:
        return tr("Payload");
    case Slot:
        return tr("Slot");
    case Pid:
        return tr("Pid");
    case OutcomeColumn:
        return tr("Outcome");
    case QueueWait:
        return tr("Queue Wait");
    case RunTime:
        return tr("Run Time");
    case Latency:
        return tr("Latency");
    case Error:
        return tr("Error");
    default:
        return {};
    }
}

JobFilterModel::JobFilterModel(QObject* parent) : QSortFilterProxyModel(parent) {
    setSortRole(JobTableModel::SortRole);
}

void JobFilterModel::setOutcome(std::optional<poolcore::Outcome> outcome) {
    outcome_ = outcome;
    invalidateFilter();
}

void JobFilterModel::setTask(const QString& task) {
    task_ = task.toStdString();
    invalidateFilter();
}

void JobFilterModel::setSlot(int slot) {
    slot_ = slot;
    invalidateFilter();
}

void JobFilterModel::setSearch(const QString& text) {
    search_ = text.trimmed();
    invalidateFilter();
}

void JobFilterModel::setTimeRange(Clock::time_point begin, Clock::time_point end) {
    range_ = std::pair{std::min(begin, end), std::max(begin, end)};
    invalidateFilter();
}

void JobFilterModel::clearTimeRange() {
    range_.reset();
    invalidateFilter();
}

bool JobFilterModel::filterAcceptsRow(int source_row, const QModelIndex&) const {
    const auto* model = static_cast<const JobTableModel*>(sourceModel());
    const JobRecord& r = model->record(source_row);
    if (outcome_ && r.outcome != *outcome_)
        return false;
    if (!task_.empty() && r.task != task_)
        return false;
    if (slot_ >= 0 && r.slot != slot_)
        return false;
    if (range_ && (r.finished < range_->first || r.submitted > range_->second))
        return false;
    if (search_.isEmpty())
        return true;
    const auto has = [&](const std::string& s) {
        return QString::fromStdString(s).contains(search_, Qt::CaseInsensitive);
    };
    return has(r.task) || has(r.argument) || has(r.error) || QString::number(r.id) == search_ ||
           QString::number(r.pid) == search_;
}

} // namespace poolscope
