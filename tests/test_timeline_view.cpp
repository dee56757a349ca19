// SPDX-License-Identifier: GPL-3.0-or-later
// The timeline widget under the mouse: wheel zoom pauses following and says so, Follow Live
// resumes, Shift+drag selects a time range, a click on a bar activates its job; and a chart shown
// a wall-clock range from the timeline zooms to it.

#include "gui_test_util.h"
#include "ui/charts/live_charts.h"
#include "ui/timeline/timeline_view.h"

#include <QApplication>
#include <QPushButton>
#include <QSignalSpy>
#include <QToolTip>
#include <QtTest>
#include <chrono>
#include <qcustomplot.h>

using namespace poolscope;
using namespace std::chrono;
using poolcore::JobRecord;

namespace {

QWidget* canvasOf(TimelineView& view) {
    for (QWidget* w : view.findChildren<QWidget*>())
        if (w->accessibleName() == QLatin1String("Job timeline"))
            return w;
    return nullptr;
}

JobRecord job(poolcore::JobId id, int slot, JobRecord::Clock::time_point written,
              milliseconds run) {
    JobRecord r;
    r.id = id;
    r.slot = slot;
    r.pid = 500 + slot;
    r.task = "sleep";
    r.submitted = written - milliseconds(5);
    r.written = written;
    r.accepted = written;
    r.finished = written + run;
    return r;
}

} // namespace

class TimelineViewTest : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase() { test::isolateSettings(); }

    void mouseZoomsPansSelectsAndActivates() {
        TimelineView view;
        view.resize(900, 260);
        view.show();
        QVERIFY(QTest::qWaitForWindowExposed(&view));
        const auto now = JobRecord::Clock::now();
        // Two minutes of history, so that the view can leave the live edge.
        view.addJobs({job(3, 1, now - seconds(120), milliseconds(100)),
                      job(1, 0, now - seconds(3), milliseconds(2500)),
                      job(2, 1, now - seconds(2), milliseconds(500))});
        QCOMPARE(view.store().lanes().size(), std::size_t(2));
        QWidget* canvas = canvasOf(view);
        QVERIFY(canvas);
        QVERIFY(view.isFollowing());
        QVERIFY(!view.followButton()->isEnabled());
        QVERIFY(view.statusText().contains(QLatin1String("following live")));

        // The wheel zooms in around an older time and stops following, and the view says so.
        QSignalSpy following(&view, &TimelineView::followingChanged);
        const QPoint middle(canvas->width() / 3, 10);
        QWheelEvent wheel(middle, canvas->mapToGlobal(middle), QPoint(), QPoint(0, 240),
                          Qt::NoButton, Qt::NoModifier, Qt::NoScrollPhase, false);
        QApplication::sendEvent(canvas, &wheel);
        QVERIFY(!view.isFollowing());
        QVERIFY(view.visibleRange().upper - view.visibleRange().lower < 59);
        QVERIFY(view.statusText().contains(QLatin1String("paused")));
        QVERIFY(view.followButton()->isEnabled());
        QCOMPARE(following.count(), 1);
        QTest::mouseClick(view.followButton(), Qt::LeftButton);
        QVERIFY(view.isFollowing());

        // Shift+drag selects a range: the view shows it and says which.
        QSignalSpy selected(&view, &TimelineView::timeRangeSelected);
        const int y = 10;
        QTest::mousePress(canvas, Qt::LeftButton, Qt::ShiftModifier,
                          QPoint(canvas->width() / 2, y));
        QTest::mouseMove(canvas, QPoint(canvas->width() / 2 + 150, y));
        QTest::mouseRelease(canvas, Qt::LeftButton, Qt::ShiftModifier,
                            QPoint(canvas->width() / 2 + 150, y));
        QCOMPARE(selected.count(), 1);
        const double begin = selected[0][0].toDouble(), end = selected[0][1].toDouble();
        QVERIFY(end > begin);
        QVERIFY(!view.isFollowing());
        QVERIFY(qAbs(view.visibleRange().lower - begin) < 1e-3);
        QVERIFY(qAbs(view.visibleRange().upper - end) < 1e-3);

        // Zoomed into job 1's middle: a click in slot 0's lane activates it.
        const TimelineStore& store = view.store();
        const double j1_written = store.toWall(now - seconds(3));
        view.showRange(j1_written + 0.5, j1_written + 1.5);
        const TimelineFrame frame = view.currentFrame();
        QCOMPARE(frame.mode, TimelineFrame::Mode::Bars);
        QSignalSpy activated(&view, &TimelineView::jobActivated);
        QTest::mouseClick(canvas, Qt::LeftButton, Qt::NoModifier, QPoint(canvas->width() / 2, 8));
        QCOMPARE(activated.count(), 1);
        QCOMPARE(activated[0][0].value<poolcore::JobId>(), poolcore::JobId(1));
        QVERIFY(view.repaintNow() >= 0);
    }

    // A job running now (a hang) is drawn while it runs, and the mouse over it says so.
    void aRunningJobIsShownAndDescribed() {
        TimelineView view;
        view.resize(900, 200);
        view.show();
        QVERIFY(QTest::qWaitForWindowExposed(&view));
        view.addJobs({job(1, 0, JobRecord::Clock::now() - seconds(20), milliseconds(100))});
        poolcore::StatsSnapshot s;
        poolcore::WorkerStats w;
        w.slot = 0;
        w.pid = 500;
        w.current_job = 7;
        w.current_task = "hang";
        w.current_job_accepted = true;
        w.current_job_seconds = 12;
        s.workers = {w};
        view.setRunning(s);
        const TimelineFrame frame = view.currentFrame();
        QCOMPARE(frame.running.size(), std::size_t(1));
        QWidget* canvas = canvasOf(view);
        QVERIFY(canvas);
        const QString out = qEnvironmentVariable("POOLSCOPE_SCREENSHOT_DIR");
        if (!out.isEmpty())
            view.grab().save(out + QStringLiteral("/timeline-running.png"));
        // Zoomed to the job, the middle of its lane is inside it.
        const TimelineRunning run = frame.running.front();
        view.showRange(run.started - 1, run.seen + 1);
        const QPoint over(canvas->width() / 2 + 40, 8);
        QTest::mouseMove(canvas, over);
        QVERIFY(QTest::qWaitFor([] { return QToolTip::isVisible(); }, 2000));
        QVERIFY2(QToolTip::text().contains(QStringLiteral("job 7 hang · running")),
                 qPrintable(QToolTip::text()));
        QVERIFY(QToolTip::text().contains(QLatin1String("running for 12")));
    }

    // Lanes are called what the open source calls them; without a name of its own a lane is
    // "slot N · pid", and a long name widens the label column up to a third of the view.
    void lanesAreNamedByTheSource() {
        TimelineView view;
        view.resize(900, 200);
        view.show();
        QVERIFY(QTest::qWaitForWindowExposed(&view));
        view.addJobs({job(1, 0, JobRecord::Clock::now() - seconds(2), milliseconds(100)),
                      job(2, 1, JobRecord::Clock::now() - seconds(1), milliseconds(100))});
        QCOMPARE(view.laneLabel(0, 500), QStringLiteral("slot 0 · 500"));
        QCOMPARE(view.laneLabel(3, 0), QStringLiteral("slot 3"));
        const QString long_name =
            QStringLiteral("celery@a-rather-long-worker-host.example.org · 501");
        view.setLaneLabeler([&](int slot, qint64) {
            return slot == 1 ? long_name : QString(); // slot 0: the source has no name for it
        });
        QCOMPARE(view.laneLabel(0, 500), QStringLiteral("slot 0 · 500"));
        QCOMPARE(view.laneLabel(1, 501), long_name);
        QWidget* canvas = canvasOf(view);
        QVERIFY(canvas);
        view.repaintNow();
        // Zoomed to job 2, a point just inside the plot is job 2's bar only if the label column
        // ends where the canvas says it does: hover names the lane by the source's name.
        const double written = view.store().toWall(view.store().job(2)->written);
        view.showRange(written - 0.01, written + 0.11);
        view.repaintNow();
        const int lane_height = std::min(22, (canvas->height() - 34) / 2);
        const QPoint over(canvas->width() / 2, lane_height + lane_height / 2);
        QTest::mouseMove(canvas, over);
        QVERIFY(QTest::qWaitFor([] { return QToolTip::isVisible(); }, 2000));
        QVERIFY2(QToolTip::text().contains(long_name), qPrintable(QToolTip::text()));
        const QString out = qEnvironmentVariable("POOLSCOPE_SCREENSHOT_DIR");
        if (!out.isEmpty())
            view.grab().save(out + QStringLiteral("/timeline-lane-names.png"));
    }

    void chartZoomsToAWallClockRange() {
        ProcessCountChart chart;
        chart.resize(400, 300);
        chart.show();
        QVERIFY(QTest::qWaitForWindowExposed(&chart));
        chart.setTimeOrigin(1000.0);
        for (int i = 0; i <= 200; ++i) {
            Sample s;
            s.time = i * 0.05;
            s.alive = s.target = 4;
            chart.addSample(s);
        }
        QVERIFY(chart.isFollowing());
        chart.showWallRange(1002.0, 1004.0);
        QVERIFY(!chart.isFollowing());
        QVERIFY(qAbs(chart.visibleTimeRange().lower - 2.0) < 1e-6);
        QVERIFY(qAbs(chart.visibleTimeRange().upper - 4.0) < 1e-6);

        // The timeline's marks, the newest ChartView::kMaxMarks of them.
        for (int i = 0; i < 250; ++i) {
            TimelineMark mark;
            mark.time = 1000.0 + i * 0.04;
            mark.kind = i % 2 ? MarkKind::WorkerExit : MarkKind::Restart;
            mark.slot = i % 2 ? 1 : -1;
            chart.addMark(mark);
        }
        QCOMPARE(chart.markCount(), ChartView::kMaxMarks);
        QCOMPARE(chart.plot()->itemCount(), int(ChartView::kMaxMarks));
        chart.replotNow();
    }
};

QTEST_MAIN(TimelineViewTest)
#include "test_timeline_view.moc"
