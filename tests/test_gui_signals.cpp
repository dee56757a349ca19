// SPDX-License-Identifier: GPL-3.0-or-later
// The desktop app's own binary, on the offscreen platform, ended by SIGTERM, SIGINT or SIGHUP as
// a session manager or a terminal ends it: it stops its pool without asking anything, leaves no
// worker behind and exits with 128 + the signal's number.
#include "app_process.h"
#include "poolcore/observer.h"

#include <QTemporaryDir>
#include <QTest>
#include <signal.h>

class TestGuiSignals : public QObject {
    Q_OBJECT

private slots:
    void aStopSignalStopsThePoolAndExits_data() {
        QTest::addColumn<QString>("method");
        QTest::addColumn<int>("sig");
        for (const char* method : {"forkserver", "spawn"})
            for (int sig : {SIGTERM, SIGINT, SIGHUP})
                QTest::newRow(
                    (std::string(method) + "/" + std::string(poolcore::signal_name(sig))).c_str())
                    << method << sig;
    }
    void aStopSignalStopsThePoolAndExits() {
        QFETCH(QString, method);
        QFETCH(int, sig);
        // A home of its own, so that no saved session of the user's is read or overwritten.
        QTemporaryDir home;
        QVERIFY(home.isValid());
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert("QT_QPA_PLATFORM", "offscreen");
        env.insert("HOME", home.path());
        env.insert("XDG_CONFIG_HOME", home.path() + "/config");
        env.insert("XDG_DATA_HOME", home.path() + "/data");
        env.insert("XDG_CACHE_HOME", home.path() + "/cache");
        auto app = apptest::start({"--processes", "2", "--start-method", method}, -1, env);
        QVERIFY(app->waitForStarted(30000));
        const auto pid = pid_t(app->processId());
        const auto descendants = apptest::wait_for_descendants(pid, method == "forkserver" ? 3 : 2);
        QVERIFY2(descendants.size() >= 2, "the window's pool did not start");
        QCOMPARE(::kill(pid, sig), 0);
        const auto f = apptest::finish(*app, 60000);
        QVERIFY2(f.exited, ("it died by the signal or hung; stderr: " + f.err).c_str());
        QCOMPARE(f.code, 128 + sig);
        QVERIFY2(apptest::left_behind(descendants).empty(), "a worker outlived the app");
    }
};

QTEST_GUILESS_MAIN(TestGuiSignals)
#include "test_gui_signals.moc"
