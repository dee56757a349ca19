// SPDX-License-Identifier: GPL-3.0-or-later
// `poolscope --headless` run as a shell or a supervisor runs it: with stdin, stdout or stderr
// closed. Each case runs for both pools and every start method.
#include "app_process.h"

#include <QTest>

class TestHeadlessSignals : public QObject {
    Q_OBJECT

    // Rows for every start method and pool kind (on both event loops), but fork with the
    // thread-driven pool (refused: the pool's thread exists before its first fork).
    static void methods_and_pools() {
        QTest::addColumn<QString>("method");
        QTest::addColumn<QStringList>("pool");
        for (const char* method : {"forkserver", "spawn", "fork"})
            for (const QStringList& pool :
                 {QStringList{"--pool", "async"}, QStringList{"--pool", "async", "--loop", "qt"},
                  QStringList{"--pool", "blocking"}}) {
                if (std::string(method) == "fork" && pool[1] == "blocking")
                    continue;
                QTest::newRow(
                    (std::string(method) + "/" + pool.mid(1).join("/").toStdString()).c_str())
                    << method << pool;
            }
    }

    // A run with `closed_fd` closed: while it runs, none of its processes has a socket on 0-2,
    // and every job but the crashing ones succeeds (the verbose messages reach no worker).
    static apptest::Finished runWithAClosedStream(int closed_fd) {
        QFETCH(QString, method);
        QFETCH(QStringList, pool);
        QStringList args{"--headless", "--json",  "--verbose",  "--processes",
                         "2",          "--count", "20",         "--task",
                         "sleep=300",  "--task",  "crash=KILL", "--start-method",
                         method};
        args << pool;
        auto app = apptest::start(args, closed_fd);
        if (!app->waitForStarted(30000))
            return {};
        const auto pid = pid_t(app->processId());
        auto processes = apptest::wait_for_descendants(pid, method == "forkserver" ? 3 : 2);
        processes.push_back(pid);
        const std::string sockets = apptest::standard_sockets(processes);
        auto f = apptest::finish(*app);
        if (!sockets.empty())
            f.err = "standard streams that are sockets:\n" + sockets + f.err;
        return f;
    }
    static void checkTheLoadRan(const apptest::Finished& f) {
        QVERIFY2(f.exited, f.err.c_str());
        QVERIFY2(f.err.find("standard streams that are sockets") == std::string::npos,
                 f.err.c_str());
        QCOMPARE(f.code, 0);
        const auto r = f.report();
        QVERIFY2(r.is_object(), (f.out + f.err).c_str());
        QCOMPARE(r["succeeded"].get<int>(), 10);
        QCOMPARE(r["lost"].get<int>(), 10);
        QCOMPARE(r["workers_started"].get<int>(), 2 + 10); // one replacement per crash, no more
    }

private slots:
    // With stdout closed, the report has nowhere to go: the run says so on stderr and fails,
    // rather than writing it into whichever socket took descriptor 1.
    void aClosedStdoutFailsTheRunWithAMessage_data() { methods_and_pools(); }
    void aClosedStdoutFailsTheRunWithAMessage() {
        const auto f = runWithAClosedStream(STDOUT_FILENO);
        QVERIFY2(f.exited, f.err.c_str());
        QVERIFY2(f.err.find("standard streams that are sockets") == std::string::npos,
                 f.err.c_str());
        QCOMPARE(f.code, 1);
        QVERIFY2(f.err.find("poolscope: could not write the report") != std::string::npos,
                 f.err.c_str());
        QVERIFY2(f.err.find("exitcode") == std::string::npos, f.err.c_str()); // no worker broke
    }

    // With stderr closed, --verbose prints into the void and nowhere else.
    void aClosedStderrTakesNoWorkerWithIt_data() { methods_and_pools(); }
    void aClosedStderrTakesNoWorkerWithIt() {
        checkTheLoadRan(runWithAClosedStream(STDERR_FILENO));
    }

    void aClosedStdinChangesNothing_data() { methods_and_pools(); }
    void aClosedStdinChangesNothing() { checkTheLoadRan(runWithAClosedStream(STDIN_FILENO)); }
};

QTEST_GUILESS_MAIN(TestHeadlessSignals)
#include "test_headless_signals.moc"
