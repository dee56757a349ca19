// SPDX-License-Identifier: MIT
#include "engine/loop_binding.h"

namespace poolcore {

void LoopBinding::bind(EventLoop* loop) {
    if (loop == loop_)
        return;
    if (loop_) {
        for (auto& [fd, cb] : readers_)
            loop_->remove_reader(fd);
        for (auto& [fd, cb] : writers_)
            loop_->remove_writer(fd);
        for (auto& [fd, cb] : exits_)
            loop_->unwatch_process_exit(ExitHandle{fd});
        for (auto& [h, t] : timers_)
            loop_->cancel_timer(t.loop_id);
    }
    loop_ = loop;
    if (!loop_)
        return;
    for (auto& [fd, cb] : readers_)
        loop_->add_reader(fd, cb);
    for (auto& [fd, cb] : writers_)
        loop_->add_writer(fd, cb);
    for (auto& [fd, cb] : exits_)
        loop_->watch_process_exit(ExitHandle{fd}, cb);
    for (auto& [h, t] : timers_)
        arm(h, t);
}

void LoopBinding::add_reader(int fd, Callback cb) {
    if (loop_)
        loop_->add_reader(fd, cb);
    readers_[fd] = std::move(cb);
}

void LoopBinding::remove_reader(int fd) {
    if (readers_.erase(fd) && loop_)
        loop_->remove_reader(fd);
}

void LoopBinding::add_writer(int fd, Callback cb) {
    if (loop_)
        loop_->add_writer(fd, cb);
    writers_[fd] = std::move(cb);
}

void LoopBinding::remove_writer(int fd) {
    if (writers_.erase(fd) && loop_)
        loop_->remove_writer(fd);
}

bool LoopBinding::has_writer(int fd) const {
    return writers_.count(fd) != 0;
}

void LoopBinding::watch_exit(ExitHandle handle, Callback cb) {
    if (loop_)
        loop_->watch_process_exit(handle, cb);
    exits_[handle.fd] = std::move(cb);
}

void LoopBinding::unwatch_exit(ExitHandle handle) {
    if (exits_.erase(handle.fd) && loop_)
        loop_->unwatch_process_exit(handle);
}

void LoopBinding::arm(TimerHandle handle, Timer& t) {
    if (!loop_)
        return;
    const auto delay = std::max(Duration::zero(), Duration(t.due - Clock::now()));
    t.loop_id = loop_->call_later(delay, [this, handle] { fired(handle); });
}

void LoopBinding::fired(TimerHandle handle) {
    auto it = timers_.find(handle);
    if (it == timers_.end())
        return;
    Callback fire = it->second.fire;
    if (it->second.interval > Duration::zero()) {
        it->second.due = Clock::now() + it->second.interval;
        arm(handle, it->second);
    } else {
        timers_.erase(it);
    }
    fire();
}

LoopBinding::TimerHandle LoopBinding::call_later(Duration delay, Callback cb) {
    const TimerHandle h = next_timer_++;
    Timer& t = timers_[h];
    t.due = Clock::now() + delay;
    t.fire = std::move(cb);
    arm(h, t);
    return h;
}

LoopBinding::TimerHandle LoopBinding::call_repeatedly(Duration interval, Callback cb) {
    const TimerHandle h = next_timer_++;
    Timer& t = timers_[h];
    t.due = Clock::now() + interval;
    t.interval = interval;
    t.fire = std::move(cb);
    arm(h, t);
    return h;
}

void LoopBinding::cancel(TimerHandle& handle) {
    if (!handle)
        return;
    auto it = timers_.find(handle);
    if (it != timers_.end()) {
        if (loop_)
            loop_->cancel_timer(it->second.loop_id);
        timers_.erase(it);
    }
    handle = 0;
}

} // namespace poolcore
