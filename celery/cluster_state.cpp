// SPDX-License-Identifier: GPL-3.0-or-later
#include "celery/cluster_state.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace poolscope::celery {

using nlohmann::json;
using poolcore::Outcome;
using poolcore::Severity;

namespace {

std::string seconds_text(double s) {
    char text[32];
    std::snprintf(text, sizeof text, "%.1f s", s);
    return text;
}

std::string json_text(const json& j, const char* key) {
    const auto it = j.find(key);
    if (it == j.end() || it->is_null())
        return {};
    return it->is_string() ? it->get<std::string>() : it->dump();
}

int json_int(const json& j, const char* key) {
    const auto it = j.find(key);
    if (it == j.end() || !it->is_number())
        return 0;
    const double d = it->get<double>();
    return std::isfinite(d) && std::fabs(d) < 1e9 ? int(d) : 0;
}

double json_double(const json& j, const char* key) {
    const auto it = j.find(key);
    if (it == j.end() || !it->is_number())
        return 0;
    const double d = it->get<double>();
    return std::isfinite(d) ? d : 0;
}

pid_t as_pid(const json& v) {
    if (!v.is_number_integer() && !v.is_number_unsigned())
        return 0;
    const auto n = v.get<std::int64_t>();
    return n > 0 && n < (std::int64_t(1) << 31) ? pid_t(n) : 0;
}

} // namespace

WorkerNode* ClusterState::worker(const std::string& hostname) {
    const auto it = workers_.find(hostname);
    return it == workers_.end() ? nullptr : &it->second;
}

void ClusterState::note(ClusterNote n) {
    if (notes_.size() >= kNoteCapacity)
        notes_.pop_front();
    notes_.push_back(std::move(n));
}

void ClusterState::bad_message(const std::string& where, const std::string& why) {
    ++bad_messages_;
    note({Severity::Warning,
          ClusterNote::Kind::BadMessage,
          {},
          0,
          "skipped a bad message on " + where + ": " + why});
}

Clock::time_point ClusterState::event_time(const Event& e, Clock::time_point now,
                                           double wall_now) const {
    // The sender's timestamp places the step better than our receive time (workers batch task
    // events), but a clock that is off by more than Celery's drift limit is not trusted.
    const double age = wall_now - e.timestamp;
    if (e.timestamp <= 0 || !(age >= 0 && age < 16.0))
        return now;
    return now - std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(age));
}

ClusterState::TaskLife& ClusterState::task(const std::string& uuid) {
    auto [it, fresh] = tasks_.try_emplace(uuid);
    if (fresh) {
        it->second.id = next_id_++;
        task_order_.push_back(uuid);
        // Tasks whose end we never hear of (events lost across a reconnect) must not pile up.
        while (task_order_.size() > kTaskCapacity) {
            tasks_.erase(task_order_.front());
            task_order_.pop_front();
        }
    }
    return it->second;
}

void ClusterState::finish(const std::string& uuid, const Event& e, Outcome outcome,
                          std::string error, Clock::time_point at, bool retried) {
    TaskLife life;
    if (const auto it = tasks_.find(uuid); it != tasks_.end()) {
        life = it->second;
        if (!retried) {
            tasks_.erase(it);
        } else {
            // The next attempt's task-received may already have come (the retry is queued
            // before task-retried is sent): keep it, and start the next attempt's clock.
            TaskLife& next = it->second;
            if (next.received <= next.started)
                next.received = at;
            next.sent = {};
            next.started = {};
            next.id = next_id_++;
        }
    } else {
        life.id = next_id_++;
        if (e.runtime > 0)
            life.started = at - std::chrono::duration_cast<Clock::duration>(
                                    std::chrono::duration<double>(e.runtime));
    }
    poolcore::JobRecord r;
    r.id = life.id;
    r.task = life.name.empty() ? e.name : life.name;
    r.argument = life.args;
    r.pid = life.child_pid ? life.child_pid : (life.worker_pid ? life.worker_pid : e.pid);
    r.outcome = outcome;
    r.error = std::move(error);
    r.finished = at;
    r.accepted = life.started;
    r.written = life.received != Clock::time_point{} ? life.received : life.started;
    r.submitted = life.sent != Clock::time_point{}   ? life.sent
                  : r.written != Clock::time_point{} ? r.written
                                                     : at;
    if (r.written > at)
        r.written = at;
    if (r.submitted > r.written && r.written != Clock::time_point{})
        r.submitted = r.written;
    latencies_.add(r.latency());
    if (records_.size() >= kJobRecordCapacity) {
        records_.pop_front();
        ++records_dropped_;
    }
    records_.push_back(std::move(r));
}

void ClusterState::apply(const Event& e, Clock::time_point now, double wall_now) {
    ++events_seen_;
    if (e.is_worker_event()) {
        WorkerNode& w = workers_[e.hostname];
        w.hostname = e.hostname;
        if (e.type == "worker-offline") {
            if (w.online)
                note({Severity::Warning, ClusterNote::Kind::WorkerOffline, e.hostname, e.pid,
                      e.hostname + " went offline (it said so: worker-offline)"});
            w.online = false;
            w.offline_reason = "it said worker-offline";
            w.active.clear();
            return;
        }
        if (e.type != "worker-online" && e.type != "worker-heartbeat")
            return;
        if (!w.online)
            note({Severity::Info, ClusterNote::Kind::WorkerOnline, e.hostname, e.pid,
                  e.hostname + " is online (pid " + std::to_string(e.pid) + ", " +
                      (e.sw_ident.empty() ? "celery" : e.sw_ident) + " " + e.sw_ver + ")"});
        w.online = true;
        w.offline_reason.clear();
        w.pid = e.pid;
        w.last_heartbeat = now;
        if (e.freq > 0 && e.freq < 3600)
            w.freq = e.freq;
        w.clock_drift_s = e.timestamp > 0 ? wall_now - e.timestamp : 0;
        w.sw_ident = e.sw_ident;
        w.sw_ver = e.sw_ver;
        w.sw_sys = e.sw_sys;
        if (e.loadavg)
            w.loadavg = e.loadavg;
        w.active_by_heartbeat = e.active;
        w.processed = e.processed;
        return;
    }
    const Clock::time_point at = event_time(e, now, wall_now);
    if (e.type == "task-sent") {
        TaskLife& t = task(e.uuid);
        t.sent = at;
        t.name = e.name;
        t.args = e.args;
    } else if (e.type == "task-received") {
        ++received_;
        TaskLife& t = task(e.uuid);
        t.received = at;
        if (!e.name.empty())
            t.name = e.name;
        t.args = e.args;
        t.hostname = e.hostname;
        t.worker_pid = e.pid;
    } else if (e.type == "task-started") {
        TaskLife& t = task(e.uuid);
        t.started = at;
        t.hostname = e.hostname;
        t.worker_pid = e.pid;
    } else if (e.type == "task-succeeded") {
        ++outcomes_[std::size_t(Outcome::Success)];
        finish(e.uuid, e, Outcome::Success, {}, at);
    } else if (e.type == "task-failed") {
        ++outcomes_[std::size_t(Outcome::TaskError)];
        note({Severity::Warning, ClusterNote::Kind::TaskFailed, e.hostname, e.pid,
              "task " + e.uuid + " failed on " + e.hostname + ": " + e.exception});
        finish(e.uuid, e, Outcome::TaskError, e.exception, at);
    } else if (e.type == "task-retried") {
        ++retried_;
        finish(e.uuid, e, Outcome::TaskError, "retried: " + e.exception, at, /*retried=*/true);
    } else if (e.type == "task-revoked") {
        ++outcomes_[std::size_t(Outcome::Terminated)];
        std::string why = e.terminated
                              ? "revoked and terminated (signal " + std::to_string(e.signum) + ")"
                          : e.expired ? "revoked (expired)"
                                      : "revoked";
        note({Severity::Warning, ClusterNote::Kind::TaskRevoked, e.hostname, e.pid,
              "task " + e.uuid + " " + why + " on " + e.hostname});
        finish(e.uuid, e, Outcome::Terminated, why, at);
    } else if (e.type == "task-rejected") {
        ++outcomes_[std::size_t(Outcome::TaskError)];
        finish(e.uuid, e, Outcome::TaskError, "rejected by the worker", at);
    }
}

void ClusterState::apply_inspect(const std::string& method, const std::string& node,
                                 const json& reply, Clock::time_point now) {
    const bool fresh = workers_.find(node) == workers_.end();
    WorkerNode& w = workers_[node];
    w.hostname = node;
    if (fresh) {
        // A worker that answers is alive; its heartbeats will take over from here.
        w.online = true;
        w.last_heartbeat = now;
    }
    if (reply.is_object() && reply.contains("error")) {
        note({Severity::Warning, ClusterNote::Kind::Control, node, w.pid,
              node + " answered " + method + " with an error: " + json_text(reply, "error")});
        return;
    }
    if (method == "stats") {
        if (!reply.is_object())
            return bad_message("the stats reply of " + node, "not an object");
        const auto pool = reply.find("pool");
        if (pool == reply.end() || !pool->is_object())
            return bad_message("the stats reply of " + node, "no \"pool\" object");
        const int before_concurrency = w.max_concurrency;
        const std::size_t before_processes = w.processes.size();
        const bool had = w.have_stats;
        w.have_stats = true;
        w.stats_at = now;
        if (const pid_t p = reply.contains("pid") ? as_pid(reply["pid"]) : 0)
            w.pid = p;
        w.max_concurrency = json_int(*pool, "max-concurrency");
        w.processes.clear();
        if (const auto procs = pool->find("processes"); procs != pool->end() && procs->is_array())
            for (const json& p : *procs)
                if (const pid_t pid = as_pid(p))
                    w.processes.push_back(pid);
        w.max_tasks_per_child = json_text(*pool, "max-tasks-per-child");
        if (const auto g = pool->find("put-guarded-by-semaphore");
            g != pool->end() && g->is_boolean())
            w.put_guarded_by_semaphore = g->get<bool>();
        if (const auto t = pool->find("timeouts"); t != pool->end() && t->is_array() &&
                                                   t->size() == 2 && (*t)[0].is_number() &&
                                                   (*t)[1].is_number())
            w.timeouts = {(*t)[0].get<double>(), (*t)[1].get<double>()};
        if (const auto wr = pool->find("writes"); wr != pool->end() && wr->is_object()) {
            w.writes.total = std::uint64_t(std::max(0, json_int(*wr, "total")));
            w.writes.avg = json_text(*wr, "avg");
            w.writes.all = json_text(*wr, "all");
            w.writes.raw = json_text(*wr, "raw");
            w.writes.strategy = json_text(*wr, "strategy");
            if (const auto iq = wr->find("inqueues"); iq != wr->end() && iq->is_object()) {
                w.writes.inqueues_total = json_int(*iq, "total");
                w.writes.inqueues_active = json_int(*iq, "active");
            }
        }
        w.autoscaler.reset();
        if (const auto a = reply.find("autoscaler");
            a != reply.end() && a->is_object() && !a->empty())
            w.autoscaler = Autoscaler{json_int(*a, "min"), json_int(*a, "max"),
                                      json_int(*a, "current"), json_int(*a, "qty")};
        w.prefetch_count = json_int(reply, "prefetch_count");
        w.uptime_s = json_double(reply, "uptime");
        w.totals.clear();
        if (const auto t = reply.find("total"); t != reply.end() && t->is_object())
            for (const auto& [name, n] : t->items())
                if (n.is_number_unsigned() || n.is_number_integer())
                    w.totals[name] =
                        std::uint64_t(std::max<std::int64_t>(0, n.get<std::int64_t>()));
        const bool changed = !had || before_concurrency != w.max_concurrency ||
                             before_processes != w.processes.size();
        if (changed && w.concurrency_lags())
            note({Severity::Info, ClusterNote::Kind::Control, node, w.pid,
                  node + ": Celery's stats say max-concurrency " +
                      std::to_string(w.max_concurrency) + " but list " +
                      std::to_string(w.processes.size()) +
                      " pool processes; Celery updates that figure late (after pool_grow or "
                      "autoscale), so Poolscope shows the processes"});
    } else if (method == "active") {
        if (!reply.is_array())
            return bad_message("the active reply of " + node, "not a list");
        w.have_active = true;
        w.active.clear();
        for (const json& t : reply) {
            if (!t.is_object())
                continue;
            ActiveTask a;
            a.id = json_text(t, "id");
            a.name = json_text(t, "name");
            a.args = json_text(t, "args");
            a.worker_pid = t.contains("worker_pid") ? as_pid(t["worker_pid"]) : 0;
            a.time_start = json_double(t, "time_start");
            if (const auto it = tasks_.find(a.id); it != tasks_.end() && a.worker_pid)
                it->second.child_pid = a.worker_pid;
            w.active.push_back(std::move(a));
        }
    } else if (method == "conf") {
        if (!reply.is_object())
            return bad_message("the conf reply of " + node, "not an object");
        if (const auto r = reply.find("worker_pool_restarts"); r != reply.end() && r->is_boolean())
            w.pool_restarts = r->get<bool>();
        else
            w.pool_restarts = false; // conf leaves out settings at their default (False)
    } else if (method == "registered") {
        if (!reply.is_array())
            return bad_message("the registered reply of " + node, "not a list");
        w.registered.clear();
        for (const json& name : reply)
            if (name.is_string())
                w.registered.push_back(name.get<std::string>());
    }
}

std::vector<std::string> ClusterState::expire(Clock::time_point now) {
    std::vector<std::string> gone;
    for (auto& [name, w] : workers_) {
        if (!w.online)
            continue;
        const double silent = std::chrono::duration<double>(now - w.last_heartbeat).count();
        if (silent <= 2 * w.freq)
            continue;
        w.online = false;
        w.offline_reason =
            "no heartbeat for " + seconds_text(silent) + " (freq " + seconds_text(w.freq) + ")";
        w.active.clear();
        note({Severity::Error, ClusterNote::Kind::WorkerOffline, name, w.pid,
              name + " is offline: " + w.offline_reason});
        gone.push_back(name);
    }
    return gone;
}

std::vector<poolcore::JobRecord> ClusterState::take_job_records(std::uint64_t* dropped) {
    std::vector<poolcore::JobRecord> out(std::make_move_iterator(records_.begin()),
                                         std::make_move_iterator(records_.end()));
    records_.clear();
    for (poolcore::JobRecord& r : out)
        r.slot = slot_of(r.pid);
    if (dropped)
        *dropped = records_dropped_;
    records_dropped_ = 0;
    return out;
}

int ClusterState::slot_of(pid_t pid) const {
    if (pid <= 0)
        return -1;
    int slot = 0; // as snapshot() counts: the online workers' processes, in name order
    for (const auto& [name, w] : workers_) {
        if (!w.online)
            continue;
        if (!w.have_stats) {
            if (w.pid == pid)
                return slot;
            ++slot;
            continue;
        }
        for (const pid_t p : w.processes) {
            if (p == pid)
                return slot;
            ++slot;
        }
    }
    int index = 0;
    for (const auto& [name, w] : workers_) {
        if (w.pid == pid)
            return slot + index;
        ++index;
    }
    return -1;
}

bool ClusterState::is_main_pid_slot(int slot) const {
    int processes = 0;
    for (const auto& [name, w] : workers_)
        if (w.online)
            processes += w.have_stats ? int(w.processes.size()) : 1;
    return slot >= processes;
}

std::string ClusterState::process_label(pid_t pid) const {
    if (pid <= 0)
        return {};
    for (const auto& [name, w] : workers_)
        if (std::find(w.processes.begin(), w.processes.end(), pid) != w.processes.end())
            return name + " · " + std::to_string(pid);
    for (const auto& [name, w] : workers_)
        if (w.pid == pid)
            return name + " · child not known";
    return {};
}

std::vector<ClusterNote> ClusterState::take_notes() {
    std::vector<ClusterNote> out(std::make_move_iterator(notes_.begin()),
                                 std::make_move_iterator(notes_.end()));
    notes_.clear();
    return out;
}

int ClusterState::online_workers() const {
    return int(std::count_if(workers_.begin(), workers_.end(),
                             [](const auto& w) { return w.second.online; }));
}

std::size_t ClusterState::running_tasks() const {
    return std::size_t(std::count_if(tasks_.begin(), tasks_.end(), [](const auto& t) {
        return t.second.started != Clock::time_point{};
    }));
}

poolcore::StatsSnapshot ClusterState::snapshot(Clock::time_point now) const {
    poolcore::StatsSnapshot s;
    s.state = poolcore::PoolState::Run;
    // Running tasks per pool child, from events refined by `active`.
    std::map<pid_t, const TaskLife*> running_on;
    std::map<std::string, int> running_per_host;
    for (const auto& [uuid, t] : tasks_) {
        if (t.started == Clock::time_point{})
            continue;
        ++running_per_host[t.hostname];
        if (t.child_pid)
            running_on[t.child_pid] = &t;
    }
    int slot = 0;
    for (const auto& [name, w] : workers_) {
        if (!w.online)
            continue;
        const int running = running_per_host.count(name) ? running_per_host.at(name) : 0;
        if (!w.have_stats) {
            poolcore::WorkerStats ws;
            ws.slot = slot++;
            ws.pid = w.pid;
            ws.state = poolcore::WorkerState::Starting; // its pool is not known until stats
            s.workers.push_back(ws);
            s.busy_processes += running;
            continue;
        }
        int unattributed = running;
        for (const pid_t pid : w.processes)
            if (running_on.count(pid))
                --unattributed;
        for (const pid_t pid : w.processes) {
            poolcore::WorkerStats ws;
            ws.slot = slot++;
            ws.pid = pid;
            ws.state = poolcore::WorkerState::Idle;
            if (const auto it = running_on.find(pid); it != running_on.end()) {
                ws.state = poolcore::WorkerState::Busy;
                ws.current_job = it->second->id;
                ws.current_task = it->second->name;
                ws.current_job_accepted = true;
                ws.current_job_seconds =
                    std::chrono::duration<double>(now - it->second->started).count();
                ws.queued = 1;
            } else if (unattributed > 0) {
                // Events say a task runs here, `active` has not yet named the child.
                --unattributed;
                ws.state = poolcore::WorkerState::Busy;
            }
            if (ws.state == poolcore::WorkerState::Busy)
                ++s.busy_processes;
            s.workers.push_back(ws);
        }
        s.total_writes += w.writes.total;
    }
    s.target_processes = s.alive_processes = int(s.workers.size());
    s.pending = queue_depth_;
    s.in_flight = running_tasks();
    s.outcomes = outcomes_;
    s.submitted = received_;
    for (const auto n : outcomes_)
        s.finished += n;
    const auto [p50, p99] = latencies_.p50_p99_us();
    s.latency_p50_us = p50;
    s.latency_p99_us = p99;
    return s;
}

poolcore::Info ClusterState::info() const {
    poolcore::Info info;
    info.put_guarded_by_semaphore = false;
    std::string all, raw;
    for (const auto& [name, w] : workers_) {
        if (!w.online || !w.have_stats)
            continue;
        // The processes it lists, not its lagging max-concurrency (see concurrency_lags()).
        info.max_concurrency += int(w.processes.size());
        info.processes.insert(info.processes.end(), w.processes.begin(), w.processes.end());
        info.put_guarded_by_semaphore = info.put_guarded_by_semaphore || w.put_guarded_by_semaphore;
        info.timeouts = w.timeouts;
        if (w.max_tasks_per_child != "N/A" && !w.max_tasks_per_child.empty())
            info.max_tasks_per_child = std::atoi(w.max_tasks_per_child.c_str());
        info.writes.total += w.writes.total;
        info.writes.inqueues_total += w.writes.inqueues_total;
        info.writes.inqueues_active += w.writes.inqueues_active;
        info.writes.strategy = w.writes.strategy;
        const std::string sep = all.empty() ? "" : " | ";
        all += sep + name + ": " + w.writes.all;
        raw += sep + name + ": " + w.writes.raw;
        info.writes.avg += (info.writes.avg.empty() ? "" : " | ") + name + ": " + w.writes.avg;
    }
    info.writes.all = all;
    info.writes.raw = raw;
    return info;
}

} // namespace poolscope::celery
