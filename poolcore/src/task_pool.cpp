// SPDX-License-Identifier: MIT
#include "poolcore/task_pool.h"

#include <thread>

namespace poolcore {

TaskPool::TaskPool(PoolOptions options) : options_(std::move(options)) {
    options_.validate();
}

TaskPool::~TaskPool() {
    // The last-resort terminate below must not call observers that may already be gone.
    for (auto* o : observers_) {
        if (pool_)
            pool_->remove_observer(o);
        if (blocking_)
            blocking_->remove_observer(o);
    }
    if (pool_ && loop_) {
        pool_->terminate();
        pool_->join(std::chrono::seconds(5));
    }
}

template <typename Verb> decltype(auto) TaskPool::visit(Verb&& verb) const {
    if (pool_)
        return verb(*pool_);
    if (blocking_)
        return verb(*blocking_);
    throw PoolError("the pool has not been started: call on_start() first");
}

void TaskPool::on_start() {
    if (options_.threads) {
        if (!blocking_) {
            blocking_ = std::make_unique<BlockingPool>(options_);
            for (auto* o : observers_)
                blocking_->add_observer(o);
        }
        blocking_->start();
        return;
    }
    if (!pool_) {
        pool_ = std::make_unique<Pool>(options_);
        for (auto* o : observers_)
            pool_->add_observer(o);
    }
    if (!loop_) {
        own_loop_ = std::make_unique<PollLoop>();
        loop_ = own_loop_.get();
    }
    pool_->register_with_event_loop(*loop_);
    pool_->start();
    if (own_loop_)
        own_loop_->run_until([this] { return pool_->did_start_ok() || pool_->start_failed(); },
                             std::chrono::duration_cast<EventLoop::Duration>(
                                 options_.proc_alive_timeout + Seconds(1)));
}

bool TaskPool::did_start_ok() const {
    return started() && visit([](auto& p) { return p.did_start_ok(); });
}

void TaskPool::restart() {
    visit([](auto& p) { p.restart(); });
}

bool TaskPool::register_with_event_loop(EventLoop& loop) {
    if (options_.threads)
        return false;
    loop_ = &loop;
    if (own_loop_.get() != &loop && pool_) {
        pool_->register_with_event_loop(loop);
        own_loop_.reset();
    }
    return true;
}

// Stop and terminate differ by kind: the event-loop pool only begins them, so this joins it.
void TaskPool::on_stop() {
    if (pool_) {
        pool_->stop();
        pool_->join(std::chrono::hours(24));
    } else if (blocking_) {
        blocking_->stop(std::chrono::hours(24));
    }
}

void TaskPool::on_terminate() {
    if (pool_) {
        pool_->terminate();
        pool_->join(std::chrono::seconds(10));
    } else if (blocking_) {
        blocking_->terminate();
    }
}

void TaskPool::on_close() {
    if (started())
        visit([](auto& p) { p.close(); });
}

int TaskPool::num_processes() const {
    if (!started())
        return options_.effective_processes();
    return visit([](auto& p) { return p.num_processes(); });
}

void TaskPool::apply_async(TaskCall call, JobCallbacks callbacks) {
    visit([&](auto& p) { p.apply_async(std::move(call), std::move(callbacks)); });
}

void TaskPool::grow(int n) {
    visit([n](auto& p) { p.grow(n); });
}

int TaskPool::shrink(int n) {
    return visit([n](auto& p) { return p.shrink(n); });
}

bool TaskPool::terminate_job(pid_t pid, int signal) {
    return visit([=](auto& p) { return p.terminate_job(pid, signal); });
}

bool TaskPool::kill_worker(pid_t pid, int signal) {
    return visit([=](auto& p) { return p.kill_worker(pid, signal); });
}

PoolState TaskPool::state() const {
    if (!started())
        return PoolState::Init;
    return visit([](auto& p) { return p.state(); });
}

Info TaskPool::info() const {
    return visit([](auto& p) { return p.info(); });
}

StatsSnapshot TaskPool::stats() const {
    return visit([](auto& p) { return p.stats(); });
}

std::vector<std::pair<int, std::uint64_t>> TaskPool::write_stats() const {
    return visit([](auto& p) { return p.write_stats(); });
}

void TaskPool::add_observer(PoolObserver* observer) {
    observers_.push_back(observer);
    if (pool_)
        pool_->add_observer(observer);
    if (blocking_)
        blocking_->add_observer(observer);
}

bool TaskPool::wait_until(const std::function<bool()>& done, EventLoop::Duration timeout) {
    if (pool_ && loop_)
        return loop_->run_until(done, timeout);
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!done()) {
        if (std::chrono::steady_clock::now() >= deadline)
            return done();
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return true;
}

std::uint64_t TaskPool::take_job_records(std::vector<JobRecord>& out) {
    if (pool_)
        return pool_->take_job_records(out);
    if (blocking_)
        return blocking_->take_job_records(out);
    return 0;
}

} // namespace poolcore
