// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>

namespace poolcore {

// A platform handle that becomes "signalled" when a worker process exits. On POSIX it is a file
// descriptor that turns readable (a pidfd, or the read end of a pipe only the child holds); a
// Windows backend would carry a process HANDLE here.
struct ExitHandle {
    int fd = -1;
};

// The small interface through which the pool talks to whatever event loop drives it, modelled on
// kombu's Hub: readers, writers, timers and process-exit watches.
//
// Contract every implementation keeps:
//  - a reader and a writer on the same fd are independent: removing one never drops the other;
//  - callbacks may add or remove any registration, their own included, while being dispatched;
//  - readers are level-triggered: the pool always drains what it is told about;
//  - all calls come from the loop's own thread.
class EventLoop {
public:
    using Callback = std::function<void()>;
    using TimerId = std::uint64_t;
    using Duration = std::chrono::steady_clock::duration;

    virtual ~EventLoop() = default;

    virtual void add_reader(int fd, Callback on_readable) = 0;
    virtual void remove_reader(int fd) = 0;
    virtual void add_writer(int fd, Callback on_writable) = 0;
    virtual void remove_writer(int fd) = 0;

    virtual TimerId call_later(Duration delay, Callback fire) = 0;
    virtual TimerId call_repeatedly(Duration interval, Callback fire) = 0;
    virtual void cancel_timer(TimerId id) = 0;

    virtual void watch_process_exit(ExitHandle handle, Callback on_exit) = 0;
    virtual void unwatch_process_exit(ExitHandle handle) = 0;

    // Runs the loop until `done()` is true or `timeout` has passed; returns done(). Used for the
    // blocking parts of the API (on_stop's join, waiting for start-up). A GUI loop implements it
    // with a local event loop.
    virtual bool run_until(const std::function<bool()>& done, Duration timeout) = 0;
};

} // namespace poolcore
