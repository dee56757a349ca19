// SPDX-License-Identifier: GPL-3.0-or-later
#include "poolcore/pool.h"

#include "engine/launcher_factory.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace poolcore {

namespace {

using std::chrono::duration_cast;

std::string seconds_text(Seconds s) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%g s", s.count());
    return buf;
}

template <typename Fn, typename... Args> std::string call_guarded(Fn& fn, Args&&... args) {
    if (!fn)
        return {};
    try {
        fn(std::forward<Args>(args)...);
    } catch (const std::exception& e) {
        return e.what();
    } catch (...) {
        return "unknown exception";
    }
    return {};
}

} // namespace

Pool::Pool(PoolOptions options, std::unique_ptr<ProcessLauncher> launcher)
    : options_(std::move(options)), scheduler_(options_.strategy, options_.prefetch),
      restart_limiter_(options_.max_restarts,
                       duration_cast<Clock::duration>(options_.restart_window)) {
    options_.validate();
    launcher_ = launcher ? std::move(launcher) : make_launcher(options_);
    launcher_->set_notice_handler(
        [this](const std::string& text) { say(Severity::Warning, text); });
    target_ = options_.effective_processes();
}

Pool::~Pool() {
    binding_.bind(nullptr);
    launcher_->set_notice_handler(nullptr); // observers may be gone already
    for (auto& [id, w] : workers_)
        launcher_->kill(w->pid);
    for (auto& [id, w] : workers_)
        launcher_->reap(w->pid, w->exit_fd.get());
}

void Pool::register_with_event_loop(EventLoop& loop) {
    binding_.bind(&loop);
}

void Pool::add_observer(PoolObserver* observer) {
    if (observer && std::find(observers_.begin(), observers_.end(), observer) == observers_.end())
        observers_.push_back(observer);
}

void Pool::remove_observer(PoolObserver* observer) {
    observers_.erase(std::remove(observers_.begin(), observers_.end(), observer), observers_.end());
}

template <typename F> void Pool::notify(F&& f) {
    // Indexed, not iterated: an observer may remove itself; no copy, as this runs per job.
    for (std::size_t i = 0; i < observers_.size(); ++i) {
        try {
            f(*observers_[i]);
        } catch (...) {
            // An observer's failure must never take the dispatch loop down with it.
        }
    }
}

void Pool::say(Severity severity, const std::string& text) {
    notify([&](PoolObserver& o) { o.on_message(severity, text); });
}

void Pool::set_state(PoolState s) {
    if (s == state_)
        return;
    state_ = s;
    notify([&](PoolObserver& o) { o.on_state_changed(s); });
}

// ---------------------------------------------------------------------------------------------
// Lifecycle

void Pool::start() {
    if (state_ != PoolState::Init && state_ != PoolState::Stopped)
        throw PoolError("the pool is already running (state " + std::string(to_string(state_)) +
                        ")");
    if (!binding_.loop())
        throw PoolError("register the pool with an event loop before starting it");
    if (auto why = launcher_->refusal(); !why.empty())
        throw PoolError(why);
    target_ = options_.effective_processes();
    slots_.assign(std::size_t(target_), 0);
    last_exit_by_slot_.assign(std::size_t(target_), std::string());
    start_ok_ = false;
    start_failed_ = false;
    start_waiting_ = target_;
    stop_requested_ = false;
    restart_in_progress_ = false;
    restart_limiter_.reset();
    set_state(PoolState::Run);
    maintain();
    for (auto& [id, w] : workers_)
        w->counts_for_start = true;
}

void Pool::close() {
    if (state_ == PoolState::Run)
        set_state(PoolState::Close);
}

void Pool::stop() {
    if (state_ != PoolState::Run && state_ != PoolState::Close)
        return;
    stop_requested_ = true;
    set_state(PoolState::Close);
    check_drained();
}

void Pool::terminate() {
    if (state_ == PoolState::Init || state_ == PoolState::Stopped)
        return;
    set_state(PoolState::Terminate);
    stop_requested_ = false;
    restart_in_progress_ = false;
    binding_.cancel(resume_timer_);
    pending_.clear();
    std::vector<JobId> ids;
    ids.reserve(jobs_.size());
    for (const auto& [id, job] : jobs_)
        ids.push_back(id);
    std::sort(ids.begin(), ids.end());
    for (JobId id : ids)
        finish(id, Outcome::Terminated, "terminated: the pool was terminated");
    for (auto& [id, w] : workers_)
        kill(*w, ExitReason::Killed);
    check_drained();
}

bool Pool::join(EventLoop::Duration timeout) {
    auto stopped = [this] { return state_ == PoolState::Stopped || state_ == PoolState::Init; };
    if (stopped() || !binding_.loop())
        return stopped();
    return binding_.loop()->run_until(stopped, timeout);
}

void Pool::check_drained() {
    if (stop_requested_ && state_ == PoolState::Close && jobs_.empty()) {
        std::vector<Worker*> live;
        for (auto& [id, w] : workers_)
            if (w->state != WorkerState::Exiting)
                live.push_back(w.get());
        for (Worker* w : live)
            retire(*w, ExitReason::Retired);
    }
    const bool winding_down = stop_requested_ || state_ == PoolState::Terminate;
    if (winding_down && workers_.empty() && jobs_.empty()) {
        stop_requested_ = false;
        binding_.cancel(resume_timer_);
        set_state(PoolState::Stopped);
    }
}

void Pool::restart() {
    if (state_ != PoolState::Run)
        throw PoolError("restart needs a running pool (state is " + std::string(to_string(state_)) +
                        ")");
    ++generation_;
    restart_in_progress_ = true;
    restart_probe_sent_ = false;
    std::vector<WorkerId> current;
    for (WorkerId id : slots_)
        if (id)
            current.push_back(id);
    int now = 0, later = 0;
    for (WorkerId id : current) {
        Worker* w = find_worker(id);
        if (!w)
            continue;
        if (w->queued.empty()) {
            retire(*w, ExitReason::Retired);
            ++now;
        } else {
            w->retire_when_idle = true;
            ++later;
        }
    }
    say(Severity::Info, "restart: replacing " + std::to_string(now) + " idle worker(s) now and " +
                            std::to_string(later) + " busy one(s) when their job ends");
    check_restart_progress();
}

void Pool::check_restart_progress() {
    if (!restart_in_progress_ || restart_probe_sent_)
        return;
    if (state_ != PoolState::Run) {
        restart_in_progress_ = false;
        return;
    }
    int ready = 0;
    for (WorkerId id : slots_) {
        if (!id)
            continue;
        const Worker* w = find_worker(id);
        if (!w || w->generation != generation_ || !w->up)
            return;
        ++ready;
    }
    if (ready < target_)
        return;
    restart_probe_sent_ = true;
    enqueue(TaskCall{"noop", {}, {}, {}, {}}, {}, true);
}

void Pool::grow(int n) {
    if (state_ != PoolState::Run)
        throw PoolError("grow needs a running pool (state is " + std::string(to_string(state_)) +
                        ")");
    if (n < 1)
        throw PoolError("grow needs a positive count");
    if (target_ + n > 1024)
        throw PoolError("cannot grow past 1024 processes");
    target_ += n;
    say(Severity::Info, "grow: " + std::to_string(target_) + " processes");
    maintain();
}

int Pool::shrink(int n) {
    if (state_ != PoolState::Run)
        throw PoolError("shrink needs a running pool (state is " + std::string(to_string(state_)) +
                        ")");
    if (n < 1)
        throw PoolError("shrink needs a positive count");
    if (target_ - n < 1)
        throw PoolError("cannot shrink below one process (there are " + std::to_string(target_) +
                        ")");
    std::vector<Worker*> idle;
    for (auto it = slots_.rbegin(); it != slots_.rend(); ++it) {
        Worker* w = *it ? find_worker(*it) : nullptr;
        if (w && w->queued.empty() &&
            (w->state == WorkerState::Idle || w->state == WorkerState::Starting))
            idle.push_back(w);
    }
    if (idle.empty())
        throw PoolError("cannot shrink the pool: all " + std::to_string(target_) +
                        " processes are busy");
    const int k = std::min<int>(n, int(idle.size()));
    target_ -= k; // first, so that retiring does not refill the slots
    for (int i = 0; i < k; ++i)
        retire(*idle[std::size_t(i)], ExitReason::Retired);
    say(Severity::Info, "shrink: " + std::to_string(target_) + " processes");
    return k;
}

// ---------------------------------------------------------------------------------------------
// Workers

Pool::Worker* Pool::find_worker(WorkerId id) {
    auto it = workers_.find(id);
    return it == workers_.end() ? nullptr : it->second.get();
}

Pool::Worker* Pool::find_worker_by_pid(pid_t pid) {
    for (auto& [id, w] : workers_)
        if (w->pid == pid)
            return w.get();
    return nullptr;
}

int Pool::alive_processes() const {
    return int(workers_.size());
}

std::vector<pid_t> Pool::pids() const {
    std::vector<pid_t> out;
    for (WorkerId id : slots_) {
        auto it = workers_.find(id);
        if (id && it != workers_.end())
            out.push_back(it->second->pid);
    }
    return out;
}

void Pool::maintain() {
    if ((state_ != PoolState::Run && state_ != PoolState::Close) || stop_requested_)
        return;
    if (resume_timer_)
        return;
    if (restart_limiter_.tripped()) {
        const auto wait = std::max<Clock::duration>(restart_limiter_.resume_at() - Clock::now(),
                                                    std::chrono::milliseconds(10));
        ++crash_loop_pauses_untold_;
        const auto now = Clock::now();
        if (crash_loop_told_ == Clock::time_point{} ||
            now - crash_loop_told_ >= duration_cast<Clock::duration>(options_.restart_window)) {
            std::string text = std::to_string(restart_limiter_.count()) + " workers died within " +
                               seconds_text(options_.restart_window) +
                               " (more than max_restarts=" + std::to_string(options_.max_restarts) +
                               "): replacing them is paused for " +
                               seconds_text(duration_cast<Seconds>(wait)) +
                               " to break a crash loop";
            if (crash_loop_pauses_untold_ > 1)
                text += " (" + std::to_string(crash_loop_pauses_untold_) +
                        " pauses since the last notice)";
            say(Severity::Error, text);
            crash_loop_told_ = now;
            crash_loop_pauses_untold_ = 0;
        }
        resume_timer_ = binding_.call_later(wait, [this] {
            resume_timer_ = 0;
            maintain();
            schedule_writes();
        });
        return;
    }
    int occupied = int(std::count_if(slots_.begin(), slots_.end(), [](WorkerId id) { return id; }));
    for (std::size_t slot = 0; occupied < target_; ++slot) {
        if (slot >= slots_.size()) {
            slots_.push_back(0);
            last_exit_by_slot_.emplace_back();
        }
        if (slots_[slot])
            continue;
        try {
            spawn(int(slot));
            ++occupied;
        } catch (const std::exception& e) {
            say(Severity::Error,
                std::string("could not start a worker: ") + e.what() + "; trying again in 1 s");
            if (state_ == PoolState::Run && !start_ok_)
                start_failed_ = true;
            resume_timer_ = binding_.call_later(std::chrono::seconds(1), [this] {
                resume_timer_ = 0;
                maintain();
                schedule_writes();
            });
            return;
        }
    }
}

void Pool::spawn(int slot) {
    LaunchedWorker launched = launcher_->launch(
        WorkerSettings{options_.max_frame_bytes, options_.max_memory_per_child_kib.has_value()});
    auto w = std::make_unique<Worker>();
    w->id = next_worker_id_++;
    w->slot = slot;
    w->pid = launched.pid;
    w->channel = std::make_unique<Channel>(std::move(launched.channel), options_.max_frame_bytes);
    w->exit_fd = std::move(launched.exit_fd);
    w->generation = generation_;
    const WorkerId id = w->id;
    slots_[std::size_t(slot)] = id;
    binding_.add_reader(w->channel->fd(), [this, id] { on_worker_readable(id); });
    binding_.watch_exit(ExitHandle{w->exit_fd.get()}, [this, id] { on_worker_exit(id); });
    w->alive_timer = binding_.call_later(
        duration_cast<Clock::duration>(options_.proc_alive_timeout), [this, id] {
            Worker* w = find_worker(id);
            if (!w)
                return;
            w->alive_timer = 0;
            if (w->up || w->state == WorkerState::Exiting)
                return;
            w->fault = "did not start within " + seconds_text(options_.proc_alive_timeout);
            say(Severity::Error,
                "worker pid " + std::to_string(w->pid) + " " + w->fault + "; killing it");
            kill(*w, ExitReason::Killed);
        });
    ++workers_started_;
    workers_.emplace(id, std::move(w));
}

bool Pool::accepting_writes(const Worker& w) const {
    return (w.state == WorkerState::Idle || w.state == WorkerState::Busy) && w.slot >= 0 &&
           w.channel->is_open();
}

int Pool::worker_capacity(const Worker& w) const {
    if (!accepting_writes(w) || w.retire_when_idle)
        return 0;
    int cap = scheduler_.capacity(w.queued.size());
    if (options_.max_tasks_per_child) {
        const auto used = w.jobs_done + w.queued.size();
        const auto max = std::uint64_t(*options_.max_tasks_per_child);
        cap = used >= max ? 0 : std::min<int>(cap, int(max - used));
    }
    if (options_.max_memory_per_child_kib && w.private_kib > *options_.max_memory_per_child_kib)
        cap = 0;
    return cap;
}

void Pool::on_worker_readable(WorkerId id) {
    Worker* w = find_worker(id);
    if (!w || !w->channel->is_open())
        return;
    read_frames(*w);
    schedule_writes();
}

void Pool::read_frames(Worker& w) {
    const int fd = w.channel->fd();
    const auto status = w.channel->read_available();
    auto& decoder = w.channel->decoder();
    wire::Message message;
    while (w.channel->is_open() && w.fault.empty()) {
        const auto r = decoder.next(message);
        if (r == wire::FrameDecoder::Status::NeedMore)
            break;
        if (r == wire::FrameDecoder::Status::Error) {
            protocol_error(w, decoder.error());
            return;
        }
        handle_message(w, message);
    }
    // Only while the channel is still open does `fd` belong to this worker: a retire inside the
    // loop above closes it, and a replacement may already have been given the same number.
    if ((status == Channel::IoStatus::Eof || status == Channel::IoStatus::Error) &&
        w.channel->is_open()) {
        // Level-triggered: a reader left on a closed peer would fire forever.
        binding_.remove_reader(fd);
        if (w.state != WorkerState::Exiting) {
            if (status == Channel::IoStatus::Error)
                w.fault = w.channel->error();
            kill(w, ExitReason::Died);
        }
    }
}

void Pool::handle_message(Worker& w, wire::Message& message) {
    if (auto* up = std::get_if<wire::WorkerUpMessage>(&message))
        handle_up(w, *up);
    else if (auto* ack = std::get_if<wire::AckMessage>(&message))
        handle_ack(w, *ack);
    else if (auto* ready = std::get_if<wire::ReadyMessage>(&message))
        handle_ready(w, *ready);
}

void Pool::handle_up(Worker& w, const wire::WorkerUpMessage& m) {
    if (w.up || m.pid != w.pid) {
        protocol_error(w, w.up ? "second worker-up frame"
                               : "worker-up names pid " + std::to_string(m.pid));
        return;
    }
    w.up = true;
    binding_.cancel(w.alive_timer);
    w.rss_kib = m.rss_kib;
    w.rss_sampled = Clock::now();
    if (w.state == WorkerState::Starting)
        w.state = WorkerState::Idle;
    if (w.counts_for_start) {
        w.counts_for_start = false;
        if (--start_waiting_ == 0 && !start_failed_)
            start_ok_ = true;
    }
    notify([&](PoolObserver& o) { o.on_worker_up(w.slot, w.pid); });
    check_restart_progress();
}

void Pool::handle_ack(Worker& w, const wire::AckMessage& m) {
    if (w.queued.empty() || w.queued.front() != m.job_id) {
        protocol_error(w, "ack for job " + std::to_string(m.job_id) +
                              ", which is not the next job written to it");
        return;
    }
    if (w.state == WorkerState::Exiting)
        return; // being killed: the job counts as never started and is queued again
    auto it = jobs_.find(m.job_id);
    if (it == jobs_.end() || it->second.phase != Phase::Written) {
        protocol_error(w, "second ack for job " + std::to_string(m.job_id));
        return;
    }
    Job& job = it->second;
    job.phase = Phase::Accepted;
    job.accepted = Clock::now();
    job.pid = w.pid;
    w.state = WorkerState::Busy;
    arm_time_limits(job);
    const pid_t pid = w.pid;
    const JobId id = job.id;
    if (auto error = call_guarded(job.callbacks.on_accepted, id, pid); !error.empty())
        say(Severity::Error, "accept callback of job " + std::to_string(id) + " threw: " + error);
    notify([&](PoolObserver& o) { o.on_job_accepted(id, pid); });
}

void Pool::handle_ready(Worker& w, wire::ReadyMessage& m) {
    if (w.queued.empty() || w.queued.front() != m.job_id) {
        if (w.state != WorkerState::Exiting) // else: its job already ended by time limit
            protocol_error(w, "result for job " + std::to_string(m.job_id) +
                                  ", which it was not running");
        return;
    }
    auto it = jobs_.find(m.job_id);
    if (it == jobs_.end() || it->second.phase != Phase::Accepted) {
        protocol_error(w, "result for job " + std::to_string(m.job_id) + " before its ack");
        return;
    }
    ++w.jobs_done;
    w.rss_kib = m.rss_kib;
    w.private_kib = m.private_kib;
    w.rss_sampled = Clock::now();
    const WorkerId wid = w.id;
    finish(m.job_id, m.outcome, std::move(m.payload));
    if (Worker* again = find_worker(wid))
        after_job(*again);
}

void Pool::after_job(Worker& w) {
    if (w.state == WorkerState::Exiting)
        return;
    if (!w.queued.empty())
        return; // prefetched jobs run first; limits kept them within budget
    w.state = WorkerState::Idle;
    const std::string who = "worker pid " + std::to_string(w.pid);
    if (options_.max_tasks_per_child &&
        w.jobs_done >= std::uint64_t(*options_.max_tasks_per_child)) {
        say(Severity::Info, "recycling " + who + " after " + std::to_string(w.jobs_done) +
                                " tasks (max_tasks_per_child)");
        retire(w, ExitReason::Recycled);
    } else if (options_.max_memory_per_child_kib &&
               w.private_kib > *options_.max_memory_per_child_kib) {
        say(Severity::Info, "recycling " + who + ": private memory " +
                                std::to_string(w.private_kib) + " KiB exceeds " +
                                std::to_string(*options_.max_memory_per_child_kib) +
                                " KiB (max_memory_per_child)");
        retire(w, ExitReason::Recycled);
    } else if (w.retire_when_idle) {
        retire(w, ExitReason::Retired);
    }
}

void Pool::vacate_slot(Worker& w) {
    if (w.slot >= 0 && std::size_t(w.slot) < slots_.size() && slots_[std::size_t(w.slot)] == w.id)
        slots_[std::size_t(w.slot)] = 0;
}

void Pool::retire(Worker& w, ExitReason reason) {
    vacate_slot(w);
    w.state = WorkerState::Exiting;
    if (!w.exit_reason)
        w.exit_reason = reason;
    binding_.cancel(w.alive_timer);
    if (w.channel->is_open()) {
        binding_.remove_writer(w.channel->fd());
        binding_.remove_reader(w.channel->fd());
        w.channel->close(); // EOF tells the worker to exit
    }
    const WorkerId id = w.id;
    if (!w.kill_timer)
        w.kill_timer = binding_.call_later(std::chrono::seconds(2), [this, id] {
            if (Worker* w = find_worker(id)) {
                w->kill_timer = 0;
                launcher_->kill(w->pid);
            }
        });
    maintain();
    check_restart_progress();
}

void Pool::mark_exiting(Worker& w, ExitReason reason) {
    if (!w.exit_reason)
        w.exit_reason = reason;
    w.state = WorkerState::Exiting;
    binding_.cancel(w.alive_timer);
}

void Pool::kill(Worker& w, ExitReason reason) {
    mark_exiting(w, reason);
    launcher_->kill(w.pid);
}

void Pool::terminate_then_kill(Worker& w, ExitReason reason) {
    mark_exiting(w, reason);
    launcher_->terminate(w.pid);
    const WorkerId id = w.id;
    if (!w.kill_timer)
        w.kill_timer =
            binding_.call_later(duration_cast<Clock::duration>(options_.kill_grace), [this, id] {
                if (Worker* w = find_worker(id)) {
                    w->kill_timer = 0;
                    launcher_->kill(w->pid);
                }
            });
}

void Pool::protocol_error(Worker& w, const std::string& error) {
    w.fault = error.rfind("protocol error", 0) == 0 ? error : "protocol error: " + error;
    say(Severity::Error, "worker pid " + std::to_string(w.pid) + ": " + w.fault + "; killing it");
    if (w.channel->is_open())
        binding_.remove_reader(w.channel->fd());
    kill(w, ExitReason::Killed);
}

void Pool::on_worker_exit(WorkerId id) {
    Worker* wp = find_worker(id);
    if (!wp)
        return;
    Worker& w = *wp;
    // Results a worker wrote just before exiting are still in the socket: take them first
    // (Celery lost them as "exitcode 155" until billiard 3.6.1).
    if (w.channel->is_open() && w.state != WorkerState::Exiting)
        read_frames(w);
    if (w.channel->is_open()) {
        binding_.remove_reader(w.channel->fd());
        binding_.remove_writer(w.channel->fd());
        w.channel->close();
    }
    binding_.unwatch_exit(ExitHandle{w.exit_fd.get()});
    binding_.cancel(w.alive_timer);
    binding_.cancel(w.kill_timer);
    const ExitStatus status = launcher_->reap(w.pid, w.exit_fd.get());
    w.exit_fd.reset();
    const ExitReason reason = w.exit_reason.value_or(ExitReason::Died);
    const int slot = w.slot;
    vacate_slot(w);
    ++workers_exited_;
    if (slot >= 0 && std::size_t(slot) < last_exit_by_slot_.size())
        last_exit_by_slot_[std::size_t(slot)] = "pid " + std::to_string(w.pid) + ": " +
                                                status.describe() + " (" +
                                                std::string(to_string(reason)) + ")";

    const bool counts_as_crash = reason == ExitReason::Died || reason == ExitReason::Killed;
    const bool running = (state_ == PoolState::Run || state_ == PoolState::Close);
    if (counts_as_crash && running)
        restart_limiter_.record(); // observers hear of the crash itself through on_worker_exit
    if (!w.up && w.counts_for_start) {
        start_failed_ = true;
        start_ok_ = false;
    }

    const pid_t pid = w.pid;
    const std::string fault = w.fault;
    std::deque<JobId> queued = std::move(w.queued);
    w.queued.clear();
    std::vector<JobId> requeue;
    for (JobId jid : queued) {
        auto it = jobs_.find(jid);
        if (it == jobs_.end())
            continue;
        Job& job = it->second;
        job.worker = 0;
        if (job.phase == Phase::Accepted) {
            if (job.terminate_requested)
                finish(jid, Outcome::Terminated, "terminated: worker " + status.describe());
            else
                finish(jid, Outcome::WorkerLost,
                       "Worker exited prematurely: " + status.describe() +
                           (fault.empty() ? "" : " (" + fault + ")") +
                           " Job: " + std::to_string(jid) + ".");
        } else {
            job.phase = Phase::Pending; // never started: it runs elsewhere, nothing is lost
            requeue.push_back(jid);
        }
    }
    pending_.insert(pending_.begin(), requeue.begin(), requeue.end());

    workers_.erase(id);
    notify([&](PoolObserver& o) { o.on_worker_exit(slot, pid, status, reason, fault); });
    maintain();
    schedule_writes();
    check_restart_progress();
    check_drained();
}

// ---------------------------------------------------------------------------------------------
// Jobs

JobId Pool::apply_async(TaskCall call, JobCallbacks callbacks) {
    if (state_ != PoolState::Run) {
        if (state_ == PoolState::Close)
            throw PoolError("the pool is closed: it accepts no new jobs");
        throw PoolError("the pool is not running (state " + std::string(to_string(state_)) +
                        "): start it first");
    }
    if (call.task.empty())
        throw PoolError("a job needs a task name");
    if (call.task.size() > 0xffff)
        throw PoolError("task name too long");
    if (call.soft_time_limit && call.soft_time_limit->count() <= 0)
        throw PoolError("soft_time_limit must be positive");
    if (call.time_limit && call.time_limit->count() <= 0)
        throw PoolError("time_limit must be positive");
    const auto soft = call.soft_time_limit ? call.soft_time_limit : options_.soft_time_limit;
    const auto hard = call.time_limit ? call.time_limit : options_.time_limit;
    if (soft && hard && *soft > *hard)
        throw PoolError("soft_time_limit must be less than or equal to time_limit");
    const std::size_t frame = call.task.size() + call.argument.size() + call.payload.size() + 32;
    if (frame > options_.max_frame_bytes)
        throw PoolError("job of " + std::to_string(frame) + " bytes exceeds max_frame_bytes (" +
                        std::to_string(options_.max_frame_bytes) + ")");
    return enqueue(std::move(call), std::move(callbacks), false);
}

JobId Pool::enqueue(TaskCall call, JobCallbacks callbacks, bool restart_probe) {
    const JobId id = next_job_id_++;
    Job job;
    job.id = id;
    job.soft_limit = call.soft_time_limit ? call.soft_time_limit : options_.soft_time_limit;
    job.hard_limit = call.time_limit ? call.time_limit : options_.time_limit;
    job.call = std::move(call);
    job.callbacks = std::move(callbacks);
    job.submitted = Clock::now();
    job.restart_probe = restart_probe;
    jobs_.emplace(id, std::move(job));
    pending_.push_back(id);
    ++submitted_;
    schedule_writes();
    return id;
}

void Pool::schedule_writes() {
    if (scheduling_ || pending_.empty())
        return;
    if (state_ != PoolState::Run && state_ != PoolState::Close)
        return;
    scheduling_ = true;
    std::vector<Worker*> ready;
    for (WorkerId id : slots_) {
        if (!id)
            continue;
        Worker* w = find_worker(id);
        if (w && worker_capacity(*w) > 0)
            ready.push_back(w);
    }
    if (!ready.empty()) {
        const std::size_t n = ready.size();
        const std::size_t origin = scheduler_.start_index(n);
        std::vector<bool> touched(n, false);
        bool progress = true;
        while (progress && !pending_.empty()) {
            progress = false;
            for (std::size_t k = 0; k < n && !pending_.empty(); ++k) {
                const std::size_t i = (origin + k) % n;
                Worker& w = *ready[i];
                if (worker_capacity(w) <= 0)
                    continue;
                const JobId id = pending_.front();
                pending_.pop_front();
                Job& job = jobs_.at(id);
                job.phase = Phase::Written;
                job.worker = w.id;
                w.queued.push_back(id);
                w.state = WorkerState::Busy;
                w.channel->queue_job(id, job.call.task, job.call.argument, job.call.payload);
                touched[i] = true;
                progress = true;
            }
        }
        for (std::size_t i = 0; i < n; ++i)
            if (touched[i])
                flush(*ready[i]);
    }
    scheduling_ = false;
}

void Pool::flush(Worker& w) {
    const int slot = w.slot;
    const auto status = w.channel->flush([&](JobId) {
        if (slot < 0)
            return;
        scheduler_.record_write(slot);
        notify([&](PoolObserver& o) { o.on_write(slot); });
    });
    const int fd = w.channel->fd();
    switch (status) {
    case Channel::IoStatus::Ok:
        binding_.remove_writer(fd); // a writer only while output is pending
        break;
    case Channel::IoStatus::WouldBlock:
        if (!binding_.has_writer(fd)) {
            const WorkerId id = w.id;
            binding_.add_writer(fd, [this, id] { on_worker_writable(id); });
        }
        break;
    default:
        binding_.remove_writer(fd);
        w.fault = w.channel->error();
        kill(w, ExitReason::Died);
        break;
    }
}

void Pool::on_worker_writable(WorkerId id) {
    Worker* w = find_worker(id);
    if (!w || !w->channel->is_open())
        return;
    flush(*w);
}

void Pool::arm_time_limits(Job& job) {
    const JobId id = job.id;
    if (job.soft_limit)
        job.soft_timer = binding_.call_later(duration_cast<Clock::duration>(*job.soft_limit),
                                             [this, id] { on_soft_timeout(id); });
    if (job.hard_limit)
        job.hard_timer = binding_.call_later(duration_cast<Clock::duration>(*job.hard_limit),
                                             [this, id] { on_hard_timeout(id); });
}

void Pool::on_soft_timeout(JobId id) {
    auto it = jobs_.find(id);
    if (it == jobs_.end() || it->second.phase != Phase::Accepted)
        return;
    Job& job = it->second;
    job.soft_timer = 0;
    const Seconds limit = *job.soft_limit;
    if (auto error = call_guarded(job.callbacks.on_timeout, id, true, limit); !error.empty())
        say(Severity::Error, "timeout callback of job " + std::to_string(id) + " threw: " + error);
    auto again = jobs_.find(id);
    if (again == jobs_.end())
        return;
    if (Worker* w = find_worker(again->second.worker))
        launcher_->soft_limit(w->pid, static_cast<std::uint32_t>(id));
}

void Pool::on_hard_timeout(JobId id) {
    auto it = jobs_.find(id);
    if (it == jobs_.end() || it->second.phase != Phase::Accepted)
        return;
    Job& job = it->second;
    job.hard_timer = 0;
    const Seconds limit = *job.hard_limit;
    const WorkerId wid = job.worker;
    const std::string task = job.call.task;
    if (auto error = call_guarded(job.callbacks.on_timeout, id, false, limit); !error.empty())
        say(Severity::Error, "timeout callback of job " + std::to_string(id) + " threw: " + error);
    Worker* w = find_worker(wid);
    say(Severity::Warning, "hard time limit (" + seconds_text(limit) + ") exceeded for job " +
                               std::to_string(id) + " (" + task + ")" +
                               (w ? " on pid " + std::to_string(w->pid) + "; killing it" : ""));
    finish(id, Outcome::TimeLimit,
           "TimeLimitExceeded(" + seconds_text(limit) + ") for job " + std::to_string(id));
    if ((w = find_worker(wid)))
        terminate_then_kill(*w, ExitReason::TimeLimit);
}

void Pool::finish(JobId id, Outcome outcome, std::string value) {
    auto it = jobs_.find(id);
    if (it == jobs_.end())
        return;
    Job job = std::move(it->second);
    jobs_.erase(it);
    binding_.cancel(job.soft_timer);
    binding_.cancel(job.hard_timer);
    if (Worker* w = job.worker ? find_worker(job.worker) : nullptr) {
        auto pos = std::find(w->queued.begin(), w->queued.end(), id);
        if (pos != w->queued.end())
            w->queued.erase(pos);
    }
    if (job.phase == Phase::Pending) {
        auto pos = std::find(pending_.begin(), pending_.end(), id);
        if (pos != pending_.end())
            pending_.erase(pos);
    }

    JobResult result;
    result.id = id;
    result.outcome = outcome;
    result.value = std::move(value);
    result.pid = job.pid;
    result.latency = Clock::now() - job.submitted;
    ++outcomes_[std::size_t(outcome)];
    ++finished_;
    latencies_.add(result.latency);

    if (job.restart_probe) {
        restart_in_progress_ = false;
        say(result.ok() ? Severity::Info : Severity::Error,
            result.ok() ? "restart complete: every worker replaced; a no-op job ran on pid " +
                              std::to_string(result.pid)
                        : "restart: the no-op check failed: " + result.value);
    }
    auto& cb = result.ok() ? job.callbacks.on_success : job.callbacks.on_error;
    if (auto error = call_guarded(cb, result); !error.empty())
        say(Severity::Error, "result callback of job " + std::to_string(id) + " threw: " + error);
    notify([&](PoolObserver& o) { o.on_job_finished(result); });
    check_drained();
}

bool Pool::terminate_job(pid_t pid, int signal) {
    Worker* w = find_worker_by_pid(pid);
    if (!w || w->queued.empty())
        return false;
    auto it = jobs_.find(w->queued.front());
    if (it == jobs_.end() || it->second.phase != Phase::Accepted)
        return false;
    it->second.terminate_requested = true;
    return launcher_->deliver(pid, signal);
}

bool Pool::kill_worker(pid_t pid, int signal) {
    Worker* w = find_worker_by_pid(pid);
    return w && launcher_->deliver(pid, signal);
}

// ---------------------------------------------------------------------------------------------
// Reports

Info Pool::info() const {
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

StatsSnapshot Pool::stats() const {
    const auto now = Clock::now();
    StatsSnapshot s;
    s.state = state_;
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
    for (const auto& [id, w] : workers_) {
        WorkerStats ws;
        ws.slot = (w->slot >= 0 && std::size_t(w->slot) < slots_.size() &&
                   slots_[std::size_t(w->slot)] == id)
                      ? w->slot
                      : -1;
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
        // Busy workers' memory moves; sample it at most four times a second.
        if (w->up && w->state == WorkerState::Busy &&
            now - w->rss_sampled > std::chrono::milliseconds(250)) {
            if (auto kib = launcher_->resident_kib(w->pid))
                w->rss_kib = kib;
            w->rss_sampled = now;
        }
        ws.rss_kib = w->rss_kib;
        if (w->slot >= 0 && std::size_t(w->slot) < last_exit_by_slot_.size())
            ws.last_exit = last_exit_by_slot_[std::size_t(w->slot)];
        s.workers.push_back(std::move(ws));
    }
    std::sort(s.workers.begin(), s.workers.end(), [](const WorkerStats& a, const WorkerStats& b) {
        const int sa = a.slot < 0 ? 1 << 30 : a.slot, sb = b.slot < 0 ? 1 << 30 : b.slot;
        return sa != sb ? sa < sb : a.pid < b.pid;
    });
    return s;
}

} // namespace poolcore
