// SPDX-License-Identifier: MIT
#include "poolcore/poll_loop.h"

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>
#ifdef _WIN32
#include "platform/socket_io.h"
#include "platform/win/win_handles.h"
#else
#include "platform/posix/posix_features.h"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>
#endif

namespace poolcore {

namespace {

using Clock = std::chrono::steady_clock;

#ifdef _WIN32
// Windows has no pipe that WSAPoll can wait on: the wake-up is a loopback socket pair.
void make_pipe(UniqueFd& read_end, UniqueFd& write_end) {
    auto [reader, writer] = win::make_socket_pair();
    u_long non_blocking = 1;
    ::ioctlsocket(platform::as_socket(reader.get()), FIONBIO, &non_blocking);
    ::ioctlsocket(platform::as_socket(writer.get()), FIONBIO, &non_blocking);
    read_end = std::move(reader);
    write_end = std::move(writer);
}

using pollfd = WSAPOLLFD;
constexpr short kReadable = POLLRDNORM;
constexpr short kWritable = POLLWRNORM;
#else
constexpr short kReadable = POLLIN;
constexpr short kWritable = POLLOUT;

void make_pipe(UniqueFd& read_end, UniqueFd& write_end) {
    int fds[2];
#if POOLCORE_LINUX_APIS
    if (::pipe2(fds, O_CLOEXEC | O_NONBLOCK) != 0)
        throw std::runtime_error(std::string("pipe2: ") + std::strerror(errno));
#else
    if (::pipe(fds) != 0)
        throw std::runtime_error(std::string("pipe: ") + std::strerror(errno));
    for (int fd : fds) {
        ::fcntl(fd, F_SETFD, FD_CLOEXEC);
        ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
    }
#endif
    read_end.reset(fds[0]);
    write_end.reset(fds[1]);
}
#endif

} // namespace

#ifdef _WIN32

PollLoop::PollLoop() {
    win::ensure_winsock();
    make_pipe(wake_read_, wake_write_);
    network_event_ = ::WSACreateEvent();
    if (network_event_ == WSA_INVALID_EVENT)
        win::throw_winsock_error("WSACreateEvent");
    watch_socket_events(wake_read_.get());
}

PollLoop::~PollLoop() {
    ::WSACloseEvent(network_event_);
}

// Every socket the loop watches signals the one event on any change; the wait then polls them
// all, so readiness stays level-triggered as the contract says.
void PollLoop::watch_socket_events(int fd) {
    ::WSAEventSelect(platform::as_socket(fd), network_event_,
                     FD_READ | FD_WRITE | FD_CLOSE | FD_ACCEPT | FD_CONNECT);
}

void PollLoop::watch_process_exit(ExitHandle handle, Callback on_exit) {
    exit_watches_[handle.fd] = std::move(on_exit);
}
void PollLoop::unwatch_process_exit(ExitHandle handle) {
    exit_watches_.erase(handle.fd);
}

#else

PollLoop::PollLoop() {
    make_pipe(wake_read_, wake_write_);
}

PollLoop::~PollLoop() = default;

void PollLoop::watch_process_exit(ExitHandle handle, Callback on_exit) {
    add_reader(handle.fd, std::move(on_exit));
}
void PollLoop::unwatch_process_exit(ExitHandle handle) {
    remove_reader(handle.fd);
}

#endif

void PollLoop::set_handler(int fd, Callback FdHandlers::*slot, Callback cb) {
    if (cb) {
#ifdef _WIN32
        if (handlers_.find(fd) == handlers_.end())
            watch_socket_events(fd);
#endif
        handlers_[fd].*slot = std::move(cb);
        return;
    }
    auto it = handlers_.find(fd);
    if (it == handlers_.end())
        return;
    it->second.*slot = nullptr;
    if (!it->second.reader && !it->second.writer)
        handlers_.erase(it);
}

void PollLoop::add_reader(int fd, Callback on_readable) {
    set_handler(fd, &FdHandlers::reader, std::move(on_readable));
}
void PollLoop::remove_reader(int fd) {
    set_handler(fd, &FdHandlers::reader, nullptr);
}
void PollLoop::add_writer(int fd, Callback on_writable) {
    set_handler(fd, &FdHandlers::writer, std::move(on_writable));
}
void PollLoop::remove_writer(int fd) {
    set_handler(fd, &FdHandlers::writer, nullptr);
}

EventLoop::TimerId PollLoop::call_later(Duration delay, Callback fire) {
    const TimerId id = next_timer_++;
    const TimePoint due = Clock::now() + delay;
    timers_.emplace(id, std::make_pair(Timer{std::move(fire), Duration::zero()}, due));
    deadlines_.emplace(due, id);
    return id;
}

EventLoop::TimerId PollLoop::call_repeatedly(Duration interval, Callback fire) {
    if (interval <= Duration::zero())
        throw std::invalid_argument("call_repeatedly needs a positive interval");
    const TimerId id = call_later(interval, std::move(fire));
    timers_.at(id).first.interval = interval;
    return id;
}

void PollLoop::cancel_timer(TimerId id) {
    auto it = timers_.find(id);
    if (it == timers_.end())
        return;
    auto [first, last] = deadlines_.equal_range(it->second.second);
    for (auto d = first; d != last; ++d) {
        if (d->second == id) {
            deadlines_.erase(d);
            break;
        }
    }
    timers_.erase(it);
}

EventLoop::Duration PollLoop::fire_due_timers() {
    const TimePoint now = Clock::now();
    while (!deadlines_.empty() && deadlines_.begin()->first <= now) {
        const TimerId id = deadlines_.begin()->second;
        deadlines_.erase(deadlines_.begin());
        auto it = timers_.find(id);
        if (it == timers_.end())
            continue;
        Callback fire = it->second.first.fire;
        if (it->second.first.interval > Duration::zero()) {
            const TimePoint next = now + it->second.first.interval;
            it->second.second = next;
            deadlines_.emplace(next, id);
        } else {
            timers_.erase(it);
        }
        fire();
    }
    if (deadlines_.empty())
        return Duration::max();
    return deadlines_.begin()->first - Clock::now();
}

void PollLoop::post(Callback work) {
    bool was_empty;
    {
        std::lock_guard lock(posted_mutex_);
        was_empty = posted_.empty();
        posted_.push_back(std::move(work));
    }
    if (was_empty) {
        const char byte = 1;
        // A full pipe already guarantees a wake-up, so EAGAIN is fine to ignore.
#ifdef _WIN32
        [[maybe_unused]] auto n = platform::send_some(wake_write_.get(), &byte, 1);
#else
        [[maybe_unused]] auto n = ::write(wake_write_.get(), &byte, 1);
#endif
    }
}

void PollLoop::drain_wakeup() {
    char buf[256];
#ifdef _WIN32
    while (platform::recv_some(wake_read_.get(), buf, sizeof buf) > 0) {
    }
#else
    while (::read(wake_read_.get(), buf, sizeof buf) > 0) {
    }
#endif
}

void PollLoop::run_posted() {
    std::vector<Callback> work;
    {
        std::lock_guard lock(posted_mutex_);
        work.swap(posted_);
    }
    for (auto& w : work)
        w();
}

void PollLoop::run_once(Duration max_wait) {
    std::vector<pollfd> fds;
    fds.reserve(handlers_.size() + 1);
    fds.push_back({decltype(pollfd::fd)(wake_read_.get()), kReadable, 0});
    for (const auto& [fd, h] : handlers_) {
        short events = 0;
        if (h.reader)
            events |= kReadable;
        if (h.writer)
            events |= kWritable;
        fds.push_back({decltype(pollfd::fd)(fd), events, 0});
    }

    Duration wait = std::min(max_wait, fire_due_timers());
    {
        std::lock_guard lock(posted_mutex_);
        if (!posted_.empty())
            wait = Duration::zero();
    }
    const auto ms = std::chrono::ceil<std::chrono::milliseconds>(std::max(wait, Duration::zero()));
    const int timeout_ms =
        wait == Duration::max() ? -1 : static_cast<int>(std::min<long long>(ms.count(), 60'000));

#ifdef _WIN32
    // Reset first, then poll: whatever changes after the reset signals the event again, and
    // whatever changed before it the poll sees.
    ::WSAResetEvent(network_event_);
    int ready = ::WSAPoll(fds.data(), ULONG(fds.size()), 0);
    if (ready == 0 && timeout_ms != 0) {
        bool writer_waits = false;
        for (const auto& f : fds)
            writer_waits = writer_waits || (f.events & kWritable);
        // Winsock posts FD_WRITE only after a send that would have blocked: a writer whose
        // socket filled exactly is looked at again soon rather than waited for.
        wait_for_io(writer_waits && (timeout_ms < 0 || timeout_ms > 5) ? 5 : timeout_ms);
        ready = ::WSAPoll(fds.data(), ULONG(fds.size()), 0);
    }
    if (ready == SOCKET_ERROR)
        win::throw_winsock_error("WSAPoll");
#else
    const int ready = ::poll(fds.data(), fds.size(), timeout_ms);
    if (ready < 0 && errno != EINTR)
        throw std::runtime_error(std::string("poll: ") + std::strerror(errno));
#endif

    if (ready > 0) {
        if (fds[0].revents)
            drain_wakeup();
        for (std::size_t i = 1; i < fds.size(); ++i) {
            const short rev = fds[i].revents;
            if (!rev)
                continue;
            // Look the handlers up afresh: an earlier callback may have removed or replaced them.
            if (rev & (kReadable | POLLHUP | POLLERR | POLLNVAL)) {
                auto it = handlers_.find(fds[i].fd);
                if (it != handlers_.end() && it->second.reader) {
                    Callback cb = it->second.reader;
                    cb();
                }
            }
            if (rev & (kWritable | POLLHUP | POLLERR | POLLNVAL)) {
                auto it = handlers_.find(fds[i].fd);
                if (it != handlers_.end() && it->second.writer) {
                    Callback cb = it->second.writer;
                    cb();
                }
            }
        }
    }
#ifdef _WIN32
    // An exited process stays signalled until its watch is removed: level-triggered, as a
    // pidfd is.
    std::vector<int> exited;
    for (const auto& [handle, on_exit] : exit_watches_)
        if (::WaitForSingleObject(win::as_handle(handle), 0) == WAIT_OBJECT_0)
            exited.push_back(handle);
    for (int handle : exited) {
        auto it = exit_watches_.find(handle);
        if (it != exit_watches_.end()) {
            Callback cb = it->second;
            cb();
        }
    }
#endif
    fire_due_timers();
    run_posted();
}

#ifdef _WIN32
void PollLoop::wait_for_io(int timeout_ms) {
    std::vector<HANDLE> handles{network_event_};
    for (const auto& [handle, on_exit] : exit_watches_) {
        if (handles.size() == MAXIMUM_WAIT_OBJECTS)
            break;
        handles.push_back(win::as_handle(handle));
    }
    // Past 63 processes the rest are looked at every 10 ms instead of waited on.
    if (exit_watches_.size() + 1 > handles.size() && (timeout_ms < 0 || timeout_ms > 10))
        timeout_ms = 10;
    ::WaitForMultipleObjects(DWORD(handles.size()), handles.data(), FALSE,
                             timeout_ms < 0 ? INFINITE : DWORD(timeout_ms));
}
#endif

bool PollLoop::run_until(const std::function<bool()>& done, Duration timeout) {
    const TimePoint deadline = Clock::now() + timeout;
    while (!done()) {
        const auto left = deadline - Clock::now();
        if (left <= Duration::zero())
            return done();
        run_once(left);
    }
    return true;
}

void PollLoop::run() {
    stop_requested_ = false;
    while (!stop_requested_)
        run_once(Duration::max());
}

void PollLoop::stop() {
    post([this] { stop_requested_ = true; });
}

} // namespace poolcore
