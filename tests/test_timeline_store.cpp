// SPDX-License-Identifier: GPL-3.0-or-later
// The timeline's data without a widget: bars when zoomed in, density (busy fraction per lane,
// column and outcome) when zoomed out, the same frame size at any job rate, bounded memory, and
// which pool events become marks.

#include "ui/timeline/timeline_store.h"

#include <QtTest>
#include <chrono>

using namespace poolscope;
using poolcore::JobRecord;
using poolcore::Outcome;
using namespace std::chrono;

namespace {

// Records relative to a fixed steady time, with the store's wall offset set so that steady
// time `base` is wall-clock second 1000.
struct Fixture {
    JobRecord::Clock::time_point base = JobRecord::Clock::now();
    TimelineStore store;
    explicit Fixture(std::size_t capacity = TimelineStore::kDefaultCapacity) : store(capacity) {
        store.setWallOffset(1000.0 - duration<double>(base.time_since_epoch()).count());
    }
    JobRecord job(poolcore::JobId id, int slot, double written, double finished,
                  Outcome outcome = Outcome::Success, double queued = 0) {
        JobRecord r;
        r.id = id;
        r.slot = slot;
        r.pid = 100 + slot;
        r.task = "noop";
        r.outcome = outcome;
        auto at = [&](double s) {
            return base + duration_cast<JobRecord::Clock::duration>(duration<double>(s));
        };
        r.submitted = at(written - queued);
        r.written = at(written);
        r.accepted = at(written);
        r.finished = at(finished);
        return r;
    }
};

} // namespace

class TimelineStoreTest : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void barsWhenFewJobsAreInView() {
        Fixture f;
        f.store.addJobs({f.job(1, 0, 0.0, 0.5, Outcome::Success, 0.25),
                         f.job(2, 1, 0.2, 0.4, Outcome::TaskError)});
        QCOMPARE(f.store.lanes().size(), std::size_t(2));
        QCOMPARE(f.store.lanes()[1].pid, qint64(101));
        const TimelineFrame frame = f.store.frame(999.0, 1001.0, 800);
        QCOMPARE(frame.mode, TimelineFrame::Mode::Bars);
        QCOMPARE(frame.bars.size(), std::size_t(2));
        // Kept by finish time: job 2 ended first.
        QCOMPARE(frame.bars[0].id, poolcore::JobId(2));
        const TimelineBar& first = frame.bars[1];
        QCOMPARE(first.id, poolcore::JobId(1));
        QCOMPARE(first.lane, 0);
        QVERIFY(qAbs(first.written - 1000.0) < 1e-6);
        QVERIFY(qAbs(first.submitted - 999.75) < 1e-6); // the queue wait is kept apart
        QVERIFY(qAbs(first.finished - 1000.5) < 1e-6);
        QCOMPARE(frame.bars[0].outcome, Outcome::TaskError);
        // A view that holds neither.
        QVERIFY(f.store.frame(1002.0, 1003.0, 800).bars.empty());
    }

    void densityWhenManyJobsAreInView() {
        Fixture f;
        // Slot 0 busy half of every 10 ms for 10 s: 1,000 jobs, as at a high rate.
        std::vector<JobRecord> jobs;
        for (int i = 0; i < 4000; ++i)
            jobs.push_back(f.job(poolcore::JobId(i + 1), 0, i * 0.0025, i * 0.0025 + 0.00125,
                                 i % 4 == 0 ? Outcome::TaskError : Outcome::Success));
        f.store.addJobs(jobs);
        const TimelineFrame frame = f.store.frame(1000.0, 1010.0, 100);
        QCOMPARE(frame.mode, TimelineFrame::Mode::Density);
        QVERIFY(frame.bars.empty());
        QCOMPARE(frame.density.size(), std::size_t(1 * 100 * poolcore::kOutcomeCount));
        for (int c = 0; c < 100; ++c) {
            const float ok = frame.busy(0, c, Outcome::Success);
            const float failed = frame.busy(0, c, Outcome::TaskError);
            QVERIFY2(qAbs(ok - 0.375f) < 0.02f, qPrintable(QString::number(ok)));
            QVERIFY2(qAbs(failed - 0.125f) < 0.02f, qPrintable(QString::number(failed)));
        }
        // Zoomed in to a few jobs: bars again.
        const TimelineFrame zoomed = f.store.frame(1000.0, 1000.009, 100);
        QCOMPARE(zoomed.mode, TimelineFrame::Mode::Bars);
        QCOMPARE(zoomed.bars.size(), std::size_t(4));
    }

    void frameCostDoesNotGrowWithTheRate() {
        // The same two seconds at 10,000 and at 100,000 jobs/s (as 8 lanes) gives frames of one
        // size: a cell per lane and column, whatever the number of jobs.
        std::size_t sizes[2] = {};
        int i = 0;
        for (int per_second : {10000, 100000}) {
            Fixture f(20000);
            std::vector<JobRecord> jobs;
            const int total = per_second * 2; // two seconds of them
            const double each = 8.0 / per_second;
            for (int n = 0; n < total; ++n) {
                const double t = (n / 8) * each;
                jobs.push_back(f.job(poolcore::JobId(n + 1), n % 8, t, t + each * 0.9));
            }
            f.store.addJobs(jobs);
            QVERIFY(f.store.size() <= 20000); // the ring is bounded
            const TimelineFrame frame = f.store.frame(1000.0, 1002.0, 600);
            QCOMPARE(frame.mode, TimelineFrame::Mode::Density);
            sizes[i++] = frame.density.size() + frame.bars.size();
            // Busy nine tenths of the time in every lane, at either rate.
            QVERIFY(qAbs(frame.busy(3, 300, Outcome::Success) - 0.9f) < 0.05f);
        }
        QCOMPARE(sizes[0], sizes[1]);
        QCOMPARE(sizes[0], std::size_t(8 * 600 * poolcore::kOutcomeCount));
    }

    void memoryIsBounded() {
        Fixture f(1000);
        std::vector<JobRecord> jobs;
        for (int n = 0; n < 5000; ++n)
            jobs.push_back(f.job(poolcore::JobId(n + 1), 0, n * 0.01, n * 0.01 + 0.005));
        f.store.addJobs(jobs);
        QCOMPARE(f.store.size(), std::size_t(1000));
        QCOMPARE(f.store.dropped(), std::uint64_t(4000));
        QVERIFY(f.store.job(5000));
        QVERIFY(!f.store.job(1)); // dropped from the ring...
        // ...but still counted in the density summary, which never drops a job.
        const TimelineFrame frame = f.store.frame(1000.0, 1050.0, 50);
        QCOMPARE(frame.mode, TimelineFrame::Mode::Bars); // 1,000 jobs in the ring, few in view
        const auto& lane = f.store.lanes()[0];
        QVERIFY(lane.fine.size() <= lane.fine.capacity());
        QVERIFY(lane.coarse.size() <= lane.coarse.capacity());
        const auto busy = lane.coarse.busy(1000.0, 1001.0);
        QVERIFY(qAbs(busy[0] - 0.5f) < 0.01f);
    }

    void bucketsKeepTheirCapacityAcrossGaps() {
        BusyBuckets b(1.0, 10);
        b.add(0.0, 0.5, Outcome::Success);
        b.add(1000.0, 1000.5, Outcome::Success); // far later: the ring starts over
        QVERIFY(b.size() <= 10);
        QVERIFY(qAbs(b.busy(1000.0, 1001.0)[0] - 0.5f) < 1e-6f);
        QCOMPARE(b.busy(0.0, 1.0)[0], 0.0f);
        b.add(995.0, 996.0, Outcome::WorkerLost); // older than the newest, inside the ring
        QVERIFY(qAbs(b.busy(995.0, 996.0)[std::size_t(Outcome::WorkerLost)] - 1.0f) < 1e-6f);
    }

    // A job running now is in every frame that covers it, in both modes, from the worker's ack
    // to the latest sample; a job written and not yet acknowledged is not running; the job's
    // record replaces it.
    void runningJobsAreShownUntilTheirRecordArrives() {
        Fixture f;
        poolcore::StatsSnapshot s;
        poolcore::WorkerStats hung;
        hung.slot = 3;
        hung.pid = 303;
        hung.current_job = 42;
        hung.current_task = "hang";
        hung.current_job_accepted = true;
        hung.current_job_seconds = 7.5;
        poolcore::WorkerStats written = hung;
        written.slot = 1;
        written.current_job = 43;
        written.current_job_accepted = false;
        s.workers = {hung, written};
        f.store.setRunning(s, 1010.0);
        QCOMPARE(f.store.running().size(), std::size_t(1));
        const TimelineFrame bars = f.store.frame(1000.0, 1011.0, 800);
        QCOMPARE(bars.running.size(), std::size_t(1));
        const TimelineRunning& run = bars.running.front();
        QCOMPARE(run.id, poolcore::JobId(42));
        QCOMPARE(run.started, 1002.5);
        QCOMPARE(run.seen, 1010.0);
        QCOMPARE(run.task, QStringLiteral("hang"));
        QCOMPARE(f.store.lanes()[std::size_t(run.lane)].slot, 3);
        QVERIFY(f.store.latest() >= 1010.0);
        QVERIFY(f.store.frame(990.0, 1001.0, 800).running.empty()); // before it started

        // Zoomed out over many jobs (density): still drawn.
        std::vector<JobRecord> many;
        for (int i = 0; i < int(TimelineStore::kMaxBars) + 10; ++i)
            many.push_back(f.job(poolcore::JobId(1000 + i), 0, i * 0.001, i * 0.001 + 0.0005));
        f.store.addJobs(many);
        const TimelineFrame density = f.store.frame(999.0, 1011.0, 400);
        QCOMPARE(density.mode, TimelineFrame::Mode::Density);
        QCOMPARE(density.running.size(), std::size_t(1));
        QCOMPARE(density.running.front().lane, f.store.laneOfSlot(3)); // lanes were added

        f.store.addJobs({f.job(42, 3, 2.5, 11.0, Outcome::TimeLimit)});
        QVERIFY(f.store.running().empty());
        f.store.setRunning(s, 1012.0); // a sample taken before the record came
        f.store.setRunning(poolcore::StatsSnapshot{}, 1012.5);
        QVERIFY(f.store.running().empty());
    }

    void outOfOrderRecordsAreSorted() {
        Fixture f;
        f.store.addJobs({f.job(2, 0, 0.3, 0.4), f.job(1, 0, 0.1, 0.2), f.job(3, 0, 0.5, 0.6)});
        const TimelineFrame frame = f.store.frame(1000.0, 1001.0, 100);
        QCOMPARE(frame.bars.size(), std::size_t(3));
        QCOMPARE(frame.bars[0].id, poolcore::JobId(1));
        QCOMPARE(frame.bars[2].id, poolcore::JobId(3));
    }

    void eventsBecomeMarks() {
        auto event = [](EventKind kind, int slot, qint64 pid, const char* text) {
            PoolEvent e;
            e.time_ms = 1000500;
            e.kind = kind;
            e.slot = slot;
            e.pid = pid;
            e.text = QString::fromLatin1(text);
            return e;
        };
        const struct {
            PoolEvent event;
            std::optional<MarkKind> mark;
        } cases[] = {
            {event(EventKind::WorkerUp, 2, 42, "worker pid 42 is up in slot 2"),
             MarkKind::WorkerUp},
            {event(EventKind::WorkerExit, 2, 42, "worker pid 42 (slot 2) exited with signal 9"),
             MarkKind::WorkerExit},
            {event(EventKind::TimeLimit, 2, 42, "worker pid 42 (slot 2) exited (time-limit)"),
             MarkKind::HardKill},
            {event(EventKind::TimeLimit, -1, 42, "job 7 soft time limit signalled"),
             MarkKind::SoftLimit},
            {event(EventKind::Recycling, 2, 42, "worker pid 42 (slot 2) exited (recycled)"),
             MarkKind::Recycle},
            {event(EventKind::Restart, -1, 0, "restart: replacing every worker"),
             MarkKind::Restart},
            {event(EventKind::Control, -1, 0, "Grow: one more worker"), MarkKind::Resize},
            {event(EventKind::Message, -1, 0, "forkserver died; starting a new one"),
             MarkKind::Forkserver},
            {event(EventKind::JobFailed, -1, 42, "job 9 task-error: boom"), std::nullopt},
            {event(EventKind::StateChange, -1, 0, "pool state is now RUN"), std::nullopt},
        };
        for (const auto& c : cases) {
            const auto m = markForEvent(c.event);
            QCOMPARE(m.has_value(), c.mark.has_value());
            if (m) {
                QCOMPARE(int(m->kind), int(*c.mark));
                QCOMPARE(m->time, 1000.5);
                QCOMPARE(m->slot, c.event.slot);
            }
        }
        // A job's soft limit names only the worker: the store finds its lane from the pid.
        TimelineStore store;
        store.addEvents({cases[0].event, cases[3].event});
        QCOMPARE(store.marks().size(), std::size_t(2));
        QCOMPARE(store.marks().back().slot, 2);
        QCOMPARE(store.lanes().size(), std::size_t(1));
        QCOMPARE(store.lanes()[0].pid, qint64(42));
        QCOMPARE(store.frame(1000.0, 1001.0, 10).marks.size(), std::size_t(2));
    }
};

QTEST_APPLESS_MAIN(TimelineStoreTest)
#include "test_timeline_store.moc"
