// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "poolcore/observer.h"

#include <QList>
#include <QMetaType>
#include <QString>
#include <array>
#include <chrono>
#include <cstdint>
#include <deque>
#include <mutex>
#include <unordered_map>
#include <vector>

namespace poolscope {

// What the event log can filter by.
enum class EventKind {
    WorkerUp,
    WorkerExit,
    JobLost,
    JobFailed,
    TimeLimit,
    Recycling,
    Restart,
    StateChange,
    Control, // something the user asked for
    Message,
};
inline constexpr int kEventKindCount = 10;
QString displayName(EventKind kind);
// The pool state as the window and the event log name it.
QString stateText(poolcore::PoolState state);

struct PoolEvent {
    qint64 time_ms = 0; // since the epoch
    EventKind kind = EventKind::Message;
    poolcore::Severity severity = poolcore::Severity::Info;
    int slot = -1;
    qint64 pid = 0;
    QString text;
};

// The pool's observer for the GUI. It may be called on the GUI thread (event-loop pool) or on
// BlockingPool's thread; either way it only records, under a lock, and the GUI drains it on its
// sampling timer, so a flood of failing jobs costs the GUI one batch per tick, never a signal per
// job. Job outcomes are logged only when they are not successes, and at most `job_events_per_s`
// of them individually per second; the rest are counted and reported as one summary line.
class PoolEventQueue final : public poolcore::PoolObserver {
public:
    explicit PoolEventQueue(int job_events_per_s = 20, std::size_t capacity = 5000);

    void on_worker_up(int slot, pid_t pid) override;
    void on_worker_exit(int slot, pid_t pid, const poolcore::ExitStatus& status,
                        poolcore::ExitReason reason, const std::string& fault) override;
    void on_job_finished(const poolcore::JobResult& result) override;
    void on_state_changed(poolcore::PoolState state) override;
    void on_message(poolcore::Severity severity, const std::string& text) override;

    // Adds an event from the GUI itself (a user action, a refused command).
    void post(EventKind kind, poolcore::Severity severity, const QString& text);

    // Everything recorded since the last call, oldest first, plus a summary line for each kind
    // of job event that was coalesced.
    QList<PoolEvent> drain();

private:
    using Clock = std::chrono::steady_clock;
    // A budget of events a second, for one family of events.
    struct RateBucket {
        Clock::time_point start = Clock::now();
        int used = 0;
    };
    void push(PoolEvent event); // with mutex_ held
    // With mutex_ held: true if `kind` may be listed now; otherwise counts it for the summary.
    bool admit(RateBucket& bucket, EventKind kind);
    bool admit_job_event(EventKind kind) { return admit(job_bucket_, kind); }
    // The slot a pid holds or held last (job rows name it); bounded by the workers recently seen.
    int slot_of(pid_t pid) const;

    const int job_events_per_s_;
    const std::size_t capacity_;
    std::mutex mutex_;
    std::vector<PoolEvent> events_;
    std::size_t overflowed_ = 0; // events dropped because the GUI fell behind
    // Jobs' failures, and workers' starts and exits (a crash loop starts hundreds a second), each
    // listed at most job_events_per_s_ a second.
    RateBucket job_bucket_, worker_bucket_;
    std::array<std::uint64_t, kEventKindCount> suppressed_{};
    std::unordered_map<pid_t, int> slot_of_pid_;
    std::deque<pid_t> exited_pids_; // oldest first; their slots are forgotten past a bound
};

} // namespace poolscope

Q_DECLARE_METATYPE(poolscope::PoolEvent)
