// SPDX-License-Identifier: GPL-3.0-or-later
// The behavioural suite: what Celery's and billiard's tests assert of the prefork pool, plus one
// test per fault. Every test runs for each pool variant (see pool_harness.h).
#include "platform/entry_flags.h"
#include "platform/posix/forkserver_client.h"
#include "platform/posix/launchers.h"
#include "pool_harness.h"
#include "poolcore/forkserver.h"
#include "poolcore/task_registry.h"
#include "protocol/wire_protocol.h"

#include <algorithm>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <sstream>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

using namespace harness;
using namespace poolcore;
using namespace std::chrono_literals;

namespace {

PoolOptions options(int processes) {
    PoolOptions o;
    processes = processes > 0 ? processes : 1;
    o.processes = processes;
    o.allow_fork_with_threads = true; // Qt Test's watchdog thread is harmless (pool_harness.h)
    return o;
}

// Writes raw bytes to the worker's channel, then waits to be killed for it.
std::string write_to_channel_and_wait(const std::string& bytes) {
    [[maybe_unused]] auto n = ::write(kWorkerChannelFd, bytes.data(), bytes.size());
    std::this_thread::sleep_for(10s);
    return "not killed";
}

std::string frame(std::uint32_t length, std::uint8_t type, const std::string& body) {
    std::string s(4, '\0');
    std::memcpy(s.data(), &length, 4);
    s.push_back(char(type));
    return s + body;
}

// Event-loop Pool and BlockingPool rows, for tests that choose their own start method.
void add_pool_kind_rows() {
    QTest::addColumn<bool>("threads");
    QTest::newRow("event-loop") << false;
    QTest::newRow("blocking") << true;
}

pid_t parent_of(pid_t pid) {
    std::ifstream status("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(status, line))
        if (line.rfind("PPid:", 0) == 0)
            return pid_t(std::stoi(line.substr(5)));
    return 0;
}

std::string command_line_of(pid_t pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/cmdline");
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::replace(text.begin(), text.end(), '\0', ' ');
    return text;
}

void register_test_tasks() {
    auto& r = TaskRegistry::global();
    r.add({"list_fds", "", "Lists the worker's open descriptors."}, [](const TaskContext&) {
        std::vector<int> fds;
        DIR* dir = ::opendir("/proc/self/fd");
        while (dirent* e = ::readdir(dir)) {
            if (e->d_name[0] == '.')
                continue;
            const int fd = std::atoi(e->d_name);
            if (fd != ::dirfd(dir))
                fds.push_back(fd);
        }
        ::closedir(dir);
        std::sort(fds.begin(), fds.end());
        std::string out;
        for (int fd : fds)
            out += (out.empty() ? "" : ",") + std::to_string(fd);
        return out;
    });
    r.add({"garbage_frame", "", "Sends a frame of an unknown type."},
          [](const TaskContext&) { return write_to_channel_and_wait(frame(1, 0x7f, "")); });
    r.add({"oversized_frame", "", "Announces a 4 GiB frame."}, [](const TaskContext&) {
        return write_to_channel_and_wait(frame(0xFFFFFFF0u, 0x12, "xx"));
    });
    r.add({"bogus_ready", "", "Reports a result for a job it never got."}, [](const TaskContext&) {
        std::string bytes;
        wire::append_ready(bytes, 987654321, Outcome::Success, 0, 0, "");
        return write_to_channel_and_wait(bytes);
    });
    r.add({"getpid", "", "Returns its pid."},
          [](const TaskContext&) { return std::to_string(::getpid()); });
}

std::vector<std::string> split(const std::string& s) {
    std::vector<std::string> out;
    std::stringstream ss(s);
    for (std::string part; std::getline(ss, part, ',');)
        out.push_back(part);
    return out;
}

} // namespace

class TestPoolBehaviour : public QObject {
    Q_OBJECT

private slots:

    // --- start, info, the TaskPool facade ----------------------------------------------------

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

    // --- faults -------------------------------------------------------------------------------

    void killingABusyWorkerLosesOnlyItsJob_data() { add_variant_rows(); }
    void killingABusyWorkerLosesOnlyItsJob() {
        HARNESS_VARIANT();
        PoolUnderTest p(options(2), variant);
        QVERIFY(p.start());
        const int victim = p.submit("sleep=10000");
        const int other = p.submit("sleep=300");
        QVERIFY(p.wait_accepted(victim));
        QVERIFY(p.wait_accepted(other));
        const pid_t pid = p.accepted_pid(victim);
        QVERIFY(::kill(pid, SIGKILL) == 0);
        QVERIFY(p.wait_results(2));
        QCOMPARE(p.result(victim).outcome, Outcome::WorkerLost);
        QVERIFY2(p.result(victim).value.find("signal 9 (SIGKILL)") != std::string::npos,
                 p.result(victim).value.c_str());
        QVERIFY(p.result(other).ok());
        QVERIFY(p.wait_alive(2));
        QVERIFY(!p.pids().count(pid));
        QVERIFY(process_gone(pid));
    }

    void crashAndExitAreReportedWithTheirCause_data() { add_variant_rows(); }
    void crashAndExitAreReportedWithTheirCause() {
        HARNESS_VARIANT();
        PoolUnderTest p(options(2), variant);
        QVERIFY(p.start());
        const int segv = p.submit("crash=SEGV");
        const int exit3 = p.submit("exit=3");
        QVERIFY(p.wait_results(2));
        QCOMPARE(p.result(segv).outcome, Outcome::WorkerLost);
        QVERIFY(p.result(segv).value.find("SIGSEGV") != std::string::npos);
        QCOMPARE(p.result(exit3).outcome, Outcome::WorkerLost);
        QVERIFY(p.result(exit3).value.find("exitcode 3") != std::string::npos);
        QVERIFY(p.wait_alive(2));
        const int after = p.submit("noop");
        QVERIFY(p.wait_results(3));
        QVERIFY(p.result(after).ok());
    }

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

    void malformedFramesKillAndReplaceTheWorker_data() { add_variant_rows(); }
    void malformedFramesKillAndReplaceTheWorker() {
        HARNESS_VARIANT();
        PoolUnderTest p(options(1), variant);
        QVERIFY(p.start());
        const int garbage = p.submit("garbage_frame");
        const int oversized = p.submit("oversized_frame");
        const int bogus = p.submit("bogus_ready");
        const int after = p.submit("noop");
        QVERIFY(p.wait_results(4, 30s));
        for (int n : {garbage, oversized, bogus}) {
            QCOMPARE(p.result(n).outcome, Outcome::WorkerLost);
            QVERIFY2(p.result(n).value.find("protocol error") != std::string::npos,
                     p.result(n).value.c_str());
        }
        QVERIFY(p.result(after).ok());
        QVERIFY(p.recorder.said("unknown frame type 127"));
        QVERIFY(p.recorder.said("exceeds the limit"));
        QVERIFY(p.recorder.said("which it was not running"));
        QCOMPARE(p.pool.state(), PoolState::Run);
        QVERIFY(p.wait_alive(1));
    }

    void workersHoldOnlyTheirOwnChannel_data() { add_variant_rows(); }
    void workersHoldOnlyTheirOwnChannel() {
        HARNESS_VARIANT();
        PoolUnderTest p(options(3), variant);
        QVERIFY(p.start());
        for (int i = 0; i < 3; ++i)
            p.submit("list_fds");
        QVERIFY(p.wait_results(3));
        for (int i = 0; i < 3; ++i) {
            const auto fds = split(p.result(i).value);
            // stdin, stdout, stderr and the channel: no sibling's channel, no event-loop fd.
            QCOMPARE(fds, (std::vector<std::string>{"0", "1", "2", "3"}));
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

    void restartLimiterBreaksACrashLoop_data() { add_variant_rows(); }
    void restartLimiterBreaksACrashLoop() {
        HARNESS_VARIANT();
        auto o = options(2);
        o.max_restarts = 3;
        o.restart_window = Seconds(0.5);
        PoolUnderTest p(o, variant);
        QVERIFY(p.start());
        for (int i = 0; i < 12; ++i)
            p.submit("crash=KILL");
        QVERIFY(p.wait_results(12, 60s));
        QCOMPARE(p.count(Outcome::WorkerLost), std::size_t(12));
        QVERIFY(p.recorder.said("replacing them is paused"));
        QVERIFY(p.wait_alive(2)); // and it recovers once the window has passed
    }

    void aLastingCrashLoopIsToldOncePerWindow() {
        // Scheduling, not starting, decides this: one variant is enough.
        auto o = options(2);
        o.max_restarts = 10;
        o.restart_window = Seconds(0.3);
        PoolUnderTest p(o, harness::pool_variants().front());
        QVERIFY(p.start());
        const auto began = std::chrono::steady_clock::now();
        // Deaths spread between good jobs: the window keeps refilling, and each pause is short.
        for (int i = 0; i < 80; ++i)
            p.submit(i % 2 ? "crash=KILL" : "sleep=5");
        QVERIFY(p.wait_results(80, 60s));
        const double windows =
            Seconds(std::chrono::steady_clock::now() - began).count() / o.restart_window.count();
        const int told = p.recorder.times_said("replacing them is paused");
        QVERIFY(told >= 1);
        QVERIFY2(told <= int(windows) + 1,
                 qPrintable(QString("%1 notices in %2 windows").arg(told).arg(windows)));
        QVERIFY(p.wait_alive(2));
    }

    // --- recycling ----------------------------------------------------------------------------

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

    // --- lifecycle ----------------------------------------------------------------------------

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

    void workersDieWithTheirParent_data() { add_variant_rows(); }
    void workersDieWithTheirParent() {
        HARNESS_VARIANT();
        int pipefd[2];
        QVERIFY(::pipe(pipefd) == 0);
        const pid_t parent = ::fork();
        QVERIFY(parent >= 0);
        if (parent == 0) {
            // A stand-in parent process: start a pool, report the worker pids, wait to be killed.
            ::close(pipefd[0]);
            // The stand-in owns its forkserver, as an application does; workers are kept busy
            // so that only the death signal, not EOF on their channel, can end them in time.
            if (variant.start_method == StartMethod::Forkserver)
                testmain::forkserver() = ForkServer::start();
            PoolUnderTest p(options(3), variant);
            if (!p.start())
                ::_exit(1);
            for (int i = 0; i < 3; ++i)
                p.submit("sleep=30000");
            if (!p.wait_for([&] { return p.pool.stats().busy_processes == 3; }, 10s))
                ::_exit(1);
            std::string pids;
            for (pid_t pid : p.pids())
                pids += std::to_string(pid) + ",";
            pids += "\n";
            [[maybe_unused]] auto n = ::write(pipefd[1], pids.data(), pids.size());
            for (;;)
                ::pause();
        }
        ::close(pipefd[1]);
        std::string line;
        char c;
        while (::read(pipefd[0], &c, 1) == 1 && c != '\n')
            line += c;
        ::close(pipefd[0]);
        const auto pids = split(line);
        QCOMPARE(pids.size(), std::size_t(3));
        QVERIFY(::kill(parent, SIGKILL) == 0);
        ::waitpid(parent, nullptr, 0);
        const auto deadline = std::chrono::steady_clock::now() + 1s; // time is the behaviour
        for (const auto& pid : pids) {
            while (!process_gone(std::stoi(pid)) && std::chrono::steady_clock::now() < deadline)
                std::this_thread::sleep_for(5ms);
            QVERIFY2(process_gone(std::stoi(pid)), ("orphan worker " + pid).c_str());
        }
    }

    void aWorkerThatNeverComesUpIsKilled() {
        // A launcher whose workers never announce themselves: the alive timeout must catch it.
        class SilentLauncher final : public ProcessLauncher {
        public:
            std::string_view name() const override { return "silent"; }
            LaunchedWorker launch(const WorkerSettings&) override {
                int sv[2];
                if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
                    throw std::runtime_error("socketpair");
                const pid_t pid = ::fork();
                if (pid == 0) {
                    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
                    for (;;)
                        ::pause();
                }
                ::close(sv[1]);
                ::fcntl(sv[0], F_SETFL, O_NONBLOCK);
                LaunchedWorker w;
                w.pid = pid;
                w.channel.reset(sv[0]);
                w.exit_fd.reset(int(::syscall(SYS_pidfd_open, pid, 0)));
                return w;
            }
            ExitStatus reap(pid_t pid, int fd) override { return inner->reap(pid, fd); }
            bool soft_limit(pid_t pid, std::uint32_t t) override {
                return inner->soft_limit(pid, t);
            }
            bool terminate(pid_t pid) override { return inner->terminate(pid); }
            bool kill(pid_t pid) override { return inner->kill(pid); }
            bool deliver(pid_t pid, int s) override { return inner->deliver(pid, s); }
            std::uint64_t resident_kib(pid_t) override { return 0; }
            std::unique_ptr<ProcessLauncher> inner = make_fork_launcher();
        };
        auto o = options(1);
        o.proc_alive_timeout = Seconds(0.2);
        PollLoop loop;
        Pool pool(o, std::make_unique<SilentLauncher>());
        Recorder recorder;
        pool.add_observer(&recorder);
        pool.register_with_event_loop(loop);
        pool.start();
        QVERIFY(loop.run_until([&] { return pool.stats().workers_exited >= 2; }, 10s));
        QVERIFY(!pool.did_start_ok());
        QVERIFY(pool.start_failed());
        QVERIFY(recorder.said("did not start within 0.2 s"));
        QCOMPARE(pool.state(), PoolState::Run); // it keeps trying, through the limiter
        pool.terminate();
        QVERIFY(pool.join(5s));
    }

    // --- start methods ---------------------------------------------------------------------

    void workersComeFromTheirStartMethod_data() { add_variant_rows(); }
    void workersComeFromTheirStartMethod() {
        HARNESS_VARIANT();
        PoolUnderTest p(options(2), variant);
        QVERIFY(p.start());
        for (pid_t pid : p.pids()) {
            const pid_t parent = parent_of(pid);
            const std::string command = command_line_of(pid);
            switch (variant.start_method) {
            case StartMethod::Fork:
                QCOMPARE(parent, ::getpid());
                QVERIFY2(command.find("--poolcore-worker") == std::string::npos, command.c_str());
                break;
            case StartMethod::Forkserver:
                // The real pid, reported by the server that forked it.
                QCOMPARE(parent, testmain::forkserver()->pid());
                break;
            case StartMethod::Spawn:
                QCOMPARE(parent, ::getpid());
                QVERIFY2(command.find("--poolcore-worker") != std::string::npos, command.c_str());
                break;
            }
        }
    }

    void spawnedWorkersCanRunAsADedicatedProgram_data() { add_pool_kind_rows(); }
    void spawnedWorkersCanRunAsADedicatedProgram() {
        QFETCH(bool, threads);
        PoolOptions o = options(2);
        o.worker_program = POOLSCOPE_WORKER_PROGRAM;
        PoolUnderTest p(o, PoolVariant{"", threads, StartMethod::Spawn});
        QVERIFY(p.start());
        auto program_of = [](pid_t pid) {
            return std::filesystem::read_symlink("/proc/" + std::to_string(pid) + "/exe").string();
        };
        for (pid_t pid : p.pids())
            QCOMPARE(program_of(pid), std::string(POOLSCOPE_WORKER_PROGRAM));
        // The same worker, faults and limits included: the built-in tasks live in poolcore.
        const int echoed = p.submit("echo", "from the worker program");
        const int lost = p.submit("crash=KILL");
        QVERIFY(p.wait_results(2));
        QCOMPARE(p.result(echoed).value, std::string("from the worker program"));
        QCOMPARE(p.result(lost).outcome, Outcome::WorkerLost);
        QVERIFY(p.wait_alive(2));
        for (pid_t pid : p.pids())
            QCOMPARE(program_of(pid), std::string(POOLSCOPE_WORKER_PROGRAM));
        auto limited = TaskCall::parse("spin=5000");
        limited.soft_time_limit = Seconds(0.2);
        const int soft = p.submit(std::move(limited));
        QVERIFY(p.wait_results(3));
        QCOMPARE(p.result(soft).outcome, Outcome::SoftTimeLimit);
    }

    void aWorkerProgramThatIsNotOneIsRefusedOrCaught() {
        // Not executable at all: an impossible setting, named before anything starts.
        PoolOptions o = options(1);
        o.start_method = StartMethod::Spawn;
        o.worker_program = "/nonexistent/poolscope-worker";
        const auto problems = o.problems();
        QCOMPARE(problems.size(), std::size_t(1));
        QCOMPARE(problems[0].field, std::string("worker_program"));
        QVERIFY_THROWS_EXCEPTION(PoolError, TaskPool{o});
        o.worker_program = "/tmp"; // executable, but a folder
        QCOMPARE(o.problems().size(), std::size_t(1));

        // A program without the worker entry never says it is up: caught like any such worker.
        o.worker_program = "/bin/false";
        o.proc_alive_timeout = Seconds(0.5);
        PoolUnderTest p(o, PoolVariant{"", false, StartMethod::Spawn});
        p.pool.on_start();
        QVERIFY(p.wait_for([&] { return p.pool.stats().workers_exited >= 2; }, 10s));
        QVERIFY(!p.pool.did_start_ok());
        QCOMPARE(p.pool.state(), PoolState::Run); // it keeps trying, through the limiter
    }

    void forkIsRefusedWhileOtherThreadsRun_data() { add_pool_kind_rows(); }
    void forkIsRefusedWhileOtherThreadsRun() {
        QFETCH(bool, threads);
        std::atomic<bool> quit{false};
        std::thread bystander([&] {
            while (!quit)
                std::this_thread::sleep_for(1ms);
        });
        PoolOptions o = options(1);
        o.threads = threads;
        o.start_method = StartMethod::Fork;
        o.allow_fork_with_threads = false;
        TaskPool pool(o);
        try {
            pool.on_start();
            QFAIL("fork was not refused");
        } catch (const PoolError& e) {
            const std::string what = e.what();
            QVERIFY2(what.find("threads") != std::string::npos, e.what());
            QVERIFY2(what.find("forkserver") != std::string::npos, e.what());
        }
        o.allow_fork_with_threads = true; // the embedder vouches for its threads
        TaskPool allowed(o);
        allowed.on_start();
        QVERIFY(allowed.wait_until([&] { return allowed.did_start_ok(); }, 10s));
        allowed.on_terminate();
        quit = true;
        bystander.join();
    }

    void aDeadForkserverIsReportedAndReplaced_data() { add_pool_kind_rows(); }
    void aDeadForkserverIsReportedAndReplaced() {
        QFETCH(bool, threads);
        // Its own server (spawned: this process runs threads), not the one the suite shares.
        PoolOptions o = options(2);
        o.start_method = StartMethod::Forkserver;
        o.forkserver = ForkServer::start();
        PoolVariant variant{"", threads, StartMethod::Forkserver};
        PoolUnderTest p(o, variant);
        p.pool.on_start();
        QVERIFY(p.wait_for([&] { return p.pool.did_start_ok(); }, 10s));
        const pid_t first_server = o.forkserver->pid();
        const auto old_pids = p.pids();
        const int busy = p.submit("sleep=30000");
        QVERIFY(p.wait_accepted(busy));

        QVERIFY(::kill(first_server, SIGKILL) == 0);
        // Its workers die with it; the busy job is lost, the pool says why and recovers.
        QVERIFY(p.wait_results(1, 10s));
        QCOMPARE(p.result(busy).outcome, Outcome::WorkerLost);
        QVERIFY(p.wait_for(
            [&] {
                return p.recorder.said("the forkserver (pid " + std::to_string(first_server) +
                                       ") exited with signal 9 (SIGKILL); started a new");
            },
            10s));
        QVERIFY(p.wait_alive(2, 10s));
        QVERIFY(o.forkserver->pid() != first_server);
        for (pid_t pid : p.pids())
            QVERIFY(old_pids.count(pid) == 0);
        const int after = p.submit("echo", "still works");
        QVERIFY(p.wait_results(2));
        QCOMPARE(p.result(after).value, std::string("still works"));
        QCOMPARE(p.duplicate_outcomes(), 0);
    }

    void aForkserverKilledJustBeforeALaunchIsNamedAndReplaced() {
        // Killed and asked at once: the launch sees either the dead server or only its broken
        // socket, depending on how far the kernel got; both must read the same to the user.
        auto server = ForkServer::start();
        for (int round = 0; round < 20; ++round) {
            const pid_t killed = server->pid();
            QVERIFY(::kill(killed, SIGKILL) == 0);
            std::vector<std::string> notices;
            LaunchedWorker worker =
                server->client().launch(poolcore::WorkerSettings{},
                                        [&](const std::string& text) { notices.push_back(text); });
            QCOMPARE(notices.size(), std::size_t(1));
            QVERIFY2(notices[0].starts_with("the forkserver (pid " + std::to_string(killed) +
                                            ") exited with signal 9 (SIGKILL); started a new "
                                            "forkserver (pid " +
                                            std::to_string(server->pid()) + ")"),
                     notices[0].c_str());
            QVERIFY(worker.pid > 0);
            worker.channel.reset(); // EOF: the worker exits, and the new server says how
            QVERIFY(posix::ForkServerClient::read_exit_status(worker.exit_fd.get(), 10s).known);
        }
    }

    void anUnansweringForkserverIsNotWaitedFor() {
        PoolOptions o = options(1);
        o.start_method = StartMethod::Forkserver;
        o.forkserver = ForkServer::start();
        PoolUnderTest p(o, PoolVariant{"", false, StartMethod::Forkserver});
        QVERIFY(p.start());
        const pid_t stuck = o.forkserver->pid();
        QVERIFY(::kill(stuck, SIGSTOP) == 0);
        p.pool.grow(1); // needs the server, which cannot answer
        QVERIFY(
            p.wait_for([&] { return p.recorder.said("forkserver: no answer within 5 s"); }, 20s));
        QVERIFY(p.wait_alive(2, 20s)); // the retry started a new server
        QVERIFY(process_gone(stuck));
        QVERIFY(o.forkserver->pid() != stuck);
    }

    void theEventLoopPoolCanMoveLoops() {
        // Celery's order: on_start first, register_with_event_loop after.
        PoolUnderTest p(options(2), pool_variants()[0]);
        QVERIFY(p.start());
        PollLoop other;
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

POOLSCOPE_TEST_MAIN(TestPoolBehaviour, QCoreApplication, register_test_tasks)
#include "test_pool_behaviour.moc"
