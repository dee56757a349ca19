// SPDX-License-Identifier: GPL-3.0-or-later
// BlockingPool::submit, the submit that never waits: beside the put-lock's apply_async, from a
// job callback on the pool's own thread, after close, and racing close from many threads.
// Each test runs with both start methods a thread-driven pool can use without an override.
#include "pool_harness.h"
#include "poolcore/blocking_pool.h"
#include "poolcore/load_driver.h"

#include <future>
#include <memory>
#include <thread>
#include <vector>

using namespace harness;
using namespace poolcore;
using namespace std::chrono_literals;

namespace {

using Clock = std::chrono::steady_clock;

PoolOptions options(const PoolVariant& variant, int processes) {
    PoolOptions o;
    o.processes = processes;
    variant.apply(o);
    return o;
}

// Counts the outcomes each job got, so that a second outcome or a missing one shows.
class OutcomeCounts {
public:
    explicit OutcomeCounts(std::size_t jobs) : counts_(jobs) {}
    JobCallbacks callbacks(std::size_t job) {
        JobCallbacks cb;
        cb.on_success = [this, job](const JobResult&) { ++counts_[job]; };
        cb.on_error = [this, job](const JobResult& r) {
            ++counts_[job];
            std::lock_guard lock(mutex_);
            errors_.push_back(r.value);
        };
        return cb;
    }
    long long total() const {
        long long n = 0;
        for (const auto& c : counts_)
            n += c.load();
        return n;
    }
    bool each_once(const std::vector<char>& expected) const {
        for (std::size_t i = 0; i < counts_.size(); ++i)
            if (counts_[i].load() != (expected[i] ? 1 : 0))
                return false;
        return true;
    }
    std::vector<std::string> errors() const {
        std::lock_guard lock(mutex_);
        return errors_;
    }

private:
    std::vector<std::atomic<int>> counts_;
    mutable std::mutex mutex_;
    std::vector<std::string> errors_;
};

bool wait_until(const std::function<bool()>& done, std::chrono::milliseconds timeout = 20s) {
    const auto deadline = Clock::now() + timeout;
    while (!done()) {
        if (Clock::now() >= deadline)
            return done();
        std::this_thread::sleep_for(1ms);
    }
    return true;
}

} // namespace

class TestBlockingSubmit : public QObject {
    Q_OBJECT

    static void add_rows() {
        QTest::addColumn<int>("variant_index");
        const auto& v = pool_variants();
        for (std::size_t i = 0; i < v.size(); ++i)
            if (v[i].threads && v[i].start_method != StartMethod::Fork)
                QTest::newRow(v[i].name.c_str()) << int(i);
    }

private Q_SLOTS:
    void submitNeverWaitsWhileEverySlotIsBusy_data() { add_rows(); }
    void submitNeverWaitsWhileEverySlotIsBusy() {
        HARNESS_VARIANT();
        auto o = options(variant, 2);
        QVERIFY(o.putlocks);
        constexpr std::size_t kJobs = 2002;
        OutcomeCounts outcomes(kJobs + 1);
        BlockingPool pool(o);
        pool.start();
        QVERIFY(pool.did_start_ok());
        // Both workers sleep; then a thousand more jobs than they can take. The sleep outlasts
        // the 2,000 submits many times over, under TSan on a loaded machine too (1.6 s there).
        const auto begin = Clock::now();
        for (std::size_t i = 0; i < 2; ++i)
            pool.submit(TaskCall::parse("sleep=6000"), outcomes.callbacks(i));
        for (std::size_t i = 2; i < kJobs; ++i)
            pool.submit(TaskCall::parse("noop"), outcomes.callbacks(i));
        const auto took = Clock::now() - begin;
        QCOMPARE(outcomes.total(), 0LL); // every submit returned while the sleepers still slept
        QVERIFY2(took < 5000ms, qPrintable(QString::number(took / 1ms) + " ms"));
        // The put-lock's apply_async, meanwhile, waits for a slot.
        auto waiting = std::async(std::launch::async, [&] {
            return pool.apply_async(TaskCall::parse("noop"), outcomes.callbacks(kJobs)).get();
        });
        QVERIFY(waiting.wait_for(300ms) == std::future_status::timeout);
        QVERIFY(waiting.wait_for(20s) == std::future_status::ready);
        QVERIFY(waiting.get().ok());
        QVERIFY(wait_until([&] { return outcomes.total() == static_cast<long long>(kJobs + 1); }));
        QVERIFY(outcomes.each_once(std::vector<char>(kJobs + 1, true)));
        QVERIFY(pool.stop());
    }

    void submitFromInsideAJobCallback_data() { add_rows(); }
    void submitFromInsideAJobCallback() {
        // Each outcome submits the next job from the pool's own thread: it must not wait there
        // (the put-lock would wait forever), and a refusal there throws into the callback.
        HARNESS_VARIANT();
        BlockingPool pool(options(variant, 1));
        pool.start();
        QVERIFY(pool.did_start_ok());
        constexpr int kChain = 200;
        std::atomic<int> done{0};
        std::atomic<bool> refusal_thrown{false};
        std::atomic<int> failed{0};
        std::function<void(const JobResult&)> next = [&](const JobResult& r) {
            failed += !r.ok();
            if (++done == kChain) {
                try {
                    TaskCall impossible = TaskCall::parse("noop");
                    impossible.task.clear(); // a job needs a task name
                    pool.submit(impossible);
                } catch (const PoolError&) {
                    refusal_thrown = true;
                }
                return;
            }
            JobCallbacks cb;
            cb.on_success = cb.on_error = next;
            pool.submit(TaskCall::parse("noop"), cb);
        };
        JobCallbacks first;
        first.on_success = first.on_error = next;
        pool.submit(TaskCall::parse("noop"), first);
        // The last callback tries the impossible call after counting itself: wait for both.
        QVERIFY(wait_until([&] { return done.load() == kChain && refusal_thrown; }));
        QCOMPARE(failed.load(), 0);
        QVERIFY(pool.stop());
    }

    void submitRefusesWhatApplyAsyncRefuses_data() { add_rows(); }
    void submitRefusesWhatApplyAsyncRefuses() {
        HARNESS_VARIANT();
        auto o = options(variant, 1);
        o.max_frame_bytes = 4096;
        OutcomeCounts outcomes(2);
        BlockingPool pool(o);
        try {
            pool.submit(TaskCall::parse("noop"));
            QFAIL("a pool not started took a job");
        } catch (const PoolError& e) {
            QVERIFY2(std::string(e.what()).find("not running") != std::string::npos, e.what());
        }
        pool.start();
        QVERIFY(pool.did_start_ok());
        // An impossible call is refused on the caller's thread, by both verbs, as the event-loop
        // pool refuses it: no outcome follows.
        for (bool waits : {false, true}) {
            try {
                const auto call = TaskCall::parse("echo", std::string(8192, 'x'));
                if (waits)
                    pool.apply_async(call, outcomes.callbacks(1));
                else
                    pool.submit(call, outcomes.callbacks(0));
                QFAIL("a job beyond max_frame_bytes was taken");
            } catch (const PoolError& e) {
                QVERIFY2(std::string(e.what()).find("max_frame_bytes 4096") != std::string::npos,
                         e.what());
            }
        }
        pool.submit(TaskCall::parse("noop"), outcomes.callbacks(0));
        QVERIFY(wait_until([&] { return outcomes.total() == 1; }));
        QVERIFY(outcomes.errors().empty());
        pool.close();
        QVERIFY(pool.wait_for_state(PoolState::Close, 10s));
        try {
            pool.submit(TaskCall::parse("noop"));
            QFAIL("a closed pool took a job");
        } catch (const PoolError& e) {
            QCOMPARE(std::string(e.what()), std::string(kPoolClosedRefusal));
        }
        QVERIFY_THROWS_EXCEPTION(PoolError, pool.apply_async(TaskCall::parse("noop")));
        QVERIFY(pool.stop());
    }

    void aRefusalOnlyThePoolsThreadSeesEndsTheJob_data() { add_rows(); }
    void aRefusalOnlyThePoolsThreadSeesEndsTheJob() {
        // The pool closes on its own thread while two calls wait to reach it. They passed every
        // check their caller's thread could make, so each ends through on_error, for submit and
        // apply_async alike, and apply_async's future holds that outcome (TaskPool drops the
        // future: an exception in it was lost).
        HARNESS_VARIANT();
        auto o = options(variant, 1);
        o.putlocks = false; // apply_async must not wait for the closing job's slot
        OutcomeCounts outcomes(2);
        BlockingPool pool(o);
        pool.start();
        QVERIFY(pool.did_start_ok());
        std::promise<void> holding;
        JobCallbacks closer;
        closer.on_success = [&](const JobResult&) {
            holding.set_value();
            std::this_thread::sleep_for(300ms); // the calls below queue up behind this
            pool.close();
        };
        pool.submit(TaskCall::parse("noop"), closer);
        holding.get_future().wait();
        pool.submit(TaskCall::parse("noop"), outcomes.callbacks(0));
        auto future = pool.apply_async(TaskCall::parse("noop"), outcomes.callbacks(1));
        QVERIFY(future.wait_for(20s) == std::future_status::ready);
        const JobResult r = future.get();
        QCOMPARE(r.outcome, Outcome::TaskError);
        QCOMPARE(r.value, std::string(kPoolClosedRefusal));
        QVERIFY(wait_until([&] { return outcomes.total() == 2; }));
        QVERIFY(outcomes.each_once({true, true}));
        QCOMPARE(outcomes.errors(),
                 (std::vector<std::string>{kPoolClosedRefusal, kPoolClosedRefusal}));
        QVERIFY(pool.stop());
    }

    void everyTakenJobGetsExactlyOneOutcome_data() { add_rows(); }
    void everyTakenJobGetsExactlyOneOutcome() {
        // Four threads submit while the pool closes under them: each job is either refused at
        // once or ends exactly once, including those the pool's thread refused after the close.
        HARNESS_VARIANT();
        constexpr std::size_t kPerThread = 1500, kThreads = 4;
        OutcomeCounts outcomes(kPerThread * kThreads);
        BlockingPool pool(options(variant, 2));
        pool.start();
        QVERIFY(pool.did_start_ok());
        std::vector<char> taken(kPerThread * kThreads, false); // char: each thread writes its own
        std::vector<std::thread> threads;
        for (std::size_t t = 0; t < kThreads; ++t)
            threads.emplace_back([&, t] {
                for (std::size_t i = 0; i < kPerThread; ++i) {
                    const std::size_t job = t * kPerThread + i;
                    try {
                        pool.submit(TaskCall::parse(i % 7 ? "noop" : "fail=on purpose"),
                                    outcomes.callbacks(job));
                        taken[job] = true;
                    } catch (const PoolError&) {
                    }
                }
            });
        std::this_thread::sleep_for(20ms);
        pool.close();
        for (auto& t : threads)
            t.join();
        const auto expected = std::count(taken.begin(), taken.end(), true);
        QVERIFY(expected > 0);
        QVERIFY(wait_until([&] { return outcomes.total() >= expected; }));
        QVERIFY(pool.stop());
        QVERIFY(outcomes.each_once(taken));
    }

    void aLoadDriverRefillsFromThePoolsThread_data() { add_rows(); }
    void aLoadDriverRefillsFromThePoolsThread() {
        // Headless mode's shape: this thread starts the window, the pool's thread refills it.
        HARNESS_VARIANT();
        BlockingPool pool(options(variant, 2));
        pool.start();
        QVERIFY(pool.did_start_ok());
        LoadDriver::Settings settings;
        settings.window = 64;
        settings.total = 5000;
        std::atomic<long long> most_outstanding{0};
        LoadDriver* watched = nullptr;
        settings.on_outcome = [&](const JobResult&) {
            const long long now = watched->outstanding();
            long long seen = most_outstanding.load();
            while (now > seen && !most_outstanding.compare_exchange_weak(seen, now)) {
            }
        };
        LoadDriver driver([&](TaskCall c, JobCallbacks cb) { pool.submit(std::move(c), cb); },
                          [](long long) { return TaskCall::parse("noop"); }, settings);
        watched = &driver;
        driver.refill();
        QVERIFY(wait_until([&] { return driver.complete(); }, 60s));
        QCOMPARE(driver.submitted(), 5000LL);
        QCOMPARE(driver.succeeded(), 5000LL);
        QVERIFY(most_outstanding.load() <= 64);
        QVERIFY(pool.stop());
    }
};

POOLSCOPE_TEST_MAIN(TestBlockingSubmit, QCoreApplication, no_test_setup)
#include "test_blocking_submit.moc"
