// SPDX-License-Identifier: MIT
#pragma once

#include "poolcore/poll_loop.h"
#include "poolcore/pool.h"

#include <atomic>
#include <condition_variable>
#include <functional>
#include <future>
#include <mutex>
#include <thread>

namespace poolcore {

/// The thread-driven pool (Celery's BlockingPool, selected by the `threads` option): the same
/// Pool, run on its own thread with its own PollLoop. Every method is thread-safe. Job callbacks
/// and observers run on the pool's thread.
class BlockingPool {
public:
    /// A pool in INIT and its thread, not started yet. Throws PoolError when `options` are
    /// invalid. The forkserver (the default start method here) starts now, before the thread.
    /// `launcher` is for poolcore's own tests.
    explicit BlockingPool(PoolOptions options, std::unique_ptr<ProcessLauncher> launcher = nullptr);
    ~BlockingPool(); ///< terminates the pool if it still runs, then ends the thread
    BlockingPool(const BlockingPool&) = delete;
    BlockingPool& operator=(const BlockingPool&) = delete;

    /// Starts the workers and waits (at most the alive timeout) until each has said it is up.
    void start();
    /// Every worker of the latest start() said it is up within the alive timeout.
    bool did_start_ok() const;

    // How both verbs refuse, as the event-loop Pool's apply_async does: what the caller's thread
    // can see (the pool not accepting jobs, kPoolClosedRefusal once closed; an impossible call,
    // PoolOptions::refusal(): a task name too long, a time limit out of range, a frame beyond
    // max_frame_bytes) throws PoolError at once. A refusal that only the pool's thread can see
    // (the pool closed meanwhile) throws too when called there, and otherwise ends the job
    // through on_error, as Outcome::TaskError with the refusal as its value: every job taken
    // gets exactly one outcome.

    /// Hands a job to the pool's thread and returns at once: it never waits, however busy the
    /// workers are. Safe from any thread, the pool's own included (inside a job callback it queues
    /// the job directly). With `putlocks` on, its jobs count as outstanding for the put-lock that
    /// apply_async waits on.
    void submit(TaskCall call, JobCallbacks callbacks = {});

    /// Celery's apply_async: with `putlocks` on, waits while as many jobs are outstanding as the
    /// workers can take (the put-guard semaphore, hence TaskPool::uses_semaphore), then submits.
    /// The future holds the job's result, a refusal on the pool's thread's TaskError included.
    /// Not for a job callback with `putlocks` on: waiting there for a slot would wait forever.
    std::future<JobResult> apply_async(TaskCall call, JobCallbacks callbacks = {});

    // Celery's verbs: each runs on the pool's thread, returns once it has run there, and
    // rethrows the PoolError it threw (see Pool for what each does).

    /// As Pool::restart(): replaces every worker, then proves the new ones with a no-op job.
    void restart();
    /// As Pool::grow(): adds `n` workers.
    void grow(int n = 1);
    /// As Pool::shrink(): retires up to `n` idle workers; returns how many.
    int shrink(int n = 1);
    /// As Pool::close(): no new jobs; queued and running ones go on.
    void close();
    /// Graceful: waits until every queued job has finished and the workers are gone.
    bool stop(EventLoop::Duration timeout = std::chrono::seconds(60));
    /// Force: fails what is queued or running, kills the workers, waits until they are reaped.
    bool terminate(EventLoop::Duration timeout = std::chrono::seconds(10));
    /// As Pool::terminate_job(): ends the job running on `pid` with `signal`.
    bool terminate_job(pid_t pid, int signal);
    /// As Pool::kill_worker(): sends `signal` to the worker `pid`; its job is lost.
    bool kill_worker(pid_t pid, int signal);

    /// Where the pool is in its life, as last seen on its thread; cheap (an atomic).
    PoolState state() const { return state_.load(); }
    // Reads, each taken on the pool's thread and waited for.

    /// As Pool::num_processes(): the target number of workers.
    int num_processes() const;
    /// As Pool::info(): Celery's `info` report.
    Info info() const;
    /// As Pool::stats(): a snapshot of the pool.
    StatsSnapshot stats() const;
    /// As Pool::write_stats(): jobs written per slot.
    std::vector<std::pair<int, std::uint64_t>> write_stats() const;
    /// As Pool::take_job_records(), on the caller's thread: it never waits for the pool's.
    std::uint64_t take_job_records(std::vector<JobRecord>& out);
    /// The options the pool was built with.
    const PoolOptions& options() const { return options_; }

    /// Reports everything the pool does to `observer`, on the pool's thread; it must outlive
    /// the pool or be removed first.
    void add_observer(PoolObserver* observer);
    /// Stops reporting to `observer`; once this returns, it is called no more.
    void remove_observer(PoolObserver* observer);

    /// Waits until the pool reaches `state`, or `timeout` passes.
    bool wait_for_state(PoolState state, EventLoop::Duration timeout) const;

private:
    class StateMirror;

    /// Runs `fn` on the pool thread and returns its result (rethrowing its exception).
    template <typename Fn> auto call(Fn&& fn) const -> decltype(fn());
    std::size_t slot_capacity() const;
    /// Throws the PoolError the pool would throw now, if it does not accept jobs.
    void check_accepting() const;
    /// check_accepting(), then PoolOptions::refusal(): every refusal the caller's thread can see.
    void check_call(const TaskCall& call) const;
    /// The put-lock's count (with `putlocks` on): `wait` waits for a free slot first.
    void take_slot(bool wait);
    void release_slot();
    /// The one path to the pool for a job that took its slot: queues it on the pool's thread
    /// (at once when called there), and answers a refusal thrown there as the rule above says.
    void hand_over(TaskCall call, JobCallbacks callbacks);

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
    std::size_t outstanding_ = 0; ///< jobs handed over and not yet finished, for the put-lock
};

} // namespace poolcore
