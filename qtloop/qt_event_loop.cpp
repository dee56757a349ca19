// SPDX-License-Identifier: GPL-3.0-or-later
#include "qtloop/qt_event_loop.h"

#include <QCoreApplication>
#include <QDeadlineTimer>
#include <QEventLoop>
#include <QSocketNotifier>
#include <QTimer>
#include <algorithm>
#include <chrono>
#include <limits>
#include <memory>
#ifdef _WIN32
#include <QWinEventNotifier>
#include <cstdint>
#include <windows.h>
#endif

namespace poolscope {

QtEventLoop::QtEventLoop(QObject* parent) : QObject(parent) {}

QtEventLoop::~QtEventLoop() {
    for (auto* map : {&readers_, &writers_})
        for (auto& [fd, w] : *map)
            delete w.notifier;
    for (auto& [fd, w] : exits_)
        delete w.notifier;
    for (auto& [id, t] : timers_)
        delete t;
}

template <class Notifier, class Make>
void QtEventLoop::add(WatchMap<Notifier>& map, int fd, Callback cb, Make make) {
    auto callback = std::make_shared<const Callback>(std::move(cb));
    auto it = map.find(fd);
    if (it != map.end()) {
        it->second.slot->callback = std::move(callback); // same fd and direction: replace it
        it->second.notifier->setEnabled(true);
        return;
    }
    Watch<Notifier> w;
    w.slot = std::make_shared<Slot>();
    w.slot->callback = std::move(callback);
    w.notifier = make();
    connect(w.notifier, &Notifier::activated, this, [slot = w.slot] {
        // Held here for the duration of the call: the callback may remove or replace itself.
        if (const auto callback = slot->callback; callback && *callback)
            (*callback)();
    });
    map.emplace(fd, std::move(w));
}

template <class Notifier> void QtEventLoop::remove(WatchMap<Notifier>& map, int fd) {
    auto it = map.find(fd);
    if (it == map.end())
        return;
    Notifier* n = it->second.notifier;
    it->second.slot->callback.reset();
    map.erase(it);
    // Disable first: the fd may be closed right after this call, and a notifier on a closed fd
    // would spin. deleteLater, because we may be inside its activated() signal.
    n->setEnabled(false);
    n->deleteLater();
}

namespace {
// On Windows an fd here is a SOCKET carried as an int, as poolcore carries it.
qintptr as_socket(int fd) {
    return qintptr(fd);
}
} // namespace

void QtEventLoop::add_reader(int fd, Callback cb) {
    add(readers_, fd, std::move(cb),
        [&] { return new QSocketNotifier(as_socket(fd), QSocketNotifier::Read, this); });
}
void QtEventLoop::remove_reader(int fd) {
    remove(readers_, fd);
}
void QtEventLoop::add_writer(int fd, Callback cb) {
    add(writers_, fd, std::move(cb),
        [&] { return new QSocketNotifier(as_socket(fd), QSocketNotifier::Write, this); });
}
void QtEventLoop::remove_writer(int fd) {
    remove(writers_, fd);
}
void QtEventLoop::watch_process_exit(poolcore::ExitHandle h, Callback cb) {
#ifdef _WIN32
    // The Windows launcher's exit handle is a process HANDLE carried as an int.
    const auto handle = reinterpret_cast<HANDLE>(static_cast<std::intptr_t>(h.fd));
    add(exits_, h.fd, std::move(cb), [&] { return new QWinEventNotifier(handle, this); });
#else
    add(exits_, h.fd, std::move(cb),
        [&] { return new QSocketNotifier(h.fd, QSocketNotifier::Read, this); });
#endif
}
void QtEventLoop::unwatch_process_exit(poolcore::ExitHandle h) {
    remove(exits_, h.fd);
}

poolcore::EventLoop::TimerId QtEventLoop::start_timer(Duration interval, bool single_shot,
                                                      Callback fire) {
    // A QTimer counts in int milliseconds (24.8 days at most), while poolcore accepts limits of
    // up to 1e9 s. A longer interval is waited out in steps: the timer wakes early, sees its
    // deadline still ahead and sleeps again, so a long limit never strikes early.
    using Clock = std::chrono::steady_clock;
    const TimerId id = next_timer_++;
    auto* timer = new QTimer(this);
    timer->setSingleShot(true);
    timer->setTimerType(Qt::PreciseTimer);
    const auto arm = [timer](Duration wait) {
        const auto ms = std::chrono::ceil<std::chrono::milliseconds>(wait).count();
        timer->start(int(std::clamp<long long>(ms, 0, std::numeric_limits<int>::max())));
    };
    auto deadline = std::make_shared<Clock::time_point>(Clock::now() + interval);
    connect(timer, &QTimer::timeout, this,
            [this, id, single_shot, interval, arm, deadline, fire = std::move(fire)] {
                const auto now = Clock::now();
                if (now < *deadline) {
                    arm(*deadline - now);
                    return;
                }
                if (single_shot) {
                    auto it = timers_.find(id);
                    if (it == timers_.end())
                        return;
                    it->second->deleteLater();
                    timers_.erase(it);
                } else {
                    *deadline = now + interval;
                    arm(interval);
                }
                fire();
            });
    timers_.emplace(id, timer);
    arm(interval);
    return id;
}

poolcore::EventLoop::TimerId QtEventLoop::call_later(Duration delay, Callback fire) {
    return start_timer(delay, true, std::move(fire));
}

poolcore::EventLoop::TimerId QtEventLoop::call_repeatedly(Duration interval, Callback fire) {
    return start_timer(interval, false, std::move(fire));
}

void QtEventLoop::cancel_timer(TimerId id) {
    auto it = timers_.find(id);
    if (it == timers_.end())
        return;
    it->second->stop();
    it->second->deleteLater();
    timers_.erase(it);
}

bool QtEventLoop::run_until(const std::function<bool()>& done, Duration timeout) {
    QDeadlineTimer deadline(std::chrono::duration_cast<std::chrono::nanoseconds>(timeout));
    // processEvents(flags, maxtime) drops WaitForMoreEvents and would spin; instead block until
    // an event arrives, with a timer that wakes us at least every 50 ms to look at the deadline
    // (and at `done`, which may depend on another thread).
    QTimer wake;
    wake.setSingleShot(true);
    while (!done()) {
        if (deadline.hasExpired())
            return done();
        const qint64 left = deadline.remainingTime(); // -1: no deadline
        wake.start(int(left < 0 ? 50 : std::min<qint64>(left, 50)));
        QCoreApplication::processEvents(QEventLoop::WaitForMoreEvents);
        QCoreApplication::sendPostedEvents(nullptr, QEvent::DeferredDelete);
    }
    return true;
}

} // namespace poolscope
