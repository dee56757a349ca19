// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "poolcore/event_loop.h"

#include <QObject>
#include <memory>
#include <unordered_map>

class QSocketNotifier;
class QTimer;
class QWinEventNotifier;

namespace poolscope {

// poolcore's EventLoop on the Qt event loop of the calling thread, so a pool runs in the GUI
// thread without blocking it. One QSocketNotifier per fd and direction:
//  - a reader notifier stays enabled while registered; the pool drains its fd on each activation
//    (QSocketNotifier is level-triggered) and removes it on EOF;
//  - a writer notifier exists only while the pool has output pending on that fd;
//  - removing the writer of an fd never touches its reader, and vice versa (Celery #4185);
//  - process exits are watched with a read notifier on the exit fd (a pidfd on Linux); on
//    Windows the exit handle is the process HANDLE, watched by a QWinEventNotifier, and the fds
//    are sockets, which QSocketNotifier takes there as they are.
// Notifiers are deleted with deleteLater() when removed from inside their own activation.
class QtEventLoop final : public QObject, public poolcore::EventLoop {
    Q_OBJECT
public:
    explicit QtEventLoop(QObject* parent = nullptr);
    ~QtEventLoop() override;

    void add_reader(int fd, Callback on_readable) override;
    void remove_reader(int fd) override;
    void add_writer(int fd, Callback on_writable) override;
    void remove_writer(int fd) override;
    TimerId call_later(Duration delay, Callback fire) override;
    TimerId call_repeatedly(Duration interval, Callback fire) override;
    void cancel_timer(TimerId id) override;
    void watch_process_exit(poolcore::ExitHandle handle, Callback on_exit) override;
    void unwatch_process_exit(poolcore::ExitHandle handle) override;
    bool run_until(const std::function<bool()>& done, Duration timeout) override;

    // For tests: how many notifiers exist and are enabled for `fd` in each direction.
    bool has_reader(int fd) const { return readers_.count(fd) != 0; }
    bool has_writer(int fd) const { return writers_.count(fd) != 0; }
    std::size_t timer_count() const { return timers_.size(); }

private:
    // The callback lives behind a shared_ptr that each activation copies before calling it, so
    // a callback that removes or replaces its own registration is not destroyed while it runs.
    struct Slot {
        std::shared_ptr<const Callback> callback; // null once removed
    };
    template <class Notifier> struct Watch {
        Notifier* notifier = nullptr;
        std::shared_ptr<Slot> slot;
    };
    template <class Notifier> using WatchMap = std::unordered_map<int, Watch<Notifier>>;
    // `make` builds the notifier for `fd` the first time it is watched.
    template <class Notifier, class Make>
    void add(WatchMap<Notifier>& map, int fd, Callback cb, Make make);
    template <class Notifier> void remove(WatchMap<Notifier>& map, int fd);
    TimerId start_timer(Duration interval, bool single_shot, Callback fire);

#ifdef _WIN32
    using ExitNotifier = QWinEventNotifier; // the process handle turns signalled
#else
    using ExitNotifier = QSocketNotifier; // the exit fd turns readable
#endif
    WatchMap<QSocketNotifier> readers_;
    WatchMap<QSocketNotifier> writers_;
    WatchMap<ExitNotifier> exits_;
    std::unordered_map<TimerId, QTimer*> timers_;
    TimerId next_timer_ = 1;
};

} // namespace poolscope
