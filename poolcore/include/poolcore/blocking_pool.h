// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "poolcore/poll_loop.h"
#include "poolcore/pool.h"

#include <atomic>
#include <condition_variable>
#include <future>
#include <mutex>
#include <thread>

namespace poolcore {

// The thread-driven pool (Celery's BlockingPool, selected by the `threads` option): the same
// Pool, run on its own thread with its own PollLoop. Every method is thread-safe. Job callbacks
// and observers run on the pool's thread.
class BlockingPool {
public:
    explicit BlockingPool(PoolOptions options, std::unique_ptr<ProcessLauncher> launcher = nullptr);
    ~BlockingPool(); // terminates the pool if it still runs, then ends the thread
    BlockingPool(const BlockingPool&) = delete;
    BlockingPool& operator=(const BlockingPool&) = delete;

    // Starts the workers and waits (at most the alive timeout) until each has said it is up.
    void start();
    bool did_start_ok() const;

    // Queues a job. With `putlocks` on, waits while as many jobs are outstanding as the workers
    // can take (Celery's put-guard semaphore). Throws PoolError when refused.
    std::future<JobResult> apply_async(TaskCall call, JobCallbacks callbacks = {});

    void restart();
    void grow(int n = 1);
    int shrink(int n = 1);
    void close();
    // Graceful: waits until every queued job has finished and the workers are gone.
    bool stop(EventLoop::Duration timeout = std::chrono::seconds(60));
    // Force: fails what is queued or running, kills the workers, waits until they are reaped.
    bool terminate(EventLoop::Duration timeout = std::chrono::seconds(10));
    bool terminate_job(pid_t pid, int signal);
    bool kill_worker(pid_t pid, int signal);

    PoolState state() const { return state_.load(); }
    int num_processes() const;
    Info info() const;
    StatsSnapshot stats() const;
    std::vector<std::pair<int, std::uint64_t>> write_stats() const;

    void add_observer(PoolObserver* observer);
    void remove_observer(PoolObserver* observer);

    // Waits until the pool reaches `state`, or `timeout` passes.
    bool wait_for_state(PoolState state, EventLoop::Duration timeout) const;

private:
    class StateMirror;

    // Runs `fn` on the pool thread and returns its result (rethrowing its exception).
    template <typename Fn> auto call(Fn&& fn) const -> decltype(fn());
    std::size_t slot_capacity() const;

    PoolOptions options_;
    mutable PollLoop loop_;
    std::unique_ptr<Pool> pool_;
    std::unique_ptr<StateMirror> mirror_;
    std::atomic<PoolState> state_{PoolState::Init};
    std::atomic<int> target_{0};
    std::atomic<bool> start_ok_{false};
    std::atomic<bool> start_failed_{false};
    std::thread thread_;
    std::thread::id thread_id_;

    mutable std::mutex mutex_;
    mutable std::condition_variable changed_;
    std::size_t outstanding_ = 0; // jobs handed over and not yet finished, for the put-lock
};

} // namespace poolcore
