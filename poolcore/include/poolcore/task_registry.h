// SPDX-License-Identifier: MIT
#pragma once

#include "poolcore/job.h"

#include <atomic>
#include <functional>
#include <shared_mutex>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace poolcore {

/// Thrown by TaskContext::check_soft_time_limit(); a task may catch it to clean up and return.
class SoftTimeLimitExceeded : public std::runtime_error {
public:
    SoftTimeLimitExceeded() : std::runtime_error("soft time limit exceeded") {}
};

/// What a running task sees of its job.
class TaskContext {
public:
    /// The worker builds it for each job; a task only reads it. `soft_limit_flag` turns true
    /// when the job's soft time limit strikes (null: the job has none).
    TaskContext(JobId id, std::string_view argument, std::string_view payload,
                const std::atomic<bool>* soft_limit_flag)
        : id_(id), argument_(argument), payload_(payload), soft_limit_flag_(soft_limit_flag) {}

    /// The job, as the pool numbered it.
    JobId job_id() const { return id_; }
    /// TaskCall::argument; valid while the task runs.
    std::string_view argument() const { return argument_; }
    /// TaskCall::payload; valid while the task runs (copy what must outlive it).
    std::string_view payload() const { return payload_; }

    /// Cheap enough to call in a tight loop: one relaxed atomic load.
    bool soft_time_limit_reached() const noexcept {
        return soft_limit_flag_ && soft_limit_flag_->load(std::memory_order_relaxed);
    }
    /// Throws SoftTimeLimitExceeded once the soft time limit has struck: the job then ends as
    /// Outcome::SoftTimeLimit, unless the task catches it and returns.
    void check_soft_time_limit() const {
        if (soft_time_limit_reached())
            throw SoftTimeLimitExceeded();
    }

private:
    JobId id_;
    std::string_view argument_;
    std::string_view payload_;
    const std::atomic<bool>* soft_limit_flag_;
};

/// Bytes in, bytes out: the embedder picks the serialisation. Throwing any std::exception fails
/// the job with its what() as the error.
using TaskFunction = std::function<std::string(const TaskContext&)>;

/// A task's name and what a user is told about it.
struct TaskDescription {
    std::string name;          ///< what TaskCall::task names it by
    std::string argument_hint; ///< e.g. "MS", empty if the task takes no argument
    std::string summary;       ///< one line for lists and --help
};

/// The named tasks a worker can run. Register before on_start: a forked worker sees the registry
/// as it was at fork time. The registry is poolcore's one process-wide table an embedder writes
/// to. Two other process-wide facts live in the platform layer, each written once: whether main()
/// called run_worker_if_requested() (platform/entry_flags.cpp), and whether the kernel has pidfd
/// (cached on first use in platform/posix/posix_process.cpp). Both are facts about the program and
/// the machine, not state a pool owns, so two pools in one process agree on them.
class TaskRegistry {
public:
    /// The registry every pool and worker of this process uses, with the built-in tasks in it.
    static TaskRegistry& global();

    /// Adds or replaces a task.
    void add(TaskDescription description, TaskFunction function);
    /// A task of that name is registered.
    bool contains(std::string_view name) const;
    /// Runs `name`; throws std::invalid_argument for an unknown task.
    std::string run(std::string_view name, const TaskContext& context) const;
    /// Every task registered, sorted by name.
    std::vector<TaskDescription> list() const;

private:
    struct Entry {
        TaskDescription description;
        TaskFunction function;
    };
    mutable std::shared_mutex mutex_;
    std::unordered_map<std::string, Entry> tasks_;
};

/// Registers noop, echo, sleep, spin, hang, alloc, crash, exit and fail into `registry`.
void register_builtin_tasks(TaskRegistry& registry);

} // namespace poolcore
