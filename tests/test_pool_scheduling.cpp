// SPDX-License-Identifier: GPL-3.0-or-later
// The behavioural suite, scheduling: which worker a job is written to, under the fair and the
// fcfs strategy. Every test runs for each pool variant (see pool_harness.h).
#include "pool_harness.h"
#include "pool_test_tasks.h"

using namespace harness;
using namespace poolcore;
using namespace std::chrono_literals;

class TestPoolScheduling : public QObject {
    Q_OBJECT

private slots:
    void fairNeverWritesToABusyWorker_data() { add_variant_rows(); }
    void fairNeverWritesToABusyWorker() {
        HARNESS_VARIANT();
        PoolUnderTest p(options(2), variant);
        QVERIFY(p.start());
        const int longer = p.submit("sleep=1500");
        QVERIFY(p.wait_accepted(longer));
        for (int i = 0; i < 4; ++i)
            p.submit("sleep=20");
        QVERIFY(p.wait_for([&] { return p.result_count() >= 4; }));
        QVERIFY(!p.has_result(longer)); // all four short jobs overtook it
        for (int i = 1; i <= 4; ++i)
            QVERIFY(p.accepted_pid(i) != p.accepted_pid(longer));
        QVERIFY(p.wait_results(5));
    }

    void fcfsPrefetchesBehindABusyWorker_data() { add_variant_rows(); }
    void fcfsPrefetchesBehindABusyWorker() {
        HARNESS_VARIANT();
        auto o = options(2);
        o.strategy = Strategy::Fcfs;
        o.prefetch = 4;
        PoolUnderTest p(o, variant);
        QVERIFY(p.start());
        const int longer = p.submit("sleep=800");
        QVERIFY(p.wait_accepted(longer));
        for (int i = 0; i < 6; ++i)
            p.submit("sleep=20");
        QVERIFY(p.wait_results(7));
        int behind = 0;
        for (int i = 1; i <= 6; ++i)
            behind += p.accepted_pid(i) == p.accepted_pid(longer);
        QVERIFY(behind >= 1); // some waited in the busy worker's queue: that is fcfs
        QCOMPARE(p.pool.info().writes.strategy, std::string("fcfs"));
    }
};

POOLSCOPE_TEST_MAIN(TestPoolScheduling, QCoreApplication, register_test_tasks)
#include "test_pool_scheduling.moc"
