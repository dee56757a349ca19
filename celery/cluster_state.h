// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "celery/messages.h"
#include "poolcore/job_record.h"
#include "poolcore/observer.h"
#include "poolcore/stats.h"

#include <array>
#include <chrono>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace poolscope::celery {

using Clock = std::chrono::steady_clock;

// A task a worker runs now, from `inspect active`: the one place that names the pool child.
struct ActiveTask {
    std::string id, name, args;
    pid_t worker_pid = 0;  // the pool child running it
    double time_start = 0; // epoch seconds
};

struct Autoscaler {
    int min = 0, max = 0, current = 0, qty = 0;
};

// One Celery worker (one node name), as heartbeats, task events and inspect replies describe it.
struct WorkerNode {
    std::string hostname;
    pid_t pid = 0; // its main process
    bool online = false;
    std::string offline_reason; // "worker-offline", "no heartbeat for 4.1 s (freq 2 s)"
    Clock::time_point last_heartbeat{};
    double freq = 2.0;
    double clock_drift_s = 0; // local receive time minus the heartbeat's timestamp
    std::string sw_ident, sw_ver, sw_sys;
    std::optional<std::array<double, 3>> loadavg;
    int active_by_heartbeat = 0;
    std::uint64_t processed = 0;

    // From `inspect stats` (have_stats once one came).
    bool have_stats = false;
    Clock::time_point stats_at{};
    int max_concurrency = 0; // as Celery reports it: lags processes after pool_grow/autoscale
    std::vector<pid_t> processes;
    std::string max_tasks_per_child;
    bool put_guarded_by_semaphore = false;
    poolcore::WriteStats writes;
    std::pair<double, double> timeouts{0, 0};
    std::optional<Autoscaler> autoscaler;
    int prefetch_count = 0;
    double uptime_s = 0;
    std::map<std::string, std::uint64_t> totals; // tasks run per name

    // From `inspect conf`: worker_pool_restarts, when known.
    std::optional<bool> pool_restarts;
    bool have_active = false;
    std::vector<ActiveTask> active;
    std::vector<std::string> registered;

    // Whether Celery's max-concurrency disagrees with the processes it lists.
    bool concurrency_lags() const { return have_stats && max_concurrency != int(processes.size()); }
};

// One line for the event log.
struct ClusterNote {
    poolcore::Severity severity = poolcore::Severity::Info;
    enum class Kind {
        WorkerOnline,
        WorkerOffline,
        TaskFailed,
        TaskRevoked,
        TaskRetried,
        Control,
        BadMessage,
        Connection
    } kind = Kind::Control;
    std::string hostname;
    pid_t pid = 0;
    std::string text;
};

// What Poolscope knows of a Celery cluster, built from events and inspect replies; no I/O, no
// clock of its own (every call says what time it is), so that tests and the fuzzer drive it.
class ClusterState {
public:
    using WallClock = std::chrono::system_clock;

    // Applies one event received at `now` (steady) and `wall_now` (epoch seconds).
    void apply(const Event& event, Clock::time_point now, double wall_now);
    // Applies one node's reply to `inspect <method>`; a malformed one is a note, never a throw.
    void apply_inspect(const std::string& method, const std::string& node,
                       const nlohmann::json& reply, Clock::time_point now);
    // Marks offline every worker whose last heartbeat is older than 2 x freq (Celery's own
    // HEARTBEAT_EXPIRE_WINDOW); returns their names.
    std::vector<std::string> expire(Clock::time_point now);
    // A message that could not be read: counted and noted.
    void bad_message(const std::string& where, const std::string& why);
    void note(ClusterNote n);

    const std::map<std::string, WorkerNode>& workers() const { return workers_; }
    WorkerNode* worker(const std::string& hostname);

    // Finished tasks since the last call, oldest first, and how many were dropped for room. Each
    // carries the slot of the process it ran on, numbered as snapshot() numbers them now, so
    // that the timeline draws it in that process's lane.
    std::vector<poolcore::JobRecord> take_job_records(std::uint64_t* dropped = nullptr);
    // The slot snapshot() gives `pid` (a pool process, or a worker whose pool stats has not
    // listed yet); a worker's main pid, where a task whose child Celery did not name is placed,
    // gets a slot of its own after every pool process's (the number of those plus the worker's
    // index; slots are compact because the job charts lay them side by side). -1 for a pid of
    // no known worker.
    int slot_of(pid_t pid) const;
    // Whether `slot` is a worker's main-pid lane rather than a pool process.
    bool is_main_pid_slot(int slot) const;
    // What a lane for `pid` is called: "celery@host · 4711" for a pool process, "celery@host ·
    // child not known" for a worker's main pid (its lane holds the tasks `active` never caught
    // running), empty for a pid of no known worker.
    std::string process_label(pid_t pid) const;
    std::vector<ClusterNote> take_notes();

    // A snapshot in poolcore's terms: one WorkerStats per pool process of every online worker
    // (slot numbered across the cluster), outcomes and latency from task events, `pending` the
    // queue depth last read from the broker.
    poolcore::StatsSnapshot snapshot(Clock::time_point now) const;
    // Celery's pool info summed over the online workers.
    poolcore::Info info() const;

    void set_queue_depth(std::uint64_t depth) { queue_depth_ = depth; }
    std::uint64_t queue_depth() const { return queue_depth_; }
    std::uint64_t bad_messages() const { return bad_messages_; }
    std::uint64_t events_seen() const { return events_seen_; }
    std::uint64_t retried() const { return retried_; }
    std::uint64_t received() const { return received_; }
    std::uint64_t count(poolcore::Outcome o) const { return outcomes_[std::size_t(o)]; }
    int online_workers() const;
    // How many tasks are known to be running now (from events, refined by `active`).
    std::size_t running_tasks() const;

    static constexpr std::size_t kJobRecordCapacity = 50000;
    static constexpr std::size_t kNoteCapacity = 5000;
    static constexpr std::size_t kTaskCapacity = 100000;

private:
    struct TaskLife {
        poolcore::JobId id = 0;
        std::string name, args, hostname;
        pid_t worker_pid = 0; // main process
        pid_t child_pid = 0;  // from `active`, when seen
        Clock::time_point sent{}, received{}, started{};
    };
    TaskLife& task(const std::string& uuid);
    // Records the task's end; `retried`: an attempt ended and the task lives on.
    void finish(const std::string& uuid, const Event& e, poolcore::Outcome outcome,
                std::string error, Clock::time_point at, bool retried = false);
    Clock::time_point event_time(const Event& e, Clock::time_point now, double wall_now) const;

    std::map<std::string, WorkerNode> workers_;
    std::unordered_map<std::string, TaskLife> tasks_; // begun, not finished
    std::deque<std::string> task_order_;              // to bound tasks_
    poolcore::JobId next_id_ = 1;
    std::deque<poolcore::JobRecord> records_;
    std::uint64_t records_dropped_ = 0;
    std::deque<ClusterNote> notes_;
    std::array<std::uint64_t, poolcore::kOutcomeCount> outcomes_{};
    std::uint64_t received_ = 0, retried_ = 0, bad_messages_ = 0, events_seen_ = 0;
    std::uint64_t queue_depth_ = 0;
    poolcore::LatencyWindow latencies_;
};

} // namespace poolscope::celery
