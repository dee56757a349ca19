// SPDX-License-Identifier: MIT
#include "monitor/monitor_feed.h"

namespace poolcore {

MonitorFeed::MonitorFeed(bool build_records, std::size_t event_capacity,
                         std::size_t record_capacity)
    : builds_records_(build_records), event_capacity_(event_capacity),
      record_capacity_(record_capacity) {}

void MonitorFeed::set_active(bool active) {
    std::lock_guard lock(mutex_);
    active_.store(active);
    if (!active) {
        events_.clear();
        records_.clear();
        accepted_at_.clear();
    }
}

void MonitorFeed::push(MonitorEvent event) {
    std::lock_guard lock(mutex_);
    if (!active_.load())
        return;
    if (events_.size() >= event_capacity_) {
        ++events_dropped_;
        return;
    }
    events_.push_back(std::move(event));
}

void MonitorFeed::on_worker_up(int slot, pid_t pid) {
    if (!active_.load(std::memory_order_relaxed))
        return;
    MonitorEvent e;
    e.kind = MonitorEvent::Kind::WorkerUp;
    e.slot = slot;
    e.pid = pid;
    push(std::move(e));
}

void MonitorFeed::on_worker_exit(int slot, pid_t pid, const ExitStatus& status, ExitReason reason,
                                 const std::string& fault) {
    if (!active_.load(std::memory_order_relaxed))
        return;
    MonitorEvent e;
    e.kind = MonitorEvent::Kind::WorkerExit;
    e.slot = slot;
    e.pid = pid;
    e.status = status;
    e.reason = reason;
    e.fault = fault;
    push(std::move(e));
}

void MonitorFeed::on_state_changed(PoolState state) {
    if (!active_.load(std::memory_order_relaxed))
        return;
    MonitorEvent e;
    e.kind = MonitorEvent::Kind::StateChanged;
    e.state = state;
    push(std::move(e));
}

void MonitorFeed::on_message(Severity severity, const std::string& text) {
    if (!active_.load(std::memory_order_relaxed))
        return;
    MonitorEvent e;
    e.kind = MonitorEvent::Kind::Message;
    e.severity = severity;
    e.text = text;
    push(std::move(e));
}

void MonitorFeed::on_job_accepted(JobId id, pid_t) {
    if (!builds_records_ || !active_.load(std::memory_order_relaxed))
        return;
    std::lock_guard lock(mutex_);
    if (active_.load() && accepted_at_.size() < record_capacity_)
        accepted_at_[id] = JobRecord::Clock::now();
}

void MonitorFeed::on_job_finished(const JobResult& result) {
    if (!builds_records_ || !active_.load(std::memory_order_relaxed))
        return;
    // What the observer knows of a job; the pool's own ring has the task, the slot and the write
    // time too, and is what the hub takes where the pool keeps one.
    JobRecord record;
    record.id = result.id;
    record.pid = result.pid;
    record.outcome = result.outcome;
    if (!result.ok())
        record.error = result.value;
    record.finished = JobRecord::Clock::now();
    record.submitted =
        record.finished - std::chrono::duration_cast<JobRecord::Clock::duration>(result.latency);
    std::lock_guard lock(mutex_);
    if (!active_.load())
        return;
    if (const auto it = accepted_at_.find(result.id); it != accepted_at_.end()) {
        record.accepted = it->second;
        accepted_at_.erase(it);
    }
    if (records_.size() >= record_capacity_) {
        records_.pop_front();
        ++records_dropped_;
    }
    records_.push_back(std::move(record));
}

std::vector<MonitorEvent> MonitorFeed::take_events(std::uint64_t& dropped) {
    std::lock_guard lock(mutex_);
    dropped += events_dropped_;
    events_dropped_ = 0;
    return std::exchange(events_, {});
}

std::vector<JobRecord> MonitorFeed::take_job_records(std::uint64_t& dropped) {
    std::lock_guard lock(mutex_);
    dropped += records_dropped_;
    records_dropped_ = 0;
    std::vector<JobRecord> out(std::make_move_iterator(records_.begin()),
                               std::make_move_iterator(records_.end()));
    records_.clear();
    return out;
}

} // namespace poolcore
