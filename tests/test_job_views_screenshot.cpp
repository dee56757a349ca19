// SPDX-License-Identifier: GPL-3.0-or-later
// The Jobs and Tasks tabs and the job-record charts at a laptop's 1366x768, with a mixed load
// running (sleeping jobs, failures, a killed worker): renders them to PNGs in the build folder
// for a person to look at, and checks that they show jobs at all.
#include "gui_test_util.h"
#include "test_main.h"
#include "ui/charts/chart_view.h"
#include "ui/main_window.h"
#include "ui/models/job_table_model.h"
#include "ui/models/task_table_model.h"
#include "ui/pages/jobs_page.h"
#include "ui/pages/load_page.h"
#include "ui/pages/settings_page.h"
#include "ui/pages/tasks_page.h"
#include "ui/sources/load_generator.h"

#include <QApplication>
#include <QPushButton>
#include <QTabWidget>
#include <QtTest>
#include <signal.h>

using namespace poolscope;

class JobViewsScreenshotTest : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase() { test::isolateSettings(); }

    void rendersJobViewsUnderLoad() {
        MainWindow window;
        window.resize(1366, 768);
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        for (ChartView* chart : window.charts())
            chart->setWindowSeconds(8);
        poolcore::PoolOptions options;
        options.processes = 4;
        window.settingsPage()->setOptions(options);
        QVERIFY(window.startPool());
        QTRY_COMPARE_WITH_TIMEOUT(window.controller().lastSnapshot().alive_processes, 4, 10000);
        // A few failures first, with a multi-line error, then sleeping jobs at a steady rate.
        for (int i = 0; i < 5; ++i)
            window.controller().submit(
                poolcore::TaskCall{.task = "fail", .argument = "disk full\nretry later"});
        LoadSpec load;
        load.task = "sleep";
        load.argument = "10";
        load.mode = LoadSpec::Mode::Rate;
        load.jobs_per_second = 250;
        window.loadPage()->setSpec(load);
        QTest::mouseClick(window.loadPage()->startButton(), Qt::LeftButton);
        QVERIFY(window.generator().isRunning());
        QTest::qWait(2500);
        const auto workers = window.controller().lastSnapshot().workers;
        QVERIFY(!workers.empty());
        QVERIFY(window.controller().killWorker(workers.front().pid, SIGKILL));
        QTest::qWait(3000);

        const auto save = [](QWidget* w, const QString& what) {
            const QString file = QStringLiteral("%1/poolscope-jobs-%2.png")
                                     .arg(QStringLiteral(POOLSCOPE_SCREENSHOT_DIR), what);
            QVERIFY(w->grab().save(file));
            qInfo("screenshot: %s", qPrintable(file));
        };
        for (ChartView* chart : window.charts())
            chart->replotNow();
        window.tabs()->setCurrentWidget(window.jobsPage());
        QVERIFY(window.jobsPage()->model().rowCount() > 500);
        // The first failure, selected: its detail has the whole two-line error.
        JobTableModel& jobs = window.jobsPage()->model();
        poolcore::JobId failed = 0;
        for (int row = 0; row < jobs.rowCount() && !failed; ++row)
            if (jobs.record(row).outcome == poolcore::Outcome::TaskError)
                failed = jobs.record(row).id;
        QVERIFY(failed);
        QVERIFY(window.jobsPage()->showJob(failed));
        QVERIFY(window.jobsPage()->detailText().contains(QStringLiteral("retry later")));
        QTest::qWait(100);
        save(&window, QStringLiteral("window"));
        window.tabs()->setCurrentWidget(window.tasksPage());
        QTRY_VERIFY(window.tasksPage()->model().rowCount() >= 2); // sleep, fail (and noop)
        save(window.tabs(), QStringLiteral("tasks"));
        for (ChartView* chart : window.charts())
            if (chart->objectName() == QStringLiteral("latencyChart") ||
                chart->objectName() == QStringLiteral("latencyHistogramChart") ||
                chart->objectName() == QStringLiteral("queueRunChart") ||
                chart->objectName() == QStringLiteral("offeredLoadChart")) {
                chart->resize(640, 360);
                chart->replotNow();
                save(chart, chart->objectName());
            }
        window.generator().stop();
        window.controller().terminate();
        QTRY_COMPARE_WITH_TIMEOUT(window.controller().state(), poolcore::PoolState::Stopped, 10000);
    }
};

POOLSCOPE_TEST_MAIN(JobViewsScreenshotTest, QApplication, no_test_setup)
#include "test_job_views_screenshot.moc"
