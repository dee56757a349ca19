// SPDX-License-Identifier: GPL-3.0-or-later
// The Celery source against the real thing: redis-server and Celery 5 prefork workers, started
// and stopped here. Label `celery`.
#include "celery/celery_client.h"
#include "celery/redis_connection.h"
#include "celery_cluster.h"
#include "poolcore/poll_loop.h"
#include "poolcore/worker_entry.h"
#include "ui/charts/chart_view.h"
#include "ui/main_window.h"
#include "ui/pages/celery_page.h"
#include "ui/pages/load_page.h"
#include "ui/pages/process_page.h"
#include "ui/pages/settings_page.h"
#include "ui/sources/celery_source.h"
#include "ui/timeline/timeline_view.h"

#include <QAction>
#include <QApplication>
#include <QComboBox>
#include <QDir>
#include <QInputDialog>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLabel>
#include <QLineEdit>
#include <QMenu>
#include <QMessageBox>
#include <QPushButton>
#include <QSpinBox>
#include <QStatusBar>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>
#include <QTreeWidget>
#include <hiredis/hiredis.h>
#include <limits>
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

    // Answers the next modal dialog (an input dialog, the autoscale form, a question) with
    // `answer` once it shows.
    void answerNextDialog(std::function<void(QWidget*)> answer) {
        auto* timer = new QTimer(this);
        timer->setInterval(50);
        connect(timer, &QTimer::timeout, this, [timer, answer] {
            if (QWidget* dialog = QApplication::activeModalWidget()) {
                timer->stop();
                timer->deleteLater();
                answer(dialog);
            }
        });
        timer->start();
    }
    // Triggers the action `name` of `row`'s context menu; false when it is missing or greyed.
    static bool triggerMenuAction(poolscope::CeleryPage* page, QTreeWidgetItem* row,
                                  const char* name) {
        if (!row)
            return false;
        std::unique_ptr<QMenu> menu(page->contextMenuFor(row));
        auto* a = menu->findChild<QAction*>(QString::fromLatin1(name));
        if (!a || !a->isEnabled())
            return false;
        a->trigger();
        return true;
    }
    // What the window's own Celery source knows of the worker named `prefix`...: the test's
    // client runs only while the test runs its PollLoop, so it lags while Qt's loop runs.
    static const cel::WorkerNode* windowNode(poolscope::MainWindow& window,
                                             const std::string& prefix) {
        const auto* source =
            dynamic_cast<const poolscope::CelerySource*>(window.controller().source());
        if (!source)
            return nullptr;
        for (const auto& [name, w] : source->client().state().workers())
            if (name.rfind(prefix, 0) == 0)
                return &w;
        return nullptr;
    }
    static QString poolText(poolscope::CeleryPage* page, const QString& node) {
        page->refresh();
        QTreeWidgetItem* row = page->workerRow(node);
        return row ? row->text(poolscope::CeleryPage::PoolColumn) : QString();
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
        // Every record has a timeline lane: its child's slot, or its worker's main-pid lane.
        for (const auto& r : records_)
            QVERIFY2(r.slot >= 0, (r.task + " has no slot").c_str());
        QVERIFY(!client_->state().is_main_pid_slot(slept->slot));
        // The timeline names each lane by its worker: a pool child by its pid, the main-pid
        // lane as the tasks whose child is not known.
        const auto label = [&](pid_t pid) {
            return QString::fromStdString(client_->state().process_label(pid));
        };
        for (const auto& [name, w] : client_->state().workers()) {
            QCOMPARE(label(w.pid), QString::fromStdString(name + " · child not known"));
            for (const pid_t p : w.processes)
                QCOMPARE(label(p), QString::fromStdString(name + " · " + std::to_string(p)));
        }
        QVERIFY(label(0).isEmpty());
        QVERIFY(label(std::numeric_limits<pid_t>::max()).isEmpty());
        bool slot_matches = false;
        for (const auto& w : client_->state().snapshot(std::chrono::steady_clock::now()).workers)
            slot_matches = slot_matches || (w.pid == slept->pid && w.slot == slept->slot);
        QVERIFY2(slot_matches, "the task's slot is not its child's slot in the snapshot");
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
        // What the source has no use for is greyed with its reason: Start (already watching),
        // the settings and the load generator (the workers' own), and signals to a worker
        // process; terminating a task is Celery's revoke and stays.
        QVERIFY(!window.action(PoolAction::Start)->isEnabled());
        QVERIFY2(window.action(PoolAction::Start)->toolTip().contains("already watching"),
                 qPrintable(window.action(PoolAction::Start)->toolTip()));
        QVERIFY(window.action(PoolAction::Stop)->toolTip().contains("does not stop"));
        QVERIFY(!window.settingsPage()->isEnabled());
        QVERIFY(window.settingsNote()->isVisibleTo(&window));
        QVERIFY2(window.settingsNote()->text().contains("its command line and configuration"),
                 qPrintable(window.settingsNote()->text()));
        QVERIFY(!window.loadPage()->isEnabled());
        QVERIFY2(window.loadNote()->text().contains("does not send tasks to a Celery cluster"),
                 qPrintable(window.loadNote()->text()));
        QTRY_VERIFY_WITH_TIMEOUT(!window.controller().lastSnapshot().workers.empty(), 10000);
        QVERIFY(window.processPage()->selectPid(
            window.controller().lastSnapshot().workers.front().pid));
        QAction* kill = window.processPage()->killWorkerAction();
        QVERIFY(!kill->isEnabled());
        QVERIFY2(kill->toolTip().contains("does not signal a Celery worker's processes"),
                 qPrintable(kill->toolTip()));
        QVERIFY(window.controller().availability(poolscope::SourceFeature::TerminateJob).available);
        QVERIFY(
            !window.controller().availability(poolscope::SourceFeature::FaultInjection).available);
        // Worker Memory says Celery does not report it; a chart the cluster feeds says nothing.
        auto* memory = window.findChild<poolscope::ChartView*>(QStringLiteral("memoryChart"));
        QVERIFY(memory);
        QVERIFY2(memory->unavailableReason().contains("memory of a worker's pool processes"),
                 qPrintable(memory->unavailableReason()));
        auto* throughput =
            window.findChild<poolscope::ChartView*>(QStringLiteral("throughputChart"));
        QVERIFY(throughput && throughput->unavailableReason().isEmpty());
        // The window's timeline calls a pool child's lane by its worker's name.
        const auto& [first_name, first_node] = *client_->state().workers().begin();
        QVERIFY(!first_node.processes.empty());
        QCOMPARE(window.timeline()->laneLabel(0, first_node.processes.front()),
                 QString::fromStdString(first_name + " · " +
                                        std::to_string(first_node.processes.front())));
        window.resize(1280, 720);
        window.show();
        QTest::qWait(300);
        window.grab().save(QDir::temp().filePath(QStringLiteral("poolscope-celery-greyed.png")));
        window.controller().shutDown(5s);
    }

    // The worker table's context menu: each control goes to the one worker, and its reply or
    // its error shows in that worker's row.
    void workerControlsFromTheWindow() {
        using poolscope::CeleryPage;
        poolscope::MainWindow window;
        QVERIFY(window.connectToCelery(cluster_->url()));
        CeleryPage* page = window.celeryPage();
        const QString w1 = QString::fromStdString(node_name("w1@"));
        QTRY_VERIFY_WITH_TIMEOUT(poolText(page, w1).startsWith(QStringLiteral("2 [")), 30000);
        auto row = [&] { return page->workerRow(w1); };
        auto last = [&] {
            page->refresh();
            return page->lastControlText(w1);
        };

        QVERIFY(triggerMenuAction(page, row(), "celeryPing"));
        QTRY_VERIFY2_WITH_TIMEOUT(last().startsWith(QStringLiteral("ping: pong")),
                                  qPrintable(last()), 15000);
        // Only w1 was asked.
        QVERIFY(page->lastControlText(QStringLiteral("w2")).isEmpty());

        // pool_grow 1: the reply, then the row expects three processes until stats lists them,
        // and then says Celery's max-concurrency still has the old figure.
        answerNextDialog([](QWidget* d) {
            auto* input = qobject_cast<QInputDialog*>(d);
            QVERIFY(input);
            input->setIntValue(1);
            input->accept();
        });
        QVERIFY(triggerMenuAction(page, row(), "celeryPoolGrow"));
        QTRY_VERIFY2_WITH_TIMEOUT(last().startsWith(QStringLiteral("pool_grow: pool will grow")),
                                  qPrintable(last()), 15000);
        const QString right_after = poolText(page, w1);
        QVERIFY2(right_after.startsWith(QStringLiteral("3 [")) ||
                     right_after.contains(QStringLiteral("→ 3 once the pool's next maintenance")),
                 qPrintable(right_after));
        QTRY_VERIFY2_WITH_TIMEOUT(poolText(page, w1).startsWith(QStringLiteral("3 [")),
                                  qPrintable(poolText(page, w1)), 30000);
        cluster_->remember_children(windowNode(window, "w1@")->processes);
        const QString grown = poolText(page, w1);
        QVERIFY2(!grown.contains(QStringLiteral("→")), qPrintable(grown));
        if (windowNode(window, "w1@")->max_concurrency != 3) // what Celery 5.2 does
            QVERIFY2(grown.contains(QStringLiteral("Celery still says max-concurrency")),
                     qPrintable(grown));
        answerNextDialog([](QWidget* d) {
            auto* input = qobject_cast<QInputDialog*>(d);
            QVERIFY(input);
            input->setIntValue(1);
            input->accept();
        });
        QVERIFY(triggerMenuAction(page, row(), "celeryPoolShrink"));
        QTRY_VERIFY2_WITH_TIMEOUT(
            last().startsWith(QStringLiteral("pool_shrink: pool will shrink")), qPrintable(last()),
            15000);
        QTRY_VERIFY2_WITH_TIMEOUT(poolText(page, w1).startsWith(QStringLiteral("2 [")),
                                  qPrintable(poolText(page, w1)), 30000);

        // autoscale on a worker started without --autoscale: Celery's refusal, in red.
        answerNextDialog([](QWidget* d) {
            auto* max = d->findChild<QSpinBox*>(QStringLiteral("autoscaleMax"));
            auto* min = d->findChild<QSpinBox*>(QStringLiteral("autoscaleMin"));
            QVERIFY(max && min);
            max->setValue(3);
            min->setValue(1);
            qobject_cast<QDialog*>(d)->accept();
        });
        QVERIFY(triggerMenuAction(page, row(), "celeryAutoscale"));
        QTRY_VERIFY2_WITH_TIMEOUT(last().contains(QStringLiteral("Autoscale not enabled")),
                                  qPrintable(last()), 15000);
        QVERIFY(last().startsWith(QStringLiteral("autoscale: error:")));
        QCOMPARE(row()->foreground(CeleryPage::ControlColumn).color(), QColor(0xc0, 0x39, 0x2b));
        // For a look at it: the page with a reply and an error, and a worker's menu.
        page->resize(1600, 300);
        page->grab().save(QDir::temp().filePath(QStringLiteral("poolscope-celery-controls.png")));
        {
            std::unique_ptr<QMenu> menu(page->contextMenuFor(row()));
            menu->grab().save(QDir::temp().filePath(QStringLiteral("poolscope-celery-menu.png")));
        }

        QVERIFY(triggerMenuAction(page, row(), "celeryEnableEvents"));
        QTRY_VERIFY2_WITH_TIMEOUT(
            last().startsWith(QStringLiteral("enable_events: task events already enabled")),
            qPrintable(last()), 15000);

        // A running task's row terminates it by the signal chosen: Celery reports it revoked,
        // terminated by that signal.
        records_.clear();
        const QString id = QString::fromUtf8(
            cluster_->python(QStringLiteral("print(sleep.apply_async((60,), queue='celery').id)"))
                .trimmed());
        QVERIFY(!id.isEmpty());
        QTreeWidgetItem* task = nullptr;
        QTRY_VERIFY_WITH_TIMEOUT(
            [&] {
                page->refresh();
                task = nullptr;
                for (int i = 0; i < page->tree()->topLevelItemCount(); ++i)
                    for (int c = 0; c < page->tree()->topLevelItem(i)->childCount(); ++c)
                        if (page->tree()->topLevelItem(i)->child(c)->text(
                                CeleryPage::HeartbeatColumn) == id)
                            task = page->tree()->topLevelItem(i)->child(c);
                return task != nullptr;
            }(),
            30000);
        const QString runner = task->parent()->text(CeleryPage::WorkerColumn);
        answerNextDialog([](QWidget* d) {
            auto* input = qobject_cast<QInputDialog*>(d);
            QVERIFY(input);
            input->setTextValue(QStringLiteral("SIGKILL"));
            input->accept();
        });
        QVERIFY(triggerMenuAction(page, task, "celeryTerminateSignal"));
        QTRY_VERIFY2_WITH_TIMEOUT(
            page->lastControlText(runner).startsWith(QStringLiteral("revoke: terminate: ") + id),
            qPrintable(page->lastControlText(runner)), 15000);
        QVERIFY2(collect([&] { return record_of("celery_app.sleep") != nullptr; }, 30s),
                 "no task-revoked event");
        QCOMPARE(record_of("celery_app.sleep")->outcome, Outcome::Terminated);
        QVERIFY2(record_of("celery_app.sleep")->error.find("signal 9") != std::string::npos,
                 record_of("celery_app.sleep")->error.c_str());

        // Events off and on again on w1 alone. A worker started with -E has every event group
        // on, and Celery 5.2 answers "already disabled" to it, sending on: shown as it says.
        QVERIFY(triggerMenuAction(page, row(), "celeryDisableEvents"));
        QTRY_VERIFY2_WITH_TIMEOUT(
            last().startsWith(QStringLiteral("disable_events: task events disabled")) ||
                last().startsWith(QStringLiteral("disable_events: task events already disabled")),
            qPrintable(last()), 15000);
        QVERIFY(triggerMenuAction(page, row(), "celeryEnableEvents"));
        QTRY_VERIFY2_WITH_TIMEOUT(
            last().startsWith(QStringLiteral("enable_events: task events enabled")) ||
                last().startsWith(QStringLiteral("enable_events: task events already enabled")),
            qPrintable(last()), 15000);
        window.controller().shutDown(5s);
    }

    // File › Detach leaves the cluster running, removes the window's reply binding, and gives
    // the window back its own pool.
    void detachLeavesTheClusterRunning() {
        using poolscope::PoolAction;
        poolscope::MainWindow window;
        QVERIFY(!window.detachAction()->isEnabled()); // nothing to detach from yet
        QVERIFY(window.connectToCelery(cluster_->url()));
        QTRY_VERIFY_WITH_TIMEOUT(window.celeryPage() && (window.celeryPage()->refresh(),
                                                         window.celeryPage()->workerRow("w1")),
                                 30000);
        const auto* source =
            dynamic_cast<const poolscope::CelerySource*>(window.controller().source());
        QVERIFY(source);
        QTRY_VERIFY_WITH_TIMEOUT(source->client().synced(), 30000);
        const std::string binding = client_->settings().transport.reply_binding_key();
        const std::string member =
            client_->settings().transport.reply_binding_member(source->client().oid());
        redisContext* redis = redisConnect("127.0.0.1", cluster_->port());
        QVERIFY(redis && !redis->err);
        const auto bound = [&] {
            auto* r = static_cast<redisReply*>(redisCommand(redis, "SISMEMBER %b %b",
                                                            binding.data(), binding.size(),
                                                            member.data(), member.size()));
            const bool yes = r && r->type == REDIS_REPLY_INTEGER && r->integer == 1;
            freeReplyObject(r);
            return yes;
        };
        QVERIFY(bound()); // the window's client collects replies while connected
        QVERIFY(window.detachAction()->isEnabled());
        window.detachAction()->trigger();
        QVERIFY(!window.controller().hasPool());
        QVERIFY(window.controller().ownsPool());
        QVERIFY(!window.celeryPage());
        QVERIFY(!window.detachAction()->isEnabled());
        QVERIFY(window.settingsPage()->isEnabled());
        QVERIFY(!window.settingsNote()->isVisibleTo(&window));
        QVERIFY(window.loadPage()->isEnabled());
        QVERIFY(window.action(PoolAction::Start)->isEnabled());
        QCOMPARE(window.windowTitle(), QStringLiteral("Poolscope"));
        // The workers go on and answer; the window's reply binding went with it.
        const auto pong = control("ping", nlohmann::json::object());
        QCOMPARE(pong.replies.size(), std::size_t(2));
        const bool still_bound = bound();
        redisFree(redis);
        QVERIFY(!still_bound);
        // Start runs the window's own pool again (spawned: this test program has threads, and
        // spawn re-enters it as a worker).
        poolcore::PoolOptions own = window.settingsPage()->options();
        own.start_method = poolcore::StartMethod::Spawn;
        own.processes = 2;
        window.settingsPage()->setOptions(own);
        QVERIFY2(window.startPool(), qPrintable(window.statusBar()->currentMessage()));
        QTRY_VERIFY_WITH_TIMEOUT(window.controller().lastSnapshot().alive_processes > 0, 30000);
        QVERIFY(window.controller().ownsPool());
        window.controller().shutDown(10s);
    }

    // A cluster configured with broker_transport_options global_keyprefix: found with the same
    // prefix (the Connect dialog, --celery-keyprefix headless), invisible without it.
    void globalKeyprefixFindsAPrefixedCluster() {
        using poolscope::CeleryPage;
        const QString prefix = QStringLiteral("psk:");
        const QMap<QString, QString> prefixed{{QStringLiteral("CELERY_KEYPREFIX"), prefix}};
        QProcess* w4 = cluster_->start_worker(QStringLiteral("w4"), {}, prefixed);
        QVERIFY(w4);
        poolscope::MainWindow window;
        answerNextDialog([&](QWidget* d) {
            QCOMPARE(d->objectName(), QStringLiteral("celeryConnectDialog"));
            d->findChild<QLineEdit*>(QStringLiteral("celeryUrl"))->setText(cluster_->url());
            d->findChild<QLineEdit*>(QStringLiteral("celeryKeyprefix"))->setText(prefix);
            d->grab().save(QDir::temp().filePath(QStringLiteral("poolscope-celery-connect.png")));
            qobject_cast<QDialog*>(d)->accept();
        });
        QAction* connect_action = window.findChild<QAction*>(QStringLiteral("actionConnectCelery"));
        QVERIFY(connect_action);
        connect_action->trigger();
        CeleryPage* page = window.celeryPage();
        QVERIFY(page);
        QTRY_VERIFY_WITH_TIMEOUT(poolText(page, QStringLiteral("w4")).startsWith("2 ["), 90000);
        cluster_->remember_children(windowNode(window, "w4@")->processes);
        QVERIFY(window.windowTitle().contains(prefix));
        // Only the prefixed worker is there, and it answers through the prefixed reply queue.
        QCOMPARE(page->tree()->topLevelItemCount(), 1);
        const QString w4_name = page->workerRow(QStringLiteral("w4"))->text(0);
        QVERIFY(page->sendControl(w4_name, QStringLiteral("ping"), {}));
        QTRY_VERIFY2_WITH_TIMEOUT(page->lastControlText(w4_name).startsWith("ping: pong"),
                                  qPrintable(page->lastControlText(w4_name)), 15000);
        // Its task events come on the prefixed event channel.
        const auto* source =
            dynamic_cast<const poolscope::CelerySource*>(window.controller().source());
        const auto succeeded = source->client().state().count(Outcome::Success);
        cluster_->python(QStringLiteral("add.delay(20, 22)"), prefixed);
        QTRY_VERIFY_WITH_TIMEOUT(source->client().state().count(Outcome::Success) > succeeded,
                                 30000);
        // The headless report with --celery-keyprefix sees w4 alone; without, w1 and w2.
        QProcess app;
        app.start(QStringLiteral(POOLSCOPE_APP),
                  {"--headless", "--celery", cluster_->url(), "--celery-keyprefix", prefix,
                   "--json", "--control", "ping"});
        QVERIFY(app.waitForFinished(60000));
        QCOMPARE(app.exitCode(), 0);
        const auto j =
            nlohmann::json::parse(app.readAllStandardOutput().toStdString(), nullptr, false);
        QVERIFY(j.is_object());
        QCOMPARE(j["online_workers"].get<int>(), 1);
        QCOMPARE(j["controls"][0]["replies"].size(), std::size_t(1));
        QVERIFY(j["controls"][0]["replies"].begin().key().rfind("w4@", 0) == 0);
        // The desktop app's --celery-keyprefix: its client binds its reply queue under the
        // prefix (kombu's SADD is prefixed too), where the prefixed worker looks for it.
        {
            QTemporaryDir config;
            QProcess gui;
            auto env = QProcessEnvironment::systemEnvironment();
            env.insert(QStringLiteral("XDG_CONFIG_HOME"), config.path());
            env.insert(QStringLiteral("QT_QPA_PLATFORM"), QStringLiteral("offscreen"));
            gui.setProcessEnvironment(env);
            gui.start(QStringLiteral(POOLSCOPE_APP),
                      {"--celery", cluster_->url(), "--celery-keyprefix", prefix});
            QVERIFY(gui.waitForStarted(10000));
            redisContext* redis = redisConnect("127.0.0.1", cluster_->port());
            QVERIFY(redis && !redis->err);
            const std::string key = (prefix + "_kombu.binding.reply.celery.pidbox").toStdString();
            long long bound = 0;
            for (int i = 0; i < 100 && bound < 2; ++i) { // the window's own and the GUI's
                QTest::qWait(100);
                auto* r = static_cast<redisReply*>(redisCommand(redis, "SCARD %s", key.c_str()));
                bound = r && r->type == REDIS_REPLY_INTEGER ? r->integer : 0;
                freeReplyObject(r);
            }
            redisFree(redis);
            gui.terminate();
            QVERIFY(gui.waitForFinished(20000));
            QCOMPARE(bound, 2LL);
        }
        // The unprefixed client never heard of it.
        run_until([] { return false; }, 2s);
        QVERIFY(!node("w4@"));
        QCOMPARE(client_->state().online_workers(), 2);
        window.controller().shutDown(5s);
        // A warm shutdown of w4 alone (stop_worker would also kill the other workers' children
        // remembered for the end).
        w4->terminate();
        QVERIFY(w4->waitForFinished(30000));
    }

    // Shutdown asks first; refused, nothing is sent; confirmed, the worker goes offline. And a
    // worker with pool restarts off says so when asked to restart its pool.
    void shutdownAsksFirstAndRestartRefusalIsShown() {
        using poolscope::CeleryPage;
        QVERIFY(cluster_->start_worker(
            QStringLiteral("w3"), {},
            {{QStringLiteral("POOLSCOPE_TEST_POOL_RESTARTS"), QStringLiteral("0")}}));
        QVERIFY2(run_until(
                     [&] { return node("w3@") && node("w3@")->online && processes_of("w3@") == 2; },
                     90s),
                 "worker w3 did not come up");
        cluster_->remember_children(node("w3@")->processes);
        poolscope::MainWindow window;
        QVERIFY(window.connectToCelery(cluster_->url()));
        CeleryPage* page = window.celeryPage();
        const QString w3 = QString::fromStdString(node_name("w3@"));
        QTRY_VERIFY_WITH_TIMEOUT(poolText(page, w3).startsWith(QStringLiteral("2 [")), 30000);
        auto last = [&] {
            page->refresh();
            return page->lastControlText(w3);
        };
        QVERIFY(triggerMenuAction(page, page->workerRow(w3), "celeryPoolRestart"));
        QTRY_VERIFY2_WITH_TIMEOUT(last().contains(QStringLiteral("Pool restarts not enabled")),
                                  qPrintable(last()), 15000);
        QVERIFY(last().startsWith(QStringLiteral("pool_restart: error:")));

        answerNextDialog([](QWidget* d) {
            auto* box = qobject_cast<QMessageBox*>(d);
            QVERIFY(box);
            QCOMPARE(box->objectName(), QStringLiteral("celeryShutdownQuestion"));
            box->button(QMessageBox::Cancel)->click();
        });
        QVERIFY(triggerMenuAction(page, page->workerRow(w3), "celeryShutdown"));
        QTest::qWait(5000);
        QVERIFY(windowNode(window, "w3@")->online); // still there
        QVERIFY(!last().startsWith(QStringLiteral("shutdown")));
        answerNextDialog([](QWidget* d) {
            auto* box = qobject_cast<QMessageBox*>(d);
            QVERIFY(box);
            for (QAbstractButton* b : box->buttons())
                if (box->buttonRole(b) == QMessageBox::DestructiveRole)
                    b->click();
        });
        QVERIFY(triggerMenuAction(page, page->workerRow(w3), "celeryShutdown"));
        QVERIFY(last().startsWith(QStringLiteral("shutdown: sent")));
        QTRY_VERIFY2_WITH_TIMEOUT(!windowNode(window, "w3@")->online,
                                  "w3 did not go offline after shutdown", 30000);
        QCOMPARE(windowNode(window, "w3@")->offline_reason, std::string("it said worker-offline"));
        QVERIFY(windowNode(window, "w1@")->online && windowNode(window, "w2@")->online);
        window.controller().shutDown(5s);
        QVERIFY(run_until([&] { return client_->state().online_workers() == 2; }, 20s));
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
    poolcore::run_worker_if_requested(argc, argv); // the window's own pool, spawned
    QApplication app(argc, argv);
    TestCelery test;
    return QTest::qExec(&test, argc, argv);
}

#include "test_celery.moc"
