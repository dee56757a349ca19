// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/sources/pool_events.h"

#include "poolcore/enum_text.h"

#include <QDateTime>

namespace poolscope {

using poolcore::Outcome;
using poolcore::Severity;

namespace {

constexpr poolcore::EnumTable<EventKind, kEventKindCount> kEventKindNames{{
    {EventKind::WorkerUp, "Worker up"},
    {EventKind::WorkerExit, "Worker exit"},
    {EventKind::JobLost, "Lost job"},
    {EventKind::JobFailed, "Failed job"},
    {EventKind::TimeLimit, "Time limit"},
    {EventKind::Recycling, "Recycling"},
    {EventKind::Restart, "Restart"},
    {EventKind::StateChange, "State"},
    {EventKind::Control, "Control"},
    {EventKind::Message, "Message"},
}};

QString fromLatin1(std::string_view text) {
    return QString::fromLatin1(text.data(), qsizetype(text.size()));
}

} // namespace

QString displayName(EventKind kind) {
    return fromLatin1(poolcore::enum_text(kEventKindNames, kind, "?"));
}

QString stateText(poolcore::PoolState state) {
    return fromLatin1(poolcore::to_string(state));
}

namespace {

qint64 now_ms() {
    return QDateTime::currentMSecsSinceEpoch();
}

QString plural(std::uint64_t n, const char* one, const char* many) {
    return QString::number(n) + QLatin1Char(' ') + QLatin1String(n == 1 ? one : many);
}

} // namespace

PoolEventQueue::PoolEventQueue(int job_events_per_s, std::size_t capacity)
    : job_events_per_s_(job_events_per_s), capacity_(capacity) {}

void PoolEventQueue::push(PoolEvent event) {
    if (events_.size() >= capacity_) {
        ++overflowed_;
        return;
    }
    events_.push_back(std::move(event));
}

void PoolEventQueue::post(EventKind kind, Severity severity, const QString& text) {
    std::lock_guard lock(mutex_);
    push({now_ms(), kind, severity, -1, 0, text});
}

void PoolEventQueue::on_worker_up(int slot, pid_t pid) {
    std::lock_guard lock(mutex_);
    push({now_ms(), EventKind::WorkerUp, Severity::Info, slot, pid,
          QStringLiteral("worker pid %1 is up in slot %2").arg(pid).arg(slot)});
}

void PoolEventQueue::on_worker_exit(int slot, pid_t pid, const poolcore::ExitStatus& status,
                                    poolcore::ExitReason reason, const std::string& fault) {
    using poolcore::ExitReason;
    EventKind kind = EventKind::WorkerExit;
    Severity severity = Severity::Info;
    switch (reason) {
    case ExitReason::Recycled:
        kind = EventKind::Recycling;
        break;
    case ExitReason::TimeLimit:
        kind = EventKind::TimeLimit;
        severity = Severity::Warning;
        break;
    case ExitReason::Died:
        severity = Severity::Error;
        break;
    case ExitReason::Killed:
        severity = Severity::Warning;
        break;
    case ExitReason::Retired:
        break;
    }
    const QString text = QStringLiteral("worker pid %1 (slot %2) exited with %3 (%4)")
                             .arg(pid)
                             .arg(slot)
                             .arg(QString::fromStdString(status.describe()),
                                  QString::fromUtf8(poolcore::to_string(reason).data(),
                                                    qsizetype(poolcore::to_string(reason).size())));
    std::lock_guard lock(mutex_);
    push({now_ms(), kind, severity, slot, pid,
          fault.empty() ? text : text + QStringLiteral(": ") + QString::fromStdString(fault)});
}

bool PoolEventQueue::admit_job_event(EventKind kind) {
    const auto now = Clock::now();
    if (now - bucket_start_ >= std::chrono::seconds(1)) {
        bucket_start_ = now;
        bucket_used_ = 0;
    }
    if (bucket_used_ < job_events_per_s_) {
        ++bucket_used_;
        return true;
    }
    ++suppressed_[std::size_t(kind)];
    return false;
}

void PoolEventQueue::on_job_finished(const poolcore::JobResult& r) {
    if (r.ok())
        return;
    EventKind kind = EventKind::JobFailed;
    Severity severity = Severity::Warning;
    switch (r.outcome) {
    case Outcome::WorkerLost:
        kind = EventKind::JobLost;
        severity = Severity::Error;
        break;
    case Outcome::TimeLimit:
    case Outcome::SoftTimeLimit:
        kind = EventKind::TimeLimit;
        break;
    default:
        break;
    }
    std::lock_guard lock(mutex_);
    if (!admit_job_event(kind))
        return;
    const auto outcome = poolcore::to_string(r.outcome);
    const QString name = QString::fromUtf8(outcome.data(), qsizetype(outcome.size()));
    // The pool's own text may already start with the outcome ("terminated: worker ..."): said
    // once, not "terminated: terminated:".
    QString value = QString::fromStdString(r.value);
    if (value.startsWith(name + QStringLiteral(": ")))
        value = value.mid(name.size() + 2);
    push({now_ms(), kind, severity, -1, r.pid,
          QStringLiteral("job %1 %2: %3").arg(r.id).arg(name, value)});
}

void PoolEventQueue::on_state_changed(poolcore::PoolState state) {
    std::lock_guard lock(mutex_);
    push({now_ms(), EventKind::StateChange, Severity::Info, -1, 0,
          QStringLiteral("pool state is now %1").arg(stateText(state))});
}

void PoolEventQueue::on_message(Severity severity, const std::string& text) {
    // poolcore has no structured event for restarts and recycling decisions; its messages for
    // them start with these words.
    EventKind kind = EventKind::Message;
    if (text.rfind("restart", 0) == 0)
        kind = EventKind::Restart;
    else if (text.rfind("recycling", 0) == 0)
        kind = EventKind::Recycling;
    std::lock_guard lock(mutex_);
    push({now_ms(), kind, severity, -1, 0, QString::fromStdString(text)});
}

QList<PoolEvent> PoolEventQueue::drain() {
    std::lock_guard lock(mutex_);
    QList<PoolEvent> out;
    out.reserve(qsizetype(events_.size()) + 2);
    for (auto& e : events_)
        out.push_back(std::move(e));
    events_.clear();
    for (int k = 0; k < kEventKindCount; ++k) {
        const std::uint64_t n = suppressed_[std::size_t(k)];
        if (!n)
            continue;
        suppressed_[std::size_t(k)] = 0;
        const auto kind = EventKind(k);
        const char* what = kind == EventKind::JobLost     ? "lost job"
                           : kind == EventKind::TimeLimit ? "timed-out job"
                                                          : "failed job";
        const char* whats = kind == EventKind::JobLost     ? "lost jobs"
                            : kind == EventKind::TimeLimit ? "timed-out jobs"
                                                           : "failed jobs";
        out.push_back({now_ms(), kind, Severity::Warning, -1, 0,
                       QStringLiteral("%1 more not listed one by one (at most %2 job events a "
                                      "second are)")
                           .arg(plural(n, what, whats))
                           .arg(job_events_per_s_)});
    }
    if (overflowed_) {
        out.push_back({now_ms(), EventKind::Message, Severity::Warning, -1, 0,
                       QStringLiteral("%1 events were dropped: they came faster than the window "
                                      "could show them")
                           .arg(overflowed_)});
        overflowed_ = 0;
    }
    return out;
}

} // namespace poolscope
