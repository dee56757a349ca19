// SPDX-License-Identifier: GPL-3.0-or-later
// The behavioural suite, start methods: workers come from fork, the forkserver or spawn as
// asked, spawn can run a dedicated worker program, and fork is refused while threads run.
#include "platform/process_title.h"
#include "pool_harness.h"
#include "pool_test_tasks.h"
#include "poolcore/forkserver.h"
#include "process_util.h"

#include <atomic>
#include <filesystem>
#include <thread>
#include <unistd.h>

using namespace harness;
using namespace poolcore;
using namespace std::chrono_literals;
using testutil::command_line_of;
using testutil::parent_of;
using testutil::short_name_of;
using testutil::start_environment_of;

namespace {
// Set in this process after it started: only a worker that is a fresh program (spawn) starts
// with it in its environment; a forked one shows this process's original environment.
constexpr const char* kSetAfterStart = "POOLSCOPE_TEST_SET_AFTER_START=1";
} // namespace

class TestPoolStartMethods : public QObject {
    Q_OBJECT

private slots:
    void initTestCase() { ::putenv(const_cast<char*>(kSetAfterStart)); }

    void workersComeFromTheirStartMethod_data() { add_variant_rows(); }
    void workersComeFromTheirStartMethod() {
        HARNESS_VARIANT();
        PoolUnderTest p(options(2), variant);
        QVERIFY(p.start());
        for (pid_t pid : p.pids()) {
            const pid_t parent = parent_of(pid);
            const bool fresh_program =
                start_environment_of(pid).find(kSetAfterStart) != std::string::npos;
            switch (variant.start_method) {
            case StartMethod::Fork:
                QCOMPARE(parent, ::getpid());
                QVERIFY(!fresh_program);
                break;
            case StartMethod::Forkserver:
                // The real pid, reported by the server that forked it.
                QCOMPARE(parent, testmain::forkserver()->pid());
                break;
            case StartMethod::Spawn:
                QCOMPARE(parent, ::getpid());
                QVERIFY(fresh_program);
                break;
            }
        }
    }

    // `ps` tells the workers from the program and each slot from the others, whichever start
    // method made them, the replacement of a crashed one included.
    void workersAreTitledWithTheirSlot_data() { add_variant_rows(); }
    void workersAreTitledWithTheirSlot() {
        HARNESS_VARIANT();
        if (!poolcore::sets_process_titles())
            QSKIP("this build of poolcore leaves process titles as they are (the portable POSIX "
                  "build, as on macOS: only Linux has them)");
        PoolUnderTest p(options(3), variant);
        QVERIFY(p.start());
        QVERIFY(p.wait_alive(3));
        auto check_titles = [&] {
            const auto workers = p.pool.stats().workers;
            QCOMPARE(int(workers.size()), 3);
            for (const auto& w : workers) {
                const std::string slot = std::to_string(w.slot);
                QCOMPARE(command_line_of(w.pid), "poolscope-worker: slot " + slot);
                QCOMPARE(short_name_of(w.pid), "pool-worker-" + slot);
            }
        };
        check_titles();
        if (variant.start_method == StartMethod::Forkserver) {
            const pid_t server = testmain::forkserver()->pid();
            QCOMPARE(command_line_of(server), std::string("poolscope-forkserver"));
            QCOMPARE(short_name_of(server), std::string("pool-forkserver"));
        }
        if (QTest::currentTestFailed())
            return;
        const int lost = p.submit("crash=KILL");
        QVERIFY(p.wait_results(1));
        QCOMPARE(p.result(lost).outcome, Outcome::WorkerLost);
        QVERIFY(p.wait_alive(3));
        check_titles();
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
};

POOLSCOPE_TEST_MAIN(TestPoolStartMethods, QCoreApplication, register_test_tasks)
#include "test_pool_start_methods.moc"
