// SPDX-License-Identifier: MIT
#pragma once

#include "poolcore/job.h"

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace poolcore {

/// Any refusal by the pool: an impossible setting, a call in the wrong state, a resize that
/// cannot happen. what() is meant for the user, as is.
class PoolError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// The most worker processes one pool runs (PoolOptions::processes, grow()).
inline constexpr int kMaxProcesses = 1024;

/// The longest time any setting, time limit or built-in task argument may name: 10^9 s, about
/// 31.7 years. The clocks count 64-bit nanoseconds, which overflow at about 9.2e9 s; a longer
/// time would wrap and strike at once.
inline constexpr double kMaxSeconds = 1e9;
/// What is wrong with `s` as a time: "" when it is positive (or zero, with `zero_allowed`) and at
/// most kMaxSeconds, else a "must be ..." naming the range. NaN is never a time.
std::string time_problem(Seconds s, bool zero_allowed = false);

/// PoolOptions::job_record_capacity unless set (see there why not 60 s at 100,000 jobs/s).
inline constexpr std::size_t kDefaultJobRecordCapacity = 65536;
/// The largest job_record_capacity: 16,777,216 records, about 2.5 GiB.
inline constexpr std::size_t kMaxJobRecordCapacity = std::size_t(1) << 24;

/// Why a pool that was closed (close(), stop(), terminate()) refuses a job.
inline constexpr const char* kPoolClosedRefusal = "the pool is closed: it accepts no new jobs";

/// How jobs are written to workers (Celery's -O option).
enum class Strategy {
    Fair, ///< write a job only to an idle worker (Celery's default, -Ofair)
    Fcfs, ///< write to any worker with fewer than `prefetch` jobs queued on it
};
/// "fair" or "fcfs".
std::string_view to_string(Strategy s);
/// The strategy `text` names: "fair" or "fcfs", or Celery's "default" and "fast"; nullopt for
/// anything else.
std::optional<Strategy> parse_strategy(std::string_view text);

/// How worker processes come to be. See README "Start methods" for what each costs.
enum class StartMethod {
    Fork,       ///< fork() the pool's own process: fastest, but only safe while it has one thread
    Forkserver, ///< a single-threaded server process, started early, forks the workers
    Spawn,      ///< a fresh image of this program, entered through run_worker_if_requested()
};
/// "fork", "forkserver" or "spawn".
std::string_view to_string(StartMethod m);
/// The start method `text` names exactly; nullopt for anything else.
std::optional<StartMethod> parse_start_method(std::string_view text);
/// The start methods this platform has, in the order a user would pick them: fork, forkserver
/// and spawn on POSIX; only spawn on Windows, which has no fork(). PoolOptions::validate()
/// refuses the others, and a front end offers only these.
std::vector<StartMethod> available_start_methods();

class ForkServer;

/// Everything a pool is built from, with Celery's defaults where Celery has one. Checked when
/// the pool is constructed (validate()); problems() lets a form check it field by field first.
struct PoolOptions {
    int processes = 0;                      ///< 0: one per CPU
    bool threads = false;                   ///< true selects BlockingPool
    Strategy strategy = Strategy::Fair;     ///< how jobs are written to workers
    int prefetch = 4;                       ///< fcfs only: jobs queued per worker at most
    std::optional<Seconds> soft_time_limit; ///< default for every job
    std::optional<Seconds> time_limit;      ///< default hard limit for every job
    std::optional<int> max_tasks_per_child; ///< a worker is replaced after this many jobs
    /// Judged on the worker's private memory now (USS: what it alone holds), not the peak RSS and
    /// not pages it still shares with the parent after fork.
    std::optional<std::uint64_t> max_memory_per_child_kib;
    /// A worker must say it is up within this, and take (acknowledge) a job written to it while
    /// it runs none within this too; else it is killed and the job runs elsewhere.
    Seconds proc_alive_timeout{4.0};
    Seconds kill_grace{0.1};                 ///< SIGTERM, then SIGKILL after this
    int max_restarts = 100;                  ///< abnormal exits tolerated per restart window
    Seconds restart_window{1.0};             ///< beyond max_restarts in it, replacement pauses
    std::size_t max_frame_bytes = 64u << 20; ///< larger frames from a worker are a protocol error
    bool putlocks = true;                    ///< BlockingPool: apply_async waits for a free slot
    /// How many of the most recent JobRecords the pool keeps for take_job_records(); 0 records
    /// none (and costs nothing per job). A record is 160 bytes plus its task name, argument and
    /// error beyond 15 characters each, so the default of 65,536 holds at most about 10 MiB with
    /// short names. It is a hand-off buffer, not the history: a viewer takes it every sample tick
    /// (0.1 s: 10,000 records at 100,000 jobs/s), so the default rides out a 0.6 s stall at that
    /// rate. Sixty seconds at 100,000 jobs/s would be 6,000,000 records, about 960 MiB; a viewer
    /// that wants that long a history keeps it itself, compactly, and its per-second aggregates.
    std::size_t job_record_capacity = kDefaultJobRecordCapacity;

    /// Unset: fork for the event-loop Pool, forkserver for BlockingPool (whose own thread would
    /// make fork unsafe; its server starts in the constructor, before that thread exists).
    std::optional<StartMethod> start_method;
    /// fork() in a process that runs other threads can leave the child stuck on a lock one of
    /// them held (malloc, stdio, a logger). The fork method refuses then, unless this is set.
    bool allow_fork_with_threads = false;
    /// Forkserver: the server to use, typically started at the top of main() before any thread
    /// exists. Unset: the pool starts its own when it is constructed.
    std::shared_ptr<ForkServer> forkserver;
    /// Spawn: the program every worker is started as. It must call run_worker_if_requested()
    /// first thing in main() and register the same tasks (see worker_entry.h). Empty: this
    /// program. A small dedicated worker program starts faster and stays smaller than a copy of
    /// a large application.
    std::string worker_program;

    /// One thing wrong with the options.
    struct Problem {
        std::string field;   ///< the option's name, as in this struct (e.g. "time_limit")
        std::string message; ///< what is wrong, for the user, as is
    };
    /// Every impossible or contradictory setting, with the field it concerns; empty when valid.
    std::vector<Problem> problems() const;
    /// Throws PoolError listing every problem.
    void validate() const;
    /// Why a pool with these options refuses `call` in any state (no task name, one too long, a
    /// time limit out of range or contradicting the defaults, a frame beyond max_frame_bytes);
    /// empty when the call is possible. Both pools check it on the caller's thread.
    std::string refusal(const TaskCall& call) const;
    /// The largest payload a job of `task` with `argument` can carry within max_frame_bytes.
    std::size_t max_payload_bytes(std::string_view task, std::string_view argument) const;
    /// The one refusal of a payload beyond max_payload_bytes(), worded the same wherever it is
    /// checked; "" when `payload_bytes` fits.
    std::string payload_problem(std::size_t payload_bytes, std::string_view task,
                                std::string_view argument) const;
    /// `processes`, or default_process_count() when it is 0.
    int effective_processes() const;
    /// `start_method`, or the default for the pool `threads` selects (see start_method).
    StartMethod effective_start_method() const;
};

/// One worker per CPU the system reports, at least 1.
int default_process_count();

} // namespace poolcore
