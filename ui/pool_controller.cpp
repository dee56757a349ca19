// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/pool_controller.h"

#include "poolcore/observer.h"
#include "ui/pool_backend.h"

#include <QMetaObject>
#include <QPointer>

namespace poolscope {

using poolcore::PoolState;
using poolcore::Severity;

QString actionName(PoolAction action) {
    switch (action) {
    case PoolAction::Start:
        return QStringLiteral("Start");
    case PoolAction::Restart:
        return QStringLiteral("Restart");
    case PoolAction::Stop:
        return QStringLiteral("Stop");
    case PoolAction::Terminate:
        return QStringLiteral("Terminate");
    case PoolAction::Close:
        return QStringLiteral("Close");
    case PoolAction::Grow:
        return QStringLiteral("Grow");
    case PoolAction::Shrink:
        return QStringLiteral("Shrink");
    }
    return {};
}

PoolController::PoolController(QObject* parent) : QObject(parent) {
    qRegisterMetaType<poolcore::StatsSnapshot>("poolcore::StatsSnapshot");
    qRegisterMetaType<poolcore::PoolState>("poolcore::PoolState");
    qRegisterMetaType<QList<poolscope::PoolEvent>>("QList<poolscope::PoolEvent>");
    clock_.start();
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
    return backend_ ? backend_->state() : PoolState::Init;
}

bool PoolController::callbacksOnGuiThread() const {
    return !backend_ || backend_->runs_on_gui_thread();
}

std::optional<poolcore::Info> PoolController::info() const {
    if (!backend_)
        return std::nullopt;
    return backend_->info();
}

bool PoolController::isAvailable(PoolAction action) const {
    const PoolState s = state();
    const bool running = s == PoolState::Run;
    const bool active = s == PoolState::Run || s == PoolState::Close;
    const int target = backend_ ? last_.target_processes : 0;
    switch (action) {
    case PoolAction::Start:
        return s == PoolState::Init || s == PoolState::Stopped;
    case PoolAction::Restart:
        return running;
    case PoolAction::Stop:
        return active && !stopping_;
    case PoolAction::Terminate:
        return active;
    case PoolAction::Close:
        return running;
    case PoolAction::Grow:
        return running && target < 1024;
    case PoolAction::Shrink:
        return running && target > 1;
    }
    return false;
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
    if (!backend_) {
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
    if (!isAvailable(PoolAction::Start)) {
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
    backend_.reset();
    stopping_ = false;
    options_ = options;
    try {
        if (options.threads) {
            QPointer<PoolController> self(this);
            backend_ = make_thread_backend(
                options, &events_, [self](const std::string& action, const std::string& error) {
                    QMetaObject::invokeMethod(
                        self.data(),
                        [self, a = QString::fromStdString(action),
                         e = QString::fromStdString(error)] {
                            if (self)
                                self->reportFailure(a, e);
                        },
                        Qt::QueuedConnection);
                });
        } else {
            backend_ = make_event_loop_backend(options, loop_, &events_);
        }
        backend_->start();
    } catch (const std::exception& e) {
        backend_.reset();
        reportFailure(QStringLiteral("Start"), QString::fromStdString(e.what()));
        refreshState();
        return false;
    }
    events_.post(
        EventKind::Control, Severity::Info,
        QStringLiteral("starting %1 %2 worker(s)")
            .arg(options.effective_processes())
            .arg(options.threads ? QStringLiteral("thread-driven") : QStringLiteral("event-loop")));
    sampler_.start();
    sampleNow();
    return true;
}

bool PoolController::restart() {
    return command("Restart", [&] {
        backend_->restart();
        events_.post(EventKind::Restart, Severity::Info,
                     QStringLiteral("restart requested: every worker will be replaced"));
    });
}

bool PoolController::stop() {
    if (stopping_)
        return true;
    return command("Stop", [&] {
        const PoolState s = backend_->state();
        if (s != PoolState::Run && s != PoolState::Close)
            throw poolcore::PoolError("the pool is not running");
        jobs_at_stop_ = last_.pending + last_.in_flight;
        stopping_ = true;
        backend_->stop();
        events_.post(
            EventKind::Control, Severity::Info,
            QStringLiteral("stopping gracefully: %1 job(s) to finish first").arg(jobs_at_stop_));
    });
}

bool PoolController::terminate() {
    return command("Terminate", [&] {
        const PoolState s = backend_->state();
        if (s != PoolState::Run && s != PoolState::Close)
            throw poolcore::PoolError("the pool is not running");
        stopping_ = false;
        backend_->terminate();
        events_.post(EventKind::Control, Severity::Warning,
                     QStringLiteral("terminating: queued and running jobs fail, workers are "
                                    "killed"));
    });
}

bool PoolController::close() {
    return command("Close", [&] {
        if (backend_->state() != PoolState::Run)
            throw poolcore::PoolError("only a running pool can be closed");
        backend_->close();
    });
}

bool PoolController::grow() {
    return command("Grow", [&] { backend_->grow(1); });
}

bool PoolController::shrink() {
    return command("Shrink", [&] { backend_->shrink(1); });
}

bool PoolController::terminateJob(pid_t pid, int signal) {
    bool sent = false;
    const bool ok = command("Terminate job", [&] {
        sent = backend_->terminate_job(pid, signal);
        if (!sent)
            throw poolcore::PoolError("worker pid " + std::to_string(pid) +
                                      " is not running a job");
        events_.post(EventKind::Control, Severity::Info,
                     QStringLiteral("sent %1 to the job of worker pid %2")
                         .arg(QString::fromLatin1(poolcore::signal_name(signal).data(),
                                                  qsizetype(poolcore::signal_name(signal).size())))
                         .arg(pid));
    });
    return ok && sent;
}

bool PoolController::killWorker(pid_t pid, int signal) {
    bool sent = false;
    const bool ok = command("Kill worker", [&] {
        sent = backend_->kill_worker(pid, signal);
        if (!sent)
            throw poolcore::PoolError("there is no worker with pid " + std::to_string(pid));
        events_.post(EventKind::Control, Severity::Info,
                     QStringLiteral("sent %1 to worker pid %2")
                         .arg(QString::fromLatin1(poolcore::signal_name(signal).data(),
                                                  qsizetype(poolcore::signal_name(signal).size())))
                         .arg(pid));
    });
    return ok && sent;
}

void PoolController::submit(poolcore::TaskCall call, poolcore::JobCallbacks callbacks) {
    if (!backend_)
        throw poolcore::PoolError("there is no pool: start one first");
    backend_->submit(std::move(call), std::move(callbacks));
}

void PoolController::refreshState() {
    const PoolState s = state();
    if (s == PoolState::Stopped || s == PoolState::Terminate || s == PoolState::Init)
        stopping_ = false;
    const bool state_changed = s != reported_state_;
    const bool target_changed = last_.target_processes != reported_target_;
    reported_state_ = s;
    reported_target_ = last_.target_processes;
    if (state_changed)
        Q_EMIT stateChanged(s);
    if (state_changed || target_changed)
        Q_EMIT availabilityChanged();
}

void PoolController::sampleNow() {
    if (backend_)
        last_ = backend_->stats();
    auto batch = events_.drain();
    refreshState();
    if (!batch.isEmpty())
        Q_EMIT eventsArrived(batch);
    if (backend_)
        Q_EMIT sampled(last_);
}

void PoolController::shutDown(std::chrono::milliseconds timeout) {
    sampler_.stop();
    if (!backend_)
        return;
    const PoolState s = backend_->state();
    if (s != PoolState::Stopped && s != PoolState::Init)
        backend_->shut_down(timeout);
    backend_.reset();
}

} // namespace poolscope
