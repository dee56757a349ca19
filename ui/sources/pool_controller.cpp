// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/sources/pool_controller.h"

#include "poolcore/observer.h"
#include "ui/sources/pool_source.h"

#include <QMetaObject>
#include <QPointer>

namespace poolscope {

using poolcore::PoolState;
using poolcore::Severity;

PoolController::PoolController(QObject* parent) : PoolController(make_pool_source, parent) {}

PoolController::PoolController(PoolSourceFactory make_source, QObject* parent)
    : QObject(parent), make_source_(std::move(make_source)) {
    qRegisterMetaType<poolcore::StatsSnapshot>("poolcore::StatsSnapshot");
    qRegisterMetaType<poolcore::PoolState>("poolcore::PoolState");
    qRegisterMetaType<QList<poolscope::PoolEvent>>("QList<poolscope::PoolEvent>");
    qRegisterMetaType<poolscope::JobRecords>("poolscope::JobRecords");
    clock_.start();
    epoch_ = std::chrono::steady_clock::now();
    sampler_.setInterval(std::chrono::milliseconds(50));
    connect(&sampler_, &QTimer::timeout, this, &PoolController::sampleNow);
}

PoolController::~PoolController() {
    shutDown(std::chrono::seconds(5));
}

void PoolController::setSampleInterval(std::chrono::milliseconds interval) {
    sampler_.setInterval(interval);
}

std::chrono::milliseconds PoolController::sampleInterval() const {
    return sampler_.intervalAsDuration();
}

PoolState PoolController::state() const {
    return source_ ? source_->state() : PoolState::Init;
}

bool PoolController::callbacksOnGuiThread() const {
    return !source_ || source_->runs_on_gui_thread();
}

std::optional<poolcore::Info> PoolController::info() const {
    if (!source_)
        return std::nullopt;
    return source_->info();
}

Availability PoolController::availability(PoolAction action) const {
    if (source_)
        if (Availability supported = source_->availability(action); !supported.available)
            return supported;
    const PoolState s = state();
    const bool running = s == PoolState::Run;
    const bool active = s == PoolState::Run || s == PoolState::Close;
    const int target = source_ ? last_.target_processes : 0;
    const auto unless = [](bool ok, const QString& why) {
        return ok ? Availability::yes() : Availability::no(why);
    };
    const QString not_running = tr("the pool is not running");
    const QString closed = tr("the pool is closed to changes (state %1)").arg(stateText(s));
    switch (action) {
    case PoolAction::Start:
        return unless(s == PoolState::Init || s == PoolState::Stopped,
                      tr("the pool is running: Stop or Terminate it first"));
    case PoolAction::Stop:
        if (stopping_)
            return Availability::no(
                tr("a graceful stop is already under way; Terminate ends it at once"));
        return unless(active, not_running);
    case PoolAction::Terminate:
        return unless(active, not_running);
    case PoolAction::Restart:
    case PoolAction::Close:
        return unless(running, active ? closed : not_running);
    case PoolAction::Grow:
        if (active && target >= poolcore::kMaxProcesses)
            return Availability::no(tr("the pool has the most processes it may have (%1)")
                                        .arg(poolcore::kMaxProcesses));
        return unless(running, active ? closed : not_running);
    case PoolAction::Shrink:
        if (running)
            return unless(target > 1, tr("the pool has only one process"));
        return Availability::no(active ? closed : not_running);
    }
    return Availability::no(not_running);
}

Availability PoolController::availability(SourceFeature feature) const {
    return source_ ? source_->supports(feature) : Availability::yes();
}

void PoolController::reportFailure(const QString& action, const QString& message) {
    events_.post(EventKind::Control, Severity::Error,
                 QStringLiteral("%1 failed: %2").arg(action, message));
    Q_EMIT actionFailed(action, message);
}

void PoolController::log(EventKind kind, Severity severity, const QString& text) {
    events_.post(kind, severity, text);
}

template <typename Fn> bool PoolController::command(const char* name, Fn&& fn) {
    const QString action = QString::fromLatin1(name);
    if (!source_) {
        reportFailure(action, QStringLiteral("there is no pool: start one first"));
        return false;
    }
    try {
        fn();
    } catch (const std::exception& e) {
        reportFailure(action, QString::fromStdString(e.what()));
        refreshState();
        return false;
    }
    sampleNow();
    return true;
}

bool PoolController::start(const poolcore::PoolOptions& options) {
    if (!availability(PoolAction::Start).available) {
        reportFailure(QStringLiteral("Start"),
                      QStringLiteral("the pool is already running; stop it first"));
        return false;
    }
    if (const auto problems = options.problems(); !problems.empty()) {
        QStringList lines;
        for (const auto& p : problems)
            lines << QString::fromStdString(p.field + " " + p.message);
        reportFailure(QStringLiteral("Start"), lines.join(QStringLiteral("; ")));
        return false;
    }
    // The previous pool, if any, is stopped: replacing it applies the new settings.
    source_.reset();
    stopping_ = false;
    options_ = options;
    try {
        QPointer<PoolController> self(this);
        source_ = make_source_(
            options, loop_, &events_, [self](const std::string& action, const std::string& error) {
                QMetaObject::invokeMethod(
                    self.data(),
                    [self, a = QString::fromStdString(action), e = QString::fromStdString(error)] {
                        if (self)
                            self->reportFailure(a, e);
                    },
                    Qt::QueuedConnection);
            });
        // The cause before its effects: the pool reports its first state change from start().
        if (const std::string described = source_->start_description(); !described.empty())
            events_.post(EventKind::Control, Severity::Info, QString::fromStdString(described));
        else if (source_->owns_pool()) // an attached source says where it attached itself
            events_.post(EventKind::Control, Severity::Info,
                         QStringLiteral("starting %1 %2 worker(s)")
                             .arg(options.effective_processes())
                             .arg(options.threads ? QStringLiteral("thread-driven")
                                                  : QStringLiteral("event-loop")));
        source_->start();
    } catch (const std::exception& e) {
        source_.reset();
        reportFailure(QStringLiteral("Start"), QString::fromStdString(e.what()));
        refreshState();
        return false;
    }
    sampler_.start();
    sampleNow();
    return true;
}

bool PoolController::restart() {
    return command("Restart", [&] {
        events_.post(EventKind::Restart, Severity::Info,
                     QStringLiteral("restart requested: every worker will be replaced"));
        source_->restart();
    });
}

bool PoolController::stop() {
    if (stopping_)
        return true;
    return command("Stop", [&] {
        const PoolState s = source_->state();
        if (s != PoolState::Run && s != PoolState::Close)
            throw poolcore::PoolError("the pool is not running");
        jobs_at_stop_ = last_.pending + last_.in_flight;
        stopping_ = true;
        events_.post(
            EventKind::Control, Severity::Info,
            QStringLiteral("stopping gracefully: %1 job(s) to finish first").arg(jobs_at_stop_));
        source_->stop();
    });
}

bool PoolController::terminate() {
    return command("Terminate", [&] {
        const PoolState s = source_->state();
        if (s != PoolState::Run && s != PoolState::Close)
            throw poolcore::PoolError("the pool is not running");
        stopping_ = false;
        events_.post(EventKind::Control, Severity::Warning,
                     QStringLiteral("terminating: queued and running jobs fail, workers are "
                                    "killed"));
        source_->terminate();
    });
}

bool PoolController::close() {
    return command("Close", [&] {
        if (source_->state() != PoolState::Run)
            throw poolcore::PoolError("only a running pool can be closed");
        source_->close();
    });
}

bool PoolController::grow() {
    return command("Grow", [&] { source_->grow(1); });
}

bool PoolController::shrink() {
    return command("Shrink", [&] { source_->shrink(1); });
}

bool PoolController::sendSignal(const char* name, bool (PoolSource::*send)(pid_t, int), pid_t pid,
                                int signal, const std::string& refusal, const QString& recipient) {
    return command(name, [&] {
        if (!(source_.get()->*send)(pid, signal))
            throw poolcore::PoolError(refusal);
        const auto signal_text = poolcore::signal_name(signal);
        events_.post(
            EventKind::Control, Severity::Info,
            QStringLiteral("sent %1 to %2")
                .arg(QString::fromLatin1(signal_text.data(), qsizetype(signal_text.size())),
                     recipient));
    });
}

bool PoolController::terminateJob(pid_t pid, int signal) {
    return sendSignal("Terminate job", &PoolSource::terminate_job, pid, signal,
                      "worker pid " + std::to_string(pid) + " is not running a job",
                      QStringLiteral("the job of worker pid %1").arg(pid));
}

bool PoolController::killWorker(pid_t pid, int signal) {
    return sendSignal("Kill worker", &PoolSource::kill_worker, pid, signal,
                      "there is no worker with pid " + std::to_string(pid),
                      QStringLiteral("worker pid %1").arg(pid));
}

void PoolController::submit(poolcore::TaskCall call, poolcore::JobCallbacks callbacks) {
    if (!source_)
        throw poolcore::PoolError("there is no pool: start one first");
    source_->submit(std::move(call), std::move(callbacks));
}

void PoolController::refreshState() {
    const PoolState s = state();
    if (s == PoolState::Stopped || s == PoolState::Terminate || s == PoolState::Init)
        stopping_ = false;
    const bool state_changed = s != reported_state_;
    const bool target_changed = last_.target_processes != reported_target_;
    reported_state_ = s;
    reported_target_ = last_.target_processes;
    const auto problem = source_ ? source_->connection_problem() : std::nullopt;
    const QString problem_text = problem ? QString::fromStdString(*problem) : QString();
    const bool connection_changed = problem_text != connection_problem_;
    connection_problem_ = problem_text;
    if (state_changed)
        Q_EMIT stateChanged(s);
    if (connection_changed)
        Q_EMIT connectionChanged(problem_text);
    if (state_changed || target_changed || connection_changed)
        Q_EMIT availabilityChanged();
}

void PoolController::sampleNow() {
    JobRecordBatch jobs;
    if (source_) {
        last_ = source_->stats();
        jobs = source_->take_job_records();
        job_records_dropped_ += jobs.dropped;
    }
    auto batch = events_.drain();
    refreshState();
    if (!batch.isEmpty())
        Q_EMIT eventsArrived(batch);
    if (!jobs.records.empty())
        Q_EMIT jobsArrived(jobs.records);
    // While a remote pool is out of reach there is no new picture, only the last one: charting it
    // would draw a pool that is not there, and the jump to its counters on connecting a spike.
    if (source_ && connection_problem_.isEmpty())
        Q_EMIT sampled(last_);
}

void PoolController::shutDown(std::chrono::milliseconds timeout) {
    sampler_.stop();
    if (!source_)
        return;
    const PoolState s = source_->state();
    if (s != PoolState::Stopped && s != PoolState::Init)
        source_->shut_down(timeout);
    source_.reset();
}

} // namespace poolscope
