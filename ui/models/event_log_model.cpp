// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/models/event_log_model.h"

#include "poolcore/enum_text.h"

#include <QBrush>
#include <QDateTime>
#include <QGuiApplication>
#include <QPalette>

namespace poolscope {

namespace {

constexpr poolcore::EnumTable<poolcore::Severity, 3> kSeverityNames{{
    {poolcore::Severity::Info, "info"},
    {poolcore::Severity::Warning, "warning"},
    {poolcore::Severity::Error, "error"},
}};

QString severityName(poolcore::Severity s) {
    const auto name = poolcore::enum_text(kSeverityNames, s, "");
    return QString::fromLatin1(name.data(), qsizetype(name.size()));
}

QString csvField(QString text) {
    if (text.contains(QLatin1Char(',')) || text.contains(QLatin1Char('"')) ||
        text.contains(QLatin1Char('\n'))) {
        text.replace(QLatin1Char('"'), QStringLiteral("\"\""));
        return QLatin1Char('"') + text + QLatin1Char('"');
    }
    return text;
}

} // namespace

EventLogModel::EventLogModel(std::size_t capacity, QObject* parent)
    : QAbstractTableModel(parent), capacity_(std::max<std::size_t>(capacity, 1)) {}

int EventLogModel::rowCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : int(events_.size());
}

int EventLogModel::columnCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : ColumnCount;
}

void EventLogModel::append(const QList<PoolEvent>& events) {
    if (events.isEmpty())
        return;
    // A batch larger than the log keeps only its newest part.
    const qsizetype skip = std::max<qsizetype>(0, events.size() - qsizetype(capacity_));
    const std::size_t incoming = std::size_t(events.size() - skip);
    const std::size_t overflow =
        events_.size() + incoming > capacity_ ? events_.size() + incoming - capacity_ : 0;
    if (overflow > 0) {
        beginRemoveRows({}, 0, int(overflow) - 1);
        events_.erase(events_.begin(), events_.begin() + std::ptrdiff_t(overflow));
        endRemoveRows();
    }
    const int first = int(events_.size());
    beginInsertRows({}, first, first + int(incoming) - 1);
    for (qsizetype i = skip; i < events.size(); ++i)
        events_.push_back(events[i]);
    endInsertRows();
}

void EventLogModel::clear() {
    if (events_.empty())
        return;
    beginResetModel();
    events_.clear();
    endResetModel();
}

QVariant EventLogModel::data(const QModelIndex& index, int role) const {
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const PoolEvent& e = events_[std::size_t(index.row())];
    switch (role) {
    case Qt::DisplayRole:
        switch (index.column()) {
        case Time:
            return QDateTime::fromMSecsSinceEpoch(e.time_ms).toString(
                QStringLiteral("HH:mm:ss.zzz"));
        case Kind:
            return displayName(e.kind);
        case Slot:
            return e.slot >= 0 ? QVariant(e.slot) : QVariant();
        case Pid:
            return e.pid ? QVariant(e.pid) : QVariant();
        case Message:
            return e.text;
        }
        return {};
    case Qt::ToolTipRole:
        if (index.column() == Message)
            return e.text;
        if (index.column() == Time)
            return QDateTime::fromMSecsSinceEpoch(e.time_ms).toString(Qt::ISODateWithMs);
        return {};
    case Qt::ForegroundRole:
        if (e.severity == poolcore::Severity::Info)
            return {};
        {
            const bool dark = QGuiApplication::palette().color(QPalette::Base).lightnessF() < 0.5;
            if (e.severity == poolcore::Severity::Error)
                return QBrush(dark ? QColor(0xff8080) : QColor(0xb00020));
            return QBrush(dark ? QColor(0xf0c341) : QColor(0x8a5a00));
        }
    case KindRole:
        return int(e.kind);
    case SeverityRole:
        return severityName(e.severity);
    default:
        return {};
    }
}

QVariant EventLogModel::headerData(int section, Qt::Orientation orientation, int role) const {
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole || section < 0 ||
        section >= ColumnCount)
        return QAbstractTableModel::headerData(section, orientation, role);
    switch (section) {
    case Time:
        return tr("Time");
    case Kind:
        return tr("Kind");
    case Slot:
        return tr("Slot");
    case Pid:
        return tr("PID");
    case Message:
        return tr("Message");
    }
    return {};
}

EventLogFilter::EventLogFilter(QObject* parent) : QSortFilterProxyModel(parent) {}

void EventLogFilter::setKindShown(EventKind kind, bool shown) {
    const unsigned bit = 1u << unsigned(kind);
    const unsigned next = shown ? (shown_ | bit) : (shown_ & ~bit);
    if (next == shown_)
        return;
    shown_ = next;
    invalidateRowsFilter();
}

void EventLogFilter::setSearchText(const QString& text) {
    if (text == search_)
        return;
    search_ = text;
    invalidateRowsFilter();
}

bool EventLogFilter::filterAcceptsRow(int source_row, const QModelIndex& source_parent) const {
    const QModelIndex kind = sourceModel()->index(source_row, EventLogModel::Kind, source_parent);
    if (!isKindShown(EventKind(kind.data(EventLogModel::KindRole).toInt())))
        return false;
    if (search_.isEmpty())
        return true;
    const QModelIndex text =
        sourceModel()->index(source_row, EventLogModel::Message, source_parent);
    return text.data().toString().contains(search_, Qt::CaseInsensitive);
}

QString eventsToCsv(const QAbstractItemModel& model) {
    QString out = QStringLiteral("time,kind,severity,slot,pid,message\n");
    for (int row = 0; row < model.rowCount(); ++row) {
        auto cell = [&](int column, int role = Qt::DisplayRole) {
            return csvField(model.index(row, column).data(role).toString());
        };
        out += cell(EventLogModel::Time, Qt::ToolTipRole) + QLatin1Char(',') +
               cell(EventLogModel::Kind) + QLatin1Char(',') +
               cell(EventLogModel::Message, EventLogModel::SeverityRole) + QLatin1Char(',') +
               cell(EventLogModel::Slot) + QLatin1Char(',') + cell(EventLogModel::Pid) +
               QLatin1Char(',') + cell(EventLogModel::Message) + QLatin1Char('\n');
    }
    return out;
}

} // namespace poolscope
