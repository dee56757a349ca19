// SPDX-License-Identifier: GPL-3.0-or-later
#include "poolcore/blocking_pool.h"

#include <signal.h>

namespace poolcore {

// Mirrors the pool's state into atomics the caller's threads can read, and wakes waiters.
class BlockingPool::StateMirror final : public PoolObserver {
public:
    explicit StateMirror(BlockingPool& owner) : owner_(owner) {}
    void on_state_changed(PoolState s) override {
        {
            std::lock_guard lock(owner_.mutex_);
            owner_.state_ = s;
        }
        sync();
    }
    void on_worker_up(int, pid_t) override { sync(); }
    void on_worker_exit(int, pid_t, const ExitStatus&, ExitReason, const std::string&) override {
        sync();
    }

private:
    // Runs on the pool thread; publishes what callers on other threads wait for.
    void sync() {
        {
            std::lock_guard lock(owner_.mutex_);
            owner_.target_ = owner_.pool_->num_processes();
            owner_.start_ok_ = owner_.pool_->did_start_ok();
            owner_.start_failed_ = owner_.pool_->start_failed();
        }
        owner_.changed_.notify_all();
    }
    BlockingPool& owner_;
};

BlockingPool::BlockingPool(PoolOptions options, std::unique_ptr<ProcessLauncher> launcher)
    : options_(options) {
    pool_ = std::make_unique<Pool>(std::move(options), std::move(launcher));
    pool_->register_with_event_loop(loop_);
    mirror_ = std::make_unique<StateMirror>(*this);
    pool_->add_observer(mirror_.get());
    target_ = pool_->num_processes();
    thread_ = std::thread([this] { loop_.run(); });
    thread_id_ = thread_.get_id();
}

BlockingPool::~BlockingPool() {
    try {
        terminate(std::chrono::seconds(5));
    } catch (...) {
    }
    loop_.stop();
    thread_.join();
    pool_.reset(); // kills and reaps anything left, on this thread, now that the loop is idle
}

template <typename Fn> auto BlockingPool::call(Fn&& fn) const -> decltype(fn()) {
    using R = decltype(fn());
    if (std::this_thread::get_id() == thread_id_)
        return fn();
    std::packaged_task<R()> task(std::forward<Fn>(fn));
    auto result = task.get_future();
    loop_.post([&task] { task(); });
    return result.get();
}

void BlockingPool::start() {
    call([this] { pool_->start(); });
    target_ = call([this] { return pool_->num_processes(); });
    const auto deadline = std::chrono::steady_clock::now() +
                          std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                              options_.proc_alive_timeout + Seconds(1));
    std::unique_lock lock(mutex_);
    changed_.wait_until(lock, deadline,
                        [this] { return start_ok_ || start_failed_ || state_ != PoolState::Run; });
}

bool BlockingPool::did_start_ok() const {
    return start_ok_.load();
}

std::size_t BlockingPool::slot_capacity() const {
    const int per_worker = options_.strategy == Strategy::Fair ? 1 : options_.prefetch;
    return std::size_t(std::max(1, target_.load()) * per_worker);
}

std::future<JobResult> BlockingPool::apply_async(TaskCall call_args, JobCallbacks callbacks) {
    if (state_ != PoolState::Run)
        throw PoolError(state_ == PoolState::Close
                            ? "the pool is closed: it accepts no new jobs"
                            : "the pool is not running (state " +
                                  std::string(to_string(state_.load())) + "): start it first");
    if (options_.putlocks) {
        std::unique_lock lock(mutex_);
        changed_.wait(
            lock, [this] { return outstanding_ < slot_capacity() || state_ != PoolState::Run; });
        if (state_ != PoolState::Run)
            throw PoolError("the pool stopped accepting jobs while this call waited for a slot");
        ++outstanding_;
    }
    auto promise = std::make_shared<std::promise<JobResult>>();
    auto future = promise->get_future();
    auto done = [this, promise](auto& user_cb, const JobResult& r) {
        if (options_.putlocks) {
            {
                std::lock_guard lock(mutex_);
                --outstanding_;
            }
            changed_.notify_all();
        }
        promise->set_value(r);
        if (user_cb)
            user_cb(r);
    };
    JobCallbacks wrapped = callbacks;
    wrapped.on_success = [done, cb = callbacks.on_success](const JobResult& r) mutable {
        done(cb, r);
    };
    wrapped.on_error = [done, cb = callbacks.on_error](const JobResult& r) mutable { done(cb, r); };
    loop_.post([this, promise, c = std::move(call_args), w = std::move(wrapped)]() mutable {
        try {
            pool_->apply_async(std::move(c), std::move(w));
        } catch (...) {
            if (options_.putlocks) {
                {
                    std::lock_guard lock(mutex_);
                    --outstanding_;
                }
                changed_.notify_all();
            }
            promise->set_exception(std::current_exception());
        }
    });
    return future;
}

void BlockingPool::restart() {
    call([this] { pool_->restart(); });
}

void BlockingPool::grow(int n) {
    call([this, n] { pool_->grow(n); });
    target_ = call([this] { return pool_->num_processes(); });
    changed_.notify_all();
}

int BlockingPool::shrink(int n) {
    const int k = call([this, n] { return pool_->shrink(n); });
    target_ = call([this] { return pool_->num_processes(); });
    return k;
}

void BlockingPool::close() {
    call([this] { pool_->close(); });
}

bool BlockingPool::wait_for_state(PoolState state, EventLoop::Duration timeout) const {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, timeout, [&] { return state_ == state; });
}

bool BlockingPool::stop(EventLoop::Duration timeout) {
    call([this] { pool_->stop(); });
    if (state_ == PoolState::Init)
        return true;
    return wait_for_state(PoolState::Stopped, timeout);
}

bool BlockingPool::terminate(EventLoop::Duration timeout) {
    call([this] { pool_->terminate(); });
    if (state_ == PoolState::Init)
        return true;
    return wait_for_state(PoolState::Stopped, timeout);
}

bool BlockingPool::terminate_job(pid_t pid, int signal) {
    return call([=, this] { return pool_->terminate_job(pid, signal); });
}

bool BlockingPool::kill_worker(pid_t pid, int signal) {
    return call([=, this] { return pool_->kill_worker(pid, signal); });
}

int BlockingPool::num_processes() const {
    return target_.load();
}

Info BlockingPool::info() const {
    Info i = call([this] { return pool_->info(); });
    i.put_guarded_by_semaphore = options_.putlocks;
    return i;
}

StatsSnapshot BlockingPool::stats() const {
    return call([this] { return pool_->stats(); });
}

std::vector<std::pair<int, std::uint64_t>> BlockingPool::write_stats() const {
    return call([this] { return pool_->write_stats(); });
}

void BlockingPool::add_observer(PoolObserver* observer) {
    call([=, this] { pool_->add_observer(observer); });
}

void BlockingPool::remove_observer(PoolObserver* observer) {
    call([=, this] { pool_->remove_observer(observer); });
}

} // namespace poolcore
