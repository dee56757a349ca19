// SPDX-License-Identifier: GPL-3.0-or-later
// Defects planted on purpose, one per test function, so that the sanitizer trees prove they
// still report what they exist to report: a suppression file, a launcher that loses a child's
// report, or a flag that switches a check off would otherwise pass every test unnoticed.
// Registered only in a sanitizer tree (tests/sanitizers.cmake), each case as its own ctest test
// that passes only when run_sanitized.sh names the expected report.

#include <QTest>

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <thread>

namespace {

// Out of the optimizer's sight, so that each planted defect survives -O1.
template <typename T>
T launder(T value) {
    asm volatile("" : "+r"(value));
    return value;
}

} // namespace

class SanitizerCanary : public QObject {
    Q_OBJECT

private slots:
    // Inside a Qt Test function, where libQt6Test's own interceptor calls are ignored
    // (tsan.supp): the tests' own races must still be seen.
    void aDataRaceInATestFunction() {
        int shared = 0;
        int* target = launder(&shared);
        std::thread other([target] { *target = 1; });
        *target = 2;
        other.join();
        QVERIFY(shared == 1 || shared == 2);
    }

    // In a child process, as a worker's report would be: the launcher must collect it although
    // the test process itself stays clean.
    void aUseAfterFreeInAChildProcess() {
        const pid_t child = ::fork();
        QVERIFY(child >= 0);
        if (child == 0) {
            int* freed = launder(new int(7));
            delete freed;
            std::printf("%d\n", *freed);
            ::_exit(0);
        }
        int status = 0;
        QCOMPARE(::waitpid(child, &status, 0), child);
    }

    void aLeak() {
        int* leaked = launder(new int[32]);
        leaked[0] = 1;
        QCOMPARE(leaked[0], 1);
    }
};

QTEST_GUILESS_MAIN(SanitizerCanary)
#include "sanitizer_canary.moc"
