// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/models/process_table_model.h"

#include <QLocale>
#include <algorithm>
#include <unordered_map>
#include <unordered_set>

namespace poolscope {

namespace {

QString fromView(std::string_view s) {
    return QString::fromUtf8(s.data(), qsizetype(s.size()));
}

// An age to the second: "42 s", "3 min 05 s", "2 h 07 min".
QString age(double s) {
    const qint64 total = qint64(s);
    if (total < 60)
        return QStringLiteral("%1 s").arg(total);
    if (total < 3600)
        return QStringLiteral("%1 min %2 s")
            .arg(total / 60)
            .arg(total % 60, 2, 10, QLatin1Char('0'));
    return QStringLiteral("%1 h %2 min")
        .arg(total / 3600)
        .arg(total / 60 % 60, 2, 10, QLatin1Char('0'));
}

QString seconds(double s) {
    if (s < 10)
        return QStringLiteral("%1 s").arg(s, 0, 'f', 2);
    if (s < 600)
        return QStringLiteral("%1 s").arg(s, 0, 'f', 1);
    return QStringLiteral("%1 min").arg(s / 60, 0, 'f', 1);
}

// The cells a row shows, compared to tell which changed.
bool sameCell(const poolcore::WorkerStats& a, const poolcore::WorkerStats& b, int column) {
    using C = ProcessTableModel::Column;
    switch (column) {
    case C::Slot:
        return a.slot == b.slot;
    case C::Pid:
        return a.pid == b.pid;
    case C::State:
        return a.state == b.state;
    case C::CurrentJob:
        return a.current_job == b.current_job && a.current_task == b.current_task &&
               a.current_job_accepted == b.current_job_accepted;
    case C::RunningFor:
        return a.current_job == b.current_job && a.current_job_accepted == b.current_job_accepted &&
               // shown to 10 ms: changes smaller than that redraw nothing
               qRound(a.current_job_seconds * 100) == qRound(b.current_job_seconds * 100);
    case C::JobsDone:
        return a.jobs_done == b.jobs_done;
    case C::Writes:
        return a.writes == b.writes;
    case C::ResidentMemory:
        return a.rss_kib == b.rss_kib;
    case C::Cpu:
        return qRound(a.cpu_percent) == qRound(b.cpu_percent);
    case C::Uptime:
        return qint64(a.uptime_seconds) == qint64(b.uptime_seconds); // shown to the second
    case C::Generation:
        return a.generation == b.generation;
    case C::Replacements:
        return a.slot_replacements == b.slot_replacements;
    case C::LastExit:
        return a.last_exit == b.last_exit;
    }
    return true;
}

} // namespace

ProcessTableModel::ProcessTableModel(QObject* parent) : QAbstractTableModel(parent) {}

int ProcessTableModel::rowCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : int(rows_.size());
}

int ProcessTableModel::columnCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : ColumnCount;
}

int ProcessTableModel::rowOfPid(pid_t pid) const {
    for (std::size_t i = 0; i < rows_.size(); ++i)
        if (rows_[i].pid == pid)
            return int(i);
    return -1;
}

void ProcessTableModel::update(const std::vector<poolcore::WorkerStats>& workers) {
    std::unordered_map<pid_t, std::size_t> wanted; // pid -> position in `workers`
    for (std::size_t i = 0; i < workers.size(); ++i)
        wanted.emplace(workers[i].pid, i);

    // 1. Rows whose worker is gone, from the bottom so that the indices stay valid.
    for (int row = int(rows_.size()) - 1; row >= 0; --row) {
        if (wanted.count(rows_[std::size_t(row)].pid))
            continue;
        beginRemoveRows({}, row, row);
        rows_.erase(rows_.begin() + row);
        endRemoveRows();
    }

    // 2. The survivors in the order of the new snapshot (a retiring worker gives up its slot
    //    and moves to the end).
    const bool in_order =
        std::is_sorted(rows_.begin(), rows_.end(),
                       [&](const auto& a, const auto& b) { return wanted[a.pid] < wanted[b.pid]; });
    if (!in_order) {
        Q_EMIT layoutAboutToBeChanged();
        const QModelIndexList before = persistentIndexList();
        std::vector<pid_t> pids_before;
        for (const QModelIndex& i : before)
            pids_before.push_back(rows_[std::size_t(i.row())].pid);
        std::stable_sort(rows_.begin(), rows_.end(), [&](const auto& a, const auto& b) {
            return wanted[a.pid] < wanted[b.pid];
        });
        QModelIndexList after;
        for (qsizetype i = 0; i < before.size(); ++i)
            after << index(rowOfPid(pids_before[std::size_t(i)]), before[i].column());
        changePersistentIndexList(before, after);
        Q_EMIT layoutChanged();
    }

    // 3. New workers, each at its place.
    for (std::size_t i = 0; i < workers.size(); ++i) {
        if (i < rows_.size() && rows_[i].pid == workers[i].pid)
            continue;
        beginInsertRows({}, int(i), int(i));
        rows_.insert(rows_.begin() + std::ptrdiff_t(i), workers[i]);
        endInsertRows();
    }

    // 4. Changed cells, one signal per row spanning its changed columns.
    for (std::size_t i = 0; i < workers.size(); ++i) {
        int first = -1, last = -1;
        for (int c = 0; c < ColumnCount; ++c) {
            if (!sameCell(rows_[i], workers[i], c)) {
                if (first < 0)
                    first = c;
                last = c;
            }
        }
        rows_[i] = workers[i];
        if (first >= 0)
            Q_EMIT dataChanged(index(int(i), first), index(int(i), last));
    }
}

QVariant ProcessTableModel::display(const poolcore::WorkerStats& w, int column) const {
    switch (column) {
    case Slot:
        return w.slot >= 0 ? QVariant(w.slot) : QVariant(tr("—"));
    case Pid:
        return qint64(w.pid);
    case State:
        return fromView(poolcore::to_string(w.state));
    case CurrentJob:
        if (!w.current_job)
            return QString();
        return (w.current_job_accepted ? tr("#%1 %2") : tr("#%1 %2 (sent)"))
            .arg(w.current_job)
            .arg(QString::fromStdString(w.current_task));
    case RunningFor:
        return w.current_job_accepted ? seconds(w.current_job_seconds) : QString();
    case JobsDone:
        return QLocale().toString(qulonglong(w.jobs_done));
    case Writes:
        return QLocale().toString(qulonglong(w.writes));
    case ResidentMemory:
        return w.rss_kib ? QStringLiteral("%1 MiB").arg(double(w.rss_kib) / 1024.0, 0, 'f', 1)
                         : QString();
    case Cpu:
        // A worker of short jobs uses a few percent: one decimal there, so it does not read 0.
        return w.cpu_percent >= 0
                   ? QStringLiteral("%1 %").arg(w.cpu_percent, 0, 'f', w.cpu_percent < 10 ? 1 : 0)
                   : QString();
    case Uptime:
        return age(w.uptime_seconds);
    case Generation:
        return qulonglong(w.generation);
    case Replacements:
        return w.slot >= 0 ? QVariant(qulonglong(w.slot_replacements)) : QVariant(QString());
    case LastExit:
        return QString::fromStdString(w.last_exit);
    }
    return {};
}

QVariant ProcessTableModel::sortValue(const poolcore::WorkerStats& w, int column) const {
    switch (column) {
    case Slot:
        return w.slot >= 0 ? w.slot : 1 << 30;
    case Pid:
        return qint64(w.pid);
    case State:
        return int(w.state);
    case CurrentJob:
        return qulonglong(w.current_job);
    case RunningFor:
        return w.current_job_seconds;
    case JobsDone:
        return qulonglong(w.jobs_done);
    case Writes:
        return qulonglong(w.writes);
    case ResidentMemory:
        return qulonglong(w.rss_kib);
    case Cpu:
        return w.cpu_percent;
    case Uptime:
        return w.uptime_seconds;
    case Generation:
        return qulonglong(w.generation);
    case Replacements:
        return qulonglong(w.slot_replacements);
    case LastExit:
        return QString::fromStdString(w.last_exit);
    }
    return {};
}

QVariant ProcessTableModel::data(const QModelIndex& index, int role) const {
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const poolcore::WorkerStats& w = rows_[std::size_t(index.row())];
    switch (role) {
    case Qt::DisplayRole:
        return display(w, index.column());
    case SortRole:
        return sortValue(w, index.column());
    case Qt::TextAlignmentRole:
        switch (index.column()) {
        case Slot:
        case Pid:
        case RunningFor:
        case JobsDone:
        case Writes:
        case ResidentMemory:
        case Cpu:
        case Uptime:
        case Generation:
        case Replacements:
            return int(Qt::AlignRight | Qt::AlignVCenter);
        default:
            return int(Qt::AlignLeft | Qt::AlignVCenter);
        }
    case Qt::ToolTipRole:
        if (index.column() == LastExit && !w.last_exit.empty())
            return tr("How the previous worker of this slot ended: %1")
                .arg(QString::fromStdString(w.last_exit));
        if (index.column() == CurrentJob && w.current_job && !w.current_job_accepted)
            return tr("Written to the worker, not yet acknowledged: its time limits start "
                      "with the acknowledgement");
        if (index.column() == Slot && w.slot < 0)
            return tr("Retiring: this worker has handed its slot to a new one");
        if (index.column() == JobsDone || index.column() == Writes)
            return headerData(index.column(), Qt::Horizontal, Qt::ToolTipRole);
        if (index.column() == Cpu && w.cpu_seconds >= 0)
            return tr("%1 s of CPU time since it started").arg(w.cpu_seconds, 0, 'f', 2);
        return {};
    default:
        return {};
    }
}

QVariant ProcessTableModel::headerData(int section, Qt::Orientation orientation, int role) const {
    if (orientation != Qt::Horizontal || section < 0 || section >= ColumnCount)
        return QAbstractTableModel::headerData(section, orientation, role);
    if (role == Qt::DisplayRole) {
        switch (section) {
        case Slot:
            return tr("Slot");
        case Pid:
            return tr("PID");
        case State:
            return tr("State");
        case CurrentJob:
            return tr("Current Job");
        case RunningFor:
            return tr("Running For");
        case JobsDone:
            return tr("Jobs Done (process)");
        case Writes:
            return tr("Writes (slot)");
        case ResidentMemory:
            return tr("Resident Memory");
        case Cpu:
            return tr("CPU");
        case Uptime:
            return tr("Uptime");
        case Generation:
            return tr("Generation");
        case Replacements:
            return tr("Replaced");
        case LastExit:
            return tr("Last Exit");
        }
    }
    if (role == Qt::ToolTipRole) {
        switch (section) {
        case Slot:
            return tr("The pool slot this worker fills (Celery's process index)");
        case JobsDone:
            return tr("Jobs this process has finished, any outcome; a new process starts at 0");
        case Writes:
            return tr("Jobs written to this slot since the pool started, by every process that "
                      "has held it (Celery's per-slot write count), so it does not restart at 0 "
                      "with a new process");
        case Cpu:
            return tr("CPU use over the last half second or more, percent of one core");
        case Uptime:
            return tr("How long this process has been running");
        case Generation:
            return tr("Which pool restart started this process: 0 for the first set of workers, "
                      "1 after the first Restart, ...");
        case Replacements:
            return tr("How many processes have replaced an earlier one in this slot (crashes, "
                      "kills, recycling, restarts)");
        case LastExit:
            return tr("How the previous worker of this slot ended");
        default:
            break;
        }
    }
    return {};
}

} // namespace poolscope
