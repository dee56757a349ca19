// SPDX-License-Identifier: MIT
#pragma once

#include "poolcore/blocking_pool.h"
#include "poolcore/poll_loop.h"
#include "poolcore/pool.h"

#include <memory>
#include <optional>

namespace poolcore {

/// The facade with Celery's prefork TaskPool API. It builds a Pool (driven by an event loop) or,
/// when options.threads is set, a BlockingPool (driven by its own thread).
class TaskPool {
public:
    using Pool = poolcore::Pool;                 ///< the event-loop pool (Celery's AsynPool)
    using BlockingPool = poolcore::BlockingPool; ///< the thread-driven pool
    /// As Celery's: the thread-driven pool's apply_async waits on a put-lock (`putlocks`).
    static constexpr bool uses_semaphore = true;

    /// Keeps the options for on_start(), which builds the pool; throws PoolError when they are
    /// invalid.
    explicit TaskPool(PoolOptions options = {});
    ~TaskPool();
    TaskPool(const TaskPool&) = delete;
    TaskPool& operator=(const TaskPool&) = delete;

    /// Starts the workers. An event-loop pool with no loop registered gets a built-in PollLoop;
    /// when the pool owns its loop (or is thread-driven) this waits, within the alive timeout,
    /// until every worker is up, so that did_start_ok() answers at once.
    void on_start();
    /// Started, and every worker said it is up within the alive timeout.
    bool did_start_ok() const;
    /// Replaces every worker and proves the new ones with a no-op job.
    void restart();
    /// Attaches an event-loop pool to `loop` (before or after on_start). Returns false for a
    /// thread-driven pool, which has its own loop (Celery returns None there). `loop` must
    /// outlive this TaskPool, whose destructor joins the pool by running it.
    bool register_with_event_loop(EventLoop& loop);
    void on_stop();      ///< graceful: finish queued and running jobs, then retire the workers
    void on_terminate(); ///< force: fail them and kill the workers
    void on_close();     ///< no new work; only from RUN
    /// The target number of workers (before on_start: the number it will start).
    int num_processes() const;

    /// Queues a job; its outcome comes to `callbacks` on the thread that drives the pool. Refuses
    /// alike for both kinds of pool: PoolError at once for what the calling thread can see (before
    /// on_start(), when the pool accepts no jobs, an impossible call; see BlockingPool::submit),
    /// else the job ends through on_error.
    void apply_async(TaskCall call, JobCallbacks callbacks = {});
    // Celery's verbs, passed to the pool behind the facade. Before on_start() they throw
    // PoolError, but for state(), which answers INIT then.

    /// Adds `n` workers at once (Pool::grow()).
    void grow(int n = 1);
    /// Retires up to `n` idle workers at once; returns how many (Pool::shrink()).
    int shrink(int n = 1);
    /// Ends the job running on worker `pid` with `signal`: Outcome::Terminated if it dies of it.
    bool terminate_job(pid_t pid, int signal);
    /// Sends `signal` to worker `pid` whatever it does; its job is lost (Pool::kill_worker()).
    bool kill_worker(pid_t pid, int signal);
    /// Where the pool is in its life; INIT before on_start().
    PoolState state() const;
    /// Celery's `info` report (Pool::info()).
    Info info() const;
    /// A snapshot for polling (Pool::stats()).
    StatsSnapshot stats() const;
    /// Jobs written per slot (Pool::write_stats()).
    std::vector<std::pair<int, std::uint64_t>> write_stats() const;
    /// The records of the jobs that ended since the last take (Pool::take_job_records()); 0 and
    /// nothing before on_start().
    std::uint64_t take_job_records(std::vector<JobRecord>& out);
    /// The options the pool is, or will be, built from.
    const PoolOptions& options() const { return options_; }
    /// Reports to `observer` from on_start() on (see Pool::add_observer()).
    void add_observer(PoolObserver* observer);

    /// Drives the pool until `done()` holds or `timeout` passes: runs the event loop of an
    /// event-loop pool, or waits for a thread-driven one (then `done` must be thread-safe).
    bool wait_until(const std::function<bool()>& done, EventLoop::Duration timeout);

    /// The pool behind the facade: exactly one is non-null once on_start() has run.
    Pool* event_loop_pool() { return pool_.get(); }
    /// The thread-driven pool, when options.threads chose it; null otherwise.
    BlockingPool* blocking_pool() { return blocking_.get(); }

private:
    bool started() const { return pool_ || blocking_; }
    /// Applies `verb` to whichever pool was started: the two kinds spell their verbs alike.
    template <typename Verb> decltype(auto) visit(Verb&& verb) const;

    PoolOptions options_;
    std::unique_ptr<PollLoop> own_loop_;
    EventLoop* loop_ = nullptr;
    std::vector<PoolObserver*> observers_;
    std::unique_ptr<Pool> pool_;
    std::unique_ptr<BlockingPool> blocking_;
};

} // namespace poolcore
