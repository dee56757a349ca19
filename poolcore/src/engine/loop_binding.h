// SPDX-License-Identifier: MIT
#pragma once

#include "poolcore/event_loop.h"

#include <map>
#include <unordered_map>

namespace poolcore {

// The pool's registrations with its event loop, remembered so that they can be moved to another
// loop as a whole (register_with_event_loop after on_start, as Celery does it) and torn down
// without leaving a stale fd behind in the loop (the Celery "fd closed while registered" hangs).
class LoopBinding {
public:
    using Callback = EventLoop::Callback;
    using Duration = EventLoop::Duration;
    using TimerHandle = std::uint64_t; // 0 is never a valid handle

    LoopBinding() = default;
    LoopBinding(const LoopBinding&) = delete;
    LoopBinding& operator=(const LoopBinding&) = delete;
    ~LoopBinding() { bind(nullptr); }

    // Moves every registration to `loop`; timers keep their remaining time. nullptr detaches.
    void bind(EventLoop* loop);
    EventLoop* loop() const { return loop_; }

    void add_reader(int fd, Callback cb);
    void remove_reader(int fd);
    void add_writer(int fd, Callback cb);
    void remove_writer(int fd);
    bool has_writer(int fd) const;
    void watch_exit(ExitHandle handle, Callback cb);
    void unwatch_exit(ExitHandle handle);

    TimerHandle call_later(Duration delay, Callback cb);
    TimerHandle call_repeatedly(Duration interval, Callback cb);
    void cancel(TimerHandle& handle); // also zeroes the handle

private:
    using Clock = std::chrono::steady_clock;
    struct Timer {
        Clock::time_point due;
        Duration interval{};
        Callback fire;
        EventLoop::TimerId loop_id = 0;
    };
    void arm(TimerHandle handle, Timer& t);
    void fired(TimerHandle handle);

    EventLoop* loop_ = nullptr;
    std::unordered_map<int, Callback> readers_;
    std::unordered_map<int, Callback> writers_;
    std::unordered_map<int, Callback> exits_;
    std::map<TimerHandle, Timer> timers_;
    TimerHandle next_timer_ = 1;
};

} // namespace poolcore
