// SPDX-License-Identifier: GPL-3.0-or-later
// Long runs: many restarts must leak nothing; chaos under load must lose nothing.
#include "pool_harness.h"

#include <dirent.h>
#include <fstream>
#include <map>
#include <random>
#include <set>
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

std::set<int> open_descriptors() {
    std::set<int> fds;
    DIR* dir = ::opendir("/proc/self/fd");
    while (const dirent* e = ::readdir(dir))
        if (e->d_name[0] != '.')
            fds.insert(std::atoi(e->d_name));
    fds.erase(::dirfd(dir));
    ::closedir(dir);
    return fds;
}

// A figure of /proc/self/status, in KiB ("VmRSS", "VmHWM").
long status_kib(const char* field) {
    std::ifstream in("/proc/self/status");
    std::string line;
    const std::string key = std::string(field) + ":";
    while (std::getline(in, line))
        if (line.rfind(key, 0) == 0)
            return std::atol(line.c_str() + key.size());
    return -1;
}

// Starts a new peak for VmHWM (Linux: "5" to clear_refs resets the peak resident size).
void reset_peak_rss() {
    std::ofstream("/proc/self/clear_refs") << "5";
}

double percentile(std::vector<double> v, double q) {
    if (v.empty())
        return 0;
    std::sort(v.begin(), v.end());
    return v[std::min(v.size() - 1, std::size_t(q * double(v.size())))];
}

// Time from a kill to the next moment every worker is up again (a full pool): kills the chaos
// sends are stamped here, and the pool's own reports close them. Thread-safe, as BlockingPool
// reports on its thread.
class RecoveryClock : public PoolObserver {
public:
    explicit RecoveryClock(int target) : target_(std::size_t(target)) {}
    void kill_sent() {
        std::lock_guard lock(mutex_);
        open_.push_back(std::chrono::steady_clock::now());
    }
    void kill_failed() { // the victim had ended already
        std::lock_guard lock(mutex_);
        if (!open_.empty())
            open_.pop_back();
    }
    void on_worker_up(int, pid_t pid) override {
        std::lock_guard lock(mutex_);
        up_.insert(pid);
        if (up_.size() < target_)
            return;
        const auto now = std::chrono::steady_clock::now();
        for (const auto& k : open_)
            recoveries_ms_.push_back(std::chrono::duration<double, std::milli>(now - k).count());
        open_.clear();
    }
    void on_worker_exit(int, pid_t pid, const ExitStatus&, ExitReason,
                        const std::string&) override {
        std::lock_guard lock(mutex_);
        up_.erase(pid);
    }
    std::vector<double> recoveries_ms() const {
        std::lock_guard lock(mutex_);
        return recoveries_ms_;
    }

private:
    mutable std::mutex mutex_;
    std::size_t target_;
    std::set<pid_t> up_;
    std::vector<std::chrono::steady_clock::time_point> open_;
    std::vector<double> recoveries_ms_;
};

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

    // Kills a busy worker every 10 ms for a while under a steady load, and prints what came of
    // it. 100 kills a second is exactly the default max_restarts (100 per 1 s window): with the
    // limiter in place it pauses replacement and so sets the throughput; raised, recovery is
    // the start method's own cost.
    void chaosFigures_data() {
        QTest::addColumn<int>("variant_index");
        QTest::addColumn<int>("max_restarts");
        QTest::addColumn<int>("kill_ms");
        const auto& v = pool_variants();
        for (std::size_t i = 0; i < v.size(); ++i) {
            if (v[i].name != "event-loop/fork" && v[i].name != "blocking/forkserver")
                continue;
            for (int kill_ms : {10, 5})
                for (int max_restarts : {100, 100000})
                    QTest::newRow((v[i].name + "/kill-every-" + std::to_string(kill_ms) +
                                   "ms/max_restarts=" + std::to_string(max_restarts))
                                      .c_str())
                        << int(i) << max_restarts << kill_ms;
        }
    }
    void chaosFigures() {
        HARNESS_VARIANT();
        QFETCH(int, max_restarts);
        QFETCH(int, kill_ms);
        const auto run_for = std::chrono::milliseconds(
            qEnvironmentVariableIntValue("POOLSCOPE_CHAOS_SECONDS") > 0
                ? 1000 * qEnvironmentVariableIntValue("POOLSCOPE_CHAOS_SECONDS")
                : 5000);
        const auto kill_every = std::chrono::milliseconds(kill_ms);
        const int processes = 4;
        const std::size_t in_flight = 256;

        const std::set<int> fds_before = open_descriptors();
        const auto children = testutil::descendants_of(::getpid());
        const std::set<pid_t> children_before(children.begin(), children.end());
        reset_peak_rss();
        const long rss_before = status_kib("VmRSS");
        RecoveryClock recovery(processes);
        int kills = 0;
        std::size_t jobs = 0;
        StatsSnapshot last;
        double seconds = 0;
        int pauses = 0;
        std::map<Outcome, std::size_t> outcomes;
        {
            PoolOptions o;
            o.processes = processes;
            o.strategy = Strategy::Fcfs;
            o.max_restarts = max_restarts;
            o.putlocks = false;
            PoolUnderTest p(o, variant);
            p.pool.add_observer(&recovery);
            QVERIFY(p.start());
            std::mt19937 rng(13);
            const auto begin = std::chrono::steady_clock::now();
            auto next_kill = begin + kill_every;
            while (std::chrono::steady_clock::now() - begin < run_for) {
                while (std::size_t(p.submitted) - p.result_count() < in_flight)
                    p.submit(p.submitted % 4 == 0 ? "sleep=2" : "noop");
                p.wait_for([&] { return std::chrono::steady_clock::now() >= next_kill; },
                           kill_every);
                if (std::chrono::steady_clock::now() < next_kill)
                    continue;
                next_kill += kill_every;
                std::vector<pid_t> busy;
                for (const auto& w : p.pool.stats().workers)
                    if (w.state == WorkerState::Busy)
                        busy.push_back(w.pid);
                if (busy.empty())
                    continue;
                recovery.kill_sent(); // before the kill: the replacement may be up at once
                if (p.pool.kill_worker(busy[rng() % busy.size()], SIGKILL))
                    ++kills;
                else
                    recovery.kill_failed();
            }
            jobs = std::size_t(p.submitted);
            QVERIFY2(p.wait_results(jobs, 120s), "a job without an outcome");
            seconds =
                std::chrono::duration<double>(std::chrono::steady_clock::now() - begin).count();
            QCOMPARE(p.result_count(), jobs);
            QCOMPARE(p.duplicate_outcomes(), 0);
            for (Outcome k : {Outcome::Success, Outcome::WorkerLost, Outcome::TaskError,
                              Outcome::TimeLimit, Outcome::Terminated})
                outcomes[k] = p.count(k);
            QCOMPARE(outcomes[Outcome::Success] + outcomes[Outcome::WorkerLost], jobs);
            QVERIFY(outcomes[Outcome::WorkerLost] > 0); // the chaos did strike
            QVERIFY(p.wait_alive(processes));
            last = p.pool.stats();
            pauses = p.recorder.times_said("to break a crash loop");
            p.pool.on_stop();
            QCOMPARE(p.pool.state(), PoolState::Stopped);
        }
        const long peak = status_kib("VmHWM");
        const long rss_after = status_kib("VmRSS");
        const auto r = recovery.recoveries_ms();
        const int zombies = zombie_children();
        const std::set<int> fds_after = open_descriptors();
        std::printf("CHAOS %s kill every %d ms, max_restarts=%d: %zu jobs in %.1f s (%.0f/s), %d "
                    "kills; success %zu, "
                    "worker-lost %zu, other %zu; %llu workers started; %d limiter notices; "
                    "recovery to a full pool "
                    "p50 %.1f ms, p99 %.1f ms, max %.1f ms (%zu kills); parent RSS %ld -> %ld "
                    "KiB, peak %ld KiB; fds %zu -> %zu; zombies %d\n",
                    variant.name.c_str(), kill_ms, max_restarts, jobs, seconds,
                    double(jobs) / seconds, kills, outcomes[Outcome::Success],
                    outcomes[Outcome::WorkerLost],
                    jobs - outcomes[Outcome::Success] - outcomes[Outcome::WorkerLost],
                    static_cast<unsigned long long>(last.workers_started), pauses,
                    percentile(r, 0.5), percentile(r, 0.99), percentile(r, 1.0), r.size(),
                    rss_before, rss_after, peak, fds_before.size(), fds_after.size(), zombies);
        std::fflush(stdout);
        QCOMPARE(fds_after, fds_before);
        QCOMPARE(zombies, 0);
        QVERIFY(QTest::qWaitFor(
            [&] {
                const auto now = testutil::descendants_of(::getpid());
                return std::set<pid_t>(now.begin(), now.end()) == children_before;
            },
            10000));
        // The parent holds one result per job here (the test keeps them all) and nothing else
        // that grows: 64 MiB is many times what a run of this length needs.
        QVERIFY2(peak - rss_before < 64 * 1024,
                 ("peak RSS grew by " + std::to_string(peak - rss_before) + " KiB").c_str());
        QVERIFY(!r.empty());
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
