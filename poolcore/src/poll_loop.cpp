// SPDX-License-Identifier: MIT
#include "poolcore/poll_loop.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <poll.h>
#include <stdexcept>
#include <string>
#include <unistd.h>

namespace poolcore {

namespace {

using Clock = std::chrono::steady_clock;

void make_pipe(UniqueFd& read_end, UniqueFd& write_end) {
    int fds[2];
#ifdef __linux__
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

} // namespace

PollLoop::PollLoop() {
    make_pipe(wake_read_, wake_write_);
}

PollLoop::~PollLoop() = default;

void PollLoop::set_handler(int fd, Callback FdHandlers::*slot, Callback cb) {
    if (cb) {
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

void PollLoop::watch_process_exit(ExitHandle handle, Callback on_exit) {
    add_reader(handle.fd, std::move(on_exit));
}
void PollLoop::unwatch_process_exit(ExitHandle handle) {
    remove_reader(handle.fd);
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
        [[maybe_unused]] auto n = ::write(wake_write_.get(), &byte, 1);
    }
}

void PollLoop::drain_wakeup() {
    char buf[256];
    while (::read(wake_read_.get(), buf, sizeof buf) > 0) {
    }
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
    fds.push_back({wake_read_.get(), POLLIN, 0});
    for (const auto& [fd, h] : handlers_) {
        short events = 0;
        if (h.reader)
            events |= POLLIN;
        if (h.writer)
            events |= POLLOUT;
        fds.push_back({fd, events, 0});
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

    const int ready = ::poll(fds.data(), fds.size(), timeout_ms);
    if (ready < 0 && errno != EINTR)
        throw std::runtime_error(std::string("poll: ") + std::strerror(errno));

    if (ready > 0) {
        if (fds[0].revents)
            drain_wakeup();
        for (std::size_t i = 1; i < fds.size(); ++i) {
            const short rev = fds[i].revents;
            if (!rev)
                continue;
            // Look the handlers up afresh: an earlier callback may have removed or replaced them.
            if (rev & (POLLIN | POLLHUP | POLLERR | POLLNVAL)) {
                auto it = handlers_.find(fds[i].fd);
                if (it != handlers_.end() && it->second.reader) {
                    Callback cb = it->second.reader;
                    cb();
                }
            }
            if (rev & (POLLOUT | POLLHUP | POLLERR | POLLNVAL)) {
                auto it = handlers_.find(fds[i].fd);
                if (it != handlers_.end() && it->second.writer) {
                    Callback cb = it->second.writer;
                    cb();
                }
            }
        }
    }
    fire_due_timers();
    run_posted();
}

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
