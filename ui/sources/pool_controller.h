// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "poolcore/job.h"
#include "poolcore/options.h"
#include "poolcore/stats.h"
#include "qtloop/qt_event_loop.h"
#include "ui/sources/job_records.h"
#include "ui/sources/pool_action.h"
#include "ui/sources/pool_events.h"
#include "ui/sources/pool_source.h"

#include <QElapsedTimer>
#include <QObject>
#include <QTimer>
#include <chrono>
#include <memory>
#include <optional>

namespace poolscope {

// Owns the pool the window shows and is the only thing that talks to it, through the
// PoolSource its factory builds at Start (by default the local ones of make_pool_source: an
// event-loop pool on the GUI thread's QtEventLoop, or a thread-driven BlockingPool on its own
// thread). The controller samples the pool's stats on a timer and emits one `sampled` signal per
// tick for the charts, the table and the status bar; pool events and finished jobs reach the GUI
// the same way, a batch per tick, never a signal per job.
class PoolController : public QObject {
    Q_OBJECT
public:
    explicit PoolController(QObject* parent = nullptr);
    explicit PoolController(PoolSourceFactory make_source, QObject* parent = nullptr);
    ~PoolController() override; // ends the pool and its workers, blocking if it must

    // The commands. Each refuses with actionFailed (and returns false) when it cannot be done.
    // Start builds a new pool from `options` (the settings are applied at start).
    bool start(const poolcore::PoolOptions& options);
    bool restart();
    bool stop();      // graceful: lets queued and running jobs finish, then retires the workers
    bool terminate(); // force: fails queued and running jobs, kills the workers
    bool close();     // no new jobs; queued and running ones go on
    bool grow();
    bool shrink();
    bool terminateJob(pid_t pid, int signal);
    bool killWorker(pid_t pid, int signal);

    // Queues a job; throws poolcore::PoolError when refused. Callbacks run on the GUI thread when
    // callbacksOnGuiThread(), otherwise on the pool's own thread.
    void submit(poolcore::TaskCall call, poolcore::JobCallbacks callbacks = {});
    bool callbacksOnGuiThread() const;

    // Whether `action` can be taken now, and if not why: what the source supports, then what
    // means something in the pool's present state.
    Availability availability(PoolAction action) const;
    // Whether the source in use has `feature` (yes without a source: the next Start builds this
    // window's own pool unless a Celery or attach factory is set, which then decides).
    Availability availability(SourceFeature feature) const;
    bool hasPool() const { return source_ != nullptr; }
    // The source in use, for a view made for one kind of source (the Celery workers page).
    const PoolSource* source() const { return source_.get(); }
    // How the next Start builds its source: File › Connect to Celery… switches to a Celery
    // cluster. Takes effect at the next start().
    void setSourceFactory(PoolSourceFactory make_source) { make_source_ = std::move(make_source); }
    // Why the source's connection is down; empty while it is up or the pool is this process's.
    QString connectionProblem() const { return connection_problem_; }
    // False when the pool belongs to another program: closing the window leaves it running.
    bool ownsPool() const { return !source_ || source_->owns_pool(); }
    poolcore::PoolState state() const;
    // A graceful stop is under way: the pool is closed and winding down.
    bool isStopping() const { return stopping_; }
    // Jobs queued or running when the stop began, for its progress.
    std::uint64_t jobsAtStop() const { return jobs_at_stop_; }
    const poolcore::PoolOptions& options() const { return options_; }
    const poolcore::StatsSnapshot& lastSnapshot() const { return last_; }
    std::optional<poolcore::Info> info() const;
    // Job records lost so far because the GUI fell behind the pool.
    std::uint64_t jobRecordsDropped() const { return job_records_dropped_; }
    double elapsedSeconds() const { return double(clock_.nsecsElapsed()) / 1e9; }
    // The steady-clock moment elapsedSeconds() counts from: job records' times are on this clock.
    std::chrono::steady_clock::time_point epoch() const { return epoch_; }

    void setSampleInterval(std::chrono::milliseconds interval);
    std::chrono::milliseconds sampleInterval() const;
    QtEventLoop& eventLoop() { return loop_; }

    // Logs a line in the event log as if the pool had said it.
    void log(EventKind kind, poolcore::Severity severity, const QString& text);

    // At application exit: ends the pool within `timeout`, blocking (running the Qt loop for an
    // event-loop pool). Afterwards no worker is left.
    void shutDown(std::chrono::milliseconds timeout);

public Q_SLOTS:
    // Takes a sample now (the timer does it on its own).
    void sampleNow();

Q_SIGNALS:
    void sampled(const poolcore::StatsSnapshot& snapshot);
    void stateChanged(poolcore::PoolState state);
    // Something that decides which actions are available may have changed.
    void availabilityChanged();
    void eventsArrived(const QList<poolscope::PoolEvent>& events);
    // The jobs that ended since the previous tick, oldest first: one batch per tick at most.
    void jobsArrived(const poolscope::JobRecords& jobs);
    void actionFailed(const QString& action, const QString& message);
    // The source's connection went down (`problem` says why) or came back (`problem` empty).
    void connectionChanged(const QString& problem);

private:
    template <typename Fn> bool command(const char* name, Fn&& fn);
    bool sendSignal(const char* name, bool (PoolSource::*send)(pid_t, int), pid_t pid, int signal,
                    const std::string& refusal, const QString& recipient);
    void refreshState();
    void reportFailure(const QString& action, const QString& message);

    QtEventLoop loop_; // must outlive the source, which registers with it
    PoolEventQueue events_;
    PoolSourceFactory make_source_;
    std::unique_ptr<PoolSource> source_;
    poolcore::PoolOptions options_;
    QTimer sampler_;
    QElapsedTimer clock_;
    std::chrono::steady_clock::time_point epoch_;
    poolcore::StatsSnapshot last_;
    poolcore::PoolState reported_state_ = poolcore::PoolState::Init;
    int reported_target_ = -1;
    QString connection_problem_;
    bool stopping_ = false;
    std::uint64_t jobs_at_stop_ = 0;
    std::uint64_t job_records_dropped_ = 0;
};

} // namespace poolscope
