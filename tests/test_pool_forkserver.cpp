// SPDX-License-Identifier: GPL-3.0-or-later
// The behavioural suite, the forkserver: a server that dies, is killed just before a launch, or
// stops answering is named to the user and replaced.
#include "platform/posix/forkserver_client.h"
#include "pool_harness.h"
#include "pool_test_tasks.h"
#include "poolcore/forkserver.h"

#include <algorithm>
#include <vector>

using namespace harness;
using namespace poolcore;
using namespace std::chrono_literals;

class TestPoolForkserver : public QObject {
    Q_OBJECT

private slots:
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
        // Each old worker is seen to exit once it has died of its server's death, a moment
        // after the server; until then it is rightly counted alive. Wait for both pools' full
        // complement of new workers, then check that none of the old is among them.
        QVERIFY(p.wait_for(
            [&] {
                const auto now = p.pids();
                return std::none_of(now.begin(), now.end(),
                                    [&](pid_t pid) { return old_pids.count(pid) != 0; });
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
};

POOLSCOPE_TEST_MAIN(TestPoolForkserver, QCoreApplication, register_test_tasks)
#include "test_pool_forkserver.moc"
