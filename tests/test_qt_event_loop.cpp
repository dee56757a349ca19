// SPDX-License-Identifier: GPL-3.0-or-later
// The Qt EventLoop bridge on real socketpairs: readers that drain until EAGAIN, readers removed
// on EOF that then stay quiet, writers that exist only while output is pending, a reader and a
// writer on one fd that come and go independently, timers, process-exit watches, and a real
// Pool driven by it.

#include "poolcore/pool.h"
#include "qtloop/qt_event_loop.h"

#include <QCoreApplication>
#include <QtTest>
#include <cerrno>
#include <chrono>
#include <fcntl.h>
#include <signal.h>
#include <string>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace std::chrono_literals;
using poolscope::QtEventLoop;

namespace {

struct SocketPair {
    int ours = -1;
    int theirs = -1;
    SocketPair() {
        int fds[2];
        if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds) == 0) {
            ours = fds[0];
            theirs = fds[1];
        }
    }
    ~SocketPair() {
        close_ours();
        close_theirs();
    }
    void close_ours() {
        if (ours >= 0)
            ::close(ours);
        ours = -1;
    }
    void close_theirs() {
        if (theirs >= 0)
            ::close(theirs);
        theirs = -1;
    }
};

void send_all(int fd, const std::string& bytes) {
    std::size_t done = 0;
    while (done < bytes.size()) {
        const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
        QVERIFY(n > 0);
        done += std::size_t(n);
    }
}

// Reads until EAGAIN; returns the bytes read and sets `eof` when the peer has closed.
std::size_t drain(int fd, bool& eof) {
    char buffer[4096];
    std::size_t total = 0;
    for (;;) {
        const ssize_t n = ::read(fd, buffer, sizeof buffer);
        if (n > 0) {
            total += std::size_t(n);
            continue;
        }
        if (n == 0)
            eof = true;
        else if (errno == EINTR)
            continue;
        return total;
    }
}

// Runs the Qt loop for `duration` whatever happens.
void spin_for(QtEventLoop& loop, std::chrono::milliseconds duration) {
    loop.run_until([] { return false; }, duration);
}

double cpu_seconds() {
    rusage u{};
    ::getrusage(RUSAGE_SELF, &u);
    return double(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
           double(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

} // namespace

class QtEventLoopTest : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void readerThatDrainsIsCalledOncePerBurst() {
        QtEventLoop loop;
        SocketPair sp;
        QVERIFY(sp.ours >= 0);
        std::size_t received = 0;
        int calls = 0;
        loop.add_reader(sp.ours, [&] {
            ++calls;
            bool eof = false;
            received += drain(sp.ours, eof);
        });
        const std::string burst(3000, 'x');
        send_all(sp.theirs, burst);
        send_all(sp.theirs, burst);
        QVERIFY(loop.run_until([&] { return received == 2 * burst.size(); }, 2s));
        spin_for(loop, 50ms);
        // Everything was there at the first activation: drained at once, and no further call.
        QCOMPARE(calls, 1);
        QVERIFY(loop.has_reader(sp.ours));
    }

    void readerThatDoesNotDrainIsCalledAgain() {
        // Level-triggered: a reader that takes one byte per call is called until none is left.
        QtEventLoop loop;
        SocketPair sp;
        int calls = 0;
        std::size_t received = 0;
        loop.add_reader(sp.ours, [&] {
            ++calls;
            char c;
            if (::read(sp.ours, &c, 1) == 1)
                ++received;
        });
        send_all(sp.theirs, "hello");
        QVERIFY(loop.run_until([&] { return received == 5; }, 2s));
        QCOMPARE(calls, 5);
    }

    void readerRemovedOnEofStaysQuiet() {
        QtEventLoop loop;
        SocketPair sp;
        int calls = 0;
        bool saw_eof = false;
        std::size_t received = 0;
        loop.add_reader(sp.ours, [&] {
            ++calls;
            received += drain(sp.ours, saw_eof);
            if (saw_eof)
                loop.remove_reader(sp.ours); // inside its own activation
        });
        send_all(sp.theirs, "last words");
        sp.close_theirs();
        QVERIFY(loop.run_until([&] { return saw_eof; }, 2s));
        QVERIFY(!loop.has_reader(sp.ours));
        QCOMPARE(received, std::size_t(10));
        // A peer-closed socket is readable for ever: had the notifier stayed enabled it would
        // fire tens of thousands of times a second.
        const double cpu_before = cpu_seconds();
        spin_for(loop, 200ms);
        QCOMPARE(calls, 1);
        QVERIFY2(cpu_seconds() - cpu_before < 0.1, "the loop spins on a closed peer");
        sp.close_ours(); // closing the fd after removal is what the pool does
        spin_for(loop, 20ms);
    }

    void writerExistsOnlyWhileOutputIsPending() {
        QtEventLoop loop;
        SocketPair sp;
        std::string pending(1 << 20, 'p'); // more than the socket buffer takes at once
        std::size_t written = 0;
        int calls = 0;
        auto on_writable = [&] {
            ++calls;
            while (written < pending.size()) {
                const ssize_t n =
                    ::write(sp.ours, pending.data() + written, pending.size() - written);
                if (n <= 0)
                    return; // EAGAIN: wait for the next activation
                written += std::size_t(n);
            }
            loop.remove_writer(sp.ours); // nothing left to write
        };
        loop.add_writer(sp.ours, on_writable);
        // The peer reads slowly, so the writer has to wait for room several times.
        std::size_t peer_read = 0;
        loop.add_reader(sp.theirs, [&] {
            bool eof = false;
            peer_read += drain(sp.theirs, eof);
        });
        QVERIFY(loop.run_until([&] { return peer_read == pending.size(); }, 5s));
        QCOMPARE(written, pending.size());
        QVERIFY(!loop.has_writer(sp.ours));
        QVERIFY(calls >= 2);
        // An always-writable socket with a writer left enabled would be called non-stop.
        const int calls_after = calls;
        spin_for(loop, 100ms);
        QCOMPARE(calls, calls_after);
    }

    void removingTheWriterKeepsTheReader() {
        QtEventLoop loop;
        SocketPair sp;
        int reads = 0, writes = 0;
        loop.add_reader(sp.ours, [&] {
            bool eof = false;
            drain(sp.ours, eof);
            ++reads;
        });
        loop.add_writer(sp.ours, [&] {
            ++writes;
            loop.remove_writer(sp.ours);
        });
        QVERIFY(loop.run_until([&] { return writes == 1; }, 2s));
        QVERIFY(!loop.has_writer(sp.ours));
        QVERIFY(loop.has_reader(sp.ours));
        send_all(sp.theirs, "still listening");
        QVERIFY(loop.run_until([&] { return reads == 1; }, 2s));
        QCOMPARE(writes, 1);
    }

    void removingTheReaderKeepsTheWriter() {
        QtEventLoop loop;
        SocketPair sp;
        int reads = 0, writes = 0;
        loop.add_reader(sp.ours, [&] { ++reads; });
        loop.remove_reader(sp.ours);
        loop.add_writer(sp.ours, [&] {
            ++writes;
            loop.remove_writer(sp.ours);
        });
        send_all(sp.theirs, "unheard");
        QVERIFY(loop.run_until([&] { return writes == 1; }, 2s));
        spin_for(loop, 30ms);
        QCOMPARE(reads, 0);
    }

    void readdingReplacesTheCallback() {
        QtEventLoop loop;
        SocketPair sp;
        int first = 0, second = 0;
        loop.add_reader(sp.ours, [&] { ++first; });
        loop.add_reader(sp.ours, [&] {
            ++second;
            bool eof = false;
            drain(sp.ours, eof);
        });
        send_all(sp.theirs, "x");
        QVERIFY(loop.run_until([&] { return second == 1; }, 2s));
        QCOMPARE(first, 0);
    }

    void callbacksMayChangeOtherRegistrations() {
        QtEventLoop loop;
        SocketPair a, b;
        int b_reads = 0;
        bool timer_fired = false;
        loop.add_reader(a.ours, [&] {
            bool eof = false;
            drain(a.ours, eof);
            loop.remove_reader(a.ours);
            loop.add_reader(b.ours, [&] {
                bool e = false;
                drain(b.ours, e);
                ++b_reads;
            });
            loop.call_later(1ms, [&] { timer_fired = true; });
        });
        send_all(a.theirs, "go");
        send_all(b.theirs, "then me");
        QVERIFY(loop.run_until([&] { return b_reads == 1 && timer_fired; }, 2s));
    }

    void timers() {
        QtEventLoop loop;
        int once = 0, repeated = 0, cancelled = 0;
        loop.call_later(5ms, [&] { ++once; });
        const auto repeating = loop.call_repeatedly(2ms, [&] { ++repeated; });
        const auto doomed = loop.call_later(20ms, [&] { ++cancelled; });
        loop.cancel_timer(doomed);
        QVERIFY(loop.run_until([&] { return once == 1 && repeated >= 5; }, 2s));
        loop.cancel_timer(repeating);
        const int at_cancel = repeated;
        spin_for(loop, 40ms);
        QCOMPARE(once, 1);
        QCOMPARE(cancelled, 0);
        QCOMPARE(repeated, at_cancel);
        QCOMPARE(loop.timer_count(), std::size_t(0));
    }

    void repeatingTimerMayCancelItself() {
        QtEventLoop loop;
        int fired = 0;
        poolcore::EventLoop::TimerId id = 0;
        id = loop.call_repeatedly(1ms, [&] {
            if (++fired == 3)
                loop.cancel_timer(id);
        });
        spin_for(loop, 60ms);
        QCOMPARE(fired, 3);
    }

    void processExitWatchFiresOnce() {
        QtEventLoop loop;
        int pipe_fds[2];
        QVERIFY(::pipe2(pipe_fds, O_CLOEXEC | O_NONBLOCK) == 0);
        const pid_t child = ::fork();
        QVERIFY(child >= 0);
        if (child == 0) {
            // Only the child holds the write end: its exit closes it.
            ::close(pipe_fds[0]);
            ::usleep(30'000);
            ::_exit(3);
        }
        ::close(pipe_fds[1]);
        int fired = 0;
        loop.watch_process_exit({pipe_fds[0]}, [&] {
            ++fired;
            loop.unwatch_process_exit({pipe_fds[0]});
        });
        QVERIFY(loop.run_until([&] { return fired == 1; }, 5s));
        int status = 0;
        QCOMPARE(::waitpid(child, &status, 0), child);
        QVERIFY(WIFEXITED(status));
        QCOMPARE(WEXITSTATUS(status), 3);
        spin_for(loop, 30ms);
        QCOMPARE(fired, 1);
        ::close(pipe_fds[0]);
    }

    void runUntilReportsTimeout() {
        QtEventLoop loop;
        const auto begin = std::chrono::steady_clock::now();
        QVERIFY(!loop.run_until([] { return false; }, 50ms));
        QVERIFY(std::chrono::steady_clock::now() - begin >= 50ms);
        QVERIFY(loop.run_until([] { return true; }, 0ms));
    }

    void drivesARealPool() {
        // The pool on the bridge: jobs, a worker killed and replaced, and an idle loop that
        // does not spin on the dead worker's fds.
        QtEventLoop loop;
        poolcore::PoolOptions options;
        options.processes = 2;
        options.allow_fork_with_threads = true; // only Qt Test's watchdog thread runs besides
        poolcore::Pool pool(options);
        pool.register_with_event_loop(loop);
        pool.start();
        QVERIFY(loop.run_until([&] { return pool.did_start_ok(); }, 10s));
        int done = 0;
        poolcore::JobCallbacks callbacks;
        callbacks.on_success = [&](const poolcore::JobResult&) { ++done; };
        for (int i = 0; i < 500; ++i)
            pool.apply_async({"noop", {}, {}, {}, {}}, callbacks);
        QVERIFY(loop.run_until([&] { return done == 500; }, 20s));

        const pid_t victim = pool.pids().front();
        QVERIFY(pool.kill_worker(victim, SIGKILL));
        QVERIFY(loop.run_until(
            [&] {
                const auto pids = pool.pids();
                return pool.alive_processes() == 2 &&
                       std::find(pids.begin(), pids.end(), victim) == pids.end();
            },
            10s));
        QVERIFY(loop.run_until(
            [&] {
                for (const auto& w : pool.stats().workers)
                    if (w.state != poolcore::WorkerState::Idle)
                        return false;
                return true;
            },
            10s));
        const double cpu_before = cpu_seconds();
        spin_for(loop, 300ms);
        QVERIFY2(cpu_seconds() - cpu_before < 0.1, "an idle pool keeps the loop busy");
        pool.stop();
        QVERIFY(pool.join(10s));
        QCOMPARE(pool.alive_processes(), 0);
    }
};

int main(int argc, char** argv) {
    QCoreApplication app(argc, argv);
    QtEventLoopTest test;
    return QTest::qExec(&test, argc, argv);
}

#include "test_qt_event_loop.moc"
