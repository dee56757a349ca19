// SPDX-License-Identifier: GPL-3.0-or-later
// The item models behind the process table and the event log, each under
// QAbstractItemModelTester (which checks every signal and index the model emits against Qt's
// model contract), plus the event queue that feeds the log in batches.

#include "ui/models/event_log_model.h"
#include "ui/models/process_table_model.h"
#include "ui/sources/pool_events.h"

#include <QAbstractItemModelTester>
#include <QSignalSpy>
#include <QSortFilterProxyModel>
#include <QtTest>

using namespace poolscope;
using poolcore::Severity;
using poolcore::WorkerState;

namespace {

poolcore::WorkerStats worker(int slot, pid_t pid, WorkerState state = WorkerState::Idle) {
    poolcore::WorkerStats w;
    w.slot = slot;
    w.pid = pid;
    w.state = state;
    return w;
}

PoolEvent makeEvent(EventKind kind, const QString& text, Severity severity = Severity::Info) {
    PoolEvent e;
    e.time_ms = 1'700'000'000'000;
    e.kind = kind;
    e.severity = severity;
    e.slot = 1;
    e.pid = 4242;
    e.text = text;
    return e;
}

QList<pid_t> pidsOf(const ProcessTableModel& model) {
    QList<pid_t> pids;
    for (int row = 0; row < model.rowCount(); ++row)
        pids << model.worker(row).pid;
    return pids;
}

} // namespace

class GuiModelsTest : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void processTableFollowsSnapshots() {
        ProcessTableModel model;
        QAbstractItemModelTester tester(&model,
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        QCOMPARE(model.columnCount(), int(ProcessTableModel::ColumnCount));

        model.update({worker(0, 100), worker(1, 101), worker(2, 102)});
        QCOMPARE(pidsOf(model), (QList<pid_t>{100, 101, 102}));

        // Worker 101 died and was replaced by 103 in its slot; 102 took a job.
        auto busy = worker(2, 102, WorkerState::Busy);
        busy.current_job = 17;
        busy.current_task = "sleep";
        busy.current_job_accepted = true;
        busy.current_job_seconds = 1.25;
        busy.last_exit = "signal 9 (SIGKILL)";
        model.update({worker(0, 100), worker(1, 103), busy});
        QCOMPARE(pidsOf(model), (QList<pid_t>{100, 103, 102}));
        const int row = model.rowOfPid(102);
        QCOMPARE(model.data(model.index(row, ProcessTableModel::State)).toString(),
                 QStringLiteral("busy"));
        QCOMPARE(model.data(model.index(row, ProcessTableModel::CurrentJob)).toString(),
                 QStringLiteral("#17 sleep"));
        QCOMPARE(model.data(model.index(row, ProcessTableModel::RunningFor)).toString(),
                 QStringLiteral("1.25 s"));
        QCOMPARE(model.data(model.index(row, ProcessTableModel::LastExit)).toString(),
                 QStringLiteral("signal 9 (SIGKILL)"));
        QCOMPARE(model.data(model.index(row, ProcessTableModel::Slot), ProcessTableModel::SortRole)
                     .toInt(),
                 2);
        QCOMPARE(model.rowOfPid(101), -1);

        // A job written but not yet acknowledged is shown as sent, with no running time.
        auto sent = busy;
        sent.current_job = 18;
        sent.current_task = "noop";
        sent.current_job_accepted = false;
        sent.current_job_seconds = 0;
        model.update({worker(0, 100), worker(1, 103), sent});
        QCOMPARE(model.data(model.index(row, ProcessTableModel::CurrentJob)).toString(),
                 QStringLiteral("#18 noop (sent)"));
        QVERIFY(model.data(model.index(row, ProcessTableModel::CurrentJob), Qt::ToolTipRole)
                    .toString()
                    .contains(QStringLiteral("not yet acknowledged")));
        QCOMPARE(model.data(model.index(row, ProcessTableModel::RunningFor)).toString(), QString());
        model.update({worker(0, 100), worker(1, 103), busy});

        // A retiring worker hands its slot on and moves to the end; grow adds a slot.
        model.update({worker(0, 104), worker(1, 103), worker(2, 102), worker(3, 105),
                      worker(-1, 100, WorkerState::Exiting)});
        QCOMPARE(pidsOf(model), (QList<pid_t>{104, 103, 102, 105, 100}));
        QCOMPARE(model.data(model.index(4, ProcessTableModel::Slot)).toString(),
                 QStringLiteral("—"));

        model.update({});
        QCOMPARE(model.rowCount(), 0);
    }

    void unchangedSnapshotSignalsNothing() {
        ProcessTableModel model;
        QAbstractItemModelTester tester(&model,
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        const std::vector<poolcore::WorkerStats> workers{worker(0, 100), worker(1, 101)};
        model.update(workers);
        QSignalSpy changed(&model, &QAbstractItemModel::dataChanged);
        QSignalSpy inserted(&model, &QAbstractItemModel::rowsInserted);
        QSignalSpy removed(&model, &QAbstractItemModel::rowsRemoved);
        model.update(workers);
        QCOMPARE(changed.size(), 0);
        QCOMPARE(inserted.size(), 0);
        QCOMPARE(removed.size(), 0);

        auto more = workers;
        more[1].jobs_done = 5;
        more[1].writes = 6;
        model.update(more);
        QCOMPARE(changed.size(), 1); // one signal for the row, spanning the changed cells
        const auto first = changed[0][0].value<QModelIndex>();
        const auto last = changed[0][1].value<QModelIndex>();
        QCOMPARE(first.row(), 1);
        QCOMPARE(first.column(), int(ProcessTableModel::JobsDone));
        QCOMPARE(last.column(), int(ProcessTableModel::Writes));
    }

    void selectionSurvivesReordering() {
        ProcessTableModel model;
        QAbstractItemModelTester tester(&model,
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.update({worker(0, 100), worker(1, 101), worker(2, 102)});
        const QPersistentModelIndex held = model.index(0, ProcessTableModel::Pid);
        model.update({worker(0, 101), worker(1, 102), worker(-1, 100, WorkerState::Exiting)});
        QVERIFY(held.isValid());
        QCOMPARE(held.data().toLongLong(), 100);
        QCOMPARE(held.row(), 2);
    }

    void processTableSortsByNumbersNotText() {
        ProcessTableModel model;
        QSortFilterProxyModel sorted;
        sorted.setSourceModel(&model);
        sorted.setSortRole(ProcessTableModel::SortRole);
        QAbstractItemModelTester tester(&sorted,
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        auto a = worker(0, 100);
        a.jobs_done = 9;
        auto b = worker(1, 101);
        b.jobs_done = 10;
        auto c = worker(2, 102);
        c.jobs_done = 100;
        model.update({a, b, c});
        sorted.sort(ProcessTableModel::JobsDone, Qt::DescendingOrder);
        QCOMPARE(sorted.index(0, ProcessTableModel::Pid).data().toLongLong(), 102);
        QCOMPARE(sorted.index(2, ProcessTableModel::Pid).data().toLongLong(), 100);
    }

    void eventLogKeepsTheNewestEvents() {
        EventLogModel model(5);
        QAbstractItemModelTester tester(&model,
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        QList<PoolEvent> batch;
        for (int i = 0; i < 3; ++i)
            batch << makeEvent(EventKind::WorkerUp, QStringLiteral("up %1").arg(i));
        model.append(batch);
        QCOMPARE(model.rowCount(), 3);
        batch.clear();
        for (int i = 3; i < 7; ++i)
            batch << makeEvent(EventKind::WorkerExit, QStringLiteral("exit %1").arg(i),
                               Severity::Warning);
        model.append(batch);
        QCOMPARE(model.rowCount(), 5);
        QCOMPARE(model.index(0, EventLogModel::Message).data().toString(), QStringLiteral("up 2"));
        QCOMPARE(model.index(4, EventLogModel::Message).data().toString(),
                 QStringLiteral("exit 6"));
        QCOMPARE(model.index(4, EventLogModel::Pid).data().toLongLong(), 4242);
        QCOMPARE(model.index(4, 0).data(EventLogModel::SeverityRole).toString(),
                 QStringLiteral("warning"));
        QCOMPARE(model.index(4, 0).data(EventLogModel::KindRole).toInt(),
                 int(EventKind::WorkerExit));
        // A batch larger than the log keeps only its own newest events.
        batch.clear();
        for (int i = 0; i < 12; ++i)
            batch << makeEvent(EventKind::Message, QStringLiteral("m %1").arg(i));
        model.append(batch);
        QCOMPARE(model.rowCount(), 5);
        QCOMPARE(model.index(0, EventLogModel::Message).data().toString(), QStringLiteral("m 7"));
        model.append({});
        model.clear();
        QCOMPARE(model.rowCount(), 0);
    }

    void eventLogFiltersByKindAndText() {
        EventLogModel model;
        EventLogFilter filter;
        filter.setSourceModel(&model);
        QAbstractItemModelTester tester(&filter,
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.append({makeEvent(EventKind::WorkerUp, QStringLiteral("worker 1 up")),
                      makeEvent(EventKind::JobLost, QStringLiteral("job 5 lost: signal 9"),
                                Severity::Warning),
                      makeEvent(EventKind::TimeLimit, QStringLiteral("job 6 hit the time limit"),
                                Severity::Warning),
                      makeEvent(EventKind::WorkerUp, QStringLiteral("worker 2 up"))});
        QCOMPARE(filter.rowCount(), 4);
        filter.setKindShown(EventKind::WorkerUp, false);
        QVERIFY(!filter.isKindShown(EventKind::WorkerUp));
        QCOMPARE(filter.rowCount(), 2);
        filter.setSearchText(QStringLiteral("SIGNAL"));
        QCOMPARE(filter.rowCount(), 1);
        QCOMPARE(filter.index(0, EventLogModel::Message).data().toString(),
                 QStringLiteral("job 5 lost: signal 9"));
        filter.setKindShown(EventKind::WorkerUp, true);
        filter.setSearchText(QString());
        QCOMPARE(filter.rowCount(), 4);
    }

    void csvExportQuotesWhatNeedsQuoting() {
        EventLogModel model;
        model.append({makeEvent(EventKind::JobFailed, QStringLiteral("fail: \"bad\", really")),
                      makeEvent(EventKind::WorkerUp, QStringLiteral("plain"))});
        const QStringList lines = eventsToCsv(model).split(u'\n', Qt::SkipEmptyParts);
        QCOMPARE(lines.size(), 3);
        QVERIFY(lines[0].startsWith(QStringLiteral("time,")));
        QVERIFY2(lines[1].endsWith(QStringLiteral("\"fail: \"\"bad\"\", really\"")),
                 qPrintable(lines[1]));
        QVERIFY(lines[2].endsWith(QStringLiteral(",plain")));
    }

    void eventQueueRecordsAndCoalescesJobFloods() {
        PoolEventQueue queue(/*job_events_per_s=*/5);
        queue.on_worker_up(0, 4321);
        poolcore::ExitStatus killed;
        killed.signaled = true;
        killed.code = 9;
        // One row for the exit, with the fault that ended the worker.
        queue.on_worker_exit(0, 4321, killed, poolcore::ExitReason::Died,
                             "protocol error: unknown frame type 0x7f");
        for (int i = 0; i < 50; ++i) {
            poolcore::JobResult r;
            r.id = poolcore::JobId(i + 1);
            r.outcome = poolcore::Outcome::TaskError;
            r.value = "boom";
            queue.on_job_finished(r);
        }
        poolcore::JobResult ok;
        ok.outcome = poolcore::Outcome::Success;
        queue.on_job_finished(ok); // successes are never logged one by one
        const QList<PoolEvent> events = queue.drain();
        QCOMPARE(events.front().kind, EventKind::WorkerUp);
        QCOMPARE(events.front().pid, qint64(4321));
        QCOMPARE(events[1].kind, EventKind::WorkerExit);
        QVERIFY2(events[1].text.contains(QStringLiteral("SIGKILL")), qPrintable(events[1].text));
        QVERIFY2(events[1].text.endsWith(QStringLiteral("(died): protocol error: unknown frame "
                                                        "type 0x7f")),
                 qPrintable(events[1].text));
        for (const PoolEvent& e : events)
            QVERIFY(e.kind != EventKind::Message);
        int failed = 0;
        bool summary = false;
        for (const PoolEvent& e : events) {
            if (e.kind != EventKind::JobFailed)
                continue;
            ++failed;
            summary = summary || e.text.contains(QStringLiteral("45"));
        }
        QCOMPARE(failed, 6); // five individually, then one line counting the other 45
        QVERIFY(summary);
        QVERIFY(queue.drain().isEmpty());

        // A pool message shows as itself, at once.
        const std::string warning = "worker pid 999 did not start within 4 s; killing it";
        queue.on_message(poolcore::Severity::Warning, warning);
        const QList<PoolEvent> shown = queue.drain();
        QCOMPARE(shown.size(), 1);
        QCOMPARE(shown[0].kind, EventKind::Message);
        QCOMPARE(shown[0].text, QString::fromStdString(warning));
    }

    // The outcome is said once, by poolcore's name, even when the pool's text starts with it.
    void eventQueueNamesAnOutcomeOnce() {
        PoolEventQueue queue;
        poolcore::JobResult r;
        r.id = 7;
        r.outcome = poolcore::Outcome::Terminated;
        r.value = "terminated: worker exited with signal SIGTERM";
        queue.on_job_finished(r);
        r.id = 8;
        r.outcome = poolcore::Outcome::SoftTimeLimit;
        r.value = "SoftTimeLimitExceeded(0.1 s)";
        queue.on_job_finished(r);
        const QList<PoolEvent> events = queue.drain();
        QCOMPARE(events.size(), 2);
        QCOMPARE(events[0].text,
                 QStringLiteral("job 7 terminated: worker exited with signal SIGTERM"));
        QCOMPARE(events[1].text,
                 QStringLiteral("job 8 soft-time-limit: SoftTimeLimitExceeded(0.1 s)"));
    }
};

QTEST_MAIN(GuiModelsTest)
#include "test_gui_models.moc"
