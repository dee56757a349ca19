// SPDX-License-Identifier: GPL-3.0-or-later
#include "engine/loop_binding.h"
#include "poolcore/poll_loop.h"

#include <QTest>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>

using namespace poolcore;
using namespace std::chrono_literals;

class TestPollLoop : public QObject {
    Q_OBJECT

    struct Pair {
        int a = -1, b = -1;
        Pair() {
            int sv[2];
            QVERIFY(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) == 0);
            a = sv[0];
            b = sv[1];
        }
        ~Pair() {
            if (a >= 0)
                ::close(a);
            if (b >= 0)
                ::close(b);
        }
    };

private slots:
    void removingTheWriterKeepsTheReader() {
        PollLoop loop;
        Pair p;
        int reads = 0, writes = 0;
        loop.add_reader(p.a, [&] {
            char buf[16];
            while (::read(p.a, buf, sizeof buf) > 0)
                ++reads;
        });
        loop.add_writer(p.a, [&] { ++writes; });
        loop.run_once(50ms);
        QVERIFY(writes >= 1);
        loop.remove_writer(p.a);
        QCOMPARE(loop.registered_fd_count(), std::size_t(1));
        QVERIFY(::write(p.b, "x", 1) == 1);
        loop.run_until([&] { return reads > 0; }, 2s);
        QCOMPARE(reads, 1);
        const int before = writes;
        loop.run_once(10ms);
        QCOMPARE(writes, before);
    }

    void removingTheReaderKeepsTheWriter() {
        PollLoop loop;
        Pair p;
        int writes = 0;
        loop.add_reader(p.a, [] {});
        loop.add_writer(p.a, [&] { ++writes; });
        loop.remove_reader(p.a);
        loop.run_once(50ms);
        QVERIFY(writes >= 1);
    }

    void aCallbackMayRemoveItselfAndOthers() {
        PollLoop loop;
        Pair p, q;
        int fired = 0;
        QVERIFY(::write(p.b, "x", 1) == 1);
        QVERIFY(::write(q.b, "x", 1) == 1);
        loop.add_reader(p.a, [&] {
            ++fired;
            loop.remove_reader(p.a);
            loop.remove_reader(q.a);
        });
        loop.add_reader(q.a, [&] {
            ++fired;
            loop.remove_reader(p.a);
            loop.remove_reader(q.a);
        });
        loop.run_once(50ms);
        QCOMPARE(fired, 1);
        QCOMPARE(loop.registered_fd_count(), std::size_t(0));
    }

    void timersFireInOrderAndCancel() {
        PollLoop loop;
        std::vector<int> order;
        loop.call_later(30ms, [&] { order.push_back(3); });
        loop.call_later(10ms, [&] { order.push_back(1); });
        const auto cancelled = loop.call_later(20ms, [&] { order.push_back(2); });
        loop.cancel_timer(cancelled);
        loop.run_until([&] { return order.size() == 2; }, 2s);
        QCOMPARE(order, (std::vector<int>{1, 3}));
    }

    void repeatingTimerRepeatsUntilCancelled() {
        PollLoop loop;
        int n = 0;
        EventLoop::TimerId id = 0;
        id = loop.call_repeatedly(5ms, [&] {
            if (++n == 3)
                loop.cancel_timer(id);
        });
        loop.run_until([&] { return n >= 3; }, 2s);
        loop.run_once(30ms);
        QCOMPARE(n, 3);
    }

    void postWakesTheLoopFromAnotherThread() {
        PollLoop loop;
        bool ran = false;
        std::thread t([&] {
            std::this_thread::sleep_for(20ms);
            loop.post([&] { ran = true; });
        });
        QVERIFY(loop.run_until([&] { return ran; }, 5s));
        t.join();
    }

    void bindingMovesRegistrationsBetweenLoops() {
        PollLoop first, second;
        Pair p;
        LoopBinding binding;
        binding.bind(&first);
        int reads = 0, timer = 0;
        binding.add_reader(p.a, [&] {
            char c;
            while (::read(p.a, &c, 1) > 0)
                ++reads;
        });
        binding.call_later(20ms, [&] { ++timer; });
        binding.bind(&second);
        QCOMPARE(first.registered_fd_count(), std::size_t(0));
        QCOMPARE(second.registered_fd_count(), std::size_t(1));
        QVERIFY(::write(p.b, "x", 1) == 1);
        QVERIFY(second.run_until([&] { return reads == 1 && timer == 1; }, 2s));
        binding.bind(nullptr);
        QCOMPARE(second.registered_fd_count(), std::size_t(0));
    }

    void cancelZeroesTheHandle() {
        PollLoop loop;
        LoopBinding binding;
        binding.bind(&loop);
        bool fired = false;
        auto h = binding.call_later(5ms, [&] { fired = true; });
        binding.cancel(h);
        QCOMPARE(h, LoopBinding::TimerHandle(0));
        loop.run_once(20ms);
        QVERIFY(!fired);
    }
};

QTEST_APPLESS_MAIN(TestPollLoop)
#include "test_poll_loop.moc"
