// SPDX-License-Identifier: GPL-3.0-or-later
// The behavioural suite, limits: soft and hard time limits, ending one job on request, and
// recycling workers by task count and by private memory.
// Every test runs for each pool variant (see pool_harness.h).
#include "pool_harness.h"
#include "pool_test_tasks.h"

#include <unistd.h>
#include <vector>

using namespace harness;
using namespace poolcore;
using namespace std::chrono_literals;

class TestPoolLimits : public QObject {
    Q_OBJECT

private slots:

    // --- time limits -----------------------------------------------------------------------------

    void hardTimeLimitKillsAndReplaces_data() { add_variant_rows(); }
    void hardTimeLimitKillsAndReplaces() {
        HARNESS_VARIANT();
        auto o = options(1);
        o.time_limit = Seconds(0.3);
        PoolUnderTest p(o, variant);
        QVERIFY(p.start());
        const int n = p.submit("hang=20000");
        QVERIFY(p.wait_accepted(n));
        const pid_t pid = p.accepted_pid(n);
        QVERIFY(p.wait_results(1, 10s));
        QCOMPARE(p.result(n).outcome, Outcome::TimeLimit);
        QVERIFY(p.result(n).value.find("TimeLimitExceeded") != std::string::npos);
        QCOMPARE(p.timeouts(n), (std::vector<std::pair<bool, double>>{{false, 0.3}}));
        QVERIFY(p.wait_alive(1));
        QVERIFY(!p.pids().count(pid));
        QVERIFY(p.wait_for([&] { return process_gone(pid); }, 5s));
        const int after = p.submit("noop");
        QVERIFY(p.wait_results(2));
        QVERIFY(p.result(after).ok());
    }

    void softTimeLimitHonoured_data() { add_variant_rows(); }
    void softTimeLimitHonoured() {
        HARNESS_VARIANT();
        auto o = options(1);
        o.soft_time_limit = Seconds(0.2);
        PoolUnderTest p(o, variant);
        QVERIFY(p.start());
        const auto before = p.pids();
        const int n = p.submit("spin=20000");
        QVERIFY(p.wait_results(1, 10s));
        QCOMPARE(p.result(n).outcome, Outcome::SoftTimeLimit);
        QCOMPARE(p.timeouts(n), (std::vector<std::pair<bool, double>>{{true, 0.2}}));
        QCOMPARE(p.pids(), before); // the worker handled it and lives on
    }

    void softTimeLimitIgnoredThenHard_data() { add_variant_rows(); }
    void softTimeLimitIgnoredThenHard() {
        HARNESS_VARIANT();
        PoolUnderTest p(options(1), variant);
        QVERIFY(p.start());
        auto call = TaskCall::parse("hang=20000");
        call.soft_time_limit = Seconds(0.2); // per-call limits override the pool's
        call.time_limit = Seconds(0.6);
        const int n = p.submit(call);
        QVERIFY(p.wait_results(1, 10s));
        QCOMPARE(p.result(n).outcome, Outcome::TimeLimit);
        QCOMPARE(p.timeouts(n), (std::vector<std::pair<bool, double>>{{true, 0.2}, {false, 0.6}}));
    }

    void softAboveHardIsRefused_data() { add_variant_rows(); }
    void softAboveHardIsRefused() {
        HARNESS_VARIANT();
        auto o = options(1);
        o.soft_time_limit = Seconds(2);
        o.time_limit = Seconds(1);
        QVERIFY_THROWS_EXCEPTION(PoolError, TaskPool{PoolUnderTest::with_variant(o, variant)});
        PoolUnderTest p(options(1), variant);
        QVERIFY(p.start());
        auto call = TaskCall::parse("noop");
        call.soft_time_limit = Seconds(2);
        call.time_limit = Seconds(1);
        try {
            p.submit(call);
            if (variant.threads) {
                // BlockingPool validates on its thread; the refusal reaches the caller as a
                // PoolError through the future, and no outcome callback fires.
                QTest::qWait(200);
                QCOMPARE(p.result_count(), std::size_t(0));
            } else {
                QFAIL("soft > hard was accepted");
            }
        } catch (const PoolError& e) {
            QVERIFY(std::string(e.what()).find("less than or equal") != std::string::npos);
        }
    }

    void terminateJobEndsItAsTerminated_data() { add_variant_rows(); }
    void terminateJobEndsItAsTerminated() {
        HARNESS_VARIANT();
        PoolUnderTest p(options(1), variant);
        QVERIFY(p.start());
        QVERIFY(!p.pool.terminate_job(::getpid(), SIGTERM)); // not a worker
        const int n = p.submit("sleep=10000");
        QVERIFY(p.wait_accepted(n));
        QVERIFY(p.pool.terminate_job(p.accepted_pid(n), SIGTERM));
        QVERIFY(p.wait_results(1));
        QCOMPARE(p.result(n).outcome, Outcome::Terminated);
        QVERIFY(p.result(n).value.find("SIGTERM") != std::string::npos);
        QVERIFY(p.wait_alive(1));
    }

    // --- recycling -------------------------------------------------------------------------------

    void recyclesByTaskCount_data() { add_variant_rows(); }
    void recyclesByTaskCount() {
        HARNESS_VARIANT();
        auto o = options(1);
        o.max_tasks_per_child = 3;
        PoolUnderTest p(o, variant);
        QVERIFY(p.start());
        for (int i = 0; i < 7; ++i)
            p.submit("getpid");
        QVERIFY(p.wait_results(7));
        std::vector<std::string> pids;
        for (int i = 0; i < 7; ++i) {
            QVERIFY(p.result(i).ok());
            pids.push_back(p.result(i).value);
        }
        // A,A,A,B,B,B,C: Celery's recycling pattern, without an error.
        QCOMPARE(pids[0], pids[2]);
        QVERIFY(pids[2] != pids[3]);
        QCOMPARE(pids[3], pids[5]);
        QVERIFY(pids[5] != pids[6]);
        QCOMPARE(p.count(Outcome::WorkerLost), std::size_t(0));
        for (const auto& e : p.recorder.exit_list())
            QCOMPARE(e.reason, ExitReason::Recycled);
    }

    void recyclingEveryTaskLosesNoResult_data() { add_variant_rows(); }
    void recyclingEveryTaskLosesNoResult() {
        HARNESS_VARIANT();
        auto o = options(2);
        o.max_tasks_per_child = 1;
        o.strategy = Strategy::Fcfs;
        PoolUnderTest p(o, variant);
        QVERIFY(p.start());
        for (int i = 0; i < 100; ++i)
            p.submit("noop");
        QVERIFY(p.wait_results(100, 60s));
        QCOMPARE(p.count(Outcome::Success), std::size_t(100));
    }

    void recyclesByPrivateMemoryNotInheritedMemory_data() { add_variant_rows(); }
    void recyclesByPrivateMemoryNotInheritedMemory() {
        HARNESS_VARIANT();
        // A big parent: its 160 MiB are resident in every forked child too, but shared.
        std::vector<char> ballast(160u << 20);
        for (std::size_t i = 0; i < ballast.size(); i += 4096)
            ballast[i] = 1;
        auto o = options(1);
        o.max_memory_per_child_kib = 64 * 1024;
        PoolUnderTest p(o, variant);
        QVERIFY(p.start());
        for (int i = 0; i < 3; ++i)
            p.submit("getpid");
        QVERIFY(p.wait_results(3));
        QCOMPARE(p.result(0).value, p.result(2).value); // not recycled for the parent's memory
        const int grow = p.submit("alloc=100");
        const int after = p.submit("getpid");
        QVERIFY(p.wait_results(5));
        QVERIFY(p.result(grow).ok());
        QVERIFY(p.result(after).ok());
        QVERIFY(p.result(after).value != p.result(0).value); // recycled after the big job
        QVERIFY(p.recorder.said("max_memory_per_child"));
        QCOMPARE(p.count(Outcome::WorkerLost), std::size_t(0));
    }
};

POOLSCOPE_TEST_MAIN(TestPoolLimits, QCoreApplication, register_test_tasks)
#include "test_pool_limits.moc"
