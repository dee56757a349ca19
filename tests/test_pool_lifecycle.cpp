// SPDX-License-Identifier: GPL-3.0-or-later
// The behavioural suite, lifecycle: a pool starts, answers, reports itself, restarts, grows and
// shrinks, closes, stops and terminates, moves between event loops, and counts what it did.
// Every test runs for each pool variant (see pool_harness.h).
#include "pool_harness.h"
#include "pool_test_tasks.h"
#include "poolcore/blocking_pool.h"
#include "poolcore/poll_loop.h"
#include "poolcore/pool.h"

#include <atomic>
#include <future>
#include <nlohmann/json.hpp>
#include <thread>
#include <vector>

using namespace harness;
using namespace poolcore;
using namespace std::chrono_literals;

class TestPoolLifecycle : public QObject {
    Q_OBJECT

private slots:

    // --- start, info, the TaskPool facade --------------------------------------------------------

    void startsEveryWorkerAndReportsOk_data() { add_variant_rows(); }
    void startsEveryWorkerAndReportsOk() {
        HARNESS_VARIANT();
        PoolUnderTest p(options(3), variant);
        QCOMPARE(p.pool.state(), PoolState::Init);
        QCOMPARE(p.pool.num_processes(), 3);
        QVERIFY(p.start());
        QCOMPARE(p.pool.state(), PoolState::Run);
        QCOMPARE(p.pids().size(), std::size_t(3));
        QCOMPARE(p.pool.stats().alive_processes, 3);
        QVERIFY(TaskPool::uses_semaphore);
    }

    void infoHasCelerysKeysAndValues_data() { add_variant_rows(); }
    void infoHasCelerysKeysAndValues() {
        HARNESS_VARIANT();
        auto o = options(2);
        o.soft_time_limit = Seconds(5);
        o.time_limit = Seconds(10);
        PoolUnderTest p(o, variant);
        QVERIFY(p.start());
        for (int i = 0; i < 10; ++i)
            p.submit("noop");
        QVERIFY(p.wait_results(10));
        const nlohmann::json j = p.pool.info();
        QCOMPARE(j["max-concurrency"].get<int>(), 2);
        QCOMPARE(j["processes"].size(), std::size_t(2));
        QCOMPARE(j["max-tasks-per-child"].get<std::string>(), std::string("N/A"));
        QVERIFY(j["timeouts"] == nlohmann::json::array({5.0, 10.0}));
        QCOMPARE(j["put-guarded-by-semaphore"].get<bool>(), variant.threads);
        QCOMPARE(j["writes"]["total"].get<int>(), 10);
        QCOMPARE(j["writes"]["strategy"].get<std::string>(), std::string("fair"));
        QCOMPARE(j["writes"]["inqueues"]["total"].get<int>(), 2);
        std::uint64_t sum = 0;
        for (const auto& [slot, n] : p.pool.write_stats())
            sum += n;
        QCOMPARE(sum, std::uint64_t(10));
    }

    void echoReturnsThePayload_data() { add_variant_rows(); }
    void echoReturnsThePayload() {
        HARNESS_VARIANT();
        PoolUnderTest p(options(2), variant);
        QVERIFY(p.start());
        const std::string big(3 << 20, 'z'); // larger than any socket buffer: resumes on EAGAIN
        const int small = p.submit("echo", "hello");
        const int large = p.submit("echo", big);
        QVERIFY(p.wait_results(2));
        QCOMPARE(p.result(small).value, std::string("hello"));
        QVERIFY(p.result(large).ok());
        QCOMPARE(p.result(large).value.size(), big.size());
        QVERIFY(p.result(large).value == big);
    }

    void unknownTaskFailsOnlyThatJob_data() { add_variant_rows(); }
    void unknownTaskFailsOnlyThatJob() {
        HARNESS_VARIANT();
        PoolUnderTest p(options(1), variant);
        QVERIFY(p.start());
        const auto before = p.pids();
        const int bad = p.submit("no_such_task");
        const int good = p.submit("noop");
        QVERIFY(p.wait_results(2));
        QCOMPARE(p.result(bad).outcome, Outcome::TaskError);
        QCOMPARE(p.result(bad).value, std::string("unknown task 'no_such_task'"));
        QVERIFY(p.result(good).ok());
        QCOMPARE(p.pids(), before); // the worker survived
    }

    void taskErrorCarriesTheMessage_data() { add_variant_rows(); }
    void taskErrorCarriesTheMessage() {
        HARNESS_VARIANT();
        PoolUnderTest p(options(1), variant);
        QVERIFY(p.start());
        const int n = p.submit("fail=disk is full");
        QVERIFY(p.wait_results(1));
        QCOMPARE(p.result(n).outcome, Outcome::TaskError);
        QCOMPARE(p.result(n).value, std::string("disk is full"));
    }

    void throwingCallbacksDoNotBreakTheResultPath_data() { add_variant_rows(); }
    void throwingCallbacksDoNotBreakTheResultPath() {
        HARNESS_VARIANT();
        PoolUnderTest p(options(1), variant);
        QVERIFY(p.start());
        std::atomic<int> done{0};
        JobCallbacks cb;
        cb.on_accepted = [](JobId, pid_t) { throw std::runtime_error("accept callback broke"); };
        cb.on_success = [&](const JobResult&) {
            ++done;
            throw std::runtime_error("success callback broke");
        };
        p.pool.apply_async(TaskCall::parse("noop"), cb);
        p.pool.apply_async(TaskCall::parse("noop"), cb);
        QVERIFY(p.wait_for([&] { return done == 2; }));
        QVERIFY(p.recorder.said("accept callback of job"));
        QVERIFY(p.recorder.said("result callback of job"));
        QCOMPARE(p.pool.state(), PoolState::Run);
    }

    // --- lifecycle -------------------------------------------------------------------------------

    void restartReplacesEveryWorker_data() { add_variant_rows(); }
    void restartReplacesEveryWorker() {
        HARNESS_VARIANT();
        PoolUnderTest p(options(3), variant);
        QVERIFY(p.start());
        const auto before = p.pids();
        const int busy = p.submit("sleep=400");
        QVERIFY(p.wait_accepted(busy));
        p.pool.restart();
        QVERIFY(p.wait_for([&] {
            const auto s = p.pool.stats();
            return !s.restart_in_progress && s.count(Outcome::Success) >= 2;
        }));
        QVERIFY(p.result(busy).ok()); // the busy worker finished its job first
        const auto after = p.pids();
        QCOMPARE(after.size(), std::size_t(3));
        for (pid_t pid : after)
            QVERIFY(!before.count(pid));
        QVERIFY(p.recorder.said("restart complete"));
        for (pid_t pid : before)
            QVERIFY(p.wait_for([&] { return process_gone(pid); }, 5s));
    }

    void growAndShrinkActAtOnce_data() { add_variant_rows(); }
    void growAndShrinkActAtOnce() {
        HARNESS_VARIANT();
        PoolUnderTest p(options(2), variant);
        QVERIFY(p.start());
        p.pool.grow(2);
        QCOMPARE(p.pool.num_processes(), 4);
        QCOMPARE(p.pool.stats().alive_processes, 4); // forked in the call, not at a next tick
        QVERIFY(p.wait_alive(4));
        QCOMPARE(p.pool.shrink(3), 3);
        QCOMPARE(p.pool.num_processes(), 1);
        QVERIFY(p.wait_alive(1));
        QVERIFY_THROWS_EXCEPTION(PoolError, p.pool.shrink(1)); // never below one
        const int n = p.submit("noop");
        QVERIFY(p.wait_results(1));
        QVERIFY(p.result(n).ok());
    }

    void shrinkRefusesWhenAllAreBusy_data() { add_variant_rows(); }
    void shrinkRefusesWhenAllAreBusy() {
        HARNESS_VARIANT();
        PoolUnderTest p(options(2), variant);
        QVERIFY(p.start());
        const int a = p.submit("sleep=600");
        const int b = p.submit("sleep=600");
        QVERIFY(p.wait_accepted(a));
        QVERIFY(p.wait_accepted(b));
        try {
            p.pool.shrink(1);
            QFAIL("shrink retired a busy worker");
        } catch (const PoolError& e) {
            QVERIFY(std::string(e.what()).find("busy") != std::string::npos);
        }
        QCOMPARE(p.pool.num_processes(), 2);
        QVERIFY(p.wait_results(2));
        QVERIFY(p.result(a).ok() && p.result(b).ok());
        QVERIFY(p.wait_alive(2));
        QCOMPARE(p.pool.shrink(1), 1);
    }

    void closeRefusesNewJobsButFinishesQueuedOnes_data() { add_variant_rows(); }
    void closeRefusesNewJobsButFinishesQueuedOnes() {
        HARNESS_VARIANT();
        PoolUnderTest p(options(1), variant);
        QVERIFY(p.start());
        for (int i = 0; i < 3; ++i)
            p.submit("sleep=50");
        p.pool.on_close();
        QCOMPARE(p.pool.state(), PoolState::Close);
        try {
            p.submit("noop");
            QFAIL("a closed pool accepted a job");
        } catch (const PoolError& e) {
            QVERIFY(std::string(e.what()).find("closed") != std::string::npos);
        }
        QVERIFY(p.wait_results(3));
        QCOMPARE(p.count(Outcome::Success), std::size_t(3));
        p.pool.on_close(); // only from RUN: a second call changes nothing
        QCOMPARE(p.pool.state(), PoolState::Close);
        p.pool.on_stop();
        QCOMPARE(p.pool.state(), PoolState::Stopped);
    }

    void stopDrainsEverything_data() { add_variant_rows(); }
    void stopDrainsEverything() {
        HARNESS_VARIANT();
        PoolUnderTest p(options(2), variant);
        QVERIFY(p.start());
        const auto pids = p.pids();
        for (int i = 0; i < 10; ++i)
            p.submit("sleep=30");
        p.pool.on_stop();
        QCOMPARE(p.pool.state(), PoolState::Stopped);
        QCOMPARE(p.result_count(), std::size_t(10));
        QCOMPARE(p.count(Outcome::Success), std::size_t(10));
        QCOMPARE(p.pool.stats().alive_processes, 0);
        for (pid_t pid : pids)
            QVERIFY(process_gone(pid));
        p.pool.on_stop(); // twice is harmless
        QCOMPARE(p.pool.state(), PoolState::Stopped);
        p.pool.on_start(); // and the pool can start again
        QVERIFY(p.wait_for([&] { return p.pool.did_start_ok(); }));
        const int n = p.submit("noop");
        QVERIFY(p.wait_results(11));
        QVERIFY(p.result(n).ok());
    }

    void terminateFailsEverythingInFlight_data() { add_variant_rows(); }
    void terminateFailsEverythingInFlight() {
        HARNESS_VARIANT();
        auto o = options(2);
        o.putlocks = false; // let jobs queue behind the running ones instead of blocking here
        PoolUnderTest p(o, variant);
        QVERIFY(p.start());
        const auto pids = p.pids();
        for (int i = 0; i < 7; ++i)
            p.submit("sleep=10000");
        QVERIFY(p.wait_accepted(0) && p.wait_accepted(1));
        p.pool.on_terminate();
        QCOMPARE(p.pool.state(), PoolState::Stopped);
        QVERIFY(p.wait_results(7, 5s));
        QCOMPARE(p.count(Outcome::Terminated), std::size_t(7));
        QCOMPARE(p.duplicate_outcomes(), 0);
        for (pid_t pid : pids)
            QVERIFY(process_gone(pid));
        p.pool.on_terminate(); // twice is harmless
    }

    // --- event loops, stats, futures -------------------------------------------------------------

    void theEventLoopPoolCanMoveLoops() {
        // Celery's order: on_start first, register_with_event_loop after. The loop outlives the
        // pool: the pool's destructor joins it by running its loop (ASan: stack-use-after-scope
        // when `other` was declared after the pool).
        PollLoop other;
        PoolUnderTest p(options(2), pool_variants()[0]);
        QVERIFY(p.start());
        QVERIFY(p.pool.register_with_event_loop(other));
        std::atomic<bool> done{false};
        JobCallbacks cb;
        cb.on_success = [&](const JobResult&) { done = true; };
        p.pool.apply_async(TaskCall::parse("noop"), cb);
        QVERIFY(other.run_until([&] { return done.load(); }, 10s));
    }

    void registeringTwiceRegistersOnce() {
        PollLoop loop;
        Pool pool(options(2));
        pool.register_with_event_loop(loop);
        pool.register_with_event_loop(loop);
        pool.start();
        QCOMPARE(loop.registered_fd_count(), std::size_t(4)); // a channel and an exit fd each
        pool.terminate();
        QVERIFY(pool.join(5s));
        QCOMPARE(loop.registered_fd_count(), std::size_t(0)); // nothing stale left behind
    }

    void terminateWithTenThousandQueuedFailsThemAll_data() { add_variant_rows(); }
    void terminateWithTenThousandQueuedFailsThemAll() {
        HARNESS_VARIANT();
        auto o = options(2);
        o.putlocks = false;
        PoolUnderTest p(o, variant);
        QVERIFY(p.start());
        for (int i = 0; i < 10000; ++i)
            p.submit("sleep=1000");
        p.pool.on_terminate();
        QCOMPARE(p.pool.state(), PoolState::Stopped);
        QVERIFY(p.wait_results(10000, 20s));
        QCOMPARE(p.count(Outcome::Terminated), std::size_t(10000));
    }

    void theReadyCounterCountsPerWorker_data() { add_variant_rows(); }
    void theReadyCounterCountsPerWorker() {
        HARNESS_VARIANT();
        PoolUnderTest p(options(1), variant);
        QVERIFY(p.start());
        p.submit("noop");
        QVERIFY(p.wait_results(1));
        const auto s = p.pool.stats();
        QCOMPARE(s.workers.size(), std::size_t(1));
        QCOMPARE(s.workers[0].jobs_done, std::uint64_t(1));
        QCOMPARE(s.workers[0].writes, std::uint64_t(1));
        QCOMPARE(s.workers[0].state, WorkerState::Idle);
        QVERIFY(s.workers[0].rss_kib > 0);
    }

    void statsShowTheJobEachWorkerHolds_data() { add_variant_rows(); }
    void statsShowTheJobEachWorkerHolds() {
        HARNESS_VARIANT();
        PoolUnderTest p(options(1), variant);
        QVERIFY(p.start());
        const pid_t pid = p.pool.stats().workers.at(0).pid;
        auto only_worker = [&] { return p.pool.stats().workers.at(0); };

        // A stopped worker cannot acknowledge: the job is shown as sent, with no running time.
        QVERIFY(::kill(pid, SIGSTOP) == 0);
        const int job = p.submit("sleep=1000");
        QVERIFY(p.wait_for([&] { return only_worker().current_job != 0; }));
        auto w = only_worker();
        QCOMPARE(w.current_task, std::string("sleep"));
        QVERIFY(!w.current_job_accepted);
        QCOMPARE(w.current_job_seconds, 0.0);
        QCOMPARE(w.state, WorkerState::Busy);

        QVERIFY(::kill(pid, SIGCONT) == 0);
        QVERIFY(p.wait_accepted(job));
        std::this_thread::sleep_for(100ms); // the running time is read from the clock, not the loop
        w = only_worker();
        QVERIFY(w.current_job_accepted);
        QVERIFY(w.current_job_seconds >= 0.09);
        QCOMPARE(w.current_task, std::string("sleep"));

        QVERIFY(p.wait_results(1));
        QCOMPARE(p.result(job).outcome, Outcome::Success);
        QCOMPARE(only_worker().current_job, poolcore::JobId(0));
    }

    void theBlockingPoolHandsBackFutures() {
        auto o = options(2);
        BlockingPool pool(o);
        pool.start();
        QVERIFY(pool.did_start_ok());
        auto f = pool.apply_async(TaskCall::parse("echo", "from a future"));
        QVERIFY(f.wait_for(10s) == std::future_status::ready);
        const JobResult r = f.get();
        QVERIFY(r.ok());
        QCOMPARE(r.value, std::string("from a future"));
        // Many threads at once.
        std::vector<std::thread> threads;
        std::atomic<int> ok{0};
        for (int t = 0; t < 4; ++t)
            threads.emplace_back([&] {
                for (int i = 0; i < 50; ++i)
                    ok += pool.apply_async(TaskCall::parse("noop")).get().ok();
            });
        for (auto& t : threads)
            t.join();
        QCOMPARE(ok.load(), 200);
        QVERIFY(pool.stop());
        QVERIFY_THROWS_EXCEPTION(PoolError, pool.apply_async(TaskCall::parse("noop")));
    }
};

POOLSCOPE_TEST_MAIN(TestPoolLifecycle, QCoreApplication, register_test_tasks)
#include "test_pool_lifecycle.moc"
