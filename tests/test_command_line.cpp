// SPDX-License-Identifier: GPL-3.0-or-later
#include "app/command_line.h"

#include <QTest>

using poolscope::CommandLine;
using poolscope::parse_command_line;

class TestCommandLine : public QObject {
    Q_OBJECT

    static CommandLine parse(QStringList args) {
        args.prepend("poolscope");
        return parse_command_line(args);
    }

private slots:
    void defaultsOpenTheGui() {
        const auto cl = parse({});
        QCOMPARE(cl.mode, CommandLine::Mode::Gui);
        QCOMPARE(cl.headless.pool.processes, 0); // one per CPU
    }

    // Qt's own options reach the window's QApplication, which applies them; the parser lets
    // them through with their values instead of calling them unknown.
    void qtsStandardOptionsAreLetThrough() {
        auto cl =
            parse({"-platform", "offscreen", "-style=fusion", "-reverse", "--processes", "3"});
        QCOMPARE(cl.mode, CommandLine::Mode::Gui);
        QCOMPARE(cl.headless.pool.processes, 3);
        cl = parse({"-stylesheet", "dark.qss", "-qwindowgeometry", "800x600+0+0"});
        QCOMPARE(cl.mode, CommandLine::Mode::Gui);
        // A Qt option's value is never read as one of ours, and ours are still checked.
        QCOMPARE(parse({"-style", "--headless"}).mode, CommandLine::Mode::Gui);
        QCOMPARE(parse({"-bogus"}).mode, CommandLine::Mode::Error);
        QCOMPARE(parse({"--style", "fusion"}).mode, CommandLine::Mode::Error);
    }

    void attachOpensTheGuiOnASocket() {
        const auto cl = parse({"--attach", "/run/user/1000/poolscope/pool-7.sock"});
        QCOMPARE(cl.mode, CommandLine::Mode::Gui);
        QCOMPARE(cl.attach_socket, QStringLiteral("/run/user/1000/poolscope/pool-7.sock"));
        QVERIFY(parse({}).attach_socket.isEmpty());
    }

    void helpNamesTheProgramAndEveryHeadlessOption() {
        const auto cl = parse({"--help"});
        QCOMPARE(cl.mode, CommandLine::Mode::Help);
        QVERIFY2(cl.text.startsWith("Usage: poolscope "), qPrintable(cl.text));
        for (const char* option :
             {"--headless", "--processes", "--task", "--count", "--payload", "--pool", "--loop",
              "--strategy", "--soft-time-limit", "--time-limit", "--max-tasks-per-child",
              "--max-memory-per-child", "--chaos-kill-ms", "--json"})
            QVERIFY2(cl.text.contains(option), option);
    }

    void headlessTakesTheScriptedInterface() {
        const auto cl = parse({"--headless", "--processes",
                               "3",          "--task",
                               "sleep=5",    "--task",
                               "noop",       "--count",
                               "50",         "--payload",
                               "128",        "--pool",
                               "blocking",   "--strategy",
                               "fcfs",       "--soft-time-limit",
                               "1.5",        "--time-limit",
                               "2",          "--max-tasks-per-child",
                               "10",         "--max-memory-per-child",
                               "204800",     "--chaos-kill-ms",
                               "100",        "--json"});
        QCOMPARE(cl.mode, CommandLine::Mode::Headless);
        const auto& h = cl.headless;
        QCOMPARE(h.pool.processes, 3);
        QCOMPARE(h.tasks.size(), std::size_t(2));
        QCOMPARE(h.tasks[0].task, std::string("sleep"));
        QCOMPARE(h.tasks[0].argument, std::string("5"));
        QCOMPARE(h.count, 50ll);
        QCOMPARE(h.payload_bytes, std::size_t(128));
        QVERIFY(h.pool.threads);
        QCOMPARE(h.pool.strategy, poolcore::Strategy::Fcfs);
        QCOMPARE(h.pool.soft_time_limit->count(), 1.5);
        QCOMPARE(h.pool.time_limit->count(), 2.0);
        QCOMPARE(*h.pool.max_tasks_per_child, 10);
        QCOMPARE(*h.pool.max_memory_per_child_kib, std::uint64_t(204800));
        QCOMPARE(*h.chaos_kill_ms, 100);
        QVERIFY(h.json);
        QVERIFY(!h.pool.start_method); // the app's default applies: forkserver
    }

    void startMethodIsChosenByName() {
        using poolcore::StartMethod;
        for (auto [name, method] : {std::pair{"fork", StartMethod::Fork},
                                    std::pair{"forkserver", StartMethod::Forkserver},
                                    std::pair{"spawn", StartMethod::Spawn}}) {
            const auto cl = parse({"--headless", "--start-method", name});
            QCOMPARE(cl.mode, CommandLine::Mode::Headless);
            QCOMPARE(*cl.headless.pool.start_method, method);
        }
        QCOMPARE(*parse({"--start-method", "spawn"}).headless.pool.start_method,
                 StartMethod::Spawn); // the desktop app takes it too
    }

    // The desktop app's settings: a saved session with the command line put over it.
    static poolcore::PoolOptions savedSettings() {
        poolcore::PoolOptions saved;
        saved.processes = 4;
        saved.strategy = poolcore::Strategy::Fcfs;
        saved.prefetch = 8;
        saved.time_limit = poolcore::Seconds(30);
        saved.max_restarts = 7;
        saved.restart_window = poolcore::Seconds(2.5);
        return saved;
    }

    void processesZeroGivenOverridesSavedProcesses() {
        const auto cl = parse({"--processes", "0"});
        QCOMPARE(cl.mode, CommandLine::Mode::Gui);
        QCOMPARE(cl.overlay(savedSettings()).processes, 0); // one per CPU, as asked
    }

    void optionNotGivenKeepsSavedValue() {
        const auto cl = parse({"--processes", "2"});
        const auto o = cl.overlay(savedSettings());
        QCOMPARE(o.processes, 2);
        QCOMPARE(o.strategy, poolcore::Strategy::Fcfs);
        QCOMPARE(o.prefetch, 8);
        QCOMPARE(o.time_limit->count(), 30.0);
        QCOMPARE(o.max_restarts, 7); // the crash-loop guard's settings are the window's
        QCOMPARE(o.restart_window.count(), 2.5);
        QVERIFY(!o.threads);
    }

    void defaultValueGivenExplicitlyOverridesSavedOne() {
        const auto cl = parse({"--strategy", "fair", "--prefetch", "4"});
        QCOMPARE(cl.mode, CommandLine::Mode::Gui);
        const auto o = cl.overlay(savedSettings());
        QCOMPARE(o.strategy, poolcore::Strategy::Fair);
        QCOMPARE(o.prefetch, 4);
        QCOMPARE(o.processes, 4);
    }

    void stopGraceIsPositiveSecondsForHeadlessRuns() {
        QCOMPARE(parse({"--headless"}).headless.stop_grace_s, 10.0);
        QCOMPARE(parse({"--headless", "--stop-grace", "2.5"}).headless.stop_grace_s, 2.5);
        for (const QStringList& bad : {QStringList{"--headless", "--stop-grace", "0"},
                                       QStringList{"--headless", "--stop-grace", "soon"},
                                       QStringList{"--stop-grace", "5"}}) {
            const auto cl = parse(bad);
            QCOMPARE(cl.mode, CommandLine::Mode::Error);
            QVERIFY2(cl.text.contains("--stop-grace") || cl.text.contains("--headless"),
                     qPrintable(cl.text));
        }
    }

    void badArgumentsGiveOneLineErrors_data() {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<QString>("expected");
        QTest::newRow("zero processes")
            << QStringList{"--headless", "--processes", "0"} << "--processes";
        QTest::newRow("words for a number")
            << QStringList{"--headless", "--count", "many"} << "--count";
        QTest::newRow("attach without a path") << QStringList{"--attach", ""} << "--attach";
        QTest::newRow("attach headless")
            << QStringList{"--headless", "--attach", "/tmp/x.sock"} << "--attach";
        QTest::newRow("unknown pool") << QStringList{"--headless", "--pool", "x"} << "--pool";
        QTest::newRow("unknown strategy")
            << QStringList{"--headless", "--strategy", "lifo"} << "--strategy";
        QTest::newRow("soft above hard")
            << QStringList{"--headless", "--soft-time-limit", "3", "--time-limit", "2"}
            << "less than or equal";
        QTest::newRow("negative limit")
            << QStringList{"--headless", "--time-limit", "-1"} << "--time-limit";
        QTest::newRow("empty task") << QStringList{"--headless", "--task", "=5"} << "--task";
        QTest::newRow("unknown option")
            << QStringList{"--headless", "--frobnicate"} << "frobnicate";
        QTest::newRow("stray argument") << QStringList{"--headless", "extra"} << "extra";
        QTest::newRow("tiny memory limit")
            << QStringList{"--headless", "--max-memory-per-child", "10"}
            << "--max-memory-per-child";
        QTest::newRow("task without headless") << QStringList{"--task", "noop"} << "--headless";
        QTest::newRow("unknown start method")
            << QStringList{"--headless", "--start-method", "vfork"} << "--start-method";
        QTest::newRow("fork in the desktop app")
            << QStringList{"--start-method", "fork"} << "desktop app runs threads";
        // Beyond 1e9 s the clock's nanoseconds overflow: the limit would strike at once, the
        // alive timeout kill every worker, the run give up at once.
        for (const char* option :
             {"--time-limit", "--soft-time-limit", "--alive-timeout", "--timeout"})
            QTest::newRow(option) << QStringList{"--headless", option, "1e10"}
                                  << QString("%1 needs a positive number of seconds, at most "
                                             "1e+09, got '1e10'")
                                         .arg(option);
        // No job above max_frame_bytes less the frame header (26 bytes, so that a result as
        // large fits too) and the task's name and argument can pass: that is the limit, in the
        // pool's own words.
        QTest::newRow("payload of a whole frame")
            << QStringList{"--headless", "--payload", "67108864"}
            << "--payload 67108864: a payload of 67108864 bytes exceeds the 67108834 a job of "
               "'noop' can carry (max_frame_bytes 67108864 less 26 bytes";
        QTest::newRow("payload one past the frame")
            << QStringList{"--headless", "--task",    "echo",    "--task",
                           "sleep=10",   "--payload", "67108832"}
            << "a payload of 67108832 bytes exceeds the 67108831 a job of 'sleep' can carry";
    }

    void theLongestTimesAndTheLargestPayloadAreTaken() {
        const auto cl =
            parse({"--headless", "--time-limit", "1e9", "--soft-time-limit", "1e9",
                   "--alive-timeout", "1e9", "--timeout", "1e9", "--payload", "67108834"});
        QCOMPARE(cl.mode, CommandLine::Mode::Headless);
        QCOMPARE(cl.headless.pool.time_limit->count(), 1e9);
        QCOMPARE(cl.headless.timeout_s, 1e9);
        QCOMPARE(cl.headless.payload_bytes, std::size_t(67108834));
    }
    void badArgumentsGiveOneLineErrors() {
        QFETCH(QStringList, args);
        QFETCH(QString, expected);
        const auto cl = parse(args);
        QCOMPARE(cl.mode, CommandLine::Mode::Error);
        QVERIFY2(cl.text.contains(expected), qPrintable(cl.text));
        QVERIFY(!cl.text.contains('\n'));
    }
};

QTEST_APPLESS_MAIN(TestCommandLine)
#include "test_command_line.moc"
