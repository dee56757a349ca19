// SPDX-License-Identifier: GPL-3.0-or-later
// The data-source seam: the controller builds its source with the factory it is given, asks it
// which actions it supports, and collects its job records once per tick. A read-only source
// stands in here for the recordings and remote pools that will plug in the same way.

#include "ui/sources/job_records.h"
#include "ui/sources/pool_controller.h"
#include "ui/sources/pool_source.h"

#include <QSignalSpy>
#include <QtTest>

using namespace poolscope;

namespace {

poolcore::JobRecord finished(poolcore::JobId id) {
    poolcore::JobRecord r;
    r.id = id;
    r.pid = 4242;
    r.task = "noop";
    return r;
}

// A source that plays back a running pool and takes no command.
class ReadOnlySource final : public PoolSource {
public:
    Availability availability(PoolAction) const override {
        return Availability::no(QStringLiteral("a recording cannot be controlled"));
    }
    Availability supports(SourceFeature) const override {
        return Availability::no(QStringLiteral("a recording cannot be controlled"));
    }
    void start() override { state_ = poolcore::PoolState::Run; }
    void restart() override {}
    void grow(int) override {}
    int shrink(int) override { return 0; }
    void close() override {}
    void stop() override {}
    void terminate() override {}
    void submit(poolcore::TaskCall, poolcore::JobCallbacks) override {}
    bool terminate_job(pid_t, int) override { return false; }
    bool kill_worker(pid_t, int) override { return false; }
    poolcore::PoolState state() const override { return state_; }
    poolcore::StatsSnapshot stats() const override {
        poolcore::StatsSnapshot s;
        s.state = state_;
        s.target_processes = 2;
        return s;
    }
    poolcore::Info info() const override { return {}; }
    bool runs_on_gui_thread() const override { return true; }
    JobRecordBatch take_job_records() override {
        JobRecordBatch batch;
        batch.records.swap(jobs);
        return batch;
    }
    void shut_down(std::chrono::milliseconds) override { state_ = poolcore::PoolState::Stopped; }

    JobRecords jobs;

private:
    poolcore::PoolState state_ = poolcore::PoolState::Init;
};

// A factory that builds a ReadOnlySource and tells the test which.
PoolSourceFactory readOnly(ReadOnlySource*& made) {
    return [&made](const poolcore::PoolOptions&, QtEventLoop&, poolcore::PoolObserver*,
                   PoolSource::ErrorReporter) {
        auto source = std::make_unique<ReadOnlySource>();
        made = source.get();
        return std::unique_ptr<PoolSource>(std::move(source));
    };
}

} // namespace

class PoolSourcesTest : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void controllerAsksItsSourceWhatItSupports() {
        ReadOnlySource* source = nullptr;
        PoolController controller(readOnly(source));
        // Before there is a source, the pool's state alone answers.
        QVERIFY(controller.availability(PoolAction::Start).available);
        QCOMPARE(controller.availability(PoolAction::Grow).reason,
                 QStringLiteral("the pool is not running"));
        QVERIFY(controller.start(poolcore::PoolOptions{}));
        QVERIFY(source);
        QCOMPARE(controller.state(), poolcore::PoolState::Run);
        for (PoolAction a : {PoolAction::Grow, PoolAction::Shrink, PoolAction::Terminate}) {
            const Availability now = controller.availability(a);
            QVERIFY(!now.available);
            QCOMPARE(now.reason, QStringLiteral("a recording cannot be controlled"));
        }
    }

    void controllerDeliversJobRecordsOneBatchPerTick() {
        ReadOnlySource* source = nullptr;
        PoolController controller(readOnly(source));
        QVERIFY(controller.start(poolcore::PoolOptions{}));
        QSignalSpy arrived(&controller, &PoolController::jobsArrived);
        for (poolcore::JobId id = 1; id <= 3; ++id)
            source->jobs.push_back(finished(id));
        controller.sampleNow();
        QCOMPARE(arrived.count(), 1);
        const auto jobs = arrived.front().front().value<JobRecords>();
        QCOMPARE(jobs.size(), std::size_t(3));
        QCOMPARE(jobs.back().id, poolcore::JobId(3));
        controller.sampleNow(); // nothing finished since: no signal
        QCOMPARE(arrived.count(), 1);
        QCOMPARE(controller.jobRecordsDropped(), std::uint64_t(0));
    }

    // The local sources hand on the pool's own records, for both kinds of pool.
    void localPoolRecordsArriveThroughTheSeam_data() {
        QTest::addColumn<bool>("threads");
        QTest::newRow("event-loop") << false;
        QTest::newRow("blocking") << true;
    }
    void localPoolRecordsArriveThroughTheSeam() {
        QFETCH(bool, threads);
        PoolController controller;
        poolcore::PoolOptions o;
        o.processes = 2;
        o.threads = threads;
        o.start_method = poolcore::StartMethod::Fork;
        o.allow_fork_with_threads = true; // Qt's own threads only wait here
        QVERIFY(controller.start(o));
        QTRY_COMPARE_WITH_TIMEOUT(controller.state(), poolcore::PoolState::Run, 10000);
        JobRecords seen;
        connect(&controller, &PoolController::jobsArrived, this,
                [&](const JobRecords& jobs) { seen.insert(seen.end(), jobs.begin(), jobs.end()); });
        for (int i = 0; i < 20; ++i)
            controller.submit(poolcore::TaskCall{.task = "noop", .argument = std::to_string(i)});
        QTRY_COMPARE_WITH_TIMEOUT(seen.size(), std::size_t(20), 20000);
        for (const JobRecord& r : seen) {
            QCOMPARE(r.task, std::string("noop"));
            QCOMPARE(r.outcome, poolcore::Outcome::Success);
            QVERIFY(r.pid > 0);
            QVERIFY(r.slot == 0 || r.slot == 1);
        }
        controller.shutDown(std::chrono::seconds(5));
    }
};

QTEST_GUILESS_MAIN(PoolSourcesTest)
#include "test_pool_sources.moc"
