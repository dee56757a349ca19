// SPDX-License-Identifier: GPL-3.0-or-later
// The Celery source against the real thing: redis-server and Celery 5 prefork workers, started
// and stopped here. Label `celery`.
#include "celery/celery_client.h"
#include "celery/redis_connection.h"
#include "celery_cluster.h"
#include "poolcore/poll_loop.h"
#include "ui/main_window.h"
#include "ui/pages/celery_page.h"
#include "ui/sources/celery_source.h"

#include <QAction>
#include <QApplication>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTest>
#include <QTreeWidget>
#include <hiredis/hiredis.h>
#include <set>

using namespace std::chrono_literals;
using poolcore::Outcome;
namespace cel = poolscope::celery;

class TestCelery : public QObject {
    Q_OBJECT

    std::unique_ptr<celerytest::Cluster> cluster_;
    std::unique_ptr<poolcore::PollLoop> loop_;
    std::unique_ptr<cel::CeleryClient> client_;
    std::vector<poolcore::JobRecord> records_;

    bool run_until(const std::function<bool()>& done, std::chrono::seconds timeout) {
        return loop_->run_until(done, timeout);
    }
    const cel::WorkerNode* node(const std::string& prefix) {
        for (const auto& [name, w] : client_->state().workers())
            if (name.rfind(prefix, 0) == 0)
                return &w;
        return nullptr;
    }
    std::string node_name(const std::string& prefix) {
        const auto* w = node(prefix);
        return w ? w->hostname : std::string();
    }
    cel::ControlResult control(const std::string& method, nlohmann::json args,
                               std::vector<std::string> destination = {}) {
        cel::ControlResult result;
        bool done = false;
        client_->control(method, std::move(args), std::move(destination),
                         [&](const cel::ControlResult& r) {
                             result = r;
                             done = true;
                         });
        run_until([&] { return done; }, 10s);
        return result;
    }
    // Job records collected so far plus those that arrive within `timeout`, until `enough`.
    bool collect(const std::function<bool()>& enough, std::chrono::seconds timeout) {
        return run_until(
            [&] {
                for (auto& r : client_->state().take_job_records())
                    records_.push_back(std::move(r));
                return enough();
            },
            timeout);
    }
    const poolcore::JobRecord* record_of(const std::string& task) {
        for (const auto& r : records_)
            if (r.task == task)
                return &r;
        return nullptr;
    }
    QString describe_records() const {
        QStringList seen;
        for (const auto& r : records_)
            seen << QString::fromStdString(
                r.task + " " + std::string(poolcore::to_string(r.outcome)) + " " + r.error);
        return QStringLiteral("not every task's events arrived; seen: ") +
               seen.join(QStringLiteral("; "));
    }
    std::size_t processes_of(const std::string& prefix) {
        const auto* w = node(prefix);
        return w && w->have_stats ? w->processes.size() : 0;
    }

private Q_SLOTS:
    void initTestCase() {
        if (const QString missing = celerytest::missing_packages(); !missing.isEmpty())
            QSKIP(qPrintable(QStringLiteral("celery tests need the real thing: ") + missing));
        cluster_ = std::make_unique<celerytest::Cluster>();
        QVERIFY2(cluster_->start_redis(), "redis-server did not start");
        QVERIFY(cluster_->start_worker(QStringLiteral("w1")));
        QVERIFY(cluster_->start_worker(QStringLiteral("w2")));
        loop_ = std::make_unique<poolcore::PollLoop>();
        cel::ClientSettings settings;
        QCOMPARE(cel::parse_broker_url(cluster_->url().toStdString(), settings.transport),
                 std::string());
        settings.poll_interval = 300ms; // `active` must see short tasks to name their child
        settings.reply_timeout = 8s;    // a loaded machine answers late; complete sets end early
        client_ = std::make_unique<cel::CeleryClient>(*loop_, settings);
        client_->start();
        // Workers take a few seconds to boot on a busy machine.
        QVERIFY2(run_until(
                     [&] {
                         return client_->state().online_workers() == 2 &&
                                processes_of("w1@") == 2 && processes_of("w2@") == 2;
                     },
                     90s),
                 "two workers with two pool processes each did not appear");
        cluster_->remember_children(node("w1@")->processes);
        cluster_->remember_children(node("w2@")->processes);
    }

    void cleanupTestCase() {
        if (client_) {
            bool stopped = false;
            client_->stop([&] { stopped = true; });
            run_until([&] { return stopped; }, 5s);
        }
        client_.reset();
        cluster_.reset();
    }

    void workersMatchInspectStats() {
        // What Celery's own command line reports.
        QProcess inspect;
        inspect.setWorkingDirectory(QStringLiteral(POOLSCOPE_TESTS_DIR));
        inspect.start(celerytest::kPython, {"-m", "celery", "-A", "celery_app", "--broker",
                                            cluster_->url(), "inspect", "stats", "--json"});
        QVERIFY(inspect.waitForFinished(60000));
        const QByteArray out = inspect.readAllStandardOutput();
        const auto j = nlohmann::json::parse(out.constData(), nullptr, false);
        QVERIFY2(j.is_object(), out.constData());
        client_->resync();
        run_until([] { return false; }, 2s);
        for (const auto& [name, stats] : j.items()) {
            const cel::WorkerNode* w = node(name);
            QVERIFY2(w, name.c_str());
            QVERIFY(w->online);
            QCOMPARE(w->pid, stats["pid"].get<pid_t>());
            QCOMPARE(w->processes, stats["pool"]["processes"].get<std::vector<pid_t>>());
            QCOMPARE(w->max_concurrency, stats["pool"]["max-concurrency"].get<int>());
            QVERIFY(!w->sw_ver.empty());
            QVERIFY(w->freq > 0);
            QVERIFY(w->loadavg.has_value());
            QCOMPARE(w->pool_restarts, std::optional<bool>(true)); // celery_app.py sets it
        }
        QCOMPARE(int(j.size()), 2);
    }

    void taskEventsBecomeJobRecords() {
        records_.clear();
        const QByteArray ids = cluster_->python(
            QStringLiteral("print(add.delay(2, 3).id); print(fail.delay('on purpose').id); "
                           "print(retry_once.delay('m').id); print(sleep.delay(3).id)"));
        QCOMPARE(ids.trimmed().split('\n').size(), 4);
        QVERIFY2(collect(
                     [&] {
                         return record_of("celery_app.add") && record_of("celery_app.fail") &&
                                record_of("celery_app.sleep") &&
                                std::count_if(records_.begin(), records_.end(), [](auto& r) {
                                    return r.task == "celery_app.retry_once";
                                }) == 2;
                     },
                     60s),
                 qPrintable(describe_records()));
        std::set<pid_t> known;
        for (const auto& [name, w] : client_->state().workers()) {
            known.insert(w.pid);
            known.insert(w.processes.begin(), w.processes.end());
        }
        for (const auto& r : records_) {
            QVERIFY2(known.count(r.pid), (r.task + " ran on an unknown pid").c_str());
            QVERIFY(r.finished >= r.submitted);
        }
        QCOMPARE(record_of("celery_app.add")->outcome, Outcome::Success);
        const auto* failed = record_of("celery_app.fail");
        QCOMPARE(failed->outcome, Outcome::TaskError);
        QVERIFY2(failed->error.find("ValueError") != std::string::npos, failed->error.c_str());
        // The retry: one attempt ends retried, the next succeeds.
        int retried = 0, succeeded = 0;
        for (const auto& r : records_)
            if (r.task == "celery_app.retry_once") {
                retried += r.error.rfind("retried:", 0) == 0;
                succeeded += r.outcome == Outcome::Success;
            }
        QCOMPARE(retried, 1);
        QCOMPARE(succeeded, 1);
        QVERIFY(client_->state().retried() >= 1);
        // A task that runs long enough for `active` to see it (ten polls, so that a loaded machine
        // answering a few late still does) is placed on its pool child.
        const auto* slept = record_of("celery_app.sleep");
        bool on_child = false;
        for (const auto& [name, w] : client_->state().workers())
            on_child = on_child || std::count(w.processes.begin(), w.processes.end(), slept->pid);
        QVERIFY2(on_child, "the 3 s task was not placed on a pool child pid");
        QVERIFY(slept->run_time() >= 2500ms);
    }

    void growAndShrinkChangeTheProcessCount() {
        const std::string w1 = node_name("w1@");
        const auto grown = control("pool_grow", {{"n", 1}}, {w1});
        QCOMPARE(grown.replies.size(), std::size_t(1));
        QCOMPARE(grown.replies.at(w1).value("ok", ""), std::string("pool will grow"));
        QVERIFY2(run_until(
                     [&] {
                         client_->resync();
                         return loop_->run_until([] { return false; }, 500ms),
                                processes_of("w1@") == 3;
                     },
                     30s),
                 "inspect stats never listed a third process after pool_grow");
        cluster_->remember_children(node("w1@")->processes);
        // Celery's max-concurrency lags the processes it lists: shown as such, not repeated.
        const auto* w = node("w1@");
        if (w->max_concurrency != 3)
            QVERIFY(w->concurrency_lags());
        QCOMPARE(client_->state().info().processes.size(), std::size_t(5));
        const auto shrunk = control("pool_shrink", {{"n", 1}}, {w1});
        QCOMPARE(shrunk.replies.at(w1).value("ok", ""), std::string("pool will shrink"));
        QVERIFY2(run_until(
                     [&] {
                         client_->resync();
                         return loop_->run_until([] { return false; }, 500ms),
                                processes_of("w1@") == 2;
                     },
                     30s),
                 "inspect stats still lists three processes after pool_shrink");
    }

    void poolRestartReplacesTheChildren() {
        const std::string w2 = node_name("w2@");
        const std::vector<pid_t> before = node("w2@")->processes;
        const auto r = control("pool_restart", {{"reload", false}}, {w2});
        QCOMPARE(r.replies.at(w2).value("ok", ""), std::string("reload started"));
        // A child leaves only after its next task (billiard sets each one's restart flag, which
        // it reads between tasks): idle children stay until the load reaches them.
        auto last_load = std::chrono::steady_clock::now() - 1h;
        QVERIFY2(run_until(
                     [&] {
                         if (std::chrono::steady_clock::now() - last_load > 8s) {
                             cluster_->python(
                                 QStringLiteral("for i in range(20): add.delay(i, i)"));
                             last_load = std::chrono::steady_clock::now();
                         }
                         client_->resync();
                         loop_->run_until([] { return false; }, 500ms);
                         const auto& now = node("w2@")->processes;
                         if (now.size() != 2)
                             return false;
                         for (pid_t p : now)
                             if (std::count(before.begin(), before.end(), p))
                                 return false;
                         return true;
                     },
                     40s),
                 "the pool children were not all replaced");
        cluster_->remember_children(node("w2@")->processes);
    }

    void revokeTerminateEndsARunningTask() {
        records_.clear();
        const std::string id =
            cluster_->python(QStringLiteral("print(sleep.delay(60).id)")).trimmed().toStdString();
        QVERIFY(!id.empty());
        pid_t child = 0;
        QVERIFY2(run_until(
                     [&] {
                         for (const auto& [name, w] : client_->state().workers())
                             for (const auto& t : w.active)
                                 if (t.id == id)
                                     child = t.worker_pid;
                         return child != 0;
                     },
                     30s),
                 "inspect active never showed the task");
        const auto started = std::chrono::steady_clock::now();
        const auto r =
            control("revoke", {{"task_id", id}, {"terminate", true}, {"signal", "SIGTERM"}});
        QVERIFY(!r.replies.empty());
        QVERIFY2(collect([&] { return record_of("celery_app.sleep") != nullptr; }, 30s),
                 "no task-revoked event");
        const auto* rec = record_of("celery_app.sleep");
        QCOMPARE(rec->outcome, Outcome::Terminated);
        QVERIFY2(rec->error.find("terminated (signal 15)") != std::string::npos,
                 rec->error.c_str());
        QCOMPARE(rec->pid, child);
        QVERIFY(std::chrono::steady_clock::now() - started < 30s); // well before its 60 s
    }

    void garbageIsCountedAndSkipped() {
        const std::uint64_t before = client_->state().bad_messages();
        poolscope::celery::RedisConnection raw(*loop_, "garbage");
        bool up = false;
        raw.open(
            "127.0.0.1", cluster_->port(), 3000ms, [&](bool ok, const std::string&) { up = ok; },
            nullptr);
        QVERIFY(run_until([&] { return up; }, 5s));
        const cel::TransportOptions& t = client_->settings().transport;
        const std::string channel = t.fanout_channel("celeryev") + "/task.multi";
        const std::vector<std::string> garbage = {
            "not json at all",
            "[1, 2, 3]",
            R"({"no": "body"})",
            R"({"body": "!!!not base64!!!", "properties": {"body_encoding": "base64"}})",
            // a pickle body: shown raw, never unpickled
            R"({"body": "gASVAAAAAAAAAAB9lC4=", "content-type": "application/x-python-serialize", "properties": {"body_encoding": "base64"}})",
            // a task.multi list whose one element is not an event
            nlohmann::json{{"body", cel::base64_encode(R"([{"type": 7}])")},
                           {"content-type", "application/json"},
                           {"properties", {{"body_encoding", "base64"}}}}
                .dump(),
            std::string("\xff\xfe\x00binary", 9),
        };
        int published = 0;
        for (const auto& g : garbage)
            raw.command({"PUBLISH", channel, g}, [&](redisReply*) { ++published; });
        // And into our own reply queue, where the next poll picks it up.
        raw.command({"LPUSH", t.reply_queue(client_->oid()), "{\"garbage\": true}"},
                    [&](redisReply*) { ++published; });
        QVERIFY(run_until([&] { return published == int(garbage.size()) + 1; }, 5s));
        const auto pong = control("ping", nlohmann::json::object());
        QCOMPARE(pong.replies.size(), std::size_t(2)); // the client carries on
        QVERIFY2(run_until(
                     [&] { return client_->state().bad_messages() >= before + garbage.size() + 1; },
                     10s),
                 qPrintable(QStringLiteral("only %1 bad messages counted")
                                .arg(client_->state().bad_messages() - before)));
        bool pickle_named = false;
        for (const auto& n : client_->state().take_notes())
            pickle_named =
                pickle_named || n.text.find("application/x-python-serialize") != std::string::npos;
        QVERIFY(pickle_named);
        raw.close();
    }

    void headlessReportAndControl() {
        QProcess app;
        app.start(QStringLiteral(POOLSCOPE_APP),
                  {"--headless", "--celery", cluster_->url(), "--json", "--control", "ping"});
        QVERIFY(app.waitForFinished(60000));
        QCOMPARE(app.exitCode(), 0);
        const auto j =
            nlohmann::json::parse(app.readAllStandardOutput().toStdString(), nullptr, false);
        QVERIFY(j.is_object());
        QCOMPARE(j["online_workers"].get<int>(), 2);
        QCOMPARE(j["controls"][0]["replies"].size(), std::size_t(2));
        for (const auto& w : j["workers"])
            QCOMPARE(w["pool"]["processes"].size(), std::size_t(2));
        // Its reply queue and binding are gone: only ours is left.
        QProcess bad;
        bad.start(QStringLiteral(POOLSCOPE_APP), {"--headless", "--celery", "amqp://x/0"});
        QVERIFY(bad.waitForFinished(30000));
        QCOMPARE(bad.exitCode(), 2);
        QVERIFY(bad.readAllStandardError().contains("only redis://"));
    }

    void windowShowsTheClusterAndGreysWhatCeleryCannotDo() {
        poolscope::MainWindow window;
        QVERIFY(window.connectToCelery(cluster_->url()));
        std::size_t processes = 0;
        for (const auto& [name, w] : client_->state().workers())
            processes += w.processes.size();
        QTRY_VERIFY_WITH_TIMEOUT(
            window.controller().lastSnapshot().alive_processes == int(processes), 30000);
        QVERIFY(window.celeryPage());
        window.celeryPage()->refresh();
        QCOMPARE(window.celeryPage()->tree()->topLevelItemCount(), 2);
        using poolscope::PoolAction;
        QVERIFY(!window.action(PoolAction::Stop)->isEnabled());
        QVERIFY(
            window.controller().availability(PoolAction::Stop).reason.contains("does not stop"));
        QVERIFY(!window.controller().availability(PoolAction::Close).available);
        QVERIFY(window.controller().availability(PoolAction::Grow).available);
        QVERIFY(window.controller().availability(PoolAction::Restart).available);
        window.controller().shutDown(5s);
    }

    void redisRestartIsSurvived() {
        cluster_->stop_redis();
        QVERIFY(run_until([&] { return client_->status() == cel::ConnectionStatus::Reconnecting; },
                          10s));
        QVERIFY(cluster_->start_redis());
        QVERIFY2(
            run_until([&] { return client_->status() == cel::ConnectionStatus::Connected; }, 30s),
            client_->status_detail().c_str());
        // The workers find the broker again on their own; then they answer us again.
        QVERIFY2(run_until(
                     [&] {
                         const auto r = control("ping", nlohmann::json::object());
                         return r.replies.size() == 2;
                     },
                     60s),
                 "the workers did not answer after the broker came back");
        QVERIFY(run_until([&] { return client_->state().online_workers() == 2; }, 20s));
    }

    // Last: it leaves one worker dead.
    void sigkilledWorkerGoesOfflineWithin2xFreq() {
        const cel::WorkerNode* w2 = node("w2@");
        QVERIFY(w2 && w2->online);
        const double freq = w2->freq;
        const pid_t pid = w2->pid;
        cluster_->remember_children(w2->processes);
        const auto killed = std::chrono::steady_clock::now();
        QCOMPARE(::kill(pid, SIGKILL), 0);
        QVERIFY(run_until([&] { return !node("w2@")->online; }, 30s));
        const double took =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - killed).count();
        QVERIFY2(took <= 2 * freq + 1.0,
                 qPrintable(QStringLiteral("offline after %1 s with freq %2").arg(took).arg(freq)));
        QVERIFY(node("w2@")->offline_reason.find("no heartbeat") != std::string::npos);
        QVERIFY(node("w1@")->online);
    }
};

int main(int argc, char** argv) {
    QApplication app(argc, argv);
    TestCelery test;
    return QTest::qExec(&test, argc, argv);
}

#include "test_celery.moc"
