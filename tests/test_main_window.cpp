// SPDX-License-Identifier: GPL-3.0-or-later
// The main window driven as a user drives it: toolbar buttons clicked with QTest, settings typed
// into their fields, workers killed from the process table. Each test checks that the pool's
// state and process count change as the button promises, for the event-loop pool on the GUI
// thread and for the thread-driven pool.

#include "gui_test_util.h"
#include "process_util.h"
#include "test_main.h"
#include "ui/charts/chart_view.h"
#include "ui/main_window.h"
#include "ui/models/event_log_model.h"
#include "ui/models/process_table_model.h"
#include "ui/models/task_table_model.h"
#include "ui/pages/event_log_page.h"
#include "ui/pages/info_page.h"
#include "ui/pages/load_page.h"
#include "ui/pages/process_page.h"
#include "ui/pages/settings_page.h"
#include "ui/pages/stop_progress.h"
#include "ui/pages/tasks_page.h"
#include "ui/sources/load_generator.h"

#include <QAction>
#include <QApplication>
#include <QComboBox>
#include <QDateTime>
#include <QDoubleSpinBox>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLabel>
#include <QLineEdit>
#include <QMessageBox>
#include <QProgressBar>
#include <QPushButton>
#include <QSet>
#include <QSettings>
#include <QSpinBox>
#include <QTableView>
#include <QTemporaryDir>
#include <QToolBar>
#include <QToolButton>
#include <QtTest>
#include <string>

using namespace poolscope;
using poolcore::Outcome;
using poolcore::PoolState;

namespace {

constexpr int kTimeoutMs = 15000;

// One row for the event-loop pool on the GUI thread, one for the thread-driven pool.
void addPoolKindRows() {
    QTest::addColumn<bool>("threads");
    QTest::newRow("event-loop") << false;
    QTest::newRow("threads") << true;
}

QSet<pid_t> slotPids(const poolcore::StatsSnapshot& s) {
    QSet<pid_t> pids;
    for (const auto& w : s.workers)
        if (w.slot >= 0)
            pids.insert(w.pid);
    return pids;
}

QToolButton* buttonFor(MainWindow& window, PoolAction a) {
    auto* bar = window.findChild<QToolBar*>(QStringLiteral("poolToolBar"));
    return bar ? qobject_cast<QToolButton*>(bar->widgetForAction(window.action(a))) : nullptr;
}

void click(MainWindow& window, PoolAction a) {
    QToolButton* button = buttonFor(window, a);
    QVERIFY2(button, qPrintable(actionName(a)));
    QVERIFY2(button->isEnabled(), qPrintable(actionName(a) + QStringLiteral(" is disabled")));
    QTest::mouseClick(button, Qt::LeftButton);
}

std::uint64_t outcomes(const MainWindow& window, Outcome o) {
    return const_cast<MainWindow&>(window).controller().lastSnapshot().count(o);
}

} // namespace

class MainWindowTest : public QObject {
    Q_OBJECT

    // Opens a window and starts a pool of `processes` through the Start button.
    std::unique_ptr<MainWindow> startedWindow(int processes, bool threads,
                                              poolcore::PoolOptions options = {}) {
        auto window = std::make_unique<MainWindow>();
        window->resize(1280, 800);
        window->show();
        if (!QTest::qWaitForWindowExposed(window.get()))
            return nullptr;
        window->controller().setSampleInterval(std::chrono::milliseconds(20));
        options.processes = processes;
        options.threads = threads;
        window->settingsPage()->setOptions(options);
        QTest::mouseClick(buttonFor(*window, PoolAction::Start), Qt::LeftButton);
        return window;
    }

    static bool waitForAlive(MainWindow& w, int n) {
        return QTest::qWaitFor(
            [&] {
                const auto& s = w.controller().lastSnapshot();
                return s.alive_processes == n && s.target_processes == n &&
                       int(slotPids(s).size()) == n;
            },
            kTimeoutMs);
    }

    static void submit(MainWindow& w, const std::string& task, const std::string& arg, int n) {
        for (int i = 0; i < n; ++i)
            w.controller().submit(poolcore::TaskCall{task, arg, {}, {}, {}});
    }

private Q_SLOTS:
    void initTestCase() { test::isolateSettings(); }

    void everyActionIsDescribedAndEnabledOnlyWhenItMeansSomething() {
        MainWindow window;
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        for (int i = 0; i < kPoolActionCount; ++i) {
            const auto a = PoolAction(i);
            QAction* act = window.action(a);
            QVERIFY(!act->shortcut().isEmpty());
            QVERIFY(!act->toolTip().isEmpty());
            QToolButton* button = buttonFor(window, a);
            QVERIFY(button);
            QVERIFY(!button->accessibleName().isEmpty());
            // Before any pool exists, only Start means something.
            QCOMPARE(act->isEnabled(), a == PoolAction::Start);
            if (a != PoolAction::Start)
                QVERIFY2(act->toolTip().contains(QStringLiteral("Not available now")),
                         qPrintable(act->toolTip()));
        }
    }

    void buttonsDriveThePool_data() { addPoolKindRows(); }

    void buttonsDriveThePool() {
        QFETCH(bool, threads);
        auto window = startedWindow(2, threads);
        QVERIFY(window);
        auto& w = *window;
        QVERIFY(waitForAlive(w, 2));
        QCOMPARE(w.controller().state(), PoolState::Run);
        QVERIFY(!w.action(PoolAction::Start)->isEnabled());
        for (auto a : {PoolAction::Restart, PoolAction::Stop, PoolAction::Terminate,
                       PoolAction::Close, PoolAction::Grow, PoolAction::Shrink})
            QVERIFY2(w.action(a)->isEnabled(), qPrintable(actionName(a)));
        // The window's own pool feeds every chart.
        for (ChartView* chart : w.findChildren<ChartView*>())
            QVERIFY2(chart->unavailableReason().isEmpty(), qPrintable(chart->title()));

        // Grow and Shrink act at once.
        click(w, PoolAction::Grow);
        QVERIFY(waitForAlive(w, 3));
        click(w, PoolAction::Shrink);
        QVERIFY(waitForAlive(w, 2));
        click(w, PoolAction::Shrink);
        QVERIFY(waitForAlive(w, 1));
        QTRY_VERIFY_WITH_TIMEOUT(!w.action(PoolAction::Shrink)->isEnabled(), kTimeoutMs);
        click(w, PoolAction::Grow);
        QVERIFY(waitForAlive(w, 2));

        // Restart replaces every worker.
        const QSet<pid_t> before = slotPids(w.controller().lastSnapshot());
        click(w, PoolAction::Restart);
        QTRY_VERIFY_WITH_TIMEOUT(
            [&] {
                const auto& s = w.controller().lastSnapshot();
                const QSet<pid_t> now = slotPids(s);
                return now.size() == 2 && !now.intersects(before) && !s.restart_in_progress &&
                       s.alive_processes == 2;
            }(),
            kTimeoutMs);
        QCOMPARE(w.controller().state(), PoolState::Run);

        // Close: no new jobs, and the pool-changing buttons go grey.
        click(w, PoolAction::Close);
        QTRY_COMPARE_WITH_TIMEOUT(w.controller().state(), PoolState::Close, kTimeoutMs);
        QVERIFY_THROWS_EXCEPTION(poolcore::PoolError, submit(w, "noop", "", 1));
        QTRY_VERIFY_WITH_TIMEOUT(!w.action(PoolAction::Grow)->isEnabled(), kTimeoutMs);
        QVERIFY(!w.action(PoolAction::Restart)->isEnabled());
        QVERIFY(!w.action(PoolAction::Close)->isEnabled());
        QVERIFY(w.action(PoolAction::Stop)->isEnabled());
        QVERIFY(w.action(PoolAction::Terminate)->isEnabled());

        // Stop lets the pool wind down; afterwards no worker is left and Start is back.
        const QSet<pid_t> last = slotPids(w.controller().lastSnapshot());
        click(w, PoolAction::Stop);
        QTRY_COMPARE_WITH_TIMEOUT(w.controller().state(), PoolState::Stopped, kTimeoutMs);
        for (pid_t pid : last)
            QTRY_VERIFY_WITH_TIMEOUT(testutil::process_gone(pid), kTimeoutMs);
        QTRY_VERIFY_WITH_TIMEOUT(w.action(PoolAction::Start)->isEnabled(), kTimeoutMs);
        QVERIFY(!w.action(PoolAction::Stop)->isEnabled());

        // And Start again builds a new pool from the settings.
        click(w, PoolAction::Start);
        QVERIFY(waitForAlive(w, 2));
        click(w, PoolAction::Terminate);
        QTRY_COMPARE_WITH_TIMEOUT(w.controller().state(), PoolState::Stopped, kTimeoutMs);
    }

    void gracefulStopShowsProgressAndEscalatesToTerminate() {
        auto window = startedWindow(2, false);
        QVERIFY(window);
        auto& w = *window;
        QVERIFY(waitForAlive(w, 2));
        submit(w, "sleep", "60000", 4); // two running, two queued
        QTRY_COMPARE_WITH_TIMEOUT(w.controller().lastSnapshot().busy_processes, 2, kTimeoutMs);

        click(w, PoolAction::Stop);
        QVERIFY(w.controller().isStopping());
        QTRY_VERIFY_WITH_TIMEOUT(w.stopProgress()->isVisible(), kTimeoutMs);
        const auto* text = w.stopProgress()->findChild<QLabel*>(QStringLiteral("stopProgressText"));
        QVERIFY(text);
        QVERIFY2(text->text().contains(QStringLiteral("4 job(s) still to finish")),
                 qPrintable(text->text()));
        // A second Stop means nothing now; Terminate still does.
        QVERIFY(!w.action(PoolAction::Stop)->isEnabled());
        QVERIFY(w.action(PoolAction::Terminate)->isEnabled());

        QTest::mouseClick(w.stopProgress()->terminateButton(), Qt::LeftButton);
        QTRY_COMPARE_WITH_TIMEOUT(w.controller().state(), PoolState::Stopped, kTimeoutMs);
        QTRY_VERIFY_WITH_TIMEOUT(!w.stopProgress()->isVisible(), kTimeoutMs);
        const auto& s = w.controller().lastSnapshot();
        QCOMPARE(s.finished, std::uint64_t(4));
        QCOMPARE(s.count(Outcome::Success), std::uint64_t(0));
    }

    void gracefulStopLetsJobsFinish() {
        auto window = startedWindow(2, false);
        QVERIFY(window);
        auto& w = *window;
        QVERIFY(waitForAlive(w, 2));
        submit(w, "sleep", "200", 4);
        click(w, PoolAction::Stop);
        QTRY_COMPARE_WITH_TIMEOUT(w.controller().state(), PoolState::Stopped, kTimeoutMs);
        // state() is the pool's own; the snapshot is the last sample, up to a tick behind it.
        QTRY_COMPARE_WITH_TIMEOUT(outcomes(w, Outcome::Success), std::uint64_t(4), kTimeoutMs);
    }

    void workerKilledFromTheTableIsReplaced_data() { addPoolKindRows(); }

    void workerKilledFromTheTableIsReplaced() {
        QFETCH(bool, threads);
        auto window = startedWindow(3, threads);
        QVERIFY(window);
        auto& w = *window;
        QVERIFY(waitForAlive(w, 3));
        submit(w, "sleep", "60000", 1);
        QTRY_COMPARE_WITH_TIMEOUT(w.controller().lastSnapshot().busy_processes, 1, kTimeoutMs);

        // Find the busy worker in the table, as a user would, and kill it from its menu.
        ProcessPage* page = w.processPage();
        w.tabs()->setCurrentWidget(page);
        pid_t victim = 0;
        QTRY_VERIFY_WITH_TIMEOUT(
            [&] {
                for (int row = 0; row < page->model()->rowCount(); ++row) {
                    const auto& ws = page->model()->worker(row);
                    if (ws.current_job_accepted) {
                        victim = ws.pid;
                        return true;
                    }
                }
                return false;
            }(),
            kTimeoutMs);
        const int row = page->model()->rowOfPid(victim);
        QCOMPARE(page->model()->index(row, ProcessTableModel::CurrentJob).data().toString(),
                 QStringLiteral("#1 sleep"));
        QVERIFY(page->selectPid(victim));
        QCOMPARE(page->selectedPid(), victim);
        QVERIFY(page->killWorkerAction()->isEnabled());
        page->killWorkerAction()->trigger();

        QTRY_VERIFY_WITH_TIMEOUT(testutil::process_gone(victim), kTimeoutMs);
        QTRY_VERIFY_WITH_TIMEOUT(
            [&] {
                const auto& s = w.controller().lastSnapshot();
                const QSet<pid_t> pids = slotPids(s);
                return s.alive_processes == 3 && pids.size() == 3 && !pids.contains(victim);
            }(),
            kTimeoutMs);
        QTRY_COMPARE_WITH_TIMEOUT(outcomes(w, Outcome::WorkerLost), std::uint64_t(1), kTimeoutMs);
        // The log says who died and how.
        EventLogModel* log = w.eventLogPage()->model();
        QTRY_VERIFY_WITH_TIMEOUT(
            [&] {
                for (int r = 0; r < log->rowCount(); ++r) {
                    const PoolEvent& e = log->event_at(r);
                    if (e.kind == EventKind::WorkerExit && e.pid == victim &&
                        e.text.contains(QStringLiteral("SIGKILL")))
                        return true;
                }
                return false;
            }(),
            kTimeoutMs);
        click(w, PoolAction::Terminate);
        QTRY_COMPARE_WITH_TIMEOUT(w.controller().state(), PoolState::Stopped, kTimeoutMs);
    }

    void jobTerminatedFromTheTable() {
        auto window = startedWindow(2, false);
        QVERIFY(window);
        auto& w = *window;
        QVERIFY(waitForAlive(w, 2));
        submit(w, "sleep", "60000", 1);
        ProcessPage* page = w.processPage();
        pid_t busy = 0;
        QTRY_VERIFY_WITH_TIMEOUT(
            [&] {
                for (const auto& ws : w.controller().lastSnapshot().workers)
                    if (ws.current_job_accepted)
                        busy = ws.pid;
                return busy != 0;
            }(),
            kTimeoutMs);
        QTRY_VERIFY_WITH_TIMEOUT(page->selectPid(busy), kTimeoutMs);
        QTRY_VERIFY_WITH_TIMEOUT(page->terminateJobAction()->isEnabled(), kTimeoutMs);
        page->terminateJobAction()->trigger();
        QTRY_COMPARE_WITH_TIMEOUT(outcomes(w, Outcome::Terminated), std::uint64_t(1), kTimeoutMs);
        QVERIFY(waitForAlive(w, 2));
        click(w, PoolAction::Terminate);
        QTRY_COMPARE_WITH_TIMEOUT(w.controller().state(), PoolState::Stopped, kTimeoutMs);
    }

    void impossibleSettingsAreMarkedAndStartRefused() {
        MainWindow window;
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        SettingsPage* page = window.settingsPage();
        auto* soft = page->findChild<QDoubleSpinBox*>(QStringLiteral("softTimeLimit"));
        auto* hard = page->findChild<QDoubleSpinBox*>(QStringLiteral("timeLimit"));
        QVERIFY(soft && hard);
        hard->setValue(2.0);
        soft->setValue(5.0);
        QVERIFY(!page->isValid());
        const QString problem = page->problemFor("soft_time_limit").isEmpty()
                                    ? page->problemFor("time_limit")
                                    : page->problemFor("soft_time_limit");
        QVERIFY2(!problem.isEmpty(), "no message next to the time limits");
        QVERIFY(!window.action(PoolAction::Start)->isEnabled());
        QVERIFY2(window.action(PoolAction::Start)->toolTip().contains(QStringLiteral("settings")),
                 qPrintable(window.action(PoolAction::Start)->toolTip()));
        soft->setValue(1.0);
        QVERIFY(page->isValid());
        QVERIFY(page->problemFor("soft_time_limit").isEmpty());
        QVERIFY(window.action(PoolAction::Start)->isEnabled());
    }

    // The crash-loop guard is set in the form, checked like every field, and is what the pool
    // started with: with max_restarts 1 in a minute, a second crash leaves the slot empty.
    void restartLimitsAreEditedValidatedAndAppliedAtStart() {
        MainWindow window;
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        window.controller().setSampleInterval(std::chrono::milliseconds(20));
        SettingsPage* page = window.settingsPage();
        auto* restarts = page->findChild<QSpinBox*>(QStringLiteral("maxRestarts"));
        auto* restart_window = page->findChild<QDoubleSpinBox*>(QStringLiteral("restartWindow"));
        auto* processes = page->findChild<QSpinBox*>(QStringLiteral("processes"));
        QVERIFY(restarts && restart_window && processes);
        QCOMPARE(restarts->value(), poolcore::PoolOptions{}.max_restarts);
        QCOMPARE(restart_window->value(), poolcore::PoolOptions{}.restart_window.count());

        restarts->setValue(0);
        QVERIFY(!page->isValid());
        QVERIFY(!page->problemFor("max_restarts").isEmpty());
        QVERIFY(!window.action(PoolAction::Start)->isEnabled());
        restarts->setValue(1);
        restart_window->setValue(0);
        QVERIFY(!page->isValid());
        QVERIFY(page->problemFor("max_restarts").isEmpty());
        QVERIFY(!page->problemFor("restart_window").isEmpty());
        restart_window->setValue(60);
        processes->setValue(1);
        QVERIFY(page->isValid());
        QCOMPARE(page->options().max_restarts, 1);
        QCOMPARE(page->options().restart_window.count(), 60.0);

        click(window, PoolAction::Start);
        QVERIFY(waitForAlive(window, 1));
        QCOMPARE(window.controller().options().max_restarts, 1);
        QCOMPARE(window.controller().options().restart_window.count(), 60.0);
        submit(window, "crash", "KILL", 1);
        QTRY_COMPARE_WITH_TIMEOUT(outcomes(window, Outcome::WorkerLost), std::uint64_t(1),
                                  kTimeoutMs);
        QVERIFY(waitForAlive(window, 1)); // one crash is within bounds: replaced
        submit(window, "crash", "KILL", 1);
        QTRY_COMPARE_WITH_TIMEOUT(outcomes(window, Outcome::WorkerLost), std::uint64_t(2),
                                  kTimeoutMs);
        // The second is one too many for the minute: replacing pauses.
        QTest::qWait(1000);
        QCOMPARE(window.controller().lastSnapshot().alive_processes, 0);
        click(window, PoolAction::Terminate);
        QTRY_COMPARE_WITH_TIMEOUT(window.controller().state(), PoolState::Stopped, kTimeoutMs);
    }

    void loadGeneratorWindowSuitsWhereOutcomesArrive_data() { addPoolKindRows(); }
    void loadGeneratorWindowSuitsWhereOutcomesArrive() {
        // On the GUI thread every outcome tops the window up; from the pool's thread only the
        // 10 ms pump does, so the window must outlast 10 ms of a fast pool, within a memory cap.
        QFETCH(bool, threads);
        auto window = startedWindow(2, threads);
        QVERIFY(window);
        auto& w = *window;
        QVERIFY(waitForAlive(w, 2));
        LoadSpec spec;
        spec.task = "sleep";
        spec.argument = "1";
        spec.mode = LoadSpec::Mode::Rate;
        spec.jobs_per_second = 10;
        for (const auto& [payload, pumped] :
             {std::pair{std::size_t(0), 1024LL}, std::pair{std::size_t(128) << 10, 512LL},
              std::pair{std::size_t(4) << 20, 256LL}}) {
            spec.payload_bytes = payload;
            QString error;
            QVERIFY2(w.generator().start(spec, &error), qPrintable(error));
            QCOMPARE(w.generator().window(), threads ? pumped : 256LL);
            w.generator().stop();
        }
        click(w, PoolAction::Terminate);
        QTRY_COMPARE_WITH_TIMEOUT(w.controller().state(), PoolState::Stopped, kTimeoutMs);
    }

    void loadGeneratorBurstRunsToCompletion() {
        auto window = startedWindow(2, false);
        QVERIFY(window);
        auto& w = *window;
        QVERIFY(waitForAlive(w, 2));
        LoadSpec spec;
        spec.task = "echo";
        spec.payload_bytes = 100;
        spec.mode = LoadSpec::Mode::Burst;
        spec.burst_jobs = 500;
        w.loadPage()->setSpec(spec);
        QTest::mouseClick(w.loadPage()->startButton(), Qt::LeftButton);
        QTRY_VERIFY_WITH_TIMEOUT(!w.generator().isRunning(), kTimeoutMs);
        QCOMPARE(w.generator().completed(), 500LL);
        QCOMPARE(w.generator().failed(), 0LL);
        QTRY_COMPARE_WITH_TIMEOUT(outcomes(w, Outcome::Success), std::uint64_t(500), kTimeoutMs);
        auto* bar = w.loadPage()->findChild<QProgressBar*>(QStringLiteral("loadProgress"));
        QVERIFY(bar);
        const QLocale locale = bar->locale();
        QCOMPARE(
            bar->text(),
            QStringLiteral("%1 of %2 jobs").arg(locale.toString(500)).arg(locale.toString(500)));
        // A burst beyond an int: the bar scales, the words keep the real counts.
        Q_EMIT w.generator().progress(1'500'000'000LL, 3'000'000'000LL);
        QCOMPARE(bar->text(), QStringLiteral("%1 of %2 jobs")
                                  .arg(locale.toString(1'500'000'000LL))
                                  .arg(locale.toString(3'000'000'000LL)));
        QCOMPARE(bar->value() * 2, bar->maximum());
        // The info report is Celery's.
        w.infoPage()->refresh();
        const auto info = QJsonDocument::fromJson(w.infoPage()->text().toUtf8()).object();
        QCOMPARE(info[QStringLiteral("max-concurrency")].toInt(), 2);
        QCOMPARE(info[QStringLiteral("writes")][QStringLiteral("total")].toInt(), 500);
        QVERIFY(w.statusText().contains(QStringLiteral("RUN")));
        click(w, PoolAction::Terminate);
        QTRY_COMPARE_WITH_TIMEOUT(w.controller().state(), PoolState::Stopped, kTimeoutMs);
    }

    // A mixed load typed into the page: the task above and the mix take turns, job by job, as
    // headless --task lists do; a name that is no task is refused before anything is submitted.
    void loadGeneratorRunsAMixedLoadRoundRobin() {
        auto window = startedWindow(2, false);
        QVERIFY(window);
        auto& w = *window;
        QVERIFY(waitForAlive(w, 2));
        LoadSpec spec;
        spec.task = "noop";
        spec.mode = LoadSpec::Mode::Burst;
        spec.burst_jobs = 30;
        w.loadPage()->setSpec(spec);
        auto* mix = w.loadPage()->findChild<QLineEdit*>(QStringLiteral("taskMix"));
        QVERIFY(mix);
        QTest::keyClicks(mix, QStringLiteral("nosuchtask"));
        QTest::mouseClick(w.loadPage()->startButton(), Qt::LeftButton);
        QVERIFY(!w.generator().isRunning());
        QCOMPARE(w.generator().submitted(), 0LL);
        mix->clear();
        QTest::keyClicks(mix, QStringLiteral("echo ;  sleep=1;"));
        QCOMPARE(w.loadPage()->spec().mix, (std::vector<std::string>{"echo", "sleep=1"}));
        QTest::mouseClick(w.loadPage()->startButton(), Qt::LeftButton);
        QVERIFY(w.generator().isRunning());
        QVERIFY(!mix->isEnabled()); // the mix of a running load is fixed
        QTRY_VERIFY_WITH_TIMEOUT(!w.generator().isRunning(), kTimeoutMs);
        QCOMPARE(w.generator().completed(), 30LL);
        QCOMPARE(w.generator().failed(), 0LL);
        TaskTableModel& tasks = w.tasksPage()->model();
        auto finished = [&](const std::string& name) -> std::uint64_t {
            for (int row = 0; row < tasks.rowCount(); ++row)
                if (tasks.task(row).task == name)
                    return tasks.task(row).total;
            return 0;
        };
        QTRY_VERIFY_WITH_TIMEOUT(finished("noop") + finished("echo") + finished("sleep") == 30,
                                 kTimeoutMs);
        QCOMPARE(finished("noop"), std::uint64_t(10));
        QCOMPARE(finished("echo"), std::uint64_t(10));
        QCOMPARE(finished("sleep"), std::uint64_t(10));
        click(w, PoolAction::Terminate);
        QTRY_COMPARE_WITH_TIMEOUT(w.controller().state(), PoolState::Stopped, kTimeoutMs);
    }

    // The rate field stays live while a rate load runs: a new value paces the same run (its
    // counts go on) from the next pump.
    void loadRateChangesWhileTheLoadRuns() {
        auto window = startedWindow(2, false);
        QVERIFY(window);
        auto& w = *window;
        QVERIFY(waitForAlive(w, 2));
        LoadSpec spec;
        spec.task = "noop";
        spec.mode = LoadSpec::Mode::Rate;
        spec.jobs_per_second = 20;
        w.loadPage()->setSpec(spec);
        QTest::mouseClick(w.loadPage()->startButton(), Qt::LeftButton);
        QVERIFY(w.generator().isRunning());
        auto* rate = w.loadPage()->findChild<QDoubleSpinBox*>(QStringLiteral("rate"));
        QVERIFY(rate && rate->isEnabled());
        QTest::qWait(1000);
        const long long slow = w.generator().submitted();
        QVERIFY2(slow >= 10 && slow <= 30, qPrintable(QString::number(slow)));
        rate->setValue(1000);
        QCOMPARE(w.generator().spec().jobs_per_second, 1000.0);
        QTest::qWait(1000);
        const long long fast = w.generator().submitted() - slow;
        // Twenty a second would be about 20 more; a loaded machine may fall behind 1,000.
        QVERIFY2(fast >= 300, qPrintable(QString::number(fast)));
        QVERIFY(w.generator().isRunning()); // the same run, not a restart
        w.generator().stop();
        click(w, PoolAction::Terminate);
        QTRY_COMPARE_WITH_TIMEOUT(w.controller().state(), PoolState::Stopped, kTimeoutMs);
    }

    // Every key of a JSON export, at any depth.
    static void collectKeys(const QJsonValue& v, QStringList& keys) {
        if (v.isObject()) {
            const QJsonObject o = v.toObject();
            for (auto it = o.begin(); it != o.end(); ++it) {
                keys << it.key();
                collectKeys(it.value(), keys);
            }
        } else if (v.isArray()) {
            for (const QJsonValue& item : v.toArray())
                collectKeys(item, keys);
        }
    }

    // The exports parsed back: one unit per quantity, a start time, per-second percentiles
    // whose jobs add up to the `jobs` that ran, and nothing over "the last jobs".
    static void checkExportUnitsAndPercentiles(MainWindow& w, const QTemporaryDir& dir, int jobs) {
        const QString json_path = dir.filePath(QStringLiteral("units.json"));
        QJsonObject doc;
        auto jobs_in_seconds = [&] {
            QString error;
            if (!w.exportStatistics(json_path, &error))
                return -1;
            QFile file(json_path);
            if (!file.open(QIODevice::ReadOnly))
                return -1;
            doc = QJsonDocument::fromJson(file.readAll()).object();
            int sum = 0;
            for (const QJsonValue& p : doc[QStringLiteral("latency_per_second")].toArray())
                sum += p[QStringLiteral("jobs")].toInt();
            return sum;
        };
        QTRY_COMPARE_WITH_TIMEOUT(jobs_in_seconds(), jobs, kTimeoutMs); // seconds close late
        const QDateTime started =
            QDateTime::fromString(doc[QStringLiteral("started_at")].toString(), Qt::ISODateWithMs);
        QVERIFY(started.isValid());
        QVERIFY(qAbs(started.secsTo(QDateTime::currentDateTimeUtc())) < 600);
        QStringList keys;
        collectKeys(doc, keys);
        for (const QString& key : keys) {
            QVERIFY2(!key.endsWith(QLatin1String("_ms")) && !key.endsWith(QLatin1String("_mib")),
                     qPrintable(key));
            QVERIFY2(key != QLatin1String("latency_us") && key != QLatin1String("latency_ms"),
                     qPrintable(key)); // the percentiles over the last jobs, however old
        }
        QVERIFY(keys.contains(QStringLiteral("rss_kib")));
        for (const QJsonValue& p : doc[QStringLiteral("latency_per_second")].toArray()) {
            QVERIFY(p[QStringLiteral("jobs")].toInt() > 0); // no jobs, no point
            QVERIFY(!p[QStringLiteral("wall_time")].toString().isEmpty());
            for (const char* spread : {"latency", "queue_wait", "run_time"}) {
                auto at = [&](const char* percentile) {
                    return p[QStringLiteral("%1_%2_us")
                                 .arg(QLatin1String(spread), QLatin1String(percentile))]
                        .toDouble(-1);
                };
                QVERIFY2(at("p50") >= 0 && at("p50") <= at("p90") && at("p90") <= at("p99") &&
                             at("p99") <= at("max"),
                         spread);
            }
            QVERIFY(p[QStringLiteral("latency_p50_us")].toDouble() > 0);
        }

        QString error;
        const QString csv_path = dir.filePath(QStringLiteral("units.csv"));
        QVERIFY2(w.exportStatistics(csv_path, &error), qPrintable(error));
        QFile csv(csv_path);
        QVERIFY(csv.open(QIODevice::ReadOnly));
        const QStringList lines =
            QString::fromUtf8(csv.readAll()).split(QLatin1Char('\n'), Qt::SkipEmptyParts);
        const QStringList header = lines.first().split(QLatin1Char(','));
        for (const QString& column : header)
            QVERIFY2(!column.endsWith(QLatin1String("_ms")) &&
                         !column.endsWith(QLatin1String("_mib")),
                     qPrintable(column));
        const int jobs_column = int(header.indexOf(QStringLiteral("jobs_in_second")));
        const int p50_column = int(header.indexOf(QStringLiteral("latency_p50_us")));
        QVERIFY(jobs_column > 0 && p50_column > 0);
        QVERIFY(header.contains(QStringLiteral("run_time_max_us")));
        QCOMPARE(header.last(), QStringLiteral("wall_time"));
        int rows_with_jobs = 0;
        for (const QString& line : lines.mid(1)) {
            const QStringList cells = line.split(QLatin1Char(','));
            QCOMPARE(cells.size(), header.size());
            if (!cells[jobs_column].isEmpty()) {
                ++rows_with_jobs;
                QVERIFY(cells[p50_column].toDouble() > 0);
            } else {
                QVERIFY(cells[p50_column].isEmpty()); // no jobs that second: no number
            }
        }
        QVERIFY(rows_with_jobs > 0);
    }

    void statisticsExportAsJsonAndCsv() {
        auto window = startedWindow(2, false);
        QVERIFY(window);
        auto& w = *window;
        QVERIFY(waitForAlive(w, 2));
        submit(w, "noop", "", 50);
        QTRY_COMPARE_WITH_TIMEOUT(outcomes(w, Outcome::Success), std::uint64_t(50), kTimeoutMs);
        QTemporaryDir dir;
        QString error;
        QVERIFY2(w.exportStatistics(dir.filePath(QStringLiteral("stats.json")), &error),
                 qPrintable(error));
        QFile json(dir.filePath(QStringLiteral("stats.json")));
        QVERIFY(json.open(QIODevice::ReadOnly));
        const auto doc = QJsonDocument::fromJson(json.readAll()).object();
        QVERIFY(doc.contains(QStringLiteral("history")));
        QCOMPARE(doc[QStringLiteral("info")][QStringLiteral("max-concurrency")].toInt(), 2);
        QVERIFY2(w.exportStatistics(dir.filePath(QStringLiteral("stats.csv")), &error),
                 qPrintable(error));
        QFile csv(dir.filePath(QStringLiteral("stats.csv")));
        QVERIFY(csv.open(QIODevice::ReadOnly));
        QVERIFY(csv.readLine().startsWith("time_s,"));
        csv.close();
        checkExportUnitsAndPercentiles(w, dir, 50);
        // A folder that does not exist is an error the user reads, not a crash.
        QVERIFY(!w.exportStatistics(QStringLiteral("/nonexistent/dir/stats.json"), &error));
        QVERIFY(!error.isEmpty());

        // The disk fills up half-way (a file-size limit fails the write as a full disk does):
        // the user reads why, and the earlier export is still there, whole.
        QFile earlier(dir.filePath(QStringLiteral("stats.json")));
        QVERIFY(earlier.open(QIODevice::ReadOnly));
        const QByteArray before = earlier.readAll();
        earlier.close();
        QString log_error;
        {
            test::FileSizeLimit limit(8); // smaller than either export's first line
            error.clear();
            QVERIFY(!w.exportStatistics(dir.filePath(QStringLiteral("stats.json")), &error));
            QVERIFY(!w.eventLogPage()->exportCsv(dir.filePath(QStringLiteral("stats.csv")),
                                                 &log_error));
        }
        QVERIFY2(error.startsWith(QStringLiteral("Cannot write ")), qPrintable(error));
        QVERIFY(!log_error.isEmpty());
        QVERIFY(earlier.open(QIODevice::ReadOnly));
        QCOMPARE(earlier.readAll(), before);
        QFile csv_again(dir.filePath(QStringLiteral("stats.csv")));
        QVERIFY(csv_again.open(QIODevice::ReadOnly));
        QVERIFY(csv_again.readLine().startsWith("time_s,"));

        // The event log exports what it lists.
        QVERIFY2(
            w.eventLogPage()->exportCsv(dir.filePath(QStringLiteral("events.csv")), &log_error),
            qPrintable(log_error));
        QFile events(dir.filePath(QStringLiteral("events.csv")));
        QVERIFY(events.open(QIODevice::ReadOnly));
        QVERIFY(events.readAll().count('\n') >= 3); // a header and the two workers coming up
        click(w, PoolAction::Terminate);
        QTRY_COMPARE_WITH_TIMEOUT(w.controller().state(), PoolState::Stopped, kTimeoutMs);
    }

    void closingWithRunningJobsAsksThenLeavesNoWorker() {
        auto window = startedWindow(2, false);
        QVERIFY(window);
        auto& w = *window;
        QVERIFY(waitForAlive(w, 2));
        submit(w, "sleep", "60000", 2);
        QTRY_COMPARE_WITH_TIMEOUT(w.controller().lastSnapshot().busy_processes, 2, kTimeoutMs);
        const QSet<pid_t> pids = slotPids(w.controller().lastSnapshot());

        bool asked = false;
        QTimer::singleShot(200, &w, [&] {
            auto* box = qobject_cast<QMessageBox*>(QApplication::activeModalWidget());
            if (!box || box->objectName() != QStringLiteral("quitQuestion"))
                return;
            asked = box->text().contains(QStringLiteral("2 job(s)"));
            for (QAbstractButton* b : box->buttons())
                if (b->text().contains(QStringLiteral("Terminate")))
                    b->click();
        });
        w.close();
        QVERIFY(asked);
        QTRY_VERIFY_WITH_TIMEOUT(!w.isVisible(), kTimeoutMs);
        QCOMPARE(w.controller().state(), PoolState::Stopped);
        for (pid_t pid : pids)
            QTRY_VERIFY_WITH_TIMEOUT(testutil::process_gone(pid), kTimeoutMs);
    }

    void settingsPersistAcrossSessions() {
        {
            MainWindow window;
            window.restoreSession();
            poolcore::PoolOptions options;
            options.processes = 3;
            options.strategy = poolcore::Strategy::Fcfs;
            options.prefetch = 6;
            options.start_method = poolcore::StartMethod::Spawn;
            options.max_restarts = 7;
            options.restart_window = poolcore::Seconds(2.5);
            window.settingsPage()->setOptions(options);
            window.show();
            QVERIFY(QTest::qWaitForWindowExposed(&window));
            window.close();
        }
        MainWindow again;
        again.restoreSession();
        const auto restored = again.settingsPage()->options();
        QCOMPARE(restored.processes, 3);
        QCOMPARE(restored.strategy, poolcore::Strategy::Fcfs);
        QCOMPARE(restored.prefetch, 6);
        QCOMPARE(restored.start_method, std::optional(poolcore::StartMethod::Spawn));
        QCOMPARE(restored.max_restarts, 7);
        QCOMPARE(restored.restart_window.count(), 2.5);
    }

    // `poolscope --processes 7` is for this run: the saved default stays, unless the user then
    // changes the field in the form, which is a new default.
    void oneOffCommandLineOptionsAreNotSavedAsDefaults() {
        auto session = [](int saved, std::optional<int> command_line, std::optional<int> typed) {
            {
                MainWindow window;
                window.restoreSession();
                poolcore::PoolOptions options = window.settingsPage()->options();
                options.processes = saved;
                window.settingsPage()->setOptions(options);
                window.show();
                QVERIFY(QTest::qWaitForWindowExposed(&window));
                window.close();
            }
            MainWindow window;
            window.restoreSession();
            poolcore::PoolOptions options = window.settingsPage()->options();
            QCOMPARE(options.processes, saved);
            if (command_line) {
                options.processes = *command_line;
                options.prefetch = 9; // a second field the command line sets
                window.applyCommandLineOptions(options);
                QCOMPARE(window.settingsPage()->options().processes, *command_line);
            }
            if (typed) {
                auto* field =
                    window.settingsPage()->findChild<QSpinBox*>(QStringLiteral("processes"));
                QVERIFY(field);
                field->setValue(*typed);
            }
            window.show();
            QVERIFY(QTest::qWaitForWindowExposed(&window));
            window.close();
        };
        session(3, 7, std::nullopt);
        MainWindow after_one_off;
        after_one_off.restoreSession();
        QCOMPARE(after_one_off.settingsPage()->options().processes, 3);
        QVERIFY(after_one_off.settingsPage()->options().prefetch != 9);

        session(3, 7, 5);
        MainWindow after_edit;
        after_edit.restoreSession();
        QCOMPARE(after_edit.settingsPage()->options().processes, 5);
        QVERIFY(after_edit.settingsPage()->options().prefetch != 9);
    }

    void theStartMethodSettingChoosesHowWorkersStart_data() {
        QTest::addColumn<int>("method");
        QTest::newRow("forkserver") << int(poolcore::StartMethod::Forkserver);
        QTest::newRow("spawn") << int(poolcore::StartMethod::Spawn);
    }
    void theStartMethodSettingChoosesHowWorkersStart() {
        QFETCH(int, method);
        MainWindow window;
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        auto* box = window.findChild<QComboBox*>(QStringLiteral("startMethod"));
        QVERIFY(box);
        // What the platform has, without fork: this process runs threads.
        QCOMPARE(box->count(), int(poolcore::available_start_methods().size()) - 1);
        QVERIFY(box->findData(int(poolcore::StartMethod::Fork)) < 0);
        QCOMPARE(box->currentData().toInt(), int(poolcore::StartMethod::Forkserver));
        box->setCurrentIndex(box->findData(method));
        poolcore::PoolOptions o = window.settingsPage()->options();
        o.processes = 2;
        window.settingsPage()->setOptions(o);
        click(window, PoolAction::Start);
        QVERIFY(waitForAlive(window, 2));
        // Up, not only started: a spawned worker's command line is its own once it has run.
        QVERIFY(QTest::qWaitFor(
            [&] {
                for (const auto& w : window.controller().lastSnapshot().workers)
                    if (w.state != poolcore::WorkerState::Idle)
                        return false;
                return true;
            },
            kTimeoutMs));
        for (pid_t pid : slotPids(window.controller().lastSnapshot())) {
            const std::string command = testutil::command_line_of(pid);
            const pid_t parent = testutil::parent_of(pid);
            // Either way it is titled as a worker, not as a second copy of the window.
            QVERIFY2(command.rfind("poolscope-worker: slot ", 0) == 0, command.c_str());
            if (method == int(poolcore::StartMethod::Spawn))
                QCOMPARE(parent, ::getpid());
            else
                QVERIFY(parent != ::getpid()); // the forkserver's child
        }
        click(window, PoolAction::Terminate);
        QVERIFY(QTest::qWaitFor([&] { return window.controller().state() == PoolState::Stopped; },
                                kTimeoutMs));
    }
};

POOLSCOPE_TEST_MAIN(MainWindowTest, QApplication, no_test_setup)
#include "test_main_window.moc"
