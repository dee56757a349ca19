// SPDX-License-Identifier: MIT
#pragma once

#include "poolcore/event_loop.h"
#include "poolcore/job.h"
#include "poolcore/job_record.h"
#include "poolcore/launcher.h"
#include "poolcore/observer.h"
#include "poolcore/options.h"
#include "poolcore/stats.h"

#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

namespace poolcore {

/// The event-loop pool (Celery's AsynPool): single-threaded, driven entirely by the EventLoop it
/// is registered with. Every method must be called from that loop's thread. Nothing here blocks,
/// except join(), which runs the loop.
class Pool {
public:
    /// A pool in INIT, with no worker yet. Throws PoolError when `options` are invalid (see
    /// PoolOptions::problems()). `launcher` is for poolcore's own tests; pass none to get the
    /// one options.start_method asks for (a forkserver is started here, while the caller's
    /// process may still be single-threaded).
    explicit Pool(PoolOptions options, std::unique_ptr<ProcessLauncher> launcher = nullptr);
    ~Pool(); ///< kills any worker still alive and reaps it
    Pool(const Pool&) = delete;
    Pool& operator=(const Pool&) = delete;

    /// Attaches the pool to `loop`, moving every registration there if it was attached elsewhere.
    /// `loop` must outlive the pool: join(), and so a TaskPool's destructor, runs it.
    void register_with_event_loop(EventLoop& loop);
    /// The loop it is attached to; null before register_with_event_loop().
    EventLoop* event_loop() const;

    /// Reports everything the pool does to `observer`, which must outlive the pool or be
    /// removed first.
    void add_observer(PoolObserver* observer);
    /// Stops reporting to `observer`.
    void remove_observer(PoolObserver* observer);

    /// INIT or STOPPED -> RUN: starts options.processes workers. did_start_ok() turns true once
    /// every one of them has said it is up.
    void start();
    /// Every worker of the latest start() said it is up within the alive timeout.
    bool did_start_ok() const;
    /// The latest start() cannot turn OK: a worker could not be started, or died or missed its
    /// alive timeout before it was up. The pool keeps trying to replace it.
    bool start_failed() const;

    /// Queues a job; throws PoolError when the pool is not running or the call is impossible.
    JobId apply_async(TaskCall call, JobCallbacks callbacks = {});

    /// Replaces every worker: idle ones at once, busy ones when their job ends; then proves the
    /// new generation with a no-op job.
    void restart();
    /// Adds workers at once.
    void grow(int n = 1);
    /// Retires up to n idle workers at once; never a busy one. Returns how many; throws PoolError
    /// when none is idle or the pool would drop below one process.
    int shrink(int n = 1);

    void close();     ///< RUN -> CLOSE: no new jobs; queued and running ones go on
    void stop();      ///< graceful: close, let every queued job finish, retire the workers
    void terminate(); ///< force: fail queued and running jobs, kill every worker
    /// Runs the loop until the pool is STOPPED; false if `timeout` passed first.
    bool join(EventLoop::Duration timeout = std::chrono::seconds(30));

    /// Sends `signal` to the worker `pid` if it is running a job; that job ends as Terminated if
    /// the worker dies of it. False when no such busy worker exists. POSIX signals, as Celery
    /// takes them; where the platform has none, SIGTERM and SIGKILL are still understood and any
    /// other signal is refused (false).
    bool terminate_job(pid_t pid, int signal);
    /// Sends `signal` to a worker whatever it does: its job is lost, as in a real crash. The same
    /// signals as terminate_job().
    bool kill_worker(pid_t pid, int signal);

    /// Where the pool is in its life.
    PoolState state() const;
    /// The target number of workers: options.processes, as grow() and shrink() changed it.
    int num_processes() const;
    /// The workers running now, starting and retiring ones included.
    int alive_processes() const;
    /// The options it was built from.
    const PoolOptions& options() const;
    /// The pid of the worker in each slot (a retiring worker has left its slot).
    std::vector<pid_t> pids() const;

    /// Celery's `info` report.
    Info info() const;
    /// Also samples busy workers' resident memory (at most four times a second per worker, from
    /// the system: /proc on Linux) and keeps it for the next call, so it is a read of the pool
    /// but not free: the pool's other readers see the same figures until the next sample.
    StatsSnapshot stats() const;
    /// Jobs written per slot, for the write statistics.
    std::vector<std::pair<int, std::uint64_t>> write_stats() const;

    /// Appends the JobRecords of the jobs that ended since the last take to `out`, oldest first
    /// (moved out; reuse `out` to keep its storage). Returns how
    /// many ended records were overwritten untaken since the last take: the ring holds
    /// options.job_record_capacity. The one method safe from any thread (the ring has its own
    /// lock), so a viewer on another thread may take while the pool runs.
    std::uint64_t take_job_records(std::vector<JobRecord>& out);

private:
    /// Everything the pool is and does (src/engine/pool_state.h): one allocation, reached through
    /// one pointer on every call.
    struct State;
    std::unique_ptr<State> state_;
};

} // namespace poolcore
