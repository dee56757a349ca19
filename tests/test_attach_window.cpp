// SPDX-License-Identifier: GPL-3.0-or-later
// The window attached to a pool in another process (issue 14, part 1, the viewer): a real
// service (examples/monitored_service.cpp) serves its pool on a monitor socket, and an offscreen
// MainWindow, or a whole `poolscope --attach` process, watches and controls it.
#include "gui_test_util.h"
#include "poolcore/monitor_server.h"
#include "ui/charts/chart_view.h"
#include "ui/main_window.h"
#include "ui/models/job_table_model.h"
#include "ui/models/process_table_model.h"
#include "ui/pages/jobs_page.h"
#include "ui/pages/load_page.h"
#include "ui/pages/process_page.h"
#include "ui/pages/settings_page.h"
#include "ui/sources/attach_source.h"
#include "ui/timeline/timeline_view.h"

#include <QAction>
#include <QApplication>
#include <QElapsedTimer>
#include <QLabel>
#include <QProcess>
#include <QSignalSpy>
#include <QStatusBar>
#include <QTemporaryDir>
#include <QTest>
#include <memory>
#include <signal.h>

using namespace poolscope;

namespace {

constexpr int kWaitMs = 30000; // every wait is bounded; machines here are shared and slow

// The example service in a second process, announcing its socket on stdout.
struct Service {
    std::unique_ptr<QProcess> process;
    QString out;

    ~Service() {
        if (process && process->state() != QProcess::NotRunning) {
            process->kill();
            process->waitForFinished(10000);
        }
    }
    bool start(const QStringList& args) {
        process = std::make_unique<QProcess>();
        process->start(QStringLiteral(MONITORED_SERVICE), args);
        if (!process->waitForStarted(kWaitMs))
            return false;
        QElapsedTimer clock;
        clock.start();
        while (!out.contains(QStringLiteral("monitor at ")) && clock.elapsed() < 60000 &&
               process->state() != QProcess::NotRunning) {
            process->waitForReadyRead(200);
            out += QString::fromLocal8Bit(process->readAllStandardOutput());
        }
        return out.contains(QStringLiteral("monitor at "));
    }
    bool running() const { return process->state() == QProcess::Running; }
    // SIGTERM (the service stops its pool gracefully), and its report.
    int finish(int timeout_ms = 120000) {
        if (running())
            ::kill(pid_t(process->processId()), SIGTERM);
        if (!process->waitForFinished(timeout_ms)) {
            process->kill();
            process->waitForFinished(10000);
            return -1;
        }
        out += QString::fromLocal8Bit(process->readAllStandardOutput());
        return process->exitStatus() == QProcess::NormalExit ? process->exitCode() : -1;
    }
    bool lostNothing() const { return out.contains(QStringLiteral(" succeeded, 0 lost")); }
};

QString connectionText(MainWindow& w) {
    auto* label = w.statusBar()->findChild<QLabel*>(QStringLiteral("statusConnection"));
    return label ? label->text() : QString();
}

} // namespace

class TestAttachWindow : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase() { test::isolateSettings(); }

    void windowShowsTheOtherProcessesPoolAndControlsIt() {
        QTemporaryDir dir;
        const QString socket = dir.filePath(QStringLiteral("svc.sock"));
        Service service;
        QVERIFY(service.start({"--socket", socket, "--forever", "--rate", "100", "--work-ms", "5",
                               "--processes", "3"}));
        MainWindow w;
        w.show();
        QVERIFY(w.attachTo(socket));
        QTRY_VERIFY_WITH_TIMEOUT(connectionText(w).startsWith(QStringLiteral("Attached: ")),
                                 kWaitMs);
        // Its workers, in the process table and the status bar.
        QTRY_COMPARE_WITH_TIMEOUT(w.controller().lastSnapshot().alive_processes, 3, kWaitMs);
        QTRY_COMPARE_WITH_TIMEOUT(w.processPage()->model()->rowCount(), 3, kWaitMs);
        QTRY_VERIFY_WITH_TIMEOUT(w.statusText().contains(QStringLiteral("3 alive")), kWaitMs);
        // Its jobs: counted, and listed from the records the server sends.
        QTRY_VERIFY_WITH_TIMEOUT(
            w.controller().lastSnapshot().count(poolcore::Outcome::Success) > 20, kWaitMs);
        QTRY_VERIFY_WITH_TIMEOUT(w.jobsPage()->model().rowCount() > 20, kWaitMs);
        // The timeline draws its jobs in their slots' lanes, each lane named with its pid, as
        // for the window's own pool; the workers' uptime came with the snapshots.
        QTRY_VERIFY_WITH_TIMEOUT(w.timeline()->store().size() > 20, kWaitMs);
        QTRY_COMPARE_WITH_TIMEOUT(w.timeline()->store().lanes().size(), std::size_t(3), kWaitMs);
        for (const auto& lane : w.timeline()->store().lanes())
            QVERIFY2(lane.pid > 0, qPrintable(QString::number(lane.slot)));
        QTRY_VERIFY_WITH_TIMEOUT(w.controller().lastSnapshot().workers.front().uptime_seconds > 0,
                                 kWaitMs);
        // Its snapshots carry every worker's memory: no chart says it has nothing to show.
        for (ChartView* chart : w.findChildren<ChartView*>())
            QVERIFY2(chart->unavailableReason().isEmpty(), qPrintable(chart->title()));
        // Start is the other program's; the verbs are the window's.
        QVERIFY(!w.action(PoolAction::Start)->isEnabled());
        QVERIFY(w.action(PoolAction::Start)
                    ->toolTip()
                    .contains(QStringLiteral("started by the program that owns it")));
        QTRY_VERIFY_WITH_TIMEOUT(w.action(PoolAction::Grow)->isEnabled(), kWaitMs);
        // Its settings and its load are its program's: greyed, with the source's reason above.
        QVERIFY(!w.settingsPage()->isEnabled());
        QVERIFY(!w.loadPage()->isEnabled());
        QVERIFY(w.settingsNote()->isVisibleTo(&w));
        QVERIFY2(w.settingsNote()->text().contains(QStringLiteral("its own program's settings")),
                 qPrintable(w.settingsNote()->text()));
        QVERIFY2(w.loadPage()->toolTip().contains(
                     QStringLiteral("submitted by the program that owns the attached pool")),
                 qPrintable(w.loadPage()->toolTip()));
        // Its workers can be signalled through the monitor: not greyed for the source.
        QVERIFY(w.processPage()->selectPid(w.controller().lastSnapshot().workers.front().pid));
        QVERIFY(w.processPage()->killWorkerAction()->isEnabled());
        w.action(PoolAction::Grow)->trigger();
        QTRY_COMPARE_WITH_TIMEOUT(w.controller().lastSnapshot().target_processes, 4, kWaitMs);
        QTRY_COMPARE_WITH_TIMEOUT(w.controller().lastSnapshot().alive_processes, 4, kWaitMs);
        w.action(PoolAction::Shrink)->trigger();
        QTRY_COMPARE_WITH_TIMEOUT(w.controller().lastSnapshot().target_processes, 3, kWaitMs);
        // The process table's Kill worker reaches the other program's worker, which it replaces.
        const pid_t victim = w.controller().lastSnapshot().workers.front().pid;
        QVERIFY(w.controller().killWorker(victim, SIGKILL));
        const auto has_victim = [&] {
            for (const auto& worker : w.controller().lastSnapshot().workers)
                if (worker.pid == victim)
                    return true;
            return false;
        };
        QTRY_VERIFY_WITH_TIMEOUT(!has_victim(), kWaitMs);
        QTRY_COMPARE_WITH_TIMEOUT(w.controller().lastSnapshot().alive_processes, 3, kWaitMs);
        // Closing the window leaves the pool running, asking nothing.
        QVERIFY(w.close());
        QTest::qWait(500);
        QVERIFY(service.running());
        QCOMPARE(service.finish(), 0);
        QVERIFY2(service.lostNothing(), qPrintable(service.out));
    }

    void readOnlyMonitorGreysEveryVerbWithTheReason() {
        QTemporaryDir dir;
        const QString socket = dir.filePath(QStringLiteral("ro.sock"));
        Service service;
        QVERIFY(service.start(
            {"--socket", socket, "--forever", "--rate", "50", "--processes", "2", "--read-only"}));
        MainWindow w;
        QVERIFY(w.attachTo(socket));
        QTRY_VERIFY_WITH_TIMEOUT(connectionText(w).startsWith(QStringLiteral("Attached: ")),
                                 kWaitMs);
        QTRY_COMPARE_WITH_TIMEOUT(w.controller().lastSnapshot().alive_processes, 2, kWaitMs);
        for (PoolAction a : {PoolAction::Restart, PoolAction::Stop, PoolAction::Terminate,
                             PoolAction::Close, PoolAction::Grow, PoolAction::Shrink}) {
            QVERIFY2(!w.action(a)->isEnabled(), qPrintable(actionName(a)));
            QVERIFY2(w.action(a)->toolTip().contains(QStringLiteral("the monitor is read-only")),
                     qPrintable(w.action(a)->toolTip()));
        }
        // And the server refuses it too, should a verb be sent anyway.
        QVERIFY(w.controller().grow()); // sent; the refusal comes in the reply
        QSignalSpy failed(&w.controller(), &PoolController::actionFailed);
        QTRY_VERIFY_WITH_TIMEOUT(!failed.isEmpty(), kWaitMs);
        QCOMPARE(w.controller().lastSnapshot().target_processes, 2);
        QCOMPARE(service.finish(), 0);
        QVERIFY2(service.lostNothing(), qPrintable(service.out));
    }

    void poolEndingShowsDisconnectedAndANewOneIsReconnectedTo() {
        QTemporaryDir dir;
        const QString socket = dir.filePath(QStringLiteral("again.sock"));
        auto first = std::make_unique<Service>();
        QVERIFY(
            first->start({"--socket", socket, "--forever", "--rate", "50", "--processes", "2"}));
        MainWindow w;
        QVERIFY(w.attachTo(socket));
        QTRY_COMPARE_WITH_TIMEOUT(w.controller().lastSnapshot().alive_processes, 2, kWaitMs);
        QCOMPARE(first->finish(), 0);
        QTRY_VERIFY_WITH_TIMEOUT(connectionText(w).startsWith(QStringLiteral("Not connected: ")),
                                 kWaitMs);
        QVERIFY(!w.action(PoolAction::Grow)->isEnabled());
        QVERIFY2(w.action(PoolAction::Grow)
                     ->toolTip()
                     .contains(QStringLiteral("not connected: reconnecting")),
                 qPrintable(w.action(PoolAction::Grow)->toolTip()));
        Service second;
        QVERIFY(
            second.start({"--socket", socket, "--forever", "--rate", "50", "--processes", "3"}));
        QTRY_VERIFY_WITH_TIMEOUT(connectionText(w).startsWith(QStringLiteral("Attached: ")),
                                 kWaitMs);
        QTRY_COMPARE_WITH_TIMEOUT(w.controller().lastSnapshot().alive_processes, 3, kWaitMs);
        QTRY_VERIFY_WITH_TIMEOUT(w.action(PoolAction::Grow)->isEnabled(), kWaitMs);
        QCOMPARE(second.finish(), 0);
    }

    void attachingElsewhereLeavesTheFirstPoolRunning() {
        QTemporaryDir dir;
        const QString first_socket = dir.filePath(QStringLiteral("a.sock"));
        const QString second_socket = dir.filePath(QStringLiteral("b.sock"));
        Service first, second;
        QVERIFY(first.start(
            {"--socket", first_socket, "--forever", "--rate", "50", "--processes", "2"}));
        QVERIFY(second.start(
            {"--socket", second_socket, "--forever", "--rate", "50", "--processes", "3"}));
        MainWindow w;
        QVERIFY(w.attachTo(first_socket));
        QTRY_COMPARE_WITH_TIMEOUT(w.controller().lastSnapshot().alive_processes, 2, kWaitMs);
        QVERIFY(w.attachTo(second_socket));
        QTRY_COMPARE_WITH_TIMEOUT(connectionText(w), QStringLiteral("Attached: ") + second_socket,
                                  kWaitMs);
        QTRY_COMPARE_WITH_TIMEOUT(w.controller().lastSnapshot().alive_processes, 3, kWaitMs);
        QVERIFY(first.running());
        QCOMPARE(first.finish(), 0);
        QVERIFY2(first.lostNothing(), qPrintable(first.out));
        QCOMPARE(second.finish(), 0);
    }

    // A whole viewer process: `poolscope --attach`, SIGKILLed while attached.
    void killingTheViewerLeavesThePoolRunning() {
        QTemporaryDir dir;
        const QString socket = dir.filePath(QStringLiteral("kill.sock"));
        Service service;
        // The service submits only once a viewer is attached: that the jobs go on proves it was.
        QVERIFY(service.start({"--socket", socket, "--jobs", "3000", "--rate", "100", "--processes",
                               "2", "--wait-for-viewer"}));
        QProcess viewer;
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("QT_QPA_PLATFORM"), QStringLiteral("offscreen"));
        env.insert(QStringLiteral("XDG_CONFIG_HOME"), dir.path());
        viewer.setProcessEnvironment(env);
        viewer.start(QStringLiteral(POOLSCOPE_APP), {"--attach", socket});
        QVERIFY(viewer.waitForStarted(kWaitMs));
        QTest::qWait(6000); // the app's start-up on a loaded machine, then some watching
        viewer.kill();
        QVERIFY(viewer.waitForFinished(kWaitMs));
        QVERIFY(service.running());
        QTest::qWait(500);
        QVERIFY(service.running()); // still submitting, its 3000 jobs take 30 s
        QCOMPARE(service.finish(), 0);
        QVERIFY2(service.out.contains(QStringLiteral("1 viewers served")), qPrintable(service.out));
        QVERIFY2(service.lostNothing(), qPrintable(service.out));
    }

    // SIGTERM ends a viewer as it ends the app, but the pool is not the viewer's to stop.
    void stopSignalEndsTheViewerNotThePool() {
        QTemporaryDir dir;
        const QString socket = dir.filePath(QStringLiteral("term.sock"));
        Service service;
        QVERIFY(service.start({"--socket", socket, "--forever", "--rate", "50", "--processes", "2",
                               "--wait-for-viewer"}));
        QProcess viewer;
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("QT_QPA_PLATFORM"), QStringLiteral("offscreen"));
        env.insert(QStringLiteral("XDG_CONFIG_HOME"), dir.path());
        viewer.setProcessEnvironment(env);
        viewer.start(QStringLiteral(POOLSCOPE_APP), {"--attach", socket});
        QVERIFY(viewer.waitForStarted(kWaitMs));
        QTest::qWait(6000);
        ::kill(pid_t(viewer.processId()), SIGTERM);
        QVERIFY(viewer.waitForFinished(kWaitMs));
        QCOMPARE(viewer.exitCode(), 128 + SIGTERM);
        QTest::qWait(500);
        QVERIFY(service.running());
        QCOMPARE(service.finish(), 0);
        QVERIFY2(service.out.contains(QStringLiteral("1 viewers served")), qPrintable(service.out));
        QVERIFY2(service.out.contains(QStringLiteral(" 0 control verbs")), qPrintable(service.out));
        QVERIFY2(service.lostNothing(), qPrintable(service.out));
    }

    void detachLeavesThePoolRunning() {
        QTemporaryDir dir;
        const QString socket = dir.filePath(QStringLiteral("svc.sock"));
        Service service;
        QVERIFY(service.start({"--socket", socket, "--forever", "--rate", "50", "--work-ms", "5",
                               "--processes", "2"}));
        MainWindow w;
        w.show();
        QVERIFY(!w.detachAction()->isEnabled());
        QVERIFY(!w.detach());
        QVERIFY(w.attachTo(socket));
        QTRY_VERIFY_WITH_TIMEOUT(connectionText(w).startsWith(QStringLiteral("Attached: ")),
                                 kWaitMs);
        QTRY_COMPARE_WITH_TIMEOUT(w.controller().lastSnapshot().alive_processes, 2, kWaitMs);
        QVERIFY(w.detachAction()->isEnabled());
        w.detachAction()->trigger();
        QVERIFY(!w.controller().hasPool());
        QVERIFY(
            !w.statusBar()->findChild<QLabel*>(QStringLiteral("statusConnection"))->isVisible());
        QVERIFY(w.settingsPage()->isEnabled());
        QVERIFY(w.action(PoolAction::Start)->isEnabled());
        QVERIFY(!w.detachAction()->isEnabled());
        // The pool goes on without a viewer, losing nothing; a new viewer finds it.
        QTest::qWait(500);
        QVERIFY(service.running());
        QVERIFY(w.attachTo(socket));
        QTRY_COMPARE_WITH_TIMEOUT(w.controller().lastSnapshot().alive_processes, 2, kWaitMs);
        w.controller().shutDown(std::chrono::seconds(2));
        QCOMPARE(service.finish(), 0);
        QVERIFY2(service.lostNothing(), qPrintable(service.out));
    }

    void runtimeDirectoryListsOnlySockets() {
        QCOMPARE(monitor_runtime_directory(),
                 QString::fromStdString(poolcore::default_monitor_directory()));
        const QStringList found = find_monitor_sockets();
        for (const QString& path : found)
            QVERIFY(path.startsWith(monitor_runtime_directory()));
    }
};

QTEST_MAIN(TestAttachWindow)
#include "test_attach_window.moc"
