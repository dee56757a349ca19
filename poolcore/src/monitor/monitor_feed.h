// SPDX-License-Identifier: MIT
#pragma once

#include "poolcore/job_record.h"
#include "poolcore/monitor_protocol.h"
#include "poolcore/observer.h"

#include <atomic>
#include <cstdint>
#include <deque>
#include <mutex>
#include <unordered_map>
#include <vector>

namespace poolcore {

// The pool's observer for a monitor: it records events, and job records where the pool keeps
// none of its own (PoolOptions::job_record_capacity 0), under a lock (a BlockingPool calls it on
// its own thread, the hub drains it on another) into bounded queues, and only while someone
// watches, so an embedder nobody attaches to pays one atomic load a call.
class MonitorFeed final : public PoolObserver {
public:
    // `build_records`: whether to build job records from the observer calls (what it can: no task,
    // slot or write time), for a pool without a ring of its own.
    explicit MonitorFeed(bool build_records = true, std::size_t event_capacity = 10000,
                         std::size_t record_capacity = 100000);

    // Start or stop collecting; stopping forgets what was collected.
    void set_active(bool active);

    void on_worker_up(int slot, pid_t pid) override;
    void on_worker_exit(int slot, pid_t pid, const ExitStatus& status, ExitReason reason,
                        const std::string& fault) override;
    void on_job_accepted(JobId id, pid_t pid) override;
    void on_job_finished(const JobResult& result) override;
    void on_state_changed(PoolState state) override;
    void on_message(Severity severity, const std::string& text) override;

    // The events since the last call; `dropped` grows by those lost to a full queue.
    std::vector<MonitorEvent> take_events(std::uint64_t& dropped);
    std::vector<JobRecord> take_job_records(std::uint64_t& dropped);

private:
    void push(MonitorEvent event);

    const bool builds_records_;
    const std::size_t event_capacity_;
    const std::size_t record_capacity_;
    std::atomic<bool> active_{false};
    std::mutex mutex_;
    std::vector<MonitorEvent> events_;
    std::uint64_t events_dropped_ = 0;
    std::deque<JobRecord> records_;
    std::uint64_t records_dropped_ = 0;
    std::unordered_map<JobId, JobRecord::Clock::time_point> accepted_at_;
};

} // namespace poolcore
