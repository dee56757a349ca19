// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "poolcore/blocking_pool.h"
#include "poolcore/poll_loop.h"
#include "poolcore/pool.h"

#include <memory>
#include <optional>

namespace poolcore {

// The facade with Celery's prefork TaskPool API. It builds a Pool (driven by an event loop) or,
// when options.threads is set, a BlockingPool (driven by its own thread).
class TaskPool {
public:
    using Pool = poolcore::Pool;
    using BlockingPool = poolcore::BlockingPool;
    static constexpr bool uses_semaphore = true;

    explicit TaskPool(PoolOptions options = {});
    ~TaskPool();
    TaskPool(const TaskPool&) = delete;
    TaskPool& operator=(const TaskPool&) = delete;

    // Starts the workers. An event-loop pool with no loop registered gets a built-in PollLoop;
    // when the pool owns its loop (or is thread-driven) this waits, within the alive timeout,
    // until every worker is up, so that did_start_ok() answers at once.
    void on_start();
    bool did_start_ok() const;
    // Replaces every worker and proves the new ones with a no-op job.
    void restart();
    // Attaches an event-loop pool to `loop` (before or after on_start). Returns false for a
    // thread-driven pool, which has its own loop (Celery returns None there).
    bool register_with_event_loop(EventLoop& loop);
    void on_stop();      // graceful: finish queued and running jobs, then retire the workers
    void on_terminate(); // force: fail them and kill the workers
    void on_close();     // no new work; only from RUN
    int num_processes() const;

    // Refuses alike for both kinds of pool: PoolError at once for what the calling thread can
    // see (see BlockingPool::submit), else the job ends through on_error.
    void apply_async(TaskCall call, JobCallbacks callbacks = {});
    void grow(int n = 1);
    int shrink(int n = 1);
    bool terminate_job(pid_t pid, int signal);
    bool kill_worker(pid_t pid, int signal);

    PoolState state() const;
    Info info() const;
    StatsSnapshot stats() const;
    std::vector<std::pair<int, std::uint64_t>> write_stats() const;
    const PoolOptions& options() const { return options_; }
    void add_observer(PoolObserver* observer);

    // Drives the pool until `done()` holds or `timeout` passes: runs the event loop of an
    // event-loop pool, or waits for a thread-driven one (then `done` must be thread-safe).
    bool wait_until(const std::function<bool()>& done, EventLoop::Duration timeout);

    // The pool behind the facade: exactly one is non-null once on_start() has run.
    Pool* event_loop_pool() { return pool_.get(); }
    BlockingPool* blocking_pool() { return blocking_.get(); }

private:
    bool started() const { return pool_ || blocking_; }
    // Applies `verb` to whichever pool was started: the two kinds spell their verbs alike.
    template <typename Verb> decltype(auto) visit(Verb&& verb) const;

    PoolOptions options_;
    std::unique_ptr<PollLoop> own_loop_;
    EventLoop* loop_ = nullptr;
    std::vector<PoolObserver*> observers_;
    std::unique_ptr<Pool> pool_;
    std::unique_ptr<BlockingPool> blocking_;
};

} // namespace poolcore
