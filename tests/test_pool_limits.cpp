// SPDX-License-Identifier: GPL-3.0-or-later
// The behavioural suite, limits: soft and hard time limits, ending one job on request, and
// recycling workers by task count and by private memory.
// Every test runs for each pool variant (see pool_harness.h).
#include "pool_harness.h"
#include "pool_test_tasks.h"

#include <thread>
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

    // The loop is kept from running past the limit while the job finishes in time: its result
    // waits in the channel when the hard-limit timer comes due, and the result wins.
    void aResultWaitingWhenTheLimitComesDueWins_data() { add_variant_rows(); }
    void aResultWaitingWhenTheLimitComesDueWins() {
        HARNESS_VARIANT();
        if (variant.threads)
            QSKIP("BlockingPool's loop runs on its own thread, which a test cannot hold still");
        auto o = options(1);
        o.time_limit = Seconds(0.2);
        PoolUnderTest p(o, variant);
        QVERIFY(p.start());
        const int n = p.submit("sleep=20");
        QVERIFY(p.wait_accepted(n));        // the limit is armed
        std::this_thread::sleep_for(600ms); // the loop does not run; the job ends meanwhile
        QVERIFY(p.wait_results(1, 10s));
        QCOMPARE(p.result(n).outcome, Outcome::Success);
        QVERIFY(p.timeouts(n).empty());
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
        // Refused on the caller's thread by both pools (BlockingPool once checked it on its own
        // thread and put the refusal into a future that TaskPool dropped).
        try {
            p.submit(call);
            QFAIL("soft > hard was accepted");
        } catch (const PoolError& e) {
            QVERIFY(std::string(e.what()).find("less than or equal") != std::string::npos);
        }
    }

    void timesBeyondTheClockAreRefusedAndTheLongestDoNotStrike_data() { add_variant_rows(); }
    void timesBeyondTheClockAreRefusedAndTheLongestDoNotStrike() {
        // At 1e10 s the int64 nanoseconds overflowed: the time limit struck every job at once.
        HARNESS_VARIANT();
        auto beyond = options(1);
        beyond.time_limit = Seconds(1e10);
        QVERIFY_THROWS_EXCEPTION(PoolError, TaskPool{PoolUnderTest::with_variant(beyond, variant)});
        auto o = options(1);
        o.soft_time_limit = o.time_limit = o.proc_alive_timeout = Seconds(1e9); // the longest
        PoolUnderTest p(o, variant);
        QVERIFY(p.start());
        const int longest = p.submit("sleep=50");
        auto call = TaskCall::parse("sleep=50");
        call.time_limit = Seconds(1e10);
        try {
            p.submit(call);
            QFAIL("a per-call time limit beyond the clock was taken");
        } catch (const PoolError& e) {
            QVERIFY2(std::string(e.what()).find("at most 1e+09 s") != std::string::npos, e.what());
        }
        // Task arguments beyond the clock or the byte count are the task's error, naming the
        // range: they "succeeded" at once (sleep) or allocated nothing (alloc, 2^44 MiB).
        const int sleep_beyond = p.submit("sleep=9999999999999");
        const int alloc_beyond = p.submit("alloc=17592186044416");
        QVERIFY(p.wait_results(3));
        QVERIFY2(p.result(longest).ok(), describe(p.result(longest)).c_str());
        QVERIFY(p.timeouts(longest).empty());
        QCOMPARE(p.result(sleep_beyond).outcome, Outcome::TaskError);
        QVERIFY2(p.result(sleep_beyond).value.find("from 0 to 1000000000000") != std::string::npos,
                 p.result(sleep_beyond).value.c_str());
        QCOMPARE(p.result(alloc_beyond).outcome, Outcome::TaskError);
        QVERIFY2(p.result(alloc_beyond).value.find("from 0 to 1048576") != std::string::npos,
                 p.result(alloc_beyond).value.c_str());
    }

    void impossibleCallsAreRefusedAtOnceByBothPools_data() { add_variant_rows(); }
    void impossibleCallsAreRefusedAtOnceByBothPools() {
        // BlockingPool dropped these silently: no exception, no outcome.
        HARNESS_VARIANT();
        auto o = options(1);
        o.max_frame_bytes = 4096;
        PoolUnderTest p(o, variant);
        QVERIFY(p.start());
        auto refusal = [&](TaskCall call) -> std::string {
            try {
                p.submit(std::move(call));
            } catch (const PoolError& e) {
                return e.what();
            }
            return "taken";
        };
        const std::string long_name = refusal(TaskCall{std::string(70'000, 't'), {}, {}, {}, {}});
        QVERIFY2(long_name.find("task name too long") != std::string::npos, long_name.c_str());
        // One limit: the frame less its 26-byte header and the task's name; echo's result, as
        // large as its payload, fits the frame that returns it.
        const std::string most(4096 - 26 - 4, 'x');
        const int largest = p.submit("echo", most);
        const std::string beyond = refusal(TaskCall::parse("echo", most + "x"));
        QVERIFY2(beyond.find("a payload of 4067 bytes exceeds the 4066 a job of 'echo' can carry "
                             "(max_frame_bytes 4096") != std::string::npos,
                 beyond.c_str());
        const int after = p.submit("noop");
        QVERIFY(p.wait_results(2));
        QVERIFY2(p.result(largest).ok(), describe(p.result(largest)).c_str());
        QCOMPARE(p.result(largest).value, most);
        QVERIFY(p.result(after).ok());
        QCOMPARE(p.result_count(), std::size_t(2)); // the refused ones have no outcome
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
