// SPDX-License-Identifier: MIT
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

void BlockingPool::check_accepting() const {
    const PoolState state = state_.load();
    if (state == PoolState::Run)
        return;
    if (state == PoolState::Close)
        throw PoolError(kPoolClosedRefusal);
    throw PoolError("the pool is not running (state " + std::string(to_string(state)) +
                    "): start it first");
}

void BlockingPool::take_slot(bool wait) {
    if (!options_.putlocks)
        return;
    std::unique_lock lock(mutex_);
    if (wait) {
        changed_.wait(
            lock, [this] { return outstanding_ < slot_capacity() || state_ != PoolState::Run; });
        if (state_ != PoolState::Run)
            throw PoolError("the pool stopped accepting jobs while this call waited for a slot");
    }
    ++outstanding_;
}

void BlockingPool::release_slot() {
    if (!options_.putlocks)
        return;
    {
        std::lock_guard lock(mutex_);
        --outstanding_;
    }
    changed_.notify_all();
}

void BlockingPool::check_call(const TaskCall& call) const {
    check_accepting();
    if (auto why = options_.refusal(call); !why.empty())
        throw PoolError(why);
}

void BlockingPool::hand_over(TaskCall call_args, JobCallbacks callbacks) {
    const bool on_pool_thread = std::this_thread::get_id() == thread_id_;
    // A refusal only the pool's thread could see (the pool stopped accepting meanwhile). The
    // caller is either right here, and hears it as apply_async's PoolError, or gone on: then the
    // job ends through on_error, so that every job taken gets exactly one outcome.
    auto refused = [on_pool_thread, on_error = callbacks.on_error](std::exception_ptr refusal) {
        if (on_pool_thread)
            std::rethrow_exception(refusal);
        JobResult r;
        r.outcome = Outcome::TaskError;
        try {
            std::rethrow_exception(refusal);
        } catch (const std::exception& e) {
            r.value = e.what();
        } catch (...) {
            r.value = "the pool refused the job";
        }
        if (on_error)
            on_error(r);
    };
    if (options_.putlocks) {
        // The job holds its slot until its outcome, whichever way it came in.
        auto releasing = [this](std::function<void(const JobResult&)> cb) {
            return [this, cb = std::move(cb)](const JobResult& r) {
                release_slot();
                if (cb)
                    cb(r);
            };
        };
        callbacks.on_success = releasing(std::move(callbacks.on_success));
        callbacks.on_error = releasing(std::move(callbacks.on_error));
    }
    auto queue = [this, refused = std::move(refused)](TaskCall& c, JobCallbacks& cb) {
        try {
            pool_->apply_async(std::move(c), std::move(cb));
        } catch (...) {
            release_slot();
            refused(std::current_exception());
        }
    };
    if (on_pool_thread) {
        queue(call_args, callbacks);
        return;
    }
    loop_.post([queue = std::move(queue), c = std::move(call_args),
                cb = std::move(callbacks)]() mutable { queue(c, cb); });
}

void BlockingPool::submit(TaskCall call_args, JobCallbacks callbacks) {
    check_call(call_args);
    take_slot(false);
    hand_over(std::move(call_args), std::move(callbacks));
}

std::future<JobResult> BlockingPool::apply_async(TaskCall call_args, JobCallbacks callbacks) {
    check_call(call_args);
    take_slot(true);
    auto promise = std::make_shared<std::promise<JobResult>>();
    auto future = promise->get_future();
    auto resolving = [promise](std::function<void(const JobResult&)> cb) {
        return [promise, cb = std::move(cb)](const JobResult& r) {
            promise->set_value(r);
            if (cb)
                cb(r);
        };
    };
    callbacks.on_success = resolving(std::move(callbacks.on_success));
    callbacks.on_error = resolving(std::move(callbacks.on_error));
    hand_over(std::move(call_args), std::move(callbacks));
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

std::uint64_t BlockingPool::take_job_records(std::vector<JobRecord>& out) {
    return pool_->take_job_records(out); // the ring's own lock makes this safe off its thread
}

void BlockingPool::add_observer(PoolObserver* observer) {
    call([=, this] { pool_->add_observer(observer); });
}

void BlockingPool::remove_observer(PoolObserver* observer) {
    call([=, this] { pool_->remove_observer(observer); });
}

} // namespace poolcore
