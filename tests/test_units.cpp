// SPDX-License-Identifier: GPL-3.0-or-later
// Small units of poolcore that need no worker process.
#include "engine/restart_limiter.h"
#include "engine/scheduler.h"
#include "platform/posix/launchers.h"
#include "poolcore/forkserver.h"
#include "poolcore/options.h"
#include "poolcore/poll_loop.h"
#include "poolcore/pool.h"
#include "poolcore/stats.h"
#include "poolcore/task_registry.h"

#include <QTest>
#include <limits>
#include <nlohmann/json.hpp>
#include <set>
#include <signal.h>

using namespace poolcore;
using namespace std::chrono_literals;

class TestUnits : public QObject {
    Q_OBJECT

    static std::string run(const std::string& task, const std::string& arg,
                           const std::atomic<bool>* soft = nullptr) {
        TaskContext ctx(1, arg, "payload", soft);
        return TaskRegistry::global().run(task, ctx);
    }

private slots:
    void restartLimiterTripsPastTheMaximum() {
        RestartLimiter limiter(100, 1s);
        const auto t0 = RestartLimiter::Clock::now();
        for (int i = 0; i < 100; ++i)
            QVERIFY(limiter.record(t0));
        QVERIFY(!limiter.tripped(t0));
        QVERIFY(!limiter.record(t0)); // the 101st within the window
        QVERIFY(limiter.tripped(t0));
        QVERIFY(limiter.resume_at() > t0);
    }

    void restartLimiterForgetsOnceTheWindowPasses() {
        RestartLimiter limiter(2, 1s);
        const auto t0 = RestartLimiter::Clock::now();
        limiter.record(t0);
        limiter.record(t0);
        QVERIFY(!limiter.record(t0));
        QVERIFY(limiter.record(t0 + 20s)); // the old ones expired
        QCOMPARE(limiter.count(), 1);
    }

    void crashLoopGuardTellsALastingLoopOncePerWindow() {
        // A lasting crash loop on the guard's own clock: a worker crashes 1 ms after it is
        // replaced, every time, for ten windows. The machine's speed has no say in this.
        using Clock = CrashLoopGuard::Clock;
        CrashLoopGuard guard(10, 300ms);
        const auto t0 = Clock::now();
        int crashes = 0, pauses = 0, notices = 0;
        Clock::time_point last_notice{};
        auto now = t0;
        while (now - t0 < 3s) {
            guard.record_crash(now);
            ++crashes;
            const auto wait = guard.pause(now);
            if (!wait) {
                QVERIFY(crashes <= 10 || now - t0 >= 300ms); // the first 11 trip it
                now += 1ms;
                continue;
            }
            QVERIFY(*wait >= 10ms);
            ++pauses;
            if (const auto covered = guard.pause_to_tell(now)) {
                if (notices == 0) {
                    QCOMPARE(crashes, 11);
                    QCOMPARE(*covered, 1); // the first pause is told at once
                } else {
                    QVERIFY2(now - last_notice >= 300ms, "told twice within a window");
                    QVERIFY(*covered > 1); // and the pauses it did not tell are counted in
                }
                ++notices;
                last_notice = now;
            }
            now += *wait;
        }
        const double windows = Seconds(now - t0).count() / 0.3;
        QVERIFY2(pauses > 3 * notices,
                 qPrintable(QString("%1 pauses, %2 notices").arg(pauses).arg(notices)));
        QVERIFY(notices <= int(windows) + 1);
        QVERIFY(notices >= int(windows) / 2); // a lasting loop is told again, window after window

        // A fresh start forgets the crashes but not the notice: a loop at once is not told again.
        guard.reset();
        now = last_notice + 1ms;
        QVERIFY(!guard.pause(now));
        for (int i = 0; i < 11; ++i)
            guard.record_crash(now);
        QVERIFY(guard.pause(now));
        QVERIFY(!guard.pause_to_tell(now));
        QVERIFY(guard.pause_to_tell(last_notice + 300ms));
    }

    void optionsRefuseTimesBeyondTheClock() {
        // 1e10 s overflows the clock's int64 nanoseconds: the timer would strike at once.
        for (double bad : {1e10, 1e300, std::numeric_limits<double>::infinity(),
                           std::numeric_limits<double>::quiet_NaN(), -1.0}) {
            PoolOptions o;
            o.soft_time_limit = Seconds(bad);
            o.time_limit = Seconds(bad);
            o.proc_alive_timeout = Seconds(bad);
            o.kill_grace = Seconds(bad);
            o.restart_window = Seconds(bad);
            std::set<std::string> fields;
            for (const auto& p : o.problems()) {
                fields.insert(p.field);
                QVERIFY2(p.message.find("at most 1e+09 s") != std::string::npos, p.message.c_str());
            }
            QCOMPARE(fields,
                     (std::set<std::string>{"soft_time_limit", "time_limit", "proc_alive_timeout",
                                            "kill_grace", "restart_window"}));
        }
        PoolOptions longest; // the range's end is in it
        longest.soft_time_limit = longest.time_limit = longest.proc_alive_timeout =
            longest.restart_window = longest.kill_grace = Seconds(1e9);
        QVERIFY(longest.problems().empty());
    }

    void builtinTaskArgumentsStayInRange() {
        // Beyond the range the deadline overflowed (UBSan: signed overflow) and the task
        // "succeeded" at once; alloc's byte count wrapped to 0.
        for (const char* task : {"sleep", "spin", "hang"}) {
            try {
                run(task, "9999999999999");
                QFAIL("a sleep past the clock's range was run");
            } catch (const std::invalid_argument& e) {
                QVERIFY2(std::string(e.what()).find("from 0 to 1000000000000") != std::string::npos,
                         e.what());
            }
        }
        for (const char* mib : {"17592186044416", "1048577", "99999999999999999999999"}) {
            try {
                run("alloc", mib);
                QFAIL("an allocation beyond the range was run");
            } catch (const std::invalid_argument& e) {
                QVERIFY2(std::string(e.what()).find("from 0 to 1048576") != std::string::npos,
                         e.what());
            }
        }
        QCOMPARE(run("sleep", "0"), std::string());
    }

    void fairSchedulerTakesOneJobPerWorker() {
        Scheduler fair(Strategy::Fair, 4);
        QCOMPARE(fair.capacity(0), 1);
        QCOMPARE(fair.capacity(1), 0);
        Scheduler fcfs(Strategy::Fcfs, 4);
        QCOMPARE(fcfs.capacity(0), 4);
        QCOMPARE(fcfs.capacity(3), 1);
        QCOMPARE(fcfs.capacity(4), 0);
    }

    void writeStatsFollowCelerysFormat() {
        Scheduler s(Strategy::Fair, 1);
        for (int i = 0; i < 3; ++i)
            s.record_write(2);
        s.record_write(0);
        QCOMPARE(s.start_index(3), std::size_t(4 % 3));
        const auto w = WriteStats::from_counts(s.write_counts(), "fair", 3, 1);
        QCOMPARE(w.total, 4u);
        QCOMPARE(w.avg, std::string("0.50"));
        QCOMPARE(w.all, std::string("0.75, 0.25")); // insertion order: slot 2 first
        QCOMPARE(w.raw, std::string("3, 1"));
        const nlohmann::json j = w;
        QCOMPARE(j["inqueues"]["total"].get<int>(), 3);
        QCOMPARE(j["inqueues"]["active"].get<int>(), 1);

        const auto empty = WriteStats::from_counts({}, "fcfs", 0, 0);
        QCOMPARE(empty.avg, std::string("0.00"));
        QCOMPARE(empty.raw, std::string());
    }

    void infoHasExactlyCelerysKeys() {
        Info info;
        info.max_concurrency = 7;
        info.timeouts = {5, 10};
        const nlohmann::json j = info;
        std::vector<std::string> keys;
        for (auto it = j.begin(); it != j.end(); ++it)
            keys.push_back(it.key());
        QCOMPARE(keys,
                 (std::vector<std::string>{"max-concurrency", "max-tasks-per-child", "processes",
                                           "put-guarded-by-semaphore", "timeouts", "writes"}));
        QCOMPARE(j["max-tasks-per-child"].get<std::string>(), std::string("N/A"));
        QCOMPARE(j["timeouts"][0].get<double>(), 5.0);
        QCOMPARE(j["timeouts"][1].get<double>(), 10.0);
        info.max_tasks_per_child = 3;
        QCOMPARE(nlohmann::json(info)["max-tasks-per-child"].get<int>(), 3);
    }

    void optionsNameEveryProblem() {
        PoolOptions o;
        QVERIFY(o.problems().empty());
        o.processes = -1;
        o.soft_time_limit = Seconds(10);
        o.time_limit = Seconds(5);
        o.max_tasks_per_child = 0;
        const auto problems = o.problems();
        QCOMPARE(problems.size(), std::size_t(3));
        QCOMPARE(problems[0].field, std::string("processes"));
        QCOMPARE(problems[1].field, std::string("soft_time_limit"));
        QVERIFY(problems[1].message.find("less than or equal") != std::string::npos);
        QVERIFY_THROWS_EXCEPTION(PoolError, o.validate());
    }

    void latencyWindowPercentiles() {
        LatencyWindow w(100);
        QCOMPARE(w.percentile_us(0.5), 0.0);
        for (int i = 1; i <= 100; ++i)
            w.add(std::chrono::microseconds(i));
        QCOMPARE(w.percentile_us(0.5), 51.0);
        QCOMPARE(w.percentile_us(0.99), 99.0);
        for (int i = 0; i < 100; ++i) // the window keeps only the newest 100
            w.add(std::chrono::microseconds(1000));
        QCOMPARE(w.percentile_us(0.5), 1000.0);
    }

    void taskCallParsesSpecs() {
        auto c = TaskCall::parse("sleep=100");
        QCOMPARE(c.task, std::string("sleep"));
        QCOMPARE(c.argument, std::string("100"));
        c = TaskCall::parse("fail=a=b");
        QCOMPARE(c.argument, std::string("a=b"));
        c = TaskCall::parse("noop");
        QCOMPARE(c.argument, std::string());
    }

    void exitStatusIsWordedLikeCelery() {
        QCOMPARE(ExitStatus({true, true, SIGKILL}).describe(), std::string("signal 9 (SIGKILL)"));
        QCOMPARE(ExitStatus({true, false, 1}).describe(), std::string("exitcode 1"));
        QVERIFY(ExitStatus({true, false, 0}).clean());
        QCOMPARE(parse_signal("KILL"), SIGKILL);
        QCOMPARE(parse_signal("sigsegv"), SIGSEGV);
        QCOMPARE(parse_signal("15"), SIGTERM);
        QCOMPARE(parse_signal("nonsense"), 0);
        QCOMPARE(parse_signal("9999"), 0);
    }

    void builtinTasksBehave() {
        QCOMPARE(run("noop", ""), std::string());
        QCOMPARE(run("echo", ""), std::string("payload"));
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, run("sleep", "soon"));
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, run("spin", "-5"));
        try {
            run("fail", "boom");
            QFAIL("fail did not throw");
        } catch (const std::runtime_error& e) {
            QCOMPARE(std::string(e.what()), std::string("boom"));
        }
        try {
            run("nosuch", "");
            QFAIL("an unknown task did not throw");
        } catch (const std::invalid_argument& e) {
            QCOMPARE(std::string(e.what()), std::string("unknown task 'nosuch'"));
        }
    }

    void spinHonoursTheSoftLimitAndHangDoesNot() {
        std::atomic<bool> soft{true};
        QVERIFY_THROWS_EXCEPTION(SoftTimeLimitExceeded, run("spin", "10000", &soft));
        QVERIFY_THROWS_EXCEPTION(SoftTimeLimitExceeded, run("sleep", "10000", &soft));
        QCOMPARE(run("hang", "20", &soft), std::string()); // ignores it and finishes
    }

    // This program's main() does not call run_worker_if_requested(): spawning it would start
    // another copy of these tests, so every path that spawns must refuse, and say what is missing.
    void spawningWithoutTheWorkerEntryIsRefused() {
        const auto launcher = make_spawn_launcher();
        QVERIFY(launcher->refusal().find("run_worker_if_requested") != std::string::npos);
        QVERIFY_THROWS_EXCEPTION(std::runtime_error, launcher->launch(WorkerSettings{}));

        PoolOptions o;
        o.processes = 1;
        o.start_method = StartMethod::Spawn;
        PollLoop loop;
        Pool pool(o);
        pool.register_with_event_loop(loop);
        try {
            pool.start();
            QFAIL("a spawn pool started without the worker entry");
        } catch (const PoolError& e) {
            QVERIFY2(std::string(e.what()).find("run_worker_if_requested") != std::string::npos,
                     e.what());
        }
    }

    void aForkserverIsNotForkedFromAThreadedProcess() {
        // Qt Test's watchdog thread runs: the server could only be spawned, which needs the
        // entry this program lacks.
        try {
            ForkServer::start();
            QFAIL("a forkserver started");
        } catch (const std::runtime_error& e) {
            const std::string what = e.what();
            QVERIFY2(what.find("threads") != std::string::npos, e.what());
            QVERIFY2(what.find("run_worker_if_requested") != std::string::npos, e.what());
        }
        PoolOptions o;
        o.start_method = StartMethod::Forkserver;
        QVERIFY_THROWS_EXCEPTION(PoolError, Pool{o});
    }

    void startMethodsHaveNames() {
        for (auto m : {StartMethod::Fork, StartMethod::Forkserver, StartMethod::Spawn})
            QCOMPARE(parse_start_method(to_string(m)), std::optional<StartMethod>(m));
        QVERIFY(!parse_start_method("vfork"));
        PoolOptions o;
        QCOMPARE(o.effective_start_method(), StartMethod::Fork);
        o.threads = true; // its own thread would make fork unsafe
        QCOMPARE(o.effective_start_method(), StartMethod::Forkserver);
        // POSIX has all three, and the options take each (Windows: spawn only, proved by the
        // windows label's fork_is_refused).
        QCOMPARE(available_start_methods(),
                 (std::vector<StartMethod>{StartMethod::Fork, StartMethod::Forkserver,
                                           StartMethod::Spawn}));
        for (StartMethod m : available_start_methods()) {
            PoolOptions each;
            each.start_method = m;
            for (const auto& problem : each.problems())
                QVERIFY2(problem.field != "start_method", problem.message.c_str());
        }
    }

    void registryListsTasksSorted() {
        const auto list = TaskRegistry::global().list();
        std::vector<std::string> names;
        for (const auto& t : list)
            names.push_back(t.name);
        for (const char* n :
             {"alloc", "crash", "echo", "exit", "fail", "hang", "noop", "sleep", "spin"})
            QVERIFY2(std::find(names.begin(), names.end(), n) != names.end(), n);
        QVERIFY(std::is_sorted(names.begin(), names.end()));
    }
};

QTEST_APPLESS_MAIN(TestUnits)
#include "test_units.moc"
