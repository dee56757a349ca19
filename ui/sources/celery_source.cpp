// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/sources/celery_source.h"

#include "poolcore/task_pool.h"
#include "qtloop/qt_event_loop.h"

#include <QCoreApplication>
#include <QStringList>

namespace poolscope {

using nlohmann::json;
using poolcore::PoolState;
using poolcore::Severity;

namespace {

QString tr(const char* text) {
    return QCoreApplication::translate("CelerySource", text);
}

std::string describe_replies(const celery::ControlResult& r) {
    if (!r.error.empty())
        return r.error;
    if (r.replies.empty())
        return r.expected == 0 ? "no worker is listening" : "no reply within the timeout";
    std::string text;
    for (const auto& [node, reply] : r.replies) {
        if (!text.empty())
            text += "; ";
        const celery::NodeAnswer answer = celery::read_node_answer(reply);
        text += node + ": " + (answer.ok ? "" : "error: ") + answer.text;
    }
    if (r.expected > int(r.replies.size()))
        text += " (" + std::to_string(r.expected - int(r.replies.size())) + " did not answer)";
    return text;
}

bool any_error(const celery::ControlResult& r) {
    if (!r.error.empty() || r.replies.empty())
        return true;
    for (const auto& [node, reply] : r.replies)
        if (!celery::read_node_answer(reply).ok)
            return true;
    return false;
}

} // namespace

CelerySource::CelerySource(celery::ClientSettings settings, poolcore::EventLoop& loop,
                           poolcore::PoolObserver* observer, ErrorReporter report)
    : loop_(loop), client_(loop, std::move(settings)), observer_(observer),
      report_(std::move(report)) {
    client_.set_status_handler([this](celery::ConnectionStatus s, const std::string& detail) {
        if (observer_)
            observer_->on_message(s == celery::ConnectionStatus::Reconnecting ? Severity::Error
                                                                              : Severity::Info,
                                  "broker " + celery::to_string(s) + ": " + detail);
    });
}

CelerySource::~CelerySource() {
    *alive_ = false;
    if (notes_timer_)
        loop_.cancel_timer(notes_timer_);
}

Availability CelerySource::supports(SourceFeature feature) const {
    switch (feature) {
    case SourceFeature::Settings:
        return Availability::no(tr("a Celery worker's pool settings are its own (its command line "
                                   "and configuration); Poolscope watches it"));
    case SourceFeature::LoadGenerator:
        return Availability::no(tr("Poolscope does not send tasks to a Celery cluster: its load "
                                   "comes from the cluster's own producers"));
    case SourceFeature::KillWorker:
        return Availability::no(tr("Poolscope does not signal a Celery worker's processes (they "
                                   "may run on another machine); terminate the task it runs "
                                   "instead"));
    case SourceFeature::FaultInjection:
        return Availability::no(tr("faults are injected only into this window's own pool"));
    case SourceFeature::WorkerMemory:
        return Availability::no(tr("Celery does not report the memory of a worker's pool "
                                   "processes (its stats give the main process's own peak)"));
    case SourceFeature::TerminateJob:
        return client_.status() == celery::ConnectionStatus::Connected
                   ? Availability::yes()
                   : Availability::no(tr("not connected to the broker"));
    }
    return Availability::no(tr("not a Celery control"));
}

Availability CelerySource::availability(PoolAction action) const {
    switch (action) {
    case PoolAction::Start:
        if (started_ && !stopped_)
            return Availability::no(tr("already watching the Celery cluster; File › Detach "
                                       "leaves it running and goes back to this window's own "
                                       "pool"));
        return Availability::yes();
    case PoolAction::Grow:
    case PoolAction::Shrink:
        return Availability::yes();
    case PoolAction::Restart: {
        QStringList off;
        for (const auto& [name, w] : client_.state().workers())
            if (w.online && w.pool_restarts && !*w.pool_restarts)
                off << QString::fromStdString(name);
        if (!off.isEmpty())
            return Availability::no(
                tr("a Celery worker restarts its pool only with worker_pool_restarts enabled "
                   "(off on %1)")
                    .arg(off.join(QStringLiteral(", "))));
        return Availability::yes();
    }
    case PoolAction::Close:
        return Availability::no(tr("a Celery worker cannot be closed to new tasks while it runs "
                                   "(its nearest control, cancel_consumer, stops a queue)"));
    case PoolAction::Stop:
    case PoolAction::Terminate:
        return Availability::no(
            tr("Poolscope watches this Celery cluster and does not stop it; closing the window "
               "leaves every worker running (`poolscope --headless --celery URL --control "
               "shutdown` shuts workers down)"));
    }
    return Availability::no(tr("not a Celery control"));
}

void CelerySource::start() {
    if (started_)
        return;
    started_ = true;
    stopped_ = false;
    client_.start();
    notes_timer_ =
        loop_.call_repeatedly(std::chrono::milliseconds(100), [this] { forward_notes(); });
}

void CelerySource::forward_notes() {
    if (!observer_)
        return;
    for (const auto& n : client_.state().take_notes())
        observer_->on_message(n.severity, n.text);
}

std::string CelerySource::lag_note(const std::string& method) {
    if (method == "pool_restart")
        return "each pool child is replaced after its next task; an idle one stays until a task "
               "reaches it";
    if (method == "pool_grow" || method == "pool_shrink" || method == "autoscale")
        return "applied at the pool's next maintenance tick; inspect stats shows it then, and "
               "its max-concurrency keeps the old figure";
    return {};
}

void CelerySource::control(const std::string& method, json arguments,
                           std::vector<std::string> destination, ResultHandler done) {
    if (client_.status() != celery::ConnectionStatus::Connected)
        throw poolcore::PoolError("not connected to the broker: " + client_.status_detail());
    client_.control(
        method, std::move(arguments), std::move(destination),
        [this, method, done = std::move(done), alive = alive_](const celery::ControlResult& r) {
            if (!*alive)
                return;
            const std::string text = describe_replies(r);
            if (any_error(r))
                report_(method, text);
            else if (observer_) {
                const std::string note = lag_note(method);
                observer_->on_message(Severity::Info, method + ": " + text +
                                                          (note.empty() ? "" : " (" + note + ")"));
            }
            if (done)
                done(r);
            client_.resync(); // show its effect as soon as Celery reports it
        });
}

void CelerySource::controlWorker(const std::string& node, const std::string& method, json arguments,
                                 ResultHandler done) {
    if (client_.status() != celery::ConnectionStatus::Connected) {
        celery::ControlResult r;
        r.method = method;
        r.error = "not connected to the broker: " + client_.status_detail();
        report_(method, node + ": " + r.error);
        if (done)
            done(r);
        return;
    }
    control(method, std::move(arguments), {node}, std::move(done));
}

bool CelerySource::shutdownWorker(const std::string& node) {
    if (client_.status() != celery::ConnectionStatus::Connected) {
        report_("shutdown", node + ": not connected to the broker: " + client_.status_detail());
        return false;
    }
    // Celery never answers a shutdown (the worker raises WorkerShutdown before it could): sent
    // without a ticket, and its effect is the worker-offline event after its warm shutdown.
    client_.broadcast("shutdown", json::object(), {node});
    if (observer_)
        observer_->on_message(Severity::Warning,
                              "shutdown sent to " + node +
                                  " (Celery sends no reply; the worker finishes its running "
                                  "tasks, then goes offline)");
    return true;
}

void CelerySource::restart() {
    control("pool_restart", {{"reload", false}});
}

void CelerySource::grow(int n) {
    control("pool_grow", {{"n", n}});
}

int CelerySource::shrink(int n) {
    control("pool_shrink", {{"n", n}});
    return n;
}

void CelerySource::close() {
    throw poolcore::PoolError(availability(PoolAction::Close).reason.toStdString());
}

void CelerySource::stop() {
    throw poolcore::PoolError(availability(PoolAction::Stop).reason.toStdString());
}

void CelerySource::terminate() {
    throw poolcore::PoolError(availability(PoolAction::Terminate).reason.toStdString());
}

void CelerySource::submit(poolcore::TaskCall, poolcore::JobCallbacks) {
    throw poolcore::PoolError(supports(SourceFeature::LoadGenerator).reason.toStdString());
}

bool CelerySource::terminate_job(pid_t pid, int signal) {
    for (const auto& [name, w] : client_.state().workers())
        for (const auto& task : w.active)
            if (task.worker_pid == pid) {
                control("revoke", {{"task_id", task.id},
                                   {"terminate", true},
                                   {"signal", std::string(poolcore::signal_name(signal))}});
                return true;
            }
    return false;
}

bool CelerySource::kill_worker(pid_t, int) {
    throw poolcore::PoolError(supports(SourceFeature::KillWorker).reason.toStdString());
}

PoolState CelerySource::state() const {
    if (stopped_)
        return PoolState::Stopped;
    return started_ ? PoolState::Run : PoolState::Init;
}

poolcore::StatsSnapshot CelerySource::stats() const {
    poolcore::StatsSnapshot s = client_.state().snapshot(celery::Clock::now());
    s.state = state();
    return s;
}

std::string CelerySource::lane_label(int /*slot*/, pid_t pid) const {
    return client_.state().process_label(pid);
}

poolcore::Info CelerySource::info() const {
    return client_.state().info();
}

JobRecordBatch CelerySource::take_job_records() {
    // The cluster state builds poolcore::JobRecord from task events already: handed on whole.
    JobRecordBatch batch;
    batch.records = client_.state().take_job_records(&batch.dropped);
    return batch;
}

void CelerySource::shut_down(std::chrono::milliseconds timeout) {
    if (stopped_)
        return;
    bool done = false;
    client_.stop([&done] { done = true; });
    loop_.run_until([&done] { return done; }, timeout);
    stopped_ = true;
}

PoolSourceFactory make_celery_source_factory(celery::ClientSettings settings,
                                             std::function<void(CelerySource*)> on_built) {
    return [settings = std::move(settings), on_built = std::move(on_built)](
               const poolcore::PoolOptions&, QtEventLoop& loop, poolcore::PoolObserver* observer,
               PoolSource::ErrorReporter report) -> std::unique_ptr<PoolSource> {
        auto source = std::make_unique<CelerySource>(settings, loop, observer, std::move(report));
        if (on_built)
            on_built(source.get());
        return source;
    };
}

} // namespace poolscope
