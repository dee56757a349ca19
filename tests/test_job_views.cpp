// SPDX-License-Identifier: GPL-3.0-or-later
// The Jobs and Tasks views and the charts drawn from job records, on the offscreen platform:
// models under QAbstractItemModelTester, filters, the detail panel, per-second chart points.
#include "ui/charts/job_charts.h"
#include "ui/models/job_table_model.h"
#include "ui/models/task_table_model.h"
#include "ui/monitor/job_stats.h"
#include "ui/pages/jobs_page.h"

#include <QAbstractItemModelTester>
#include <QApplication>
#include <QMenu>
#include <QSplitter>
#include <QTableView>
#include <QTimer>
#include <QtTest>
#include <qcustomplot.h>

using namespace poolscope;
using namespace std::chrono_literals;
using poolcore::JobRecord;
using poolcore::Outcome;

namespace {

const JobRecord::Clock::time_point kEpoch = JobRecord::Clock::now() - 100s;

JobRecord job(poolcore::JobId id, std::string task, int slot, std::chrono::nanoseconds at,
              Outcome outcome = Outcome::Success, std::string error = {}) {
    JobRecord r;
    r.id = id;
    r.task = std::move(task);
    r.argument = "arg" + std::to_string(id);
    r.slot = slot;
    r.pid = 1000 + slot;
    r.outcome = outcome;
    r.error = std::move(error);
    r.finished = kEpoch + at;
    r.accepted = r.written = r.finished - 2ms;
    r.submitted = r.written - 1ms;
    return r;
}

} // namespace

class JobViewsTest : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void jobTableIsBoundedAndKeepsTheNewest() {
        JobTableModel model(5);
        QAbstractItemModelTester tester(&model,
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.append({job(1, "a", 0, 1s), job(2, "a", 1, 1s), job(3, "b", 0, 2s)});
        QCOMPARE(model.rowCount(), 3);
        model.append(
            {job(4, "a", 0, 3s), job(5, "a", 0, 3s), job(6, "a", 0, 3s), job(7, "a", 0, 3s)});
        QCOMPARE(model.rowCount(), 5);
        QCOMPARE(model.record(0).id, poolcore::JobId(3));
        QCOMPARE(model.rowOfJob(7), 4);
        QCOMPARE(model.rowOfJob(1), -1);
        // A batch larger than the table keeps its own newest.
        std::vector<JobRecord> many;
        for (poolcore::JobId id = 10; id < 30; ++id)
            many.push_back(job(id, "c", 1, 4s));
        model.append(many);
        QCOMPARE(model.rowCount(), 5);
        QCOMPARE(model.record(0).id, poolcore::JobId(25));
        QCOMPARE(model.data(model.index(4, JobTableModel::OutcomeColumn)).toString(),
                 QStringLiteral("success"));
        QCOMPARE(model.data(model.index(4, JobTableModel::QueueWait), JobTableModel::SortRole)
                     .toDouble(),
                 1.0);
        QCOMPARE(model.data(model.index(4, JobTableModel::RunTime)).toString(),
                 QStringLiteral("2.00 ms"));
        model.clear();
        QCOMPARE(model.rowCount(), 0);
    }

    void jobFilterByOutcomeTaskSlotSearchAndTime() {
        JobTableModel model;
        JobFilterModel filter;
        filter.setSourceModel(&model);
        QAbstractItemModelTester tester(&filter,
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.append({job(1, "resize", 0, 1s), job(2, "resize", 1, 2s, Outcome::TaskError, "boom"),
                      job(3, "mail", 0, 3s, Outcome::SoftTimeLimit, "soft limit"),
                      job(4, "mail", 1, 4s, Outcome::TimeLimit, "TimeLimitExceeded")});
        filter.setOutcome(Outcome::SoftTimeLimit);
        QCOMPARE(filter.rowCount(), 1);
        filter.setOutcome(Outcome::TimeLimit); // soft and hard limits are apart
        QCOMPARE(filter.rowCount(), 1);
        filter.setOutcome(std::nullopt);
        filter.setTask(QStringLiteral("resize"));
        QCOMPARE(filter.rowCount(), 2);
        filter.setSlot(1);
        QCOMPARE(filter.rowCount(), 1);
        filter.setTask({});
        filter.setSlot(-1);
        filter.setSearch(QStringLiteral("BOOM"));
        QCOMPARE(filter.rowCount(), 1);
        filter.setSearch(QStringLiteral("1001"));
        QCOMPARE(filter.rowCount(), 2); // the pid of slot 1
        filter.setSearch({});
        filter.setTimeRange(kEpoch + 1500ms, kEpoch + 3s);
        QCOMPARE(filter.rowCount(), 2);
        filter.clearTimeRange();
        QCOMPARE(filter.rowCount(), 4);
        filter.sort(JobTableModel::Id, Qt::DescendingOrder);
        QCOMPARE(filter.data(filter.index(0, JobTableModel::Id)).toString(), QStringLiteral("4"));
        model.append({job(5, "mail", 0, 5s)});
        QCOMPARE(filter.data(filter.index(0, JobTableModel::Id)).toString(), QStringLiteral("5"));
    }

    void jobsPageShowsAJobsWholeLife() {
        JobsPage page;
        page.resize(900, 500);
        const std::string error = "Traceback (most recent call last):\nline 2\nValueError: x";
        page.append({job(1, "resize", 0, 1s), job(2, "resize", 1, 2s, Outcome::TaskError, error)});
        page.filter().setOutcome(Outcome::Success); // hides job 2: showJob clears it
        QVERIFY(page.showJob(2));
        const QString detail = page.detailText();
        QVERIFY2(detail.contains(QStringLiteral("Outcome: task-error")), qPrintable(detail));
        QVERIFY(detail.contains(QString::fromStdString(error)));
        for (const char* step : {"Submitted:", "Written:", "Accepted:", "Finished:"})
            QVERIFY(detail.contains(QLatin1String(step)));
        QVERIFY(detail.contains(QString::number(QDate::currentDate().year())));
        QVERIFY(!page.showJob(99));
        page.setTimeRange(kEpoch, kEpoch + 1500ms);
        QCOMPARE(page.filter().rowCount(), 1);
        page.clearTimeRange();
        QCOMPARE(page.filter().rowCount(), 2);
    }

    // A laptop's lower dock is wide and short: the detail goes beside the table, which keeps
    // the height for rows; in a tall page it goes under the table again.
    void jobDetailSitsBesideTheTableInAWideShortPage() {
        JobsPage page;
        page.resize(1000, 230);
        page.show();
        QVERIFY(QTest::qWaitForWindowExposed(&page));
        auto* split = page.findChild<QSplitter*>(QStringLiteral("jobsSplit"));
        QVERIFY(split);
        QCOMPARE(split->orientation(), Qt::Horizontal);
        auto* table = page.findChild<QTableView*>();
        QVERIFY(table);
        QVERIFY2(table->height() > 150, qPrintable(QString::number(table->height())));
        QVERIFY(split->sizes().at(1) >= 300); // the detail's longest line fits
        page.resize(600, 700);
        QTRY_COMPARE(split->orientation(), Qt::Vertical);
        QVERIFY(split->sizes().at(0) > split->sizes().at(1));
    }

    void taskTableHasARowPerTaskAndEveryOutcome() {
        JobStats stats(kEpoch);
        TaskTableModel model(stats);
        QAbstractItemModelTester tester(&model,
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        QCOMPARE(model.rowCount(), 0);
        stats.add({job(1, "resize", 0, 1s), job(2, "resize", 0, 1s, Outcome::TaskError, "bad")});
        model.refresh();
        QCOMPARE(model.rowCount(), 1);
        stats.add({job(3, "archive", 0, 2s, Outcome::SoftTimeLimit, "soft")});
        model.refresh();
        QCOMPARE(model.rowCount(), 2);
        QCOMPARE(model.data(model.index(0, 0)).toString(), QStringLiteral("archive"));
        const int soft = TaskTableModel::kFirstOutcome + int(Outcome::SoftTimeLimit);
        QCOMPARE(model.headerData(soft, Qt::Horizontal).toString(),
                 QStringLiteral("soft-time-limit"));
        QCOMPARE(model.data(model.index(0, soft)).toString(), QStringLiteral("1"));
        const int failed = TaskTableModel::kFirstOutcome + int(Outcome::TaskError);
        QCOMPARE(model.data(model.index(1, failed)).toString(), QStringLiteral("1"));
        QCOMPARE(model.data(model.index(1, TaskTableModel::kLastError)).toString(),
                 QStringLiteral("bad"));
        QCOMPARE(model.data(model.index(1, TaskTableModel::kRunP50)).toString(),
                 QStringLiteral("2.00 ms"));
    }

    void latencyChartDrawsEachSecondAndBreaksWhereNoneFinished() {
        JobStats stats(kEpoch);
        LatencyChart chart;
        chart.attachJobStats(&stats);
        stats.add({job(1, "a", 0, 500ms), job(2, "a", 0, 3500ms)});
        stats.closeUntil(kEpoch + 10s);
        Sample s;
        s.time = 10;
        chart.addSample(s);
        QCPGraph* p50 = chart.plot()->graph(0);
        // Second 0, a gap (seconds 1 and 2 had no job), second 3.
        QCOMPARE(p50->data()->size(), 3);
        auto it = p50->data()->constBegin();
        QCOMPARE(it->key, 0.5);
        QVERIFY(qAbs(it->value - 3.0) < 0.1);
        ++it;
        QVERIFY(std::isnan(it->value));
        ++it;
        QCOMPARE(it->key, 3.5);
        chart.addSample(s); // nothing new: nothing drawn twice
        QCOMPARE(p50->data()->size(), 3);
    }

    void histogramChartCountsEveryJobByOutcome() {
        JobStats stats(kEpoch);
        LatencyHistogramChart chart;
        chart.attachJobStats(&stats);
        std::vector<JobRecord> batch;
        for (int i = 0; i < 10; ++i)
            batch.push_back(job(poolcore::JobId(i), "a", 0, 1s));
        batch.push_back(job(99, "a", 0, 1s, Outcome::WorkerLost, "lost"));
        stats.add(batch);
        chart.addSample(Sample{});
        double successes = 0;
        for (const auto& [ms, n] : chart.distribution(Outcome::Success)) {
            QVERIFY(ms >= 3.0 && ms <= 3.0 * 1.2);
            successes += n;
        }
        QCOMPARE(successes, 10.0);
        QCOMPARE(chart.distribution(Outcome::WorkerLost).size(), std::size_t(1));
        QVERIFY(chart.distribution(Outcome::Terminated).empty());
    }

    // The context menu narrows the distribution to one task, and the heading says which.
    void histogramChartShowsOneTaskFromItsMenu() {
        JobStats stats(kEpoch);
        LatencyHistogramChart chart;
        chart.attachJobStats(&stats);
        chart.resize(500, 320);
        chart.show();
        QVERIFY(QTest::qWaitForWindowExposed(&chart));
        std::vector<JobRecord> batch;
        for (int i = 0; i < 4; ++i)
            batch.push_back(job(poolcore::JobId(i), "fast", 0, 1s));
        for (int i = 4; i < 7; ++i)
            batch.push_back(job(poolcore::JobId(i), "slow", 0, 1s, Outcome::TaskError, "boom"));
        stats.add(batch);
        chart.addSample(Sample{});
        auto total = [&](Outcome o) {
            double n = 0;
            for (const auto& [ms, count] : chart.distribution(o))
                n += count;
            return n;
        };
        QCOMPARE(total(Outcome::Success), 4.0);
        QCOMPARE(total(Outcome::TaskError), 3.0);

        // Right-click: the Task submenu lists every task name; choose "slow".
        QTimer::singleShot(100, [&] {
            auto* menu = qobject_cast<QMenu*>(QApplication::activePopupWidget());
            QVERIFY(menu);
            QMenu* tasks = nullptr;
            for (QAction* a : menu->actions())
                if (a->menu() && a->text() == QLatin1String("Task"))
                    tasks = a->menu();
            QVERIFY(tasks);
            QStringList names;
            QAction* slow = nullptr;
            for (QAction* a : tasks->actions()) {
                names << a->text();
                if (a->text() == QLatin1String("slow"))
                    slow = a;
            }
            QCOMPARE(names, (QStringList{"All tasks", QString(), "fast", "slow"}));
            slow->trigger();
            menu->close();
        });
        QContextMenuEvent event(QContextMenuEvent::Mouse, QPoint(50, 50),
                                chart.mapToGlobal(QPoint(50, 50)));
        QApplication::sendEvent(&chart, &event);
        QCOMPARE(chart.task(), std::string("slow"));
        auto* heading = qobject_cast<QCPTextElement*>(chart.plot()->plotLayout()->element(0, 0));
        QVERIFY(heading);
        QVERIFY2(heading->text().startsWith(QStringLiteral("Latency Distribution · slow")),
                 qPrintable(heading->text()));
        QCOMPARE(total(Outcome::Success), 0.0);
        QCOMPARE(total(Outcome::TaskError), 3.0);
        chart.setTask({});
        QCOMPARE(total(Outcome::Success), 4.0);
    }
};

QTEST_MAIN(JobViewsTest)
#include "test_job_views.moc"
