// SPDX-License-Identifier: GPL-3.0-or-later
// Workers that misbehave on purpose (tests/hostile_worker.cpp, a worker program speaking the wire
// protocol by hand): each misbehaviour, for both pools, with and without a hard time limit. Every
// row asserts exactly one outcome per job, the one the case calls for with a clear error, the
// hostile worker gone and replaced, and the parent's descriptors and processes as they were.
#include "pool_harness.h"

#include <QTemporaryDir>
#include <cstdlib>
#include <dirent.h>
#include <fstream>
#include <sstream>
#include <thread>

using namespace harness;
using namespace poolcore;

namespace {

constexpr std::size_t kMaxFrame = 4u << 20;
constexpr double kHardLimit = 3.0;

// How the job the hostile worker took ends.
enum class Ending {
    Outcome, // on its own, as `outcome` says, with or without a time limit
    Stall,   // never on its own: the hard limit ends it (TimeLimit), or the user kills the worker
};

struct HostileCase {
    const char* mode;
    Ending ending;
    Outcome outcome;      // for Ending::Outcome
    const char* evidence; // what the pool says of it (a message, an exit, the job's error)
    bool stays = false;   // slow, not wrong: the worker keeps its place
};

// The list: the stream before and after WorkerUp, frames a worker must not send, results
// out of turn, a channel closed or flooded, a start that never completes, a process that outlives
// or ignores its end. Success means the job never started on the hostile worker and ran on its
// replacement: nothing lost.
const std::vector<HostileCase>& cases() {
    static const std::vector<HostileCase> all = {
        {"garbage_before_up", Ending::Outcome, Outcome::Success, "exceeds the limit"},
        {"garbage_after_up", Ending::Outcome, Outcome::Success, "exceeds the limit"},
        {"huge_length", Ending::Outcome, Outcome::WorkerLost,
         "frame of 4294967295 bytes exceeds the limit"},
        {"unknown_frame_type", Ending::Outcome, Outcome::WorkerLost, "unknown frame type 127"},
        {"job_frame_from_worker", Ending::Outcome, Outcome::Success, "a worker sent a job frame"},
        {"worker_up_twice", Ending::Outcome, Outcome::Success, "second worker-up frame"},
        {"worker_up_wrong_pid", Ending::Outcome, Outcome::Success, "worker-up names pid"},
        {"ready_for_unsent_job", Ending::Outcome, Outcome::WorkerLost, "which it was not running"},
        {"ready_before_ack", Ending::Outcome, Outcome::Success, "before its ack"},
        {"second_result", Ending::Outcome, Outcome::Success, "which it was not running"},
        {"invalid_outcome", Ending::Outcome, Outcome::WorkerLost, "invalid outcome 200"},
        {"close_after_ack", Ending::Outcome, Outcome::WorkerLost, "closed its channel"},
        {"half_close_after_ack", Ending::Outcome, Outcome::WorkerLost, "closed its channel"},
        {"flood_without_reading", Ending::Outcome, Outcome::Success, "invalid outcome 65"},
        {"never_up", Ending::Outcome, Outcome::Success, "did not start within"},
        {"exit_before_up", Ending::Outcome, Outcome::Success, "exitcode 3"},
        {"grandchild_holds_channel", Ending::Outcome, Outcome::WorkerLost, "exitcode 5"},
        {"ignore_sigterm", Ending::Stall, Outcome::Success, ""},
        {"stop_before_up", Ending::Outcome, Outcome::Success, "did not start within"},
        {"stop_after_up", Ending::Outcome, Outcome::Success, "did not take job"},
        {"silent_after_job", Ending::Outcome, Outcome::Success, "did not take job"},
        {"stop_after_ack", Ending::Stall, Outcome::Success, ""},
        {"slow_loris_result", Ending::Outcome, Outcome::Success, "", true},
        {"slow_loris_stall", Ending::Stall, Outcome::Success, ""},
    };
    return all;
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

std::set<pid_t> my_descendants() {
    const auto d = testutil::descendants_of(::getpid());
    return {d.begin(), d.end()};
}

std::string text_of(const std::set<int>& values) {
    std::string s;
    for (int v : values)
        s += (s.empty() ? "" : ",") + std::to_string(v);
    return s;
}

// The pids the hostile worker wrote into the token file: its own first, then any grandchild's.
std::vector<pid_t> token_pids(const std::string& path) {
    std::ifstream in(path);
    std::vector<pid_t> pids;
    long pid = 0;
    while (in >> pid)
        pids.push_back(pid_t(pid));
    return pids;
}

// Everything the pool said about the case: its messages, each exit's fault and status, and the
// first job's error.
std::string evidence(const PoolUnderTest& p, const JobResult& first) {
    std::string all;
    {
        std::lock_guard lock(p.recorder.mutex);
        for (const auto& m : p.recorder.messages)
            all += m + "\n";
    }
    for (const auto& e : p.recorder.exit_list())
        all += "exit: " + e.status.describe() + " / " + e.fault + "\n";
    return all + "job: " + describe(first) + "\n";
}

} // namespace

class HostileWorkers : public QObject {
    Q_OBJECT

private slots:
    void eachMisbehaviourEndsEveryJobOnceAndLeavesNothing_data() {
        QTest::addColumn<int>("case_index");
        QTest::addColumn<bool>("threads");
        QTest::addColumn<bool>("hard_limit");
        for (std::size_t i = 0; i < cases().size(); ++i)
            for (bool threads : {false, true})
                for (bool limit : {false, true}) {
                    const std::string name = std::string(cases()[i].mode) + "/" +
                                             (threads ? "blocking" : "event-loop") + "/" +
                                             (limit ? "hard-limit" : "no-limit");
                    QTest::newRow(name.c_str()) << int(i) << threads << limit;
                }
    }

    void eachMisbehaviourEndsEveryJobOnceAndLeavesNothing() {
        QFETCH(int, case_index);
        QFETCH(bool, threads);
        QFETCH(bool, hard_limit);
        const HostileCase& c = cases()[std::size_t(case_index)];

        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const std::string token = dir.filePath("token").toStdString();
        ::setenv("POOLSCOPE_HOSTILE_MODE", c.mode, 1);
        ::setenv("POOLSCOPE_HOSTILE_TOKEN", token.c_str(), 1);

        const std::set<int> fds_before = open_descriptors();
        const std::set<pid_t> children_before = my_descendants();
        std::vector<pid_t> pids;
        {
            PoolOptions o = harness::options(1);
            o.worker_program = POOLSCOPE_HOSTILE_WORKER;
            o.proc_alive_timeout = Seconds(1.5);
            o.max_frame_bytes = kMaxFrame;
            o.putlocks = false; // the test submits every job at once, a stalled one included
            if (hard_limit)
                o.time_limit = Seconds(kHardLimit);
            PoolUnderTest p(o, PoolVariant{"spawn", threads, StartMethod::Spawn});
            p.pool.on_start();
            // The first job goes to the hostile worker (the pool's only one); one large enough
            // not to fit the socket's buffer where the worker never reads.
            const bool flood = std::string(c.mode) == "flood_without_reading";
            const std::vector<std::string> payloads = {
                flood ? std::string(1u << 20, 'j') : std::string("job-0"), "job-1", "job-2"};
            for (const auto& payload : payloads)
                p.submit(TaskCall{"echo", {}, payload, {}, {}});

            QVERIFY(p.wait_for([&] { return !token_pids(token).empty(); }, 20s));
            const pid_t hostile = token_pids(token).front();

            if (c.ending == Ending::Stall && !hard_limit) {
                // Without a limit the pool waits for a running job as long as it takes (as
                // Celery does): no outcome of its own making, until the user ends the worker.
                QVERIFY(p.wait_accepted(0));
                QCOMPARE(p.accepted_pid(0), hostile);
                std::this_thread::sleep_for(500ms);
                QVERIFY2(!p.has_result(0), describe(p.result(0)).c_str());
                if (std::string(c.mode) == "ignore_sigterm") {
                    QVERIFY(p.pool.terminate_job(hostile, SIGTERM));
                    std::this_thread::sleep_for(300ms);
                    QVERIFY2(!p.has_result(0), "SIGTERM was to be ignored");
                }
                QVERIFY(p.pool.kill_worker(hostile, SIGKILL));
            }

            QVERIFY2(p.wait_results(payloads.size(), 30s), evidence(p, p.result(0)).c_str());
            const JobResult first = p.result(0);
            const std::string said = evidence(p, first);
            QCOMPARE(p.result_count(), payloads.size());
            QCOMPARE(p.duplicate_outcomes(), 0);

            Outcome expected = c.outcome;
            std::string fragment = c.evidence;
            if (c.ending == Ending::Stall) {
                const bool asked_to_terminate = std::string(c.mode) == "ignore_sigterm";
                expected = hard_limit           ? Outcome::TimeLimit
                           : asked_to_terminate ? Outcome::Terminated
                                                : Outcome::WorkerLost;
                fragment = hard_limit ? "hard time limit (3 s) exceeded" : "signal 9 (SIGKILL)";
            }
            QVERIFY2(first.outcome == expected, said.c_str());
            if (expected == Outcome::Success)
                QCOMPARE(first.value, payloads[0]);
            QVERIFY2(said.find(fragment) != std::string::npos,
                     ("no '" + fragment + "' in\n" + said).c_str());
            if (std::string(c.mode) == "slow_loris_result")
                QVERIFY2(p.recorder.error_list().empty(), said.c_str());
            for (std::size_t n = 1; n < payloads.size(); ++n) {
                QVERIFY2(p.result(int(n)).ok(), describe(p.result(int(n))).c_str());
                QCOMPARE(p.result(int(n)).value, payloads[n]);
            }

            // Replaced: a new worker up in its slot, the hostile one gone.
            QVERIFY(p.wait_alive(1));
            QCOMPARE(p.pids().count(hostile), std::size_t(c.stays ? 1 : 0));
            if (!c.stays)
                QVERIFY(p.wait_for([&] { return process_gone(hostile); }, 10s));

            pids = token_pids(token);
            p.pool.on_stop();
            QVERIFY(p.wait_for([&] { return p.pool.state() == PoolState::Stopped; }, 20s));
            QCOMPARE(p.duplicate_outcomes(), 0);
            QCOMPARE(p.result_count(), payloads.size());
            QVERIFY(process_gone(hostile));
        }
        // A grandchild is the hostile worker's, not the pool's: the kernel gave it to init when
        // its parent exited, and the test ends it.
        for (std::size_t i = 1; i < pids.size(); ++i) {
            QVERIFY(testutil::parent_of(pids[i]) != ::getpid());
            ::kill(pids[i], SIGKILL);
        }
        QCOMPARE(text_of(open_descriptors()), text_of(fds_before));
        QVERIFY(QTest::qWaitFor([&] { return my_descendants() == children_before; }, 10000));
    }

    // A worker's result is still in its socket when the pool's next write to it fails: the
    // result counts, the job is not "lost" (the soak test's fcfs rows met this by chance: a write
    // made for another worker's event found a worker that had answered and died). The event-loop
    // pool runs only inside the test's waits, which makes the order certain: the ack is read,
    // the worker answers and exits unseen, then the next job is written to it.
    void aResultLeftInTheSocketCountsWhenTheNextWriteFails() {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const std::string token = dir.filePath("token").toStdString();
        ::setenv("POOLSCOPE_HOSTILE_MODE", "answer_then_exit", 1);
        ::setenv("POOLSCOPE_HOSTILE_TOKEN", token.c_str(), 1);
        PoolOptions o = harness::options(1);
        o.worker_program = POOLSCOPE_HOSTILE_WORKER;
        o.max_frame_bytes = kMaxFrame;
        o.strategy = Strategy::Fcfs;
        o.prefetch = 2; // the second job goes to the busy worker
        PoolUnderTest p(o, PoolVariant{"spawn", false, StartMethod::Spawn});
        p.pool.on_start();
        p.submit(TaskCall{"echo", {}, "first", {}, {}});
        QVERIFY(p.wait_accepted(0));
        const pid_t hostile = token_pids(token).front();
        QVERIFY(QTest::qWaitFor([&] { return process_gone(hostile); }, 10000));
        p.submit(TaskCall{"echo", {}, "second", {}, {}});
        QVERIFY2(p.wait_results(2, 30s), evidence(p, p.result(0)).c_str());
        const std::string said = evidence(p, p.result(0));
        QVERIFY2(p.result(0).ok(), said.c_str());
        QCOMPARE(p.result(0).value, std::string("first"));
        QVERIFY2(p.result(1).ok(), said.c_str());
        QCOMPARE(p.result(1).value, std::string("second"));
        QVERIFY2(said.find("write to worker failed") != std::string::npos, said.c_str());
        QVERIFY2(said.find("the pool killed it") == std::string::npos, said.c_str());
        QCOMPARE(p.duplicate_outcomes(), 0);
        p.pool.on_stop();
        QVERIFY(p.wait_for([&] { return p.pool.state() == PoolState::Stopped; }, 20s));
    }
};

QTEST_GUILESS_MAIN(HostileWorkers)
#include "test_pool_hostile.moc"
