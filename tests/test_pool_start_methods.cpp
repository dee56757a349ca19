// SPDX-License-Identifier: GPL-3.0-or-later
// The behavioural suite, start methods: workers come from fork, the forkserver or spawn as
// asked, spawn can run a dedicated worker program, and fork is refused while threads run.
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

class TestPoolStartMethods : public QObject {
    Q_OBJECT

private slots:
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
};

POOLSCOPE_TEST_MAIN(TestPoolStartMethods, QCoreApplication, register_test_tasks)
#include "test_pool_start_methods.moc"
