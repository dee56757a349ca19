// SPDX-License-Identifier: GPL-3.0-or-later
// The bounded-window load driver against a stand-in pool that holds each job until the test
// ends it: the window, the total, the budget, the first refusal and the threading contract.
#include "poolcore/load_driver.h"
#include "poolcore/options.h"

#include <QTest>
#include <algorithm>
#include <atomic>
#include <deque>
#include <mutex>
#include <set>
#include <thread>

using namespace poolcore;

namespace {

// Keeps every submitted job's callbacks until finish_one() ends the oldest.
class StandInPool {
public:
    void submit(TaskCall call, JobCallbacks callbacks) {
        std::lock_guard lock(mutex_);
        if (refuse_from_ >= 0 && accepted_ >= refuse_from_)
            throw PoolError(kPoolClosedRefusal);
        ++accepted_;
        calls_.insert(call.argument);
        pending_.push_back(std::move(callbacks));
        most_pending_ = std::max(most_pending_, pending_.size());
    }
    LoadDriver::Submit submitter() {
        return [this](TaskCall c, JobCallbacks cb) { submit(std::move(c), std::move(cb)); };
    }
    // Ends the oldest pending job; false when none is pending.
    bool finish_one(bool ok = true) {
        JobCallbacks callbacks;
        {
            std::lock_guard lock(mutex_);
            if (pending_.empty())
                return false;
            callbacks = std::move(pending_.front());
            pending_.pop_front();
        }
        JobResult r;
        r.outcome = ok ? Outcome::Success : Outcome::TaskError;
        (ok ? callbacks.on_success : callbacks.on_error)(r);
        return true;
    }
    void refuse_from(long long n) {
        std::lock_guard lock(mutex_);
        refuse_from_ = n;
    }
    std::size_t pending() const {
        std::lock_guard lock(mutex_);
        return pending_.size();
    }
    std::size_t most_pending() const {
        std::lock_guard lock(mutex_);
        return most_pending_;
    }
    long long accepted() const {
        std::lock_guard lock(mutex_);
        return accepted_;
    }
    std::size_t distinct_calls() const {
        std::lock_guard lock(mutex_);
        return calls_.size();
    }

private:
    mutable std::mutex mutex_;
    std::deque<JobCallbacks> pending_;
    std::set<std::string> calls_;
    std::size_t most_pending_ = 0;
    long long accepted_ = 0;
    long long refuse_from_ = -1;
};

TaskCall numbered(long long i) {
    return TaskCall{"noop", std::to_string(i), {}, {}, {}};
}

LoadDriver::Settings burst(long long window, long long total) {
    LoadDriver::Settings s;
    s.window = window;
    s.total = total;
    return s;
}

} // namespace

class TestLoadDriver : public QObject {
    Q_OBJECT

private Q_SLOTS:
    // The mixed load headless --task lists and the window's Mix share: turn by turn, each job
    // with the payload.
    void roundRobinCallsTakeTurnsWithThePayload() {
        const auto make = round_robin_calls(
            {TaskCall::parse("noop"), TaskCall::parse("sleep=5"), TaskCall::parse("echo")}, "xy");
        const std::vector<std::string> expected{"noop", "sleep", "echo", "noop", "sleep"};
        for (long long i = 0; i < 5; ++i) {
            const TaskCall call = make(i);
            QCOMPARE(call.task, expected[std::size_t(i)]);
            QCOMPARE(call.argument, std::string(call.task == "sleep" ? "5" : ""));
            QCOMPARE(call.payload, std::string("xy"));
        }
        QCOMPARE(make(3'000'000'002LL).task, std::string("echo")); // beyond an int
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, round_robin_calls({}, ""));
    }

    void aBurstKeepsTheWindowFullUntilTheTotal() {
        StandInPool pool;
        LoadDriver driver(pool.submitter(), numbered, burst(8, 100));
        driver.refill();
        QCOMPARE(driver.submitted(), 8LL);
        QCOMPARE(driver.outstanding(), 8LL);
        for (int i = 0; pool.finish_one(i % 10 != 0); ++i)
            QVERIFY(pool.pending() <= 8);
        QVERIFY(driver.complete());
        QCOMPARE(driver.submitted(), 100LL);
        QCOMPARE(driver.completed(), 100LL);
        QCOMPARE(driver.failed(), 10LL);
        QCOMPARE(driver.succeeded(), 90LL);
        QCOMPARE(pool.most_pending(), std::size_t(8));
        QCOMPARE(pool.distinct_calls(), std::size_t(100)); // job i is make_call(i), once each
        QVERIFY(!driver.refused());
    }

    void aTotalFarBeyondMemoryCostsOnlyTheWindow() {
        StandInPool pool;
        LoadDriver driver(pool.submitter(), numbered, burst(16, 1'000'000'000'000LL));
        driver.refill();
        for (int i = 0; i < 20'000; ++i)
            QVERIFY(pool.finish_one());
        QCOMPARE(pool.most_pending(), std::size_t(16));
        QCOMPARE(driver.submitted(), 20'016LL);
        QVERIFY(!driver.complete());
        driver.stop();
        while (pool.finish_one()) {
        }
        QCOMPARE(driver.submitted(), 20'016LL); // stopped: outcomes count, nothing more goes
        QCOMPARE(driver.completed(), 20'016LL);
    }

    void aBudgetGatesRateMode() {
        StandInPool pool;
        LoadDriver::Settings s;
        s.window = 5;
        s.budgeted = true;
        LoadDriver driver(pool.submitter(), numbered, s);
        driver.refill();
        QCOMPARE(driver.submitted(), 0LL); // no budget yet
        driver.grant(3);
        QCOMPARE(driver.submitted(), 3LL);
        QCOMPARE(driver.take_unused_budget(), 0LL);
        driver.grant(10); // the window takes two of them
        QCOMPARE(driver.submitted(), 5LL);
        QCOMPARE(driver.take_unused_budget(), 8LL);
        QVERIFY(pool.finish_one()); // room, but no budget left: nothing goes
        QCOMPARE(driver.submitted(), 5LL);
        driver.grant(1);
        QCOMPARE(driver.submitted(), 6LL);
        QVERIFY(!driver.complete()); // no total: only stop() ends it
    }

    void theWindowCanBeResized() {
        StandInPool pool;
        LoadDriver driver(pool.submitter(), numbered, burst(4, 100));
        driver.refill();
        driver.set_window(6);
        driver.refill();
        QCOMPARE(driver.outstanding(), 6LL);
        driver.set_window(2);
        for (int i = 0; i < 4; ++i)
            QVERIFY(pool.finish_one());
        QCOMPARE(driver.outstanding(), 2LL); // the smaller window held back until room came
        QCOMPARE(driver.window(), 2LL);
    }

    void theFirstRefusalStopsItAndIsKept() {
        StandInPool pool;
        pool.refuse_from(3);
        LoadDriver driver(pool.submitter(), numbered, burst(8, 100));
        driver.refill();
        QCOMPARE(driver.submitted(), 3LL);
        QVERIFY(driver.refused());
        QVERIFY(driver.stopped());
        QCOMPARE(driver.error(), std::string(kPoolClosedRefusal));
        pool.refuse_from(-1);
        while (pool.finish_one()) {
        }
        driver.refill();
        QCOMPARE(driver.submitted(), 3LL);
        QCOMPARE(driver.completed(), 3LL);
        QVERIFY(!driver.complete());
    }

    void withoutRefillOnOutcomeOnlyTheOwnerSubmits() {
        StandInPool pool;
        auto s = burst(4, 10);
        s.refill_on_outcome = false;
        std::atomic<int> heard{0};
        s.on_outcome = [&](const JobResult&) { ++heard; };
        LoadDriver driver(pool.submitter(), numbered, s);
        driver.refill();
        QVERIFY(pool.finish_one());
        QVERIFY(pool.finish_one());
        QCOMPARE(driver.submitted(), 4LL);
        QCOMPARE(heard.load(), 2);
        driver.refill();
        QCOMPARE(driver.submitted(), 6LL);
    }

    void anOutcomeInsideTheSubmitDoesNotRecurse() {
        // A pool that ends a job before its submit returns, on the same thread.
        long long depth = 0, deepest = 0;
        LoadDriver driver(
            [&](TaskCall, JobCallbacks cb) {
                ++depth;
                deepest = std::max(deepest, depth);
                cb.on_success(JobResult{});
                --depth;
            },
            numbered, burst(2, 50));
        driver.refill();
        QVERIFY(driver.complete());
        QCOMPARE(driver.submitted(), 50LL);
        QCOMPARE(deepest, 1LL);
    }

    void callbacksMayOutliveTheDriver() {
        StandInPool pool;
        {
            LoadDriver driver(pool.submitter(), numbered, burst(4, 100));
            driver.refill();
        }
        while (pool.finish_one()) {
        }
        QCOMPARE(pool.accepted(), 4LL); // gone: nothing more was submitted
    }

    void outcomesOnAnotherThreadWhileTheOwnerGrants() {
        // The pool's thread ends jobs (and refills) while this thread grants budget, refills and
        // reads the counters: the window holds, and no job goes twice or is lost.
        StandInPool pool;
        LoadDriver::Settings s;
        s.window = 32;
        s.total = 5'000;
        s.budgeted = true;
        LoadDriver driver(pool.submitter(), numbered, s);
        std::atomic<bool> quit{false};
        std::thread pool_thread([&] {
            while (!quit)
                if (!pool.finish_one())
                    std::this_thread::yield();
        });
        while (!driver.complete()) {
            driver.grant(64);
            QVERIFY(driver.outstanding() <= 32);
            driver.take_unused_budget();
        }
        quit = true;
        pool_thread.join();
        QCOMPARE(driver.submitted(), 5'000LL);
        QCOMPARE(driver.completed(), 5'000LL);
        QVERIFY(pool.most_pending() <= 32);
        QCOMPARE(pool.distinct_calls(), std::size_t(5'000));
    }

    void destroyingItWaitsForARefillOnAnotherThread() {
        StandInPool pool;
        std::atomic<bool> in_submit{false};
        std::atomic<bool> owner_gone{false};
        std::atomic<bool> submitted_after_gone{false};
        auto driver = std::make_unique<LoadDriver>(
            [&](TaskCall c, JobCallbacks cb) {
                if (owner_gone)
                    submitted_after_gone = true;
                in_submit = true;
                std::this_thread::sleep_for(std::chrono::milliseconds(1));
                pool.submit(std::move(c), std::move(cb));
            },
            numbered, burst(4, 1'000'000));
        driver->refill();
        std::atomic<bool> quit{false};
        std::thread pool_thread([&] {
            while (!quit)
                if (!pool.finish_one())
                    std::this_thread::yield();
        });
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        driver.reset();
        owner_gone = true;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        quit = true;
        pool_thread.join();
        QVERIFY(in_submit);
        QVERIFY(!submitted_after_gone);
    }
};

QTEST_APPLESS_MAIN(TestLoadDriver)
#include "test_load_driver.moc"
