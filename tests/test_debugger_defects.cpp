// SPDX-License-Identifier: GPL-3.0-or-later
// Issue 12's defects found by trying the window, and its fault injection, each driven as a user
// drives it (offscreen): every test here failed on the code before its fix.

#include "gui_test_util.h"
#include "process_util.h"
#include "test_main.h"
#include "ui/background_export.h"
#include "ui/export_file.h"
#include "ui/fault_injection.h"
#include "ui/help_dialogs.h"
#include "ui/main_window.h"
#include "ui/models/event_log_model.h"
#include "ui/models/process_table_model.h"
#include "ui/pages/event_log_page.h"
#include "ui/pages/load_page.h"
#include "ui/pages/process_page.h"
#include "ui/pages/settings_page.h"
#include "ui/sources/load_generator.h"
#include "ui/sources/pool_events.h"

#include <QAbstractItemModelTester>
#include <QApplication>
#include <QDir>
#include <QDoubleSpinBox>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLabel>
#include <QMessageBox>
#include <QProgressBar>
#include <QPushButton>
#include <QRegularExpression>
#include <QSemaphore>
#include <QSettings>
#include <QSpinBox>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QToolBar>
#include <QToolButton>
#include <QtTest>
#include <atomic>

using namespace poolscope;
using poolcore::PoolState;

namespace {

constexpr int kTimeoutMs = 15000;

QToolButton* buttonFor(MainWindow& window, PoolAction a) {
    auto* bar = window.findChild<QToolBar*>(QStringLiteral("poolToolBar"));
    return bar ? qobject_cast<QToolButton*>(bar->widgetForAction(window.action(a))) : nullptr;
}

// Clicks the button whose text contains `text` in the modal box named `name` once it shows.
void answerBox(QObject* context, const QString& name, const QString& text, bool* asked,
               QString* shown = nullptr) {
    QTimer::singleShot(200, context, [=] {
        auto* box = qobject_cast<QMessageBox*>(QApplication::activeModalWidget());
        if (!box || box->objectName() != name)
            return;
        *asked = true;
        if (shown)
            *shown = box->text();
        for (QAbstractButton* b : box->buttons())
            if (b->text().remove(QLatin1Char('&')).contains(text))
                b->click();
    });
}

// The state letter of /proc/<pid>/stat: 'T' for a stopped process, 0 once it is gone.
char processState(pid_t pid) {
    QFile f(QStringLiteral("/proc/%1/stat").arg(pid));
    if (!f.open(QIODevice::ReadOnly))
        return 0;
    const QByteArray text = f.readAll();
    const qsizetype close = text.lastIndexOf(')');
    return close >= 0 && close + 2 < text.size() ? text[close + 2] : char(0);
}

// The row of the first event whose text contains `text`, or -1.
int rowWith(const EventLogModel& model, const QString& text) {
    for (int row = 0; row < model.rowCount(); ++row)
        if (model.event_at(row).text.contains(text))
            return row;
    return -1;
}

} // namespace

class DebuggerDefectsTest : public QObject {
    Q_OBJECT

    std::unique_ptr<MainWindow> startedWindow(int processes, poolcore::PoolOptions options = {}) {
        auto window = std::make_unique<MainWindow>();
        window->resize(1280, 800);
        window->show();
        if (!QTest::qWaitForWindowExposed(window.get()))
            return nullptr;
        window->controller().setSampleInterval(std::chrono::milliseconds(20));
        options.processes = processes;
        window->settingsPage()->setOptions(options);
        QTest::mouseClick(buttonFor(*window, PoolAction::Start), Qt::LeftButton);
        if (!QTest::qWaitFor(
                [&] {
                    const auto& s = window->controller().lastSnapshot();
                    return s.alive_processes == processes && s.target_processes == processes;
                },
                kTimeoutMs))
            return nullptr;
        return window;
    }

    static bool waitStopped(MainWindow& w) {
        return QTest::qWaitFor([&] { return w.controller().state() == PoolState::Stopped; },
                               kTimeoutMs);
    }

private Q_SLOTS:
    void initTestCase() { test::isolateSettings(); }

    // "Jobs Done 0, Writes 157,941" under a fresh pid: each header says what it counts.
    void writesAndJobsDoneSayWhatTheyCount() {
        ProcessTableModel model;
        QAbstractItemModelTester tester(&model,
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        const auto header = [&](int c, int role) {
            return model.headerData(c, Qt::Horizontal, role).toString();
        };
        QVERIFY(
            header(ProcessTableModel::Writes, Qt::DisplayRole).contains(QStringLiteral("slot")));
        QVERIFY(header(ProcessTableModel::JobsDone, Qt::DisplayRole)
                    .contains(QStringLiteral("process")));
        QVERIFY(header(ProcessTableModel::Writes, Qt::ToolTipRole)
                    .contains(QStringLiteral("every process")));
        QVERIFY(!header(ProcessTableModel::JobsDone, Qt::ToolTipRole).isEmpty());
        poolcore::WorkerStats w;
        w.slot = 0;
        w.pid = 42;
        w.writes = 157941;
        model.update({w});
        QVERIFY(!model.data(model.index(0, ProcessTableModel::Writes), Qt::ToolTipRole)
                     .toString()
                     .isEmpty());
    }

    void perWorkerFactsHaveColumns() {
        ProcessTableModel model;
        QAbstractItemModelTester tester(&model,
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        poolcore::WorkerStats w;
        w.slot = 1;
        w.pid = 43;
        w.cpu_percent = 97.4;
        w.cpu_seconds = 12.5;
        w.uptime_seconds = 185;
        w.generation = 2;
        w.slot_replacements = 7;
        model.update({w});
        const auto cell = [&](int c) { return model.data(model.index(0, c)).toString(); };
        QCOMPARE(cell(ProcessTableModel::Cpu), QStringLiteral("97 %"));
        QCOMPARE(cell(ProcessTableModel::Uptime), QStringLiteral("3 min 05 s"));
        QCOMPARE(cell(ProcessTableModel::Generation), QStringLiteral("2"));
        QCOMPARE(cell(ProcessTableModel::Replacements), QStringLiteral("7"));
        w.cpu_percent = -1; // not sampled twice yet: blank, not "0 %"
        model.update({w});
        QCOMPARE(cell(ProcessTableModel::Cpu), QString());
    }

    // Quit asked first and Cancel kept everything as it was: the load runs on.
    void cancellingQuitKeepsTheLoadRunning() {
        auto window = startedWindow(2);
        QVERIFY(window);
        auto& w = *window;
        LoadSpec spec;
        spec.task = "sleep";
        spec.argument = "200";
        spec.mode = LoadSpec::Mode::Rate;
        spec.jobs_per_second = 50;
        w.loadPage()->setSpec(spec);
        QTest::mouseClick(w.loadPage()->startButton(), Qt::LeftButton);
        QVERIFY(w.generator().isRunning());
        QTRY_VERIFY_WITH_TIMEOUT(w.controller().lastSnapshot().in_flight > 0, kTimeoutMs);
        bool asked = false;
        bool running_while_asked = false;
        QTimer::singleShot(150, &w, [&] { running_while_asked = w.generator().isRunning(); });
        answerBox(&w, QStringLiteral("quitQuestion"), QStringLiteral("Cancel"), &asked);
        w.close();
        QVERIFY(asked);
        QVERIFY(running_while_asked);
        QVERIFY(w.isVisible());
        QVERIFY(w.generator().isRunning());
        QCOMPARE(w.controller().state(), PoolState::Run);
        w.action(PoolAction::Terminate)->trigger();
        QVERIFY(waitStopped(w));
    }

    // A load ended by the pool's Stop goes on counting the jobs it had submitted, and says why
    // it stopped.
    void aStoppedLoadCountsItsJobsToTheEnd() {
        auto window = startedWindow(2);
        QVERIFY(window);
        auto& w = *window;
        LoadSpec spec;
        spec.task = "sleep";
        spec.argument = "300";
        spec.burst_jobs = 6;
        w.loadPage()->setSpec(spec);
        QTest::mouseClick(w.loadPage()->startButton(), Qt::LeftButton);
        QTRY_COMPARE_WITH_TIMEOUT(w.generator().submitted(), 6LL, kTimeoutMs);
        QString reason;
        connect(&w.generator(), &LoadGenerator::stopped, &w, [&](const QString& r) { reason = r; });
        w.action(PoolAction::Stop)->trigger(); // graceful: all six still run
        QVERIFY(!w.generator().isRunning());
        QVERIFY2(reason.contains(QStringLiteral("Stop")), qPrintable(reason));
        auto* message = w.loadPage()->findChild<QLabel*>(QStringLiteral("loadMessage"));
        QVERIFY(message);
        QVERIFY2(message->text() != QStringLiteral("Load stopped: stopped."),
                 qPrintable(message->text()));
        QVERIFY2(message->text().contains(QStringLiteral("Stop")), qPrintable(message->text()));
        auto* counts = w.loadPage()->findChild<QLabel*>(QStringLiteral("loadCounts"));
        QVERIFY(counts);
        QVERIFY(waitStopped(w));
        QCOMPARE(w.generator().completed(), 6LL);
        QTRY_VERIFY2_WITH_TIMEOUT(counts->text().contains(QStringLiteral("finished 6")),
                                  qPrintable(counts->text()), kTimeoutMs);
        auto* bar = w.loadPage()->findChild<QProgressBar*>(QStringLiteral("loadProgress"));
        QVERIFY(bar);
        QCOMPARE(bar->value(), 6);
    }

    // The export's bytes are made and written on another thread while the GUI thread goes on.
    void exportsAreMadeOffTheGuiThread() {
        QTemporaryDir dir;
        BackgroundExport exporter;
        QSemaphore release;
        std::atomic<QThread*> ran_on{nullptr};
        QSignalSpy finished(&exporter, &BackgroundExport::finished);
        const QString path = dir.filePath(QStringLiteral("out.json"));
        QVERIFY(exporter.start(path, [&](QString*) {
            ran_on = QThread::currentThread();
            release.acquire(); // held until the GUI thread has gone on
            return QByteArray("{}\n");
        }));
        QVERIFY(exporter.isBusy());
        QVERIFY(!exporter.start(path, [](QString*) { return QByteArray(); })); // one at a time
        QTest::qWait(50); // the GUI thread's loop runs meanwhile
        QCOMPARE(finished.size(), 0);
        release.release();
        QTRY_COMPARE_WITH_TIMEOUT(finished.size(), 1, kTimeoutMs);
        QVERIFY(ran_on.load() && ran_on.load() != QThread::currentThread());
        QCOMPARE(finished[0][1].toString(), QString());
        QFile f(path);
        QVERIFY(f.open(QIODevice::ReadOnly));
        QCOMPARE(f.readAll(), QByteArray("{}\n"));
        QVERIFY(!exporter.isBusy());

        // A folder that does not exist: the error arrives the same way.
        const QString bad = QStringLiteral("/nonexistent/dir/out.json");
        QVERIFY(exporter.start(bad, [](QString*) { return QByteArray("x"); }));
        QTRY_COMPARE_WITH_TIMEOUT(finished.size(), 2, kTimeoutMs);
        QVERIFY(finished[1][1].toString().contains(bad));
    }

    void theWindowExportsStatisticsInTheBackground() {
        auto window = startedWindow(2);
        QVERIFY(window);
        auto& w = *window;
        QTest::qWait(300); // some history
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("stats.json"));
        QSignalSpy finished(&w.backgroundExport(), &BackgroundExport::finished);
        QString error;
        QVERIFY2(w.exportStatisticsInBackground(path, &error), qPrintable(error));
        QTRY_COMPARE_WITH_TIMEOUT(finished.size(), 1, kTimeoutMs);
        QCOMPARE(finished[0][1].toString(), QString());
        QFile f(path);
        QVERIFY(f.open(QIODevice::ReadOnly));
        const QJsonObject doc = QJsonDocument::fromJson(f.readAll()).object();
        QVERIFY(doc.contains(QStringLiteral("snapshot")));
        QVERIFY(!doc.value(QStringLiteral("history")).toArray().isEmpty());
        QVERIFY(!w.exportStatisticsInBackground(dir.filePath(QStringLiteral("x.txt")), &error));
        QVERIFY(error.contains(QStringLiteral(".json")));
        w.action(PoolAction::Terminate)->trigger();
        QVERIFY(waitStopped(w));
    }

    // Grow is a Control event as a refused Shrink is; a job row names its slot; a crash loop's
    // starts and exits are listed at most so many a second, the rest summed up.
    void eventLogKindsSlotsAndRateLimits() {
        PoolEventQueue queue(20);
        queue.on_message(poolcore::Severity::Info, "grow: 3 processes");
        queue.on_message(poolcore::Severity::Info, "shrink: 2 processes");
        queue.on_message(poolcore::Severity::Warning,
                         "soft time limit (0.2 s) reached for job 4 (hang) on pid 9");
        queue.on_worker_up(2, 555);
        poolcore::JobResult lost;
        lost.id = 7;
        lost.outcome = poolcore::Outcome::WorkerLost;
        lost.value = "worker died";
        lost.pid = 555;
        queue.on_worker_exit(2, 555, poolcore::ExitStatus{true, true, 9},
                             poolcore::ExitReason::Died, {});
        queue.on_job_finished(lost);
        QList<PoolEvent> events = queue.drain();
        QCOMPARE(events.size(), 6);
        QCOMPARE(events[0].kind, EventKind::Control);
        QCOMPARE(events[1].kind, EventKind::Control);
        QCOMPARE(events[2].kind, EventKind::TimeLimit);
        QCOMPARE(events[5].kind, EventKind::JobLost);
        QCOMPARE(events[5].slot, 2);

        for (int i = 0; i < 300; ++i) { // a crash loop: 600 rows in a moment
            queue.on_worker_up(0, 1000 + i);
            queue.on_worker_exit(0, 1000 + i, poolcore::ExitStatus{true, false, 1},
                                 poolcore::ExitReason::Died, {});
        }
        events = queue.drain();
        QVERIFY2(events.size() <= 20 + 2, qPrintable(QString::number(events.size())));
        int summed = 0;
        for (const PoolEvent& e : events) {
            const QRegularExpressionMatch m =
                QRegularExpression(QStringLiteral("^(\\d+) more worker (starts|exits)"))
                    .match(e.text);
            if (m.hasMatch())
                summed += m.captured(1).toInt();
        }
        QCOMPARE(summed + int(events.size()) - 2, 600); // every one listed or counted
    }

    // Starting logs its cause before the pool's state change; a load's start and stop and a
    // soft time limit are logged.
    void eventLogPutsCausesFirstAndLogsLoadsAndSoftLimits() {
        poolcore::PoolOptions options;
        options.soft_time_limit = poolcore::Seconds(0.2);
        auto window = startedWindow(1, options);
        QVERIFY(window);
        auto& w = *window;
        const EventLogModel& log = *w.eventLogPage()->model();
        QTRY_VERIFY_WITH_TIMEOUT(rowWith(log, QStringLiteral("state is now RUN")) >= 0, kTimeoutMs);
        const int starting = rowWith(log, QStringLiteral("starting 1"));
        QVERIFY(starting >= 0);
        QVERIFY(starting < rowWith(log, QStringLiteral("state is now RUN")));

        LoadSpec spec;
        spec.task = "hang";
        spec.argument = "600";
        spec.burst_jobs = 1;
        w.loadPage()->setSpec(spec);
        QTest::mouseClick(w.loadPage()->startButton(), Qt::LeftButton);
        QTRY_VERIFY_WITH_TIMEOUT(rowWith(log, QStringLiteral("load started")) >= 0, kTimeoutMs);
        QTRY_VERIFY_WITH_TIMEOUT(rowWith(log, QStringLiteral("soft time limit")) >= 0, kTimeoutMs);
        QCOMPARE(log.event_at(rowWith(log, QStringLiteral("soft time limit"))).kind,
                 EventKind::TimeLimit);
        QTRY_VERIFY_WITH_TIMEOUT(rowWith(log, QStringLiteral("load stopped")) >= 0, kTimeoutMs);
        w.action(PoolAction::Grow)->trigger();
        QTRY_VERIFY_WITH_TIMEOUT(rowWith(log, QStringLiteral("grow:")) >= 0, kTimeoutMs);
        QCOMPARE(log.event_at(rowWith(log, QStringLiteral("grow:"))).kind, EventKind::Control);
        w.action(PoolAction::Terminate)->trigger();
        QVERIFY(waitStopped(w));
    }

    void logTogglesShowTheirStateAndClearAsks() {
        EventLogPage page;
        QToolButton* b = page.kindButton(EventKind::WorkerUp);
        const QString on_text = b->text();
        QVERIFY(!b->font().strikeOut());
        b->click();
        QVERIFY(!b->isChecked());
        QVERIFY(b->font().strikeOut());
        QVERIFY(b->text() != on_text);
        QVERIFY(b->toolTip().contains(QStringLiteral("hidden")));
        b->click();
        QCOMPARE(b->text(), on_text);

        page.append({PoolEvent{1, EventKind::Message, poolcore::Severity::Info, -1, 0,
                               QStringLiteral("one")},
                     PoolEvent{2, EventKind::Message, poolcore::Severity::Info, -1, 0,
                               QStringLiteral("two")}});
        bool asked = false;
        QString question;
        answerBox(&page, QStringLiteral("clearLogQuestion"), QStringLiteral("Cancel"), &asked,
                  &question);
        page.clearButton()->click();
        QVERIFY(asked);
        QVERIFY2(question.contains(QStringLiteral("2")), qPrintable(question));
        QCOMPARE(page.model()->rowCount(), 2);
        asked = false;
        answerBox(&page, QStringLiteral("clearLogQuestion"), QStringLiteral("Clear"), &asked);
        page.clearButton()->click();
        QVERIFY(asked);
        QCOMPARE(page.model()->rowCount(), 0);
    }

    // SIGSTOP from the table hangs the worker, SIGCONT resumes it, and a job sent meanwhile
    // waits for it.
    void pausingAWorkerFromTheTableIsAHang() {
        auto window = startedWindow(1);
        QVERIFY(window);
        auto& w = *window;
        const pid_t first = w.controller().lastSnapshot().workers.at(0).pid;
        QVERIFY(w.processPage()->selectPid(first));
        QVERIFY(w.processPage()->pauseWorkerAction()->isEnabled());
        w.processPage()->pauseWorkerAction()->trigger();
        QTRY_COMPARE_WITH_TIMEOUT(processState(first), 'T', kTimeoutMs);
        QVERIFY(w.processPage()->selectPid(first));
        w.processPage()->resumeWorkerAction()->trigger();
        QTRY_VERIFY_WITH_TIMEOUT(processState(first) != 'T', kTimeoutMs);

        w.processPage()->pauseWorkerAction()->trigger();
        QTRY_COMPARE_WITH_TIMEOUT(processState(first), 'T', kTimeoutMs);
        w.controller().submit(poolcore::TaskCall{"noop", {}, {}, {}, {}});
        // A stopped worker never acknowledges: the job waits, unacknowledged, with no limit
        // running; a Terminate then kills the stopped process (SIGKILL works on it).
        QTest::qWait(300);
        QCOMPARE(w.controller().lastSnapshot().count(poolcore::Outcome::Success), 0u);
        QVERIFY(w.processPage()->sendSignal(SIGCONT));
        QTRY_COMPARE_WITH_TIMEOUT(w.controller().lastSnapshot().count(poolcore::Outcome::Success),
                                  1u, kTimeoutMs);
        w.action(PoolAction::Terminate)->trigger();
        QVERIFY(waitStopped(w));
    }

    void chaosKillsReplaceWorkersUntilStopped() {
        auto window = startedWindow(2);
        QVERIFY(window);
        auto& w = *window;
        const auto started = w.controller().lastSnapshot().workers_started;
        w.faultInjection().startChaos(std::chrono::milliseconds(150));
        QTRY_VERIFY_WITH_TIMEOUT(w.faultInjection().chaosKills() >= 3, kTimeoutMs);
        w.faultInjection().stopChaos();
        QVERIFY(!w.faultInjection().chaosRunning());
        QTRY_VERIFY_WITH_TIMEOUT(w.controller().lastSnapshot().workers_started >= started + 3,
                                 kTimeoutMs);
        QTRY_COMPARE_WITH_TIMEOUT(w.controller().lastSnapshot().alive_processes, 2, kTimeoutMs);
        w.faultInjection().startChaos(std::chrono::milliseconds(150));
        w.action(PoolAction::Terminate)->trigger(); // chaos ends with the pool
        QVERIFY(!w.faultInjection().chaosRunning());
        QVERIFY(waitStopped(w));
    }

    void killingTheForkserverFromTheMenuStartsANewOne() {
        poolcore::PoolOptions options;
        options.start_method = poolcore::StartMethod::Forkserver;
        options.forkserver = testmain::forkserver();
        auto window = startedWindow(1, options);
        QVERIFY(window);
        auto& w = *window;
        const pid_t server = testmain::forkserver()->pid();
        QVERIFY(w.faultInjection().killForkServer());
        QTRY_VERIFY_WITH_TIMEOUT(testutil::process_gone(server), kTimeoutMs);
        const pid_t worker = w.controller().lastSnapshot().workers.at(0).pid;
        QVERIFY(w.controller().killWorker(worker, SIGKILL)); // its replacement needs a server
        QTRY_VERIFY_WITH_TIMEOUT(
            [&] {
                const auto& s = w.controller().lastSnapshot();
                return s.alive_processes == 1 && s.workers.at(0).pid != worker &&
                       s.workers.at(0).state == poolcore::WorkerState::Idle;
            }(),
            kTimeoutMs);
        QVERIFY(testmain::forkserver()->pid() != server);
        w.action(PoolAction::Terminate)->trigger();
        QVERIFY(waitStopped(w));
    }

    void theRateChangesWhileALoadRuns() {
        auto window = startedWindow(1);
        QVERIFY(window);
        auto& w = *window;
        LoadSpec spec;
        spec.mode = LoadSpec::Mode::Rate;
        spec.jobs_per_second = 10;
        w.loadPage()->setSpec(spec);
        QTest::mouseClick(w.loadPage()->startButton(), Qt::LeftButton);
        QVERIFY(w.generator().isRunning());
        auto* rate = w.loadPage()->findChild<QDoubleSpinBox*>(QStringLiteral("rate"));
        QVERIFY(rate && rate->isEnabled());
        rate->setValue(500);
        QVERIFY(w.generator().isRunning());
        QCOMPARE(w.generator().spec().jobs_per_second, 500.0);
        w.generator().stop();
        w.action(PoolAction::Terminate)->trigger();
        QVERIFY(waitStopped(w));
    }

    void settingsProcessesFollowGrowAndShrink() {
        auto window = startedWindow(2);
        QVERIFY(window);
        auto& w = *window;
        auto* processes = w.settingsPage()->findChild<QSpinBox*>(QStringLiteral("processes"));
        QVERIFY(processes);
        w.action(PoolAction::Grow)->trigger();
        QTRY_COMPARE_WITH_TIMEOUT(processes->value(), 3, kTimeoutMs);
        w.action(PoolAction::Shrink)->trigger();
        QTRY_COMPARE_WITH_TIMEOUT(processes->value(), 2, kTimeoutMs);
        w.action(PoolAction::Terminate)->trigger();
        QVERIFY(waitStopped(w));
    }

    void aboutShowsTheVersionAndHelpListsShortcuts() {
        QVERIFY(aboutText().contains(QStringLiteral(POOLSCOPE_VERSION)));
        MainWindow w;
        ShortcutsDialog dialog(&w);
        QStringList keys;
        for (int row = 0; row < dialog.table()->rowCount(); ++row)
            keys << dialog.table()->item(row, 0)->text();
        const QString start = QKeySequence(Qt::Key_F5).toString(QKeySequence::NativeText);
        QVERIFY2(keys.contains(start), qPrintable(keys.join(QStringLiteral(" | "))));
        QVERIFY(keys.size() >= 10);
    }

    void fileDialogsStartInTheUsersFoldersAndRememberTheLast() {
        QSettings().remove(QStringLiteral("export/lastFolder"));
        const QString data = exportDialogPath(ExportKind::Data, QStringLiteral("a.json"));
        QVERIFY2(!data.startsWith(QDir::currentPath() + QLatin1Char('/')) ||
                     QDir::currentPath() == QDir::homePath(),
                 qPrintable(data));
        QVERIFY(data.endsWith(QStringLiteral("/a.json")));
        QTemporaryDir dir;
        rememberExportFolder(dir.filePath(QStringLiteral("saved.csv")));
        QCOMPARE(exportDialogPath(ExportKind::Picture, QStringLiteral("c.png")),
                 QDir(dir.path()).filePath(QStringLiteral("c.png")));
    }
};

POOLSCOPE_TEST_MAIN(DebuggerDefectsTest, QApplication, no_test_setup)
#include "test_debugger_defects.moc"
