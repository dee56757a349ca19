// SPDX-License-Identifier: GPL-3.0-or-later
// `poolscope --headless` run as a shell or a supervisor runs it: with stdin, stdout or stderr
// closed, its report sent to a full device, and stopped by SIGTERM, SIGINT or SIGHUP in the
// middle of a load. Each case runs for
// both pools and every start method.
#include "app_process.h"
#include "poolcore/observer.h"

#include <QTest>
#include <array>
#include <signal.h>

class TestHeadlessSignals : public QObject {
    Q_OBJECT

    // Rows for every start method and pool kind (on both event loops), but fork with the
    // thread-driven pool (refused: the pool's thread exists before its first fork); the rows
    // take the stop signals in turn.
    static void methods_and_pools() {
        QTest::addColumn<QString>("method");
        QTest::addColumn<QStringList>("pool");
        QTest::addColumn<int>("sig");
        int row = 0;
        for (const char* method : {"forkserver", "spawn", "fork"})
            for (const QStringList& pool :
                 {QStringList{"--pool", "async"}, QStringList{"--pool", "async", "--loop", "qt"},
                  QStringList{"--pool", "blocking"}}) {
                if (std::string(method) == "fork" && pool[1] == "blocking")
                    continue;
                const int sig = std::array{SIGTERM, SIGINT, SIGHUP}[row++ % 3];
                QTest::newRow(
                    (std::string(method) + "/" + pool.mid(1).join("/").toStdString()).c_str())
                    << method << pool << sig;
            }
    }

    // A headless run of sleep tasks with its workers up and jobs in flight; the processes below
    // it in `descendants`.
    static std::unique_ptr<QProcess> start_load(const QString& method, const QStringList& pool,
                                                const QStringList& load,
                                                std::vector<pid_t>& descendants) {
        QStringList args{"--headless", "--json", "--processes", "2", "--start-method", method};
        args << pool << load;
        auto app = apptest::start(args);
        if (!app->waitForStarted(30000))
            return app;
        const std::size_t workers = method == "forkserver" ? 3 : 2;
        descendants = apptest::wait_for_descendants(pid_t(app->processId()), workers);
        QTest::qWait(300); // so that the first jobs are running
        return app;
    }

    static void checkStoppedRun(const apptest::Finished& f, int sig,
                                const std::vector<pid_t>& descendants) {
        QVERIFY2(f.exited, ("the app died instead of stopping; stderr: " + f.err).c_str());
        QCOMPARE(f.code, 128 + sig);
        const auto report = f.report();
        QVERIFY2(report.is_object(), ("no report; stdout: " + f.out + " stderr: " + f.err).c_str());
        QCOMPARE(report["stopped_by"].get<std::string>(), std::string(poolcore::signal_name(sig)));
        QCOMPARE(apptest::outcomes(report), report["submitted"].get<long long>());
        QVERIFY2(apptest::left_behind(descendants).empty(), "a process of the run outlived it");
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

    // A report to a full device (a full disk, as /dev/full is always) is no report: the run says
    // so on stderr and fails, within the bound, and its workers end with it.
    void aReportToAFullDeviceFailsTheRunWithAMessage_data() { methods_and_pools(); }
    void aReportToAFullDeviceFailsTheRunWithAMessage() {
        QFETCH(QString, method);
        QFETCH(QStringList, pool);
        for (const bool json : {false, true}) {
            QStringList args{"--headless", "--processes",    "2",   "--count", "40", "--task",
                             "sleep=50",   "--start-method", method};
            args << pool;
            if (json)
                args << "--json";
            QProcess app;
            app.setStandardOutputFile(QStringLiteral("/dev/full"));
            app.start(QStringLiteral(POOLSCOPE_APP), args);
            QVERIFY(app.waitForStarted(30000));
            const auto descendants = apptest::wait_for_descendants(pid_t(app.processId()),
                                                                   method == "forkserver" ? 3 : 2);
            QVERIFY(descendants.size() >= 2);
            const auto f = apptest::finish(app);
            QVERIFY2(f.exited, f.err.c_str());
            QCOMPARE(f.code, 1);
            QVERIFY2(f.err.find("poolscope: could not write the report: No space left on "
                                "device") != std::string::npos,
                     f.err.c_str());
            QVERIFY2(apptest::left_behind(descendants).empty(), "a process of the run outlived it");
        }
    }

    // With stderr closed, --verbose prints into the void and nowhere else.
    void aClosedStderrTakesNoWorkerWithIt_data() { methods_and_pools(); }
    void aClosedStderrTakesNoWorkerWithIt() {
        checkTheLoadRan(runWithAClosedStream(STDERR_FILENO));
    }

    void aClosedStdinChangesNothing_data() { methods_and_pools(); }
    void aClosedStdinChangesNothing() { checkTheLoadRan(runWithAClosedStream(STDIN_FILENO)); }

    // The first signal stops the load: no new job goes out, those in flight finish within the
    // grace period, and the report accounts for every job that went out.
    void aStopSignalFinishesTheJobsInFlightAndReports_data() {
        QTest::addColumn<QString>("method");
        QTest::addColumn<QStringList>("pool");
        QTest::addColumn<int>("sig");
        for (const char* method : {"forkserver", "spawn", "fork"})
            for (const char* pool : {"async", "blocking"})
                for (int sig : {SIGTERM, SIGINT, SIGHUP}) {
                    if (std::string(method) == "fork" && std::string(pool) == "blocking")
                        continue;
                    QTest::newRow((std::string(method) + "/" + pool + "/" +
                                   std::string(poolcore::signal_name(sig)))
                                      .c_str())
                        << method << QStringList{"--pool", pool} << sig;
                }
    }
    void aStopSignalFinishesTheJobsInFlightAndReports() {
        QFETCH(QString, method);
        QFETCH(QStringList, pool);
        QFETCH(int, sig);
        std::vector<pid_t> descendants;
        // Far more jobs than the run could do, each short, so that the jobs queued and running
        // when the signal comes finish well within the grace period.
        auto app = start_load(method, pool,
                              {"--task", "sleep=2", "--count", "100000000", "--stop-grace", "300"},
                              descendants);
        QVERIFY(descendants.size() >= 2);
        QCOMPARE(::kill(pid_t(app->processId()), sig), 0);
        const auto f = apptest::finish(*app);
        checkStoppedRun(f, sig, descendants);
        const auto r = f.report();
        QVERIFY(r["submitted"].get<long long>() > 0);
        QVERIFY(r["submitted"].get<long long>() < 100000000);
        QCOMPARE(r["succeeded"].get<long long>(), r["submitted"].get<long long>());
        QCOMPARE(r["terminated"].get<long long>(), 0);
    }

    // Jobs that outlast the grace period are terminated, and still counted.
    void jobsPastTheGracePeriodAreTerminated_data() { methods_and_pools(); }
    void jobsPastTheGracePeriodAreTerminated() {
        QFETCH(QString, method);
        QFETCH(QStringList, pool);
        QFETCH(int, sig);
        std::vector<pid_t> descendants;
        auto app = start_load(method, pool,
                              {"--task", "sleep=600000", "--count", "10", "--stop-grace", "0.5"},
                              descendants);
        QVERIFY(descendants.size() >= 2);
        QCOMPARE(::kill(pid_t(app->processId()), sig), 0);
        const auto f = apptest::finish(*app);
        checkStoppedRun(f, sig, descendants);
        const auto r = f.report();
        QVERIFY(r["submitted"].get<long long>() > 0);
        QCOMPARE(r["terminated"].get<long long>(), r["submitted"].get<long long>());
        QVERIFY2(f.err.find("after the grace period") != std::string::npos, f.err.c_str());
    }

    // A second signal does not wait for the grace period: the jobs in flight are terminated now.
    void aSecondSignalTerminatesAtOnce_data() { methods_and_pools(); }
    void aSecondSignalTerminatesAtOnce() {
        QFETCH(QString, method);
        QFETCH(QStringList, pool);
        std::vector<pid_t> descendants;
        // A grace period longer than finish() waits: only the second signal can end this run.
        auto app = start_load(method, pool,
                              {"--task", "sleep=600000", "--count", "10", "--stop-grace", "3600"},
                              descendants);
        QVERIFY(descendants.size() >= 2);
        const auto pid = pid_t(app->processId());
        QCOMPARE(::kill(pid, SIGTERM), 0);
        // The second signal after the first has been taken in, which stderr says.
        QByteArray err;
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
        while (!err.contains("submitting no more jobs") &&
               std::chrono::steady_clock::now() < deadline) {
            app->waitForReadyRead(100);
            err += app->readAllStandardError();
        }
        QVERIFY2(err.contains("submitting no more jobs"), err.constData());
        QCOMPARE(::kill(pid, SIGINT), 0);
        auto f = apptest::finish(*app);
        f.err = err.toStdString() + f.err;
        checkStoppedRun(f, SIGTERM, descendants); // the exit code names the first
        const auto r = f.report();
        QCOMPARE(r["terminated"].get<long long>(), r["submitted"].get<long long>());
        QVERIFY2(f.err.find("on a second signal") != std::string::npos, f.err.c_str());
    }
};

QTEST_GUILESS_MAIN(TestHeadlessSignals)
#include "test_headless_signals.moc"
