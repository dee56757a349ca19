// SPDX-License-Identifier: MIT
// The pool's read side: Celery's info() report and the stats snapshot the GUI and the headless
// report sample. stats() also samples busy workers' resident memory (see below).
#include "engine/pool_state.h"

#include <algorithm>

namespace poolcore {

Info Pool::State::info() const {
    Info i;
    i.max_concurrency = target_;
    i.processes = pids();
    i.max_tasks_per_child = options_.max_tasks_per_child;
    i.put_guarded_by_semaphore = false; // the event-loop pool queues instead of blocking callers
    i.timeouts = {options_.soft_time_limit ? options_.soft_time_limit->count() : 0.0,
                  options_.time_limit ? options_.time_limit->count() : 0.0};
    int total = 0, active = 0;
    for (const auto& [id, w] : workers_) {
        if (!accepting_writes(*w))
            continue;
        ++total;
        if (binding_.has_writer(w->channel->fd()))
            ++active;
    }
    i.writes = WriteStats::from_counts(scheduler_.write_counts(),
                                       std::string(to_string(options_.strategy)), total, active);
    return i;
}

StatsSnapshot Pool::State::stats() {
    const auto now = Clock::now();
    StatsSnapshot s;
    s.state = pool_state_;
    s.target_processes = target_;
    s.alive_processes = int(workers_.size());
    s.pending = pending_.size();
    s.in_flight = jobs_.size() - pending_.size();
    s.outcomes = outcomes_;
    s.submitted = submitted_;
    s.finished = finished_;
    s.workers_started = workers_started_;
    s.workers_exited = workers_exited_;
    s.total_writes = scheduler_.total_writes();
    std::tie(s.latency_p50_us, s.latency_p99_us) = latencies_.p50_p99_us();
    s.restart_in_progress = restart_in_progress_;
    s.replacement_paused = resume_timer_ != 0;
    s.workers.reserve(workers_.size());
    for (auto& [id, w] : workers_) {
        WorkerStats ws;
        ws.slot = slots_.holds(w->slot, id) ? w->slot : -1;
        ws.pid = w->pid;
        ws.state = w->state;
        ws.queued = w->queued.size();
        ws.jobs_done = w->jobs_done;
        ws.writes = ws.slot >= 0 ? scheduler_.writes_for(ws.slot) : 0;
        if (ws.state == WorkerState::Busy)
            ++s.busy_processes;
        if (!w->queued.empty()) {
            auto it = jobs_.find(w->queued.front());
            // A short job spends most of its life between being written and being acknowledged,
            // so a sample that showed only accepted jobs would show a busy worker doing nothing.
            if (it != jobs_.end() && it->second.phase != Phase::Pending) {
                ws.current_job = it->first;
                ws.current_task = it->second.call.task;
                ws.current_job_accepted = it->second.phase == Phase::Accepted;
                if (ws.current_job_accepted)
                    ws.current_job_seconds = Seconds(now - it->second.accepted).count();
            }
        }
        // Busy workers' memory moves; sample it at most four times a second. This is the one
        // place a report writes: the reading is kept in the worker for the next report.
        if (w->up && w->state == WorkerState::Busy &&
            now - w->rss_sampled > std::chrono::milliseconds(250)) {
            if (auto kib = launcher_->resident_kib(w->pid))
                w->rss_kib = kib;
            w->rss_sampled = now;
        }
        ws.rss_kib = w->rss_kib;
        ws.last_exit = slots_.last_exit(w->slot);
        // CPU use, over at least half a second so that a tick's scheduling noise averages out.
        if (w->up &&
            (w->cpu_seconds < 0 || now - w->cpu_sampled >= std::chrono::milliseconds(500))) {
            const double cpu = launcher_->cpu_seconds(w->pid);
            if (cpu >= 0) {
                if (w->cpu_seconds >= 0)
                    w->cpu_percent = std::max(0.0, 100.0 * (cpu - w->cpu_seconds) /
                                                       Seconds(now - w->cpu_sampled).count());
                w->cpu_seconds = cpu;
                w->cpu_sampled = now;
            }
        }
        ws.cpu_seconds = w->cpu_seconds;
        ws.cpu_percent = w->cpu_percent;
        ws.uptime_seconds = Seconds(now - w->started).count();
        ws.generation = w->generation;
        ws.slot_replacements = ws.slot >= 0 ? slots_.replacements(ws.slot) : 0;
        s.workers.push_back(std::move(ws));
    }
    std::sort(s.workers.begin(), s.workers.end(), [](const WorkerStats& a, const WorkerStats& b) {
        const int sa = a.slot < 0 ? 1 << 30 : a.slot, sb = b.slot < 0 ? 1 << 30 : b.slot;
        return sa != sb ? sa < sb : a.pid < b.pid;
    });
    return s;
}

} // namespace poolcore
