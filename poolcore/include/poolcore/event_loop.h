// SPDX-License-Identifier: MIT
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>

namespace poolcore {

/// A platform handle that becomes "signalled" when a worker process exits. On POSIX it is a file
/// descriptor that turns readable (a pidfd, or the read end of a pipe only the child holds); on
/// Windows it carries the process HANDLE (as an int, as sockets are carried there), which turns
/// signalled and stays so: a loop waits on it with WaitForMultipleObjects or QWinEventNotifier.
struct ExitHandle {
    int fd = -1; ///< readable (signalled) once the process has exited; -1: none
};

/// The small interface through which the pool talks to whatever event loop drives it, modelled on
/// kombu's Hub: readers, writers, timers and process-exit watches.
///
/// Contract every implementation keeps:
///  - a reader and a writer on the same fd are independent: removing one never drops the other;
///  - callbacks may add or remove any registration, their own included, while being dispatched;
///  - readers are level-triggered: the pool always drains what it is told about;
///  - all calls come from the loop's own thread.
class EventLoop {
public:
    /// What the loop calls when an fd is ready, a timer is due or a process exited.
    using Callback = std::function<void()>;
    /// Names a timer for cancel_timer(); never 0 for a live timer.
    using TimerId = std::uint64_t;
    /// Delays and timeouts, on the steady clock.
    using Duration = std::chrono::steady_clock::duration;

    virtual ~EventLoop() = default;

    /// Calls `on_readable` whenever `fd` is readable (or hung up), until remove_reader(fd);
    /// replaces an earlier reader on `fd`.
    virtual void add_reader(int fd, Callback on_readable) = 0;
    /// Stops reading `fd`; its writer, if any, stays. Removing none is no error.
    virtual void remove_reader(int fd) = 0;
    /// Calls `on_writable` whenever `fd` is writable, until remove_writer(fd); replaces an earlier
    /// writer on `fd`.
    virtual void add_writer(int fd, Callback on_writable) = 0;
    /// Stops watching `fd` for writing; its reader, if any, stays.
    virtual void remove_writer(int fd) = 0;

    /// Calls `fire` once, `delay` from now.
    virtual TimerId call_later(Duration delay, Callback fire) = 0;
    /// Calls `fire` every `interval`, first `interval` from now, until cancelled.
    virtual TimerId call_repeatedly(Duration interval, Callback fire) = 0;
    /// Cancels a timer, from inside its own callback too; an id that has fired or is unknown is
    /// no error.
    virtual void cancel_timer(TimerId id) = 0;

    /// Calls `on_exit` once the process behind `handle` has exited (its fd turns readable).
    virtual void watch_process_exit(ExitHandle handle, Callback on_exit) = 0;
    /// Stops watching `handle`; the pool calls it before closing the handle's fd.
    virtual void unwatch_process_exit(ExitHandle handle) = 0;

    /// Runs the loop until `done()` is true or `timeout` has passed; returns done(). Used for the
    /// blocking parts of the API (on_stop's join, waiting for start-up). A GUI loop implements it
    /// with a local event loop.
    virtual bool run_until(const std::function<bool()>& done, Duration timeout) = 0;
};

} // namespace poolcore
