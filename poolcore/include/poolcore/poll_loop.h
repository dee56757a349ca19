// SPDX-License-Identifier: MIT
#pragma once

#include "poolcore/event_loop.h"
#include "poolcore/unique_fd.h"

#include <map>
#include <mutex>
#include <unordered_map>
#include <vector>

namespace poolcore {

/// The built-in event loop for headless use and for BlockingPool's own thread: poll(2) over the
/// registered fds plus a timer heap. post() is the one thread-safe entry point; it wakes the loop
/// through a self-pipe only when the queue goes from empty to non-empty.
///
/// On Windows the fds are Winsock sockets and the exit handles process HANDLEs: it polls the
/// sockets (WSAPoll) and, when none is ready, waits on the sockets' network event and the process
/// handles together (WaitForMultipleObjects); its wake-up is a loopback socket pair.
class PollLoop final : public EventLoop {
public:
    PollLoop();
    ~PollLoop() override;
    PollLoop(const PollLoop&) = delete;
    PollLoop& operator=(const PollLoop&) = delete;

    /// @name EventLoop, as its contract says
    /// @{
    void add_reader(int fd, Callback on_readable) override;
    void remove_reader(int fd) override;
    void add_writer(int fd, Callback on_writable) override;
    void remove_writer(int fd) override;
    TimerId call_later(Duration delay, Callback fire) override;
    TimerId call_repeatedly(Duration interval, Callback fire) override;
    void cancel_timer(TimerId id) override;
    void watch_process_exit(ExitHandle handle, Callback on_exit) override;
    void unwatch_process_exit(ExitHandle handle) override;
    /// @}
    bool run_until(const std::function<bool()>& done, Duration timeout) override;

    /// Runs one iteration: waits at most `max_wait` for I/O, then fires due timers and posted work.
    void run_once(Duration max_wait);
    /// Runs until stop() is called (from a callback or, through post(), from another thread).
    void run();
    /// Makes run() return after the callback now running; from another thread, through post().
    void stop();

    /// Thread-safe: queues `work` to run on the loop's thread.
    void post(Callback work);

    /// The fds with a reader or a writer: for tests that check nothing is left registered.
    std::size_t registered_fd_count() const { return handlers_.size(); }

private:
    struct FdHandlers {
        Callback reader;
        Callback writer;
    };
    struct Timer {
        Callback fire;
        Duration interval{}; ///< zero for one-shot timers
    };
    using TimePoint = std::chrono::steady_clock::time_point;

    void set_handler(int fd, Callback FdHandlers::*slot, Callback cb);
    Duration fire_due_timers();
    void run_posted();
    void drain_wakeup();

    std::unordered_map<int, FdHandlers> handlers_;
    std::multimap<TimePoint, TimerId> deadlines_;
    std::unordered_map<TimerId, std::pair<Timer, TimePoint>> timers_;
    TimerId next_timer_ = 1;
    bool stop_requested_ = false;

    UniqueFd wake_read_;
    UniqueFd wake_write_;
#ifdef _WIN32
    void watch_socket_events(int fd);
    void wait_for_io(int timeout_ms);
    std::unordered_map<int, Callback> exit_watches_; ///< process HANDLE (as an int) -> on_exit
    void* network_event_ = nullptr;                  ///< a WSAEVENT every socket signals
#endif
    std::mutex posted_mutex_;
    std::vector<Callback> posted_;
};

} // namespace poolcore
