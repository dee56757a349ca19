// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/sources/attach_source.h"

#include "poolcore/monitor_client.h"
#include "poolcore/monitor_server.h"
#include "qtloop/qt_event_loop.h"

#include <QDir>
#include <QFileInfo>
#include <nlohmann/json.hpp>
#include <sys/stat.h>

namespace poolscope {

namespace {

using poolcore::PoolError;
using poolcore::Severity;

class AttachSource final : public PoolSource {
public:
    AttachSource(const std::string& socket_path, QtEventLoop& loop,
                 poolcore::PoolObserver* observer, ErrorReporter report)
        : observer_(observer), report_(std::move(report)), problem_("connecting to " + socket_path),
          client_(loop, socket_path, callbacks(), std::chrono::seconds(1)) {}

    Availability availability(PoolAction action) const override {
        if (action == PoolAction::Start)
            return Availability::no(QStringLiteral("started by the program that owns it"));
        if (!client_.connected())
            return Availability::no(QStringLiteral("not connected: reconnecting"));
        if (client_.hello().read_only)
            return Availability::no(QStringLiteral("the monitor is read-only"));
        return Availability::yes();
    }

    Availability supports(SourceFeature feature) const override {
        switch (feature) {
        case SourceFeature::Settings:
            return Availability::no(QStringLiteral("the attached pool runs with its own program's "
                                                   "settings (the Info tab shows them)"));
        case SourceFeature::LoadGenerator:
            return Availability::no(
                QStringLiteral("jobs are submitted by the program that owns the attached pool"));
        case SourceFeature::FaultInjection:
            return Availability::no(
                QStringLiteral("faults are injected only into this window's own pool"));
        case SourceFeature::WorkerMemory: // in every snapshot the server sends
            return Availability::yes();
        case SourceFeature::TerminateJob:
        case SourceFeature::KillWorker:
            // The monitor's terminate_job and kill_worker verbs.
            return availability(PoolAction::Grow);
        }
        return Availability::no(QStringLiteral("not a monitor verb"));
    }

    void start() override { client_.connect(); }
    void restart() override { send("restart", nlohmann::json::object()); }
    void grow(int n) override { send("grow", {{"n", n}}); }
    int shrink(int n) override {
        send("shrink", {{"n", n}});
        return n; // how many the pool retired comes in its reply, after this returns
    }
    void close() override { send("close", nlohmann::json::object()); }
    void stop() override { send("stop", nlohmann::json::object()); }
    void terminate() override { send("terminate", nlohmann::json::object()); }
    void submit(poolcore::TaskCall, poolcore::JobCallbacks) override {
        throw PoolError("jobs are submitted by the program that owns the attached pool");
    }
    bool terminate_job(pid_t pid, int signal) override {
        send("terminate_job", {{"pid", pid}, {"signal", signal}});
        return true;
    }
    bool kill_worker(pid_t pid, int signal) override {
        send("kill_worker", {{"pid", pid}, {"signal", signal}});
        return true;
    }

    poolcore::PoolState state() const override { return stats_.state; }
    poolcore::StatsSnapshot stats() const override { return stats_; }
    poolcore::Info info() const override { return info_; }
    bool runs_on_gui_thread() const override { return true; }
    JobRecordBatch take_job_records() override {
        JobRecordBatch batch = std::move(pending_);
        pending_ = {};
        return batch;
    }
    std::optional<std::string> connection_problem() const override {
        if (client_.connected())
            return std::nullopt;
        return problem_;
    }
    bool owns_pool() const override { return false; }

    // The pool is the other program's: leaving only closes the connection.
    void shut_down(std::chrono::milliseconds) override {}

private:
    poolcore::MonitorClient::Callbacks callbacks() {
        poolcore::MonitorClient::Callbacks c;
        c.on_connected = [this](const poolcore::MonitorHello& hello) {
            was_connected_ = true;
            observer_->on_message(Severity::Info, "attached to " + hello.program + " (pid " +
                                                      std::to_string(hello.pid) + ", " +
                                                      hello.pool_kind + " pool" +
                                                      (hello.read_only ? ", read-only" : "") +
                                                      ") at " + client_.path());
        };
        c.on_disconnected = [this](const std::string& reason) {
            problem_ = reason + "; reconnecting";
            // Said once per loss, not at every failed retry.
            if (was_connected_)
                observer_->on_message(Severity::Warning, "monitor connection lost: " + problem_);
            was_connected_ = false;
        };
        c.on_snapshot = [this](const poolcore::StatsSnapshot& stats, const poolcore::Info& info) {
            stats_ = stats;
            info_ = info;
        };
        c.on_events = [this](const std::vector<poolcore::MonitorEvent>& events) {
            for (const auto& e : events)
                e.replay(*observer_);
        };
        c.on_jobs = [this](std::vector<JobRecord> records, std::uint64_t dropped) {
            pending_.dropped += dropped;
            if (pending_.records.empty())
                pending_.records = std::move(records);
            else
                pending_.records.insert(pending_.records.end(),
                                        std::make_move_iterator(records.begin()),
                                        std::make_move_iterator(records.end()));
        };
        return c;
    }

    // Throws when there is no connection (so the controller says so at once); the pool's own
    // refusal comes later, in the reply.
    void send(const std::string& verb, nlohmann::json arguments) {
        if (arguments.is_null())
            arguments = nlohmann::json::object();
        client_.request(
            verb, arguments,
            [report = report_, verb](bool ok, const std::string& error, const nlohmann::json&) {
                if (!ok)
                    report(verb, error);
            });
    }

    poolcore::PoolObserver* observer_;
    ErrorReporter report_;
    std::string problem_;
    bool was_connected_ = false;
    poolcore::StatsSnapshot stats_;
    poolcore::Info info_;
    JobRecordBatch pending_;
    poolcore::MonitorClient client_; // last: its callbacks use the members above
};

} // namespace

std::unique_ptr<PoolSource> make_attach_source(const std::string& socket_path, QtEventLoop& loop,
                                               poolcore::PoolObserver* observer,
                                               PoolSource::ErrorReporter report) {
    return std::make_unique<AttachSource>(socket_path, loop, observer, std::move(report));
}

PoolSourceFactory attach_source_factory(std::string socket_path) {
    return [socket_path](const poolcore::PoolOptions&, QtEventLoop& loop,
                         poolcore::PoolObserver* observer, PoolSource::ErrorReporter report) {
        return make_attach_source(socket_path, loop, observer, std::move(report));
    };
}

QString monitor_runtime_directory() {
    return QString::fromStdString(poolcore::default_monitor_directory());
}

QStringList find_monitor_sockets() {
    const QDir dir(monitor_runtime_directory());
    QStringList sockets;
    for (const QFileInfo& entry : dir.entryInfoList(QDir::System | QDir::Files, QDir::Name)) {
        struct stat st {};
        if (::stat(entry.filePath().toLocal8Bit().constData(), &st) == 0 && S_ISSOCK(st.st_mode))
            sockets << entry.filePath();
    }
    return sockets;
}

} // namespace poolscope
