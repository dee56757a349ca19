// SPDX-License-Identifier: GPL-3.0-or-later
// Long runs: many restarts must leak nothing; chaos under load must lose nothing.
#include "pool_harness.h"

#include <dirent.h>
#include <fstream>
#include <random>
#include <sstream>
#include <thread>
#include <unistd.h>

using namespace harness;
using namespace poolcore;
using namespace std::chrono_literals;

namespace {

int open_fd_count() {
    int n = 0;
    DIR* dir = ::opendir("/proc/self/fd");
    while (dirent* e = ::readdir(dir))
        n += e->d_name[0] != '.';
    ::closedir(dir);
    return n - 1; // the directory's own descriptor
}

// Children of this process that have exited but were never reaped.
int zombie_children() {
    int zombies = 0;
    DIR* dir = ::opendir("/proc");
    while (dirent* e = ::readdir(dir)) {
        if (e->d_name[0] < '0' || e->d_name[0] > '9')
            continue;
        std::ifstream stat(std::string("/proc/") + e->d_name + "/stat");
        std::string line;
        if (!std::getline(stat, line))
            continue;
        const auto close = line.rfind(')');
        std::istringstream rest(line.substr(close + 2));
        char state;
        int ppid;
        rest >> state >> ppid;
        zombies += state == 'Z' && ppid == ::getpid();
    }
    ::closedir(dir);
    return zombies;
}

} // namespace

class TestPoolSoak : public QObject {
    Q_OBJECT

private slots:
    void twoHundredRestartsLeakNothing_data() { add_variant_rows(); }
    void twoHundredRestartsLeakNothing() {
        HARNESS_VARIANT();
        PoolOptions o;
        o.processes = 2;
        PoolUnderTest p(o, variant);
        QVERIFY(p.start());
        const int fds_before = open_fd_count();
        for (int i = 0; i < 200; ++i) {
            p.pool.restart();
            QVERIFY(p.wait_for([&] { return !p.pool.stats().restart_in_progress; }, 20s));
        }
        QVERIFY(p.wait_alive(2));
        QVERIFY(p.wait_for([&] { return p.pool.stats().workers_exited >= 400; }, 20s));
        const auto s = p.pool.stats();
        QCOMPARE(s.workers_started, std::uint64_t(402));
        QCOMPARE(s.count(Outcome::Success), std::uint64_t(200)); // one proving no-op each
        QCOMPARE(open_fd_count(), fds_before);
        QCOMPARE(zombie_children(), 0);
        p.pool.on_stop();
        QCOMPARE(zombie_children(), 0);
    }

    void chaosUnderLoadGivesEveryJobExactlyOneOutcome_data() { add_variant_rows(); }
    void chaosUnderLoadGivesEveryJobExactlyOneOutcome() {
        HARNESS_VARIANT();
        PoolOptions o;
        o.processes = 4;
        o.strategy = Strategy::Fcfs;
        o.max_restarts = 10000;
        PoolUnderTest p(o, variant);
        QVERIFY(p.start());
        const int jobs = 20000;
        std::atomic<bool> stop{false};
        std::thread chaos([&] {
            std::mt19937 rng(42);
            while (!stop) {
                std::this_thread::sleep_for(15ms);
                const auto s = p.pool.stats();
                std::vector<pid_t> busy;
                for (const auto& w : s.workers)
                    if (w.state == WorkerState::Busy)
                        busy.push_back(w.pid);
                if (!busy.empty())
                    ::kill(busy[rng() % busy.size()], SIGKILL);
            }
        });
        if (!variant.threads) {
            // The event-loop pool is not thread-safe: the chaos thread only reads stats through
            // this loop, so run it here.
            stop = true;
            chaos.join();
        }
        for (int i = 0; i < jobs; ++i)
            p.submit(i % 3 == 0 ? "sleep=2" : "noop");
        std::mt19937 rng(7);
        auto next_kill = std::chrono::steady_clock::now();
        QVERIFY(p.wait_for(
            [&] {
                if (!variant.threads && std::chrono::steady_clock::now() >= next_kill) {
                    next_kill += 15ms;
                    std::vector<pid_t> busy;
                    for (const auto& w : p.pool.stats().workers)
                        if (w.state == WorkerState::Busy)
                            busy.push_back(w.pid);
                    if (!busy.empty())
                        ::kill(busy[rng() % busy.size()], SIGKILL);
                }
                return p.result_count() >= std::size_t(jobs);
            },
            600s));
        stop = true;
        if (chaos.joinable())
            chaos.join();
        QCOMPARE(p.result_count(), std::size_t(jobs));
        QCOMPARE(p.duplicate_outcomes(), 0);
        QCOMPARE(p.count(Outcome::Success) + p.count(Outcome::WorkerLost), std::size_t(jobs));
        QVERIFY(p.count(Outcome::WorkerLost) > 0); // the chaos did strike
        QVERIFY(p.wait_alive(4));
        p.pool.on_stop();
        QCOMPARE(p.pool.state(), PoolState::Stopped);
        QCOMPARE(zombie_children(), 0);
    }

    void mixedFaultsUnderSustainedLoadKeepEveryInvariant_data() { add_variant_rows(); }
    void mixedFaultsUnderSustainedLoadKeepEveryInvariant() {
        HARNESS_VARIANT();
        PoolOptions o;
        o.processes = 4;
        o.strategy = Strategy::Fcfs;
        o.prefetch = 3;
        o.max_tasks_per_child = 40;
        o.time_limit = Seconds(0.25);
        o.max_restarts = 100000;
        o.putlocks = false;
        PoolUnderTest p(o, variant);
        QVERIFY(p.start());
        // Each kind has exactly one correct outcome, whatever happens around it.
        const std::vector<std::pair<std::string, Outcome>> kinds = {
            {"noop", Outcome::Success},      {"echo", Outcome::Success},
            {"fail=x", Outcome::TaskError},  {"crash=KILL", Outcome::WorkerLost},
            {"exit=7", Outcome::WorkerLost}, {"hang=2000", Outcome::TimeLimit},
            {"no_such", Outcome::TaskError}, {"sleep=3", Outcome::Success},
        };
        const int jobs = 4000;
        for (int i = 0; i < jobs; ++i) {
            const auto& kind = kinds[std::size_t(i) % kinds.size()];
            // One hang per 40 jobs keeps the run short while the limits still strike often.
            if (kind.second == Outcome::TimeLimit && i % 40 != 5) {
                p.submit("noop");
                continue;
            }
            p.submit(kind.first, "payload");
        }
        QVERIFY(p.wait_results(std::size_t(jobs), 600s));
        QCOMPARE(p.duplicate_outcomes(), 0);
        for (int i = 0; i < jobs; ++i) {
            const auto& kind = kinds[std::size_t(i) % kinds.size()];
            const bool hang = kind.second == Outcome::TimeLimit;
            const Outcome expected = hang && i % 40 != 5 ? Outcome::Success : kind.second;
            const auto r = p.result(i);
            QVERIFY2(r.outcome == expected,
                     (std::to_string(i) + " " + kind.first + " -> " + describe(r)).c_str());
        }
        QVERIFY(p.wait_alive(4));
        const auto s = p.pool.stats();
        QCOMPARE(s.alive_processes, 4);
        p.pool.on_stop();
        QCOMPARE(zombie_children(), 0);
    }
};

POOLSCOPE_TEST_MAIN(TestPoolSoak, QCoreApplication, no_test_setup)
#include "test_pool_soak.moc"
