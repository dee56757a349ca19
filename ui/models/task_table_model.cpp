// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/models/task_table_model.h"

#include "ui/models/job_table_model.h"

#include <QLocale>

namespace poolscope {

TaskTableModel::TaskTableModel(const JobStats& stats, QObject* parent)
    : QAbstractTableModel(parent), stats_(stats) {
    refresh();
}

void TaskTableModel::refresh() {
    const auto& tasks = stats_.tasks();
    if (tasks.size() < rows_.size()) { // the stats were cleared
        beginResetModel();
        rows_.clear();
        for (const auto& [name, t] : tasks)
            rows_.push_back(&t);
        endResetModel();
        return;
    }
    // New names are inserted where their name sorts; std::map's nodes never move.
    int row = 0;
    for (const auto& [name, t] : tasks) {
        if (std::size_t(row) >= rows_.size() || rows_[std::size_t(row)] != &t) {
            beginInsertRows({}, row, row);
            rows_.insert(rows_.begin() + row, &t);
            endInsertRows();
        }
        ++row;
    }
    if (!rows_.empty())
        Q_EMIT dataChanged(index(0, 1), index(rowCount() - 1, kColumnCount - 1));
}

int TaskTableModel::rowCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : int(rows_.size());
}

int TaskTableModel::columnCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : kColumnCount;
}

QVariant TaskTableModel::data(const QModelIndex& index, int role) const {
    if (!index.isValid() || index.row() >= int(rows_.size()))
        return {};
    const TaskAggregate& t = *rows_[std::size_t(index.row())];
    const int c = index.column();
    const bool sort = role == SortRole;
    if (role == Qt::TextAlignmentRole)
        return QVariant(
            int((c == 0 || c == kLastError ? Qt::AlignLeft : Qt::AlignRight) | Qt::AlignVCenter));
    if (role == Qt::ToolTipRole && c == kLastError)
        return QString::fromStdString(t.last_error);
    if (role != Qt::DisplayRole && !sort)
        return {};
    const QLocale locale;
    const auto count = [&](std::uint64_t n) {
        return sort ? QVariant(qulonglong(n)) : QVariant(locale.toString(qulonglong(n)));
    };
    const auto percentile = [&](const LatencyHistogram& h, double p) {
        if (!h.count())
            return sort ? QVariant(-1.0) : QVariant(QStringLiteral("–"));
        const auto d = h.percentile(p);
        return sort ? QVariant(double(d.count()) / 1e6) : QVariant(durationText(d));
    };
    if (c == 0)
        return QString::fromStdString(t.task);
    if (c == 1)
        return sort ? QVariant(t.rate_per_s) : QVariant(locale.toString(t.rate_per_s, 'f', 1));
    if (c == 2)
        return count(t.total);
    if (c >= kFirstOutcome && c < kQueueP50)
        return count(t.outcomes[std::size_t(c - kFirstOutcome)]);
    if (c == kQueueP50)
        return percentile(t.queue_wait, 0.5);
    if (c == kQueueP99)
        return percentile(t.queue_wait, 0.99);
    if (c == kRunP50)
        return percentile(t.run_time, 0.5);
    if (c == kRunP99)
        return percentile(t.run_time, 0.99);
    if (c == kLastError) {
        const QString e = QString::fromStdString(t.last_error);
        const qsizetype nl = e.indexOf(QLatin1Char('\n'));
        return nl < 0 ? e : e.left(nl) + QStringLiteral(" …");
    }
    return {};
}

QVariant TaskTableModel::headerData(int section, Qt::Orientation orientation, int role) const {
    if (orientation != Qt::Horizontal)
        return {};
    if (role == Qt::ToolTipRole) {
        if (section == 1)
            return tr("Jobs finished per second over the last %1 complete seconds")
                .arg(JobStats::kRateSeconds);
        if (section >= kFirstOutcome && section < kQueueP50)
            return tr("Jobs that ended as %1")
                .arg(QString::fromLatin1(
                    poolcore::to_string(poolcore::Outcome(section - kFirstOutcome)).data()));
        return {};
    }
    if (role != Qt::DisplayRole)
        return {};
    if (section >= kFirstOutcome && section < kQueueP50)
        return QString::fromLatin1(
            poolcore::to_string(poolcore::Outcome(section - kFirstOutcome)).data());
    switch (section) {
    case 0:
        return tr("Task");
    case 1:
        return tr("Rate /s");
    case 2:
        return tr("Jobs");
    case kQueueP50:
        return tr("Queue p50");
    case kQueueP99:
        return tr("Queue p99");
    case kRunP50:
        return tr("Run p50");
    case kRunP99:
        return tr("Run p99");
    case kLastError:
        return tr("Last Error");
    default:
        return {};
    }
}

} // namespace poolscope
