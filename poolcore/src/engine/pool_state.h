// SPDX-License-Identifier: MIT
#pragma once

// What a Pool is behind its public face (poolcore/pool.h): its jobs, workers and timers, and the
// rules between them. pool.cpp holds the verbs and the worker and job lifecycles,
// pool_report.cpp the read side (stats(), info()).

#include "engine/channel.h"
#include "engine/job_record_ring.h"
#include "engine/loop_binding.h"
#include "engine/restart_limiter.h"
#include "engine/scheduler.h"
#include "engine/worker_slots.h"
#include "platform/process_launcher.h"
#include "poolcore/pool.h"

#include <array>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace poolcore {

struct Pool::State {
    using Clock = std::chrono::steady_clock;
    using WorkerId = std::uint64_t;
    using TimerHandle = LoopBinding::TimerHandle;

    enum class Phase { Pending, Written, Accepted };

    struct Job {
        JobId id = 0;
        TaskCall call;
        JobCallbacks callbacks;
        std::optional<Seconds> soft_limit, hard_limit;
        Clock::time_point submitted, written, accepted; // written: only while recording
        Phase phase = Phase::Pending;
        int slot = -1;                     // of the worker it was last written to
        std::uint32_t slot_generation = 0; // that worker's Worker::slot_generation
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
        std::uint64_t rss_kib = 0;     // sampled by stats() (pool_report.cpp)
        std::uint64_t private_kib = 0; // what max_memory_per_child judges
        Clock::time_point rss_sampled;
        Clock::time_point started = Clock::now();
        // CPU seconds at the latest sample and its time (stats(), pool_report.cpp), and the use
        // between the latest two samples.
        double cpu_seconds = -1;
        Clock::time_point cpu_sampled;
        double cpu_percent = -1;
        std::string fault; // what went wrong first (why the pool killed it), for the lost job
        bool killed_by_pool = false;  // the pool sent its kill (a fault, a time limit, terminate)
        std::uint64_t generation = 0; // the pool's restart generation it belongs to
        std::uint32_t slot_generation = 0; // workers its slot had started before it
        bool retire_when_idle = false;
        bool write_failed = false;    // its channel refused a write: nothing more is written to it
        bool protocol_broken = false; // it broke the protocol: nothing more it sends is believed
        std::optional<ExitReason> exit_reason;
        TimerHandle alive_timer = 0, kill_timer = 0;
        TimerHandle take_timer = 0; // its next job is written and not yet acknowledged
        bool counts_for_start = false;
        bool up = false;
    };

    State(PoolOptions options, std::unique_ptr<ProcessLauncher> launcher);
    ~State(); // kills any worker still alive and reaps it
    State(const State&) = delete;
    State& operator=(const State&) = delete;

    // The public verbs (see pool.h).
    void add_observer(PoolObserver* observer);
    void remove_observer(PoolObserver* observer);
    void start();
    // By rvalue: Pool::apply_async forwards its arguments here, and a second by-value layer
    // would move every call and its callbacks once more per job.
    JobId apply_async(TaskCall&& call, JobCallbacks&& callbacks);
    void restart();
    void grow(int n);
    int shrink(int n);
    void close();
    void stop();
    void terminate();
    bool join(EventLoop::Duration timeout);
    bool terminate_job(pid_t pid, int signal);
    bool kill_worker(pid_t pid, int signal);
    std::vector<pid_t> pids() const;
    int alive_processes() const;

    // The read side (pool_report.cpp). stats() is not const: it samples busy workers' resident
    // memory through the launcher, at most four times a second each, and keeps the reading in
    // the worker (rss_kib, rss_sampled).
    Info info() const;
    StatsSnapshot stats();

    // Workers and slots.
    void maintain();
    void spawn(int slot);
    void on_worker_readable(WorkerId id);
    // `exited`: the process is known to have ended, so EOF on its channel is no fault of its own.
    void read_frames(Worker& w, bool exited);
    void on_worker_writable(WorkerId id);
    void on_worker_exit(WorkerId id);
    // Asks the launcher about exits its exit watch may not have seen (exit_check_period()), as
    // long as any worker runs.
    void schedule_exit_check();
    // EOF from a process not yet seen to end. One that is ending (a crash, an exit) sends its
    // exit notice at once, and that tells how; one still running after kill_grace closed its
    // channel on its own, which is then its fault, and the pool's kill only the consequence.
    void await_exit_after_eof(Worker& w);
    // Kills the worker once kill_grace has passed, unless it is gone by then; a fault the worker
    // has none of by then becomes `fault_if_none` (may be null).
    void kill_after_grace(Worker& w, const char* fault_if_none);
    void handle_message(Worker& w, wire::Message& message);
    void handle_up(Worker& w, const wire::WorkerUpMessage& m);
    void handle_ack(Worker& w, const wire::AckMessage& m);
    void handle_ready(Worker& w, wire::ReadyMessage& m);
    void after_job(Worker& w);
    // A worker with no job running must acknowledge the next one written to it within
    // proc_alive_timeout, as it must say it is up: one that is up but stopped, wedged or not
    // reading would hold that job forever, with no time limit armed (limits run from the ack).
    // It is killed; the job, never started, runs elsewhere.
    void expect_take(Worker& w);
    void retire(Worker& w, ExitReason reason);
    void mark_exiting(Worker& w, ExitReason reason);
    void kill(Worker& w, ExitReason reason);
    // The launcher's kill, remembered: the exit it causes is then told as the pool's doing.
    void kill_now(Worker& w);
    // Asks it to exit, and kills it once options.kill_grace has passed.
    void terminate_then_kill(Worker& w, ExitReason reason);
    void protocol_error(Worker& w, const std::string& error);
    Worker* find_worker(WorkerId id);
    Worker* find_worker_by_pid(pid_t pid);
    bool accepting_writes(const Worker& w) const;
    int worker_capacity(const Worker& w) const;

    // Jobs.
    // `now`, when the caller just read the clock (enqueue, a result just read), saves the pass
    // its own reading: a job's `written` is then that reading, or its submission if later.
    void schedule_writes(Clock::time_point now = {});
    void flush(Worker& w);
    void arm_time_limits(Job& job);
    void on_soft_timeout(JobId id);
    void on_hard_timeout(JobId id);
    void finish(JobId id, Outcome outcome, std::string value);
    // Keeps the life of `job`, which just ended as `result`, in the job-record ring.
    void record(Job& job, JobResult& result, Clock::time_point finished);
    void check_restart_progress();
    void check_drained();
    void set_state(PoolState s);
    // The one job `id` if it was acknowledged (its time limits run), else nothing.
    Job* accepted_job(JobId id);
    JobId enqueue(TaskCall call, JobCallbacks callbacks, bool restart_probe);

    template <typename F> void notify(F&& f);
    void say(Severity severity, const std::string& text);

    // Hot: touched for every job (apply_async, schedule_writes, a result), so they sit together.
    PoolOptions options_; // first: the scheduler and the crash-loop guard are built from it
    PoolState pool_state_ = PoolState::Init;
    std::unordered_map<JobId, Job> jobs_;
    std::deque<JobId> pending_;
    JobId next_job_id_ = 1;
    bool scheduling_ = false;
    std::map<WorkerId, std::unique_ptr<Worker>> workers_;
    WorkerSlots slots_;
    Scheduler scheduler_;
    LoopBinding binding_;
    std::vector<PoolObserver*> observers_;
    std::array<std::uint64_t, kOutcomeCount> outcomes_{};
    std::uint64_t submitted_ = 0;
    std::uint64_t finished_ = 0;
    LatencyWindow latencies_;
    JobRecordRing job_records_;       // after options_, whose capacity it takes
    Clock::time_point last_finished_; // the latest finish()'s clock reading

    std::unique_ptr<ProcessLauncher> launcher_;
    CrashLoopGuard crash_loop_;

    int target_ = 0;
    bool stop_requested_ = false;
    bool start_ok_ = false;
    bool start_failed_ = false;
    int start_waiting_ = 0;

    WorkerId next_worker_id_ = 1;
    std::uint64_t generation_ = 0;
    bool restart_in_progress_ = false;
    bool restart_probe_sent_ = false;
    TimerHandle resume_timer_ = 0;
    TimerHandle exit_check_timer_ = 0;
    std::string launch_failure_told_; // said once while every retry fails the same way

    std::uint64_t workers_started_ = 0;
    std::uint64_t workers_exited_ = 0;
};

} // namespace poolcore
