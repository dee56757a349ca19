// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "engine/channel.h"
#include "engine/loop_binding.h"
#include "engine/restart_limiter.h"
#include "engine/scheduler.h"
#include "platform/process_launcher.h"
#include "poolcore/job.h"
#include "poolcore/observer.h"
#include "poolcore/options.h"
#include "poolcore/stats.h"

#include <deque>
#include <map>
#include <memory>
#include <unordered_map>
#include <vector>

namespace poolcore {

// The event-loop pool (Celery's AsynPool): single-threaded, driven entirely by the EventLoop it
// is registered with. Every method must be called from that loop's thread. Nothing here blocks,
// except join(), which runs the loop.
class Pool {
public:
    explicit Pool(PoolOptions options, std::unique_ptr<ProcessLauncher> launcher = nullptr);
    ~Pool(); // kills any worker still alive and reaps it
    Pool(const Pool&) = delete;
    Pool& operator=(const Pool&) = delete;

    // Attaches the pool to `loop`, moving every registration there if it was attached elsewhere.
    void register_with_event_loop(EventLoop& loop);
    EventLoop* event_loop() const { return binding_.loop(); }

    void add_observer(PoolObserver* observer);
    void remove_observer(PoolObserver* observer);

    // INIT or STOPPED -> RUN: starts options.processes workers. did_start_ok() turns true once
    // every one of them has said it is up.
    void start();
    bool did_start_ok() const { return start_ok_; }
    bool start_failed() const { return start_failed_; }

    // Queues a job; throws PoolError when the pool is not running or the call is impossible.
    JobId apply_async(TaskCall call, JobCallbacks callbacks = {});

    // Replaces every worker: idle ones at once, busy ones when their job ends; then proves the
    // new generation with a no-op job.
    void restart();
    // Adds workers at once.
    void grow(int n = 1);
    // Retires up to n idle workers at once; never a busy one. Returns how many; throws PoolError
    // when none is idle or the pool would drop below one process.
    int shrink(int n = 1);

    void close();     // RUN -> CLOSE: no new jobs; queued and running ones go on
    void stop();      // graceful: close, let every queued job finish, retire the workers
    void terminate(); // force: fail queued and running jobs, kill every worker
    // Runs the loop until the pool is STOPPED; false if `timeout` passed first.
    bool join(EventLoop::Duration timeout = std::chrono::seconds(30));

    // Sends `signal` to the worker `pid` if it is running a job; that job ends as Terminated if
    // the worker dies of it. False when no such busy worker exists. POSIX signals, as Celery
    // takes them; where the platform has none, SIGTERM and SIGKILL are still understood and any
    // other signal is refused (false).
    bool terminate_job(pid_t pid, int signal);
    // Sends `signal` to a worker whatever it does: its job is lost, as in a real crash. The same
    // signals as terminate_job().
    bool kill_worker(pid_t pid, int signal);

    PoolState state() const { return state_; }
    int num_processes() const { return target_; }
    int alive_processes() const;
    const PoolOptions& options() const { return options_; }
    const Scheduler& scheduler() const { return scheduler_; }
    std::vector<pid_t> pids() const;

    Info info() const;
    StatsSnapshot stats() const;
    std::vector<std::pair<int, std::uint64_t>> write_stats() const {
        return scheduler_.write_counts();
    }

private:
    using Clock = std::chrono::steady_clock;
    using WorkerId = std::uint64_t;
    using TimerHandle = LoopBinding::TimerHandle;

    enum class Phase { Pending, Written, Accepted };

    struct Job {
        JobId id = 0;
        TaskCall call;
        JobCallbacks callbacks;
        std::optional<Seconds> soft_limit, hard_limit;
        Clock::time_point submitted, accepted;
        Phase phase = Phase::Pending;
        WorkerId worker = 0;
        pid_t pid = 0;
        TimerHandle soft_timer = 0, hard_timer = 0;
        bool terminate_requested = false;
        bool restart_probe = false;
    };

    struct Worker {
        WorkerId id = 0;
        int slot = -1;
        pid_t pid = 0;
        std::unique_ptr<Channel> channel;
        UniqueFd exit_fd;
        WorkerState state = WorkerState::Starting;
        std::deque<JobId> queued; // written or being written, oldest first
        std::uint64_t jobs_done = 0;
        mutable std::uint64_t rss_kib = 0;
        std::uint64_t private_kib = 0; // what max_memory_per_child judges
        mutable Clock::time_point rss_sampled;
        std::string fault; // why the pool killed it, for the lost job's error
        std::uint64_t generation = 0;
        bool retire_when_idle = false;
        std::optional<ExitReason> exit_reason;
        TimerHandle alive_timer = 0, kill_timer = 0;
        bool counts_for_start = false;
        bool up = false;
    };

    // Workers and slots.
    void maintain();
    void spawn(int slot);
    void on_worker_readable(WorkerId id);
    void read_frames(Worker& w);
    void on_worker_writable(WorkerId id);
    void on_worker_exit(WorkerId id);
    void handle_message(Worker& w, wire::Message& message);
    void handle_up(Worker& w, const wire::WorkerUpMessage& m);
    void handle_ack(Worker& w, const wire::AckMessage& m);
    void handle_ready(Worker& w, wire::ReadyMessage& m);
    void after_job(Worker& w);
    void retire(Worker& w, ExitReason reason);
    void mark_exiting(Worker& w, ExitReason reason);
    void kill(Worker& w, ExitReason reason);
    // Asks it to exit, and kills it once options.kill_grace has passed.
    void terminate_then_kill(Worker& w, ExitReason reason);
    void protocol_error(Worker& w, const std::string& error);
    void vacate_slot(Worker& w);
    Worker* find_worker(WorkerId id);
    Worker* find_worker_by_pid(pid_t pid);
    bool accepting_writes(const Worker& w) const;
    int worker_capacity(const Worker& w) const;

    // Jobs.
    void schedule_writes();
    void flush(Worker& w);
    void arm_time_limits(Job& job);
    void on_soft_timeout(JobId id);
    void on_hard_timeout(JobId id);
    void finish(JobId id, Outcome outcome, std::string value);
    void check_restart_progress();
    void check_drained();
    void set_state(PoolState s);
    JobId enqueue(TaskCall call, JobCallbacks callbacks, bool restart_probe);

    template <typename F> void notify(F&& f);
    void say(Severity severity, const std::string& text);

    PoolOptions options_;
    std::unique_ptr<ProcessLauncher> launcher_;
    LoopBinding binding_;
    Scheduler scheduler_;
    RestartLimiter restart_limiter_;
    std::vector<PoolObserver*> observers_;

    PoolState state_ = PoolState::Init;
    int target_ = 0;
    bool stop_requested_ = false;
    bool start_ok_ = false;
    bool start_failed_ = false;
    int start_waiting_ = 0;

    std::map<WorkerId, std::unique_ptr<Worker>> workers_;
    std::vector<WorkerId> slots_; // 0 marks a vacant slot
    std::vector<std::string> last_exit_by_slot_;
    WorkerId next_worker_id_ = 1;
    std::uint64_t generation_ = 0;
    bool restart_in_progress_ = false;
    bool restart_probe_sent_ = false;
    TimerHandle resume_timer_ = 0;
    // A lasting crash loop pauses many times a window; it is told at most once a window.
    Clock::time_point crash_loop_told_{};
    int crash_loop_pauses_untold_ = 0;

    std::unordered_map<JobId, Job> jobs_;
    std::deque<JobId> pending_;
    JobId next_job_id_ = 1;
    bool scheduling_ = false;

    std::array<std::uint64_t, kOutcomeCount> outcomes_{};
    std::uint64_t submitted_ = 0;
    std::uint64_t finished_ = 0;
    std::uint64_t workers_started_ = 0;
    std::uint64_t workers_exited_ = 0;
    LatencyWindow latencies_;
};

} // namespace poolcore
