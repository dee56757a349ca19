// SPDX-License-Identifier: MIT
#include "engine/launcher_factory.h"
#include "engine/pool_state.h"

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

// "<what> (state RUN)<after>": a verb refused in the state the pool is in.
std::string refused_in_state(std::string_view what, PoolState state, std::string_view after = {}) {
    return std::string(what) + " (state " + std::string(to_string(state)) + ")" +
           std::string(after);
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

Pool::State::State(PoolOptions options, std::unique_ptr<ProcessLauncher> launcher)
    : options_(std::move(options)), scheduler_(options_.strategy, options_.prefetch),
      job_records_(options_.job_record_capacity),
      crash_loop_(options_.max_restarts, duration_cast<Clock::duration>(options_.restart_window)) {
    options_.validate();
    launcher_ = launcher ? std::move(launcher) : make_launcher(options_);
    launcher_->set_notice_handler(
        [this](const std::string& text) { say(Severity::Warning, text); });
    target_ = options_.effective_processes();
}

Pool::State::~State() {
    binding_.bind(nullptr);
    launcher_->set_notice_handler(nullptr); // observers may be gone already
    for (auto& [id, w] : workers_)
        launcher_->kill(w->pid);
    for (auto& [id, w] : workers_)
        launcher_->reap(w->pid, w->exit_fd.get());
}

void Pool::State::add_observer(PoolObserver* observer) {
    if (observer && std::find(observers_.begin(), observers_.end(), observer) == observers_.end())
        observers_.push_back(observer);
}

void Pool::State::remove_observer(PoolObserver* observer) {
    observers_.erase(std::remove(observers_.begin(), observers_.end(), observer), observers_.end());
}

template <typename F> void Pool::State::notify(F&& f) {
    // Indexed, not iterated: an observer may remove itself; no copy, as this runs per job.
    for (std::size_t i = 0; i < observers_.size(); ++i) {
        try {
            f(*observers_[i]);
        } catch (...) {
            // An observer's failure must never take the dispatch loop down with it.
        }
    }
}

void Pool::State::say(Severity severity, const std::string& text) {
    notify([&](PoolObserver& o) { o.on_message(severity, text); });
}

void Pool::State::set_state(PoolState s) {
    if (s == pool_state_)
        return;
    pool_state_ = s;
    notify([&](PoolObserver& o) { o.on_state_changed(s); });
}

// ---------------------------------------------------------------------------------------------
// Lifecycle

void Pool::State::start() {
    if (pool_state_ != PoolState::Init && pool_state_ != PoolState::Stopped)
        throw PoolError(refused_in_state("the pool is already running", pool_state_));
    if (!binding_.loop())
        throw PoolError("register the pool with an event loop before starting it");
    if (auto why = launcher_->refusal(); !why.empty())
        throw PoolError(why);
    target_ = options_.effective_processes();
    // None fitting is refused; some fitting still runs every job, so it is only a warning.
    if (const Capacity capacity = launcher_->capacity_for(target_); !capacity.shortfall.empty()) {
        if (capacity.fits < 1)
            throw PoolError(capacity.shortfall);
        say(Severity::Warning, capacity.shortfall);
    }
    launch_failure_told_.clear();
    slots_.reset(std::size_t(target_));
    start_ok_ = false;
    start_failed_ = false;
    start_waiting_ = target_;
    stop_requested_ = false;
    restart_in_progress_ = false;
    crash_loop_.reset();
    set_state(PoolState::Run);
    maintain();
    for (auto& [id, w] : workers_)
        w->counts_for_start = true;
}

void Pool::State::close() {
    if (pool_state_ == PoolState::Run)
        set_state(PoolState::Close);
}

void Pool::State::stop() {
    if (pool_state_ != PoolState::Run && pool_state_ != PoolState::Close)
        return;
    stop_requested_ = true;
    set_state(PoolState::Close);
    check_drained();
}

void Pool::State::terminate() {
    if (pool_state_ == PoolState::Init || pool_state_ == PoolState::Stopped)
        return;
    set_state(PoolState::Terminate);
    stop_requested_ = false;
    restart_in_progress_ = false;
    binding_.cancel(resume_timer_);
    pending_.clear();
    // The workers first: once each is marked exiting, what it still sends about the jobs ended
    // below (an ack or a result already on its way) concerns a job the pool itself ended, and is
    // no protocol error.
    for (auto& [id, w] : workers_)
        kill(*w, ExitReason::Killed);
    std::vector<JobId> ids;
    ids.reserve(jobs_.size());
    for (const auto& [id, job] : jobs_)
        ids.push_back(id);
    std::sort(ids.begin(), ids.end());
    for (JobId id : ids)
        finish(id, Outcome::Terminated, "terminated: the pool was terminated");
    check_drained();
}

bool Pool::State::join(EventLoop::Duration timeout) {
    auto stopped = [this] {
        return pool_state_ == PoolState::Stopped || pool_state_ == PoolState::Init;
    };
    if (stopped() || !binding_.loop())
        return stopped();
    return binding_.loop()->run_until(stopped, timeout);
}

void Pool::State::check_drained() {
    if (stop_requested_ && pool_state_ == PoolState::Close && jobs_.empty()) {
        std::vector<Worker*> live;
        for (auto& [id, w] : workers_)
            if (w->state != WorkerState::Exiting)
                live.push_back(w.get());
        for (Worker* w : live)
            retire(*w, ExitReason::Retired);
    }
    const bool winding_down = stop_requested_ || pool_state_ == PoolState::Terminate;
    if (winding_down && workers_.empty() && jobs_.empty()) {
        stop_requested_ = false;
        binding_.cancel(resume_timer_);
        set_state(PoolState::Stopped);
    }
}

void Pool::State::restart() {
    if (pool_state_ != PoolState::Run)
        throw PoolError(refused_in_state("restart needs a running pool", pool_state_));
    ++generation_;
    restart_in_progress_ = true;
    restart_probe_sent_ = false;
    std::vector<WorkerId> current;
    for (WorkerId id : slots_.ids())
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

void Pool::State::check_restart_progress() {
    if (!restart_in_progress_ || restart_probe_sent_)
        return;
    if (pool_state_ != PoolState::Run) {
        restart_in_progress_ = false;
        return;
    }
    int ready = 0;
    for (WorkerId id : slots_.ids()) {
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

void Pool::State::grow(int n) {
    if (pool_state_ != PoolState::Run)
        throw PoolError(refused_in_state("grow needs a running pool", pool_state_));
    if (n < 1)
        throw PoolError("grow needs a positive count");
    if (target_ + n > kMaxProcesses)
        throw PoolError("cannot grow past " + std::to_string(kMaxProcesses) + " processes");
    target_ += n;
    say(Severity::Info, "grow: " + std::to_string(target_) + " processes");
    maintain();
}

int Pool::State::shrink(int n) {
    if (pool_state_ != PoolState::Run)
        throw PoolError(refused_in_state("shrink needs a running pool", pool_state_));
    if (n < 1)
        throw PoolError("shrink needs a positive count");
    if (target_ - n < 1)
        throw PoolError("cannot shrink below one process (there are " + std::to_string(target_) +
                        ")");
    std::vector<Worker*> idle;
    for (auto it = slots_.ids().rbegin(); it != slots_.ids().rend(); ++it) {
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

Pool::State::Worker* Pool::State::find_worker(WorkerId id) {
    auto it = workers_.find(id);
    return it == workers_.end() ? nullptr : it->second.get();
}

Pool::State::Worker* Pool::State::find_worker_by_pid(pid_t pid) {
    for (auto& [id, w] : workers_)
        if (w->pid == pid)
            return w.get();
    return nullptr;
}

int Pool::State::alive_processes() const {
    return int(workers_.size());
}

std::vector<pid_t> Pool::State::pids() const {
    std::vector<pid_t> out;
    for (WorkerId id : slots_.ids()) {
        auto it = workers_.find(id);
        if (id && it != workers_.end())
            out.push_back(it->second->pid);
    }
    return out;
}

void Pool::State::maintain() {
    if ((pool_state_ != PoolState::Run && pool_state_ != PoolState::Close) || stop_requested_)
        return;
    if (resume_timer_)
        return;
    if (const auto wait = crash_loop_.pause()) {
        if (const auto pauses = crash_loop_.pause_to_tell()) {
            std::string text = std::to_string(crash_loop_.crashes()) + " workers died within " +
                               seconds_text(options_.restart_window) +
                               " (more than max_restarts=" + std::to_string(options_.max_restarts) +
                               "): replacing them is paused for " +
                               seconds_text(duration_cast<Seconds>(*wait)) +
                               " to break a crash loop";
            if (*pauses > 1)
                text += " (" + std::to_string(*pauses) + " pauses since the last notice)";
            say(Severity::Error, text);
        }
        resume_timer_ = binding_.call_later(*wait, [this] {
            resume_timer_ = 0;
            maintain();
            schedule_writes();
        });
        return;
    }
    int occupied = slots_.occupied();
    for (int slot = 0; occupied < target_; ++slot) {
        slot = slots_.next_vacant(slot);
        try {
            spawn(slot);
            launch_failure_told_.clear();
            ++occupied;
        } catch (const std::exception& e) {
            if (launch_failure_told_ != e.what())
                say(Severity::Error, std::string("could not start a worker: ") + e.what() +
                                         "; trying again every 1 s");
            launch_failure_told_ = e.what();
            if (pool_state_ == PoolState::Run && !start_ok_)
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

void Pool::State::spawn(int slot) {
    WorkerSettings settings{options_.max_frame_bytes,
                            options_.max_memory_per_child_kib.has_value()};
    settings.slot = slot;
    LaunchedWorker launched = launcher_->launch(settings);
    auto w = std::make_unique<Worker>();
    w->id = next_worker_id_++;
    w->slot = slot;
    w->pid = launched.pid;
    w->channel = std::make_unique<Channel>(std::move(launched.channel), options_.max_frame_bytes);
    w->exit_fd = std::move(launched.exit_fd);
    w->generation = generation_;
    w->slot_generation = slots_.starts(slot);
    const WorkerId id = w->id;
    slots_.occupy(slot, id);
    binding_.add_reader(w->channel->fd(), [this, id] { on_worker_readable(id); });
    binding_.watch_exit(ExitHandle{w->exit_fd.get()}, [this, id] { on_worker_exit(id); });
    schedule_exit_check();
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

bool Pool::State::accepting_writes(const Worker& w) const {
    return (w.state == WorkerState::Idle || w.state == WorkerState::Busy) && w.slot >= 0 &&
           w.channel->is_open() && !w.write_failed;
}

int Pool::State::worker_capacity(const Worker& w) const {
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

void Pool::State::on_worker_readable(WorkerId id) {
    Worker* w = find_worker(id);
    if (!w || !w->channel->is_open())
        return;
    const Clock::time_point before = last_finished_;
    read_frames(*w, false);
    // A result just read took a clock reading; the writes it makes room for share it.
    schedule_writes(last_finished_ != before ? last_finished_ : Clock::time_point{});
}

void Pool::State::read_frames(Worker& w, bool exited) {
    const int fd = w.channel->fd();
    const auto status = w.channel->read_available();
    auto& decoder = w.channel->decoder();
    wire::Message message;
    while (w.channel->is_open() && !w.protocol_broken) {
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
        // Once the process has ended, the end of its channel is only the consequence.
        if (w.state != WorkerState::Exiting && !exited) {
            if (status == Channel::IoStatus::Error) {
                w.fault = w.channel->error();
                kill(w, ExitReason::Died);
            } else {
                await_exit_after_eof(w);
            }
        }
    }
}

void Pool::State::await_exit_after_eof(Worker& w) {
    mark_exiting(w, ExitReason::Died);
    kill_after_grace(w, "closed its channel");
}

void Pool::State::kill_after_grace(Worker& w, const char* fault_if_none) {
    if (w.kill_timer)
        return;
    const WorkerId id = w.id;
    w.kill_timer = binding_.call_later(duration_cast<Clock::duration>(options_.kill_grace),
                                       [this, id, fault_if_none] {
                                           if (Worker* w = find_worker(id)) {
                                               w->kill_timer = 0;
                                               if (fault_if_none && w->fault.empty())
                                                   w->fault = fault_if_none;
                                               kill_now(*w);
                                           }
                                       });
}

void Pool::State::handle_message(Worker& w, wire::Message& message) {
    if (auto* up = std::get_if<wire::WorkerUpMessage>(&message))
        handle_up(w, *up);
    else if (auto* ack = std::get_if<wire::AckMessage>(&message))
        handle_ack(w, *ack);
    else if (auto* ready = std::get_if<wire::ReadyMessage>(&message))
        handle_ready(w, *ready);
}

void Pool::State::handle_up(Worker& w, const wire::WorkerUpMessage& m) {
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

void Pool::State::handle_ack(Worker& w, const wire::AckMessage& m) {
    // Being killed or retired: its job counts as never started and is queued again, or the pool
    // already ended it (terminate(), a time limit) while the ack was on its way.
    if (w.state == WorkerState::Exiting)
        return;
    if (w.queued.empty() || w.queued.front() != m.job_id) {
        protocol_error(w, "ack for job " + std::to_string(m.job_id) +
                              ", which is not the next job written to it");
        return;
    }
    auto it = jobs_.find(m.job_id);
    if (it == jobs_.end() || it->second.phase != Phase::Written) {
        protocol_error(w, "second ack for job " + std::to_string(m.job_id));
        return;
    }
    binding_.cancel(w.take_timer);
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

void Pool::State::handle_ready(Worker& w, wire::ReadyMessage& m) {
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
    if (Worker* again = find_worker(wid)) {
        after_job(*again);
        if ((again = find_worker(wid)))
            expect_take(*again);
    }
}

void Pool::State::expect_take(Worker& w) {
    if (w.take_timer || w.state == WorkerState::Exiting || w.queued.empty())
        return;
    auto it = jobs_.find(w.queued.front());
    if (it == jobs_.end() || it->second.phase != Phase::Written)
        return;
    const WorkerId wid = w.id;
    const JobId jid = it->first;
    w.take_timer = binding_.call_later(
        duration_cast<Clock::duration>(options_.proc_alive_timeout), [this, wid, jid] {
            Worker* w = find_worker(wid);
            if (!w)
                return;
            w->take_timer = 0;
            if (w->state == WorkerState::Exiting || w->queued.empty() || w->queued.front() != jid)
                return;
            // What it sent meanwhile (the ack itself, on a loop kept from running) comes first.
            if (w->channel->is_open())
                read_frames(*w, false);
            auto job = jobs_.find(jid);
            if (!(w = find_worker(wid)) || w->state == WorkerState::Exiting || w->queued.empty() ||
                w->queued.front() != jid || job == jobs_.end() ||
                job->second.phase != Phase::Written) {
                schedule_writes();
                return;
            }
            w->fault = "did not take job " + std::to_string(jid) + " within " +
                       seconds_text(options_.proc_alive_timeout) + " (no ack)";
            say(Severity::Error, "worker pid " + std::to_string(w->pid) + " " + w->fault +
                                     "; killing it, and the job runs on another worker");
            kill(*w, ExitReason::Killed);
        });
}

void Pool::State::after_job(Worker& w) {
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

void Pool::State::retire(Worker& w, ExitReason reason) {
    slots_.vacate(w.slot, w.id);
    w.state = WorkerState::Exiting;
    if (!w.exit_reason)
        w.exit_reason = reason;
    binding_.cancel(w.alive_timer);
    binding_.cancel(w.take_timer);
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
                kill_now(*w);
            }
        });
    maintain();
    check_restart_progress();
}

void Pool::State::mark_exiting(Worker& w, ExitReason reason) {
    if (!w.exit_reason)
        w.exit_reason = reason;
    w.state = WorkerState::Exiting;
    binding_.cancel(w.alive_timer);
    binding_.cancel(w.take_timer);
}

void Pool::State::kill(Worker& w, ExitReason reason) {
    mark_exiting(w, reason);
    kill_now(w);
}

void Pool::State::kill_now(Worker& w) {
    w.killed_by_pool = true;
    launcher_->kill(w.pid);
}

void Pool::State::terminate_then_kill(Worker& w, ExitReason reason) {
    mark_exiting(w, reason);
    launcher_->terminate(w.pid);
    kill_after_grace(w, nullptr);
}

void Pool::State::protocol_error(Worker& w, const std::string& error) {
    w.protocol_broken = true;
    w.fault = error.rfind("protocol error", 0) == 0 ? error : "protocol error: " + error;
    say(Severity::Error, "worker pid " + std::to_string(w.pid) + ": " + w.fault + "; killing it");
    if (w.channel->is_open())
        binding_.remove_reader(w.channel->fd());
    kill(w, ExitReason::Killed);
}

void Pool::State::schedule_exit_check() {
    const auto period = launcher_->exit_check_period();
    if (exit_check_timer_ || period.count() <= 0)
        return;
    exit_check_timer_ = binding_.call_later(duration_cast<Clock::duration>(period), [this] {
        exit_check_timer_ = 0;
        std::vector<WorkerId> exited;
        for (const auto& [id, w] : workers_)
            if (launcher_->has_exited(w->pid))
                exited.push_back(id);
        for (WorkerId id : exited)
            on_worker_exit(id);
        if (!workers_.empty())
            schedule_exit_check();
    });
}

void Pool::State::on_worker_exit(WorkerId id) {
    Worker* wp = find_worker(id);
    if (!wp)
        return;
    Worker& w = *wp;
    // Results a worker wrote just before exiting are still in the socket: take them first
    // (Celery lost them as "exitcode 155" until billiard 3.6.1).
    if (w.channel->is_open() && w.state != WorkerState::Exiting)
        read_frames(w, true);
    if (w.channel->is_open()) {
        binding_.remove_reader(w.channel->fd());
        binding_.remove_writer(w.channel->fd());
        w.channel->close();
    }
    binding_.unwatch_exit(ExitHandle{w.exit_fd.get()});
    binding_.cancel(w.alive_timer);
    binding_.cancel(w.kill_timer);
    binding_.cancel(w.take_timer);
    const ExitStatus status = launcher_->reap(w.pid, w.exit_fd.get());
    w.exit_fd.reset();
    const ExitReason reason = w.exit_reason.value_or(ExitReason::Died);
    const int slot = w.slot;
    slots_.vacate(w.slot, w.id);
    ++workers_exited_;
    slots_.record_exit(slot, "pid " + std::to_string(w.pid) + ": " + status.describe() + " (" +
                                 std::string(to_string(reason)) + ")");

    const bool counts_as_crash = reason == ExitReason::Died || reason == ExitReason::Killed;
    const bool running = (pool_state_ == PoolState::Run || pool_state_ == PoolState::Close);
    if (counts_as_crash && running)
        crash_loop_.record_crash(); // observers hear of the crash itself through on_worker_exit
    if (!w.up && w.counts_for_start) {
        start_failed_ = true;
        start_ok_ = false;
    }

    const pid_t pid = w.pid;
    // What happened, first to last: the fault the pool saw (a closed channel, a protocol error),
    // then how the process ended, and whether that was the pool's own kill (a SIGKILL a user would
    // otherwise read as the kernel's OOM killer).
    const bool pool_killed_it = w.killed_by_pool && status.known && status.signaled &&
                                signal_name(status.code) == "SIGKILL";
    const std::string ending =
        pool_killed_it ? "the pool killed it: " + status.describe() : status.describe();
    const std::string fault = w.fault.empty() ? std::string() : w.fault + ", then " + ending;
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
                       "Worker exited prematurely: " + (fault.empty() ? ending : fault) +
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

JobId Pool::State::apply_async(TaskCall&& call, JobCallbacks&& callbacks) {
    if (pool_state_ != PoolState::Run) {
        if (pool_state_ == PoolState::Close)
            throw PoolError(kPoolClosedRefusal);
        throw PoolError(
            refused_in_state("the pool is not running", pool_state_, ": start it first"));
    }
    if (auto why = options_.refusal(call); !why.empty())
        throw PoolError(why);
    return enqueue(std::move(call), std::move(callbacks), false);
}

JobId Pool::State::enqueue(TaskCall call, JobCallbacks callbacks, bool restart_probe) {
    const JobId id = next_job_id_++;
    Job job;
    job.id = id;
    job.soft_limit = call.soft_time_limit ? call.soft_time_limit : options_.soft_time_limit;
    job.hard_limit = call.time_limit ? call.time_limit : options_.time_limit;
    job.call = std::move(call);
    job.callbacks = std::move(callbacks);
    const Clock::time_point submitted = Clock::now();
    job.submitted = submitted;
    job.restart_probe = restart_probe;
    jobs_.emplace(id, std::move(job));
    pending_.push_back(id);
    ++submitted_;
    schedule_writes(submitted);
    return id;
}

void Pool::State::schedule_writes(Clock::time_point now) {
    if (scheduling_ || pending_.empty())
        return;
    if (pool_state_ != PoolState::Run && pool_state_ != PoolState::Close)
        return;
    scheduling_ = true;
    std::vector<Worker*> ready;
    for (WorkerId id : slots_.ids()) {
        if (!id)
            continue;
        Worker* w = find_worker(id);
        if (w && worker_capacity(*w) > 0)
            ready.push_back(w);
    }
    if (!ready.empty()) {
        // One reading for the pass: its frames go out together in the flushes below.
        const Clock::time_point written = !job_records_.enabled()      ? Clock::time_point{}
                                          : now != Clock::time_point{} ? now
                                                                       : Clock::now();
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
                job.written = std::max(written, job.submitted); // submitted in this turn
                job.slot = w.slot;
                job.slot_generation = w.slot_generation;
                w.queued.push_back(id);
                w.state = WorkerState::Busy;
                w.channel->queue_job(id, job.call.task, job.call.argument, job.call.payload);
                touched[i] = true;
                progress = true;
            }
        }
        for (std::size_t i = 0; i < n; ++i)
            if (touched[i]) {
                expect_take(*ready[i]);
                flush(*ready[i]);
            }
    }
    scheduling_ = false;
}

void Pool::State::flush(Worker& w) {
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
        // A write fails when the worker has gone, typically seen first by a write made for
        // another worker's event. What it sent before it went (the result of a job it finished)
        // is still in the socket: the reader stays, so that it is read before the end of the
        // channel, and the exit watch reads it too. Killed only if it does not end by itself.
        w.write_failed = true;
        kill_after_grace(w, nullptr);
        break;
    }
}

void Pool::State::on_worker_writable(WorkerId id) {
    Worker* w = find_worker(id);
    if (!w || !w->channel->is_open())
        return;
    flush(*w);
}

void Pool::State::arm_time_limits(Job& job) {
    const JobId id = job.id;
    if (job.soft_limit)
        job.soft_timer = binding_.call_later(duration_cast<Clock::duration>(*job.soft_limit),
                                             [this, id] { on_soft_timeout(id); });
    if (job.hard_limit)
        job.hard_timer = binding_.call_later(duration_cast<Clock::duration>(*job.hard_limit),
                                             [this, id] { on_hard_timeout(id); });
}

Pool::State::Job* Pool::State::accepted_job(JobId id) {
    auto it = jobs_.find(id);
    return it == jobs_.end() || it->second.phase != Phase::Accepted ? nullptr : &it->second;
}

void Pool::State::on_soft_timeout(JobId id) {
    Job* found = accepted_job(id);
    if (!found)
        return;
    Job& job = *found;
    job.soft_timer = 0;
    const Seconds limit = *job.soft_limit;
    if (auto error = call_guarded(job.callbacks.on_timeout, id, true, limit); !error.empty())
        say(Severity::Error, "timeout callback of job " + std::to_string(id) + " threw: " + error);
    auto again = jobs_.find(id);
    if (again == jobs_.end())
        return;
    if (Worker* w = find_worker(again->second.worker)) {
        say(Severity::Warning, "soft time limit (" + seconds_text(limit) + ") reached for job " +
                                   std::to_string(id) + " (" + again->second.call.task +
                                   ") on pid " + std::to_string(w->pid) + "; telling the task");
        launcher_->soft_limit(w->pid, static_cast<std::uint32_t>(id));
    }
}

void Pool::State::on_hard_timeout(JobId id) {
    Job* found = accepted_job(id);
    if (!found)
        return;
    // Timers fire before the loop reads its sockets, so a loop kept from running past the limit
    // (a loaded machine, a debugger, a stopped process) would judge a job whose result already
    // waits in the channel. Read what the worker has sent first: a result that arrived wins.
    if (Worker* w = find_worker(found->worker); w && w->channel->is_open()) {
        read_frames(*w, false);
        if (!(found = accepted_job(id))) {
            schedule_writes();
            return;
        }
    }
    Job& job = *found;
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

void Pool::State::finish(JobId id, Outcome outcome, std::string value) {
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
    const Clock::time_point finished = Clock::now();
    last_finished_ = finished;
    result.latency = finished - job.submitted;
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
    if (job_records_.enabled())
        record(job, result, finished);
    check_drained();
}

void Pool::State::record(Job& job, JobResult& result, Clock::time_point finished) {
    // Both are done with: the job left jobs_, and every callback and observer has seen result.
    job_records_.add([&](JobRecord& r) {
        const bool was_written = job.written != Clock::time_point{};
        r.id = job.id;
        r.task = std::move(job.call.task);
        r.argument = std::move(job.call.argument);
        r.payload_bytes = job.call.payload.size();
        r.slot = was_written ? job.slot : -1;
        r.pid = job.pid;
        r.generation = job.slot_generation;
        r.outcome = result.outcome;
        if (result.ok())
            r.error.clear(); // a reused record may hold an older job's
        else
            r.error = std::move(result.value);
        r.submitted = job.submitted;
        r.written = job.written;
        r.accepted = job.accepted;
        r.finished = finished;
    });
}

bool Pool::State::terminate_job(pid_t pid, int signal) {
    Worker* w = find_worker_by_pid(pid);
    if (!w || w->queued.empty())
        return false;
    auto it = jobs_.find(w->queued.front());
    if (it == jobs_.end() || it->second.phase != Phase::Accepted)
        return false;
    it->second.terminate_requested = true;
    return launcher_->deliver(pid, signal);
}

bool Pool::State::kill_worker(pid_t pid, int signal) {
    Worker* w = find_worker_by_pid(pid);
    return w && launcher_->deliver(pid, signal);
}

// ---------------------------------------------------------------------------------------------
// The public face: every call is one step through the pointer.

Pool::Pool(PoolOptions options, std::unique_ptr<ProcessLauncher> launcher)
    : state_(std::make_unique<State>(std::move(options), std::move(launcher))) {}

Pool::~Pool() = default;

void Pool::register_with_event_loop(EventLoop& loop) {
    state_->binding_.bind(&loop);
}

EventLoop* Pool::event_loop() const {
    return state_->binding_.loop();
}

void Pool::add_observer(PoolObserver* observer) {
    state_->add_observer(observer);
}

void Pool::remove_observer(PoolObserver* observer) {
    state_->remove_observer(observer);
}

void Pool::start() {
    state_->start();
}

bool Pool::did_start_ok() const {
    return state_->start_ok_;
}

bool Pool::start_failed() const {
    return state_->start_failed_;
}

JobId Pool::apply_async(TaskCall call, JobCallbacks callbacks) {
    return state_->apply_async(std::move(call), std::move(callbacks));
}

void Pool::restart() {
    state_->restart();
}

void Pool::grow(int n) {
    state_->grow(n);
}

int Pool::shrink(int n) {
    return state_->shrink(n);
}

void Pool::close() {
    state_->close();
}

void Pool::stop() {
    state_->stop();
}

void Pool::terminate() {
    state_->terminate();
}

bool Pool::join(EventLoop::Duration timeout) {
    return state_->join(timeout);
}

bool Pool::terminate_job(pid_t pid, int signal) {
    return state_->terminate_job(pid, signal);
}

bool Pool::kill_worker(pid_t pid, int signal) {
    return state_->kill_worker(pid, signal);
}

PoolState Pool::state() const {
    return state_->pool_state_;
}

int Pool::num_processes() const {
    return state_->target_;
}

int Pool::alive_processes() const {
    return state_->alive_processes();
}

const PoolOptions& Pool::options() const {
    return state_->options_;
}

std::vector<pid_t> Pool::pids() const {
    return state_->pids();
}

Info Pool::info() const {
    return state_->info();
}

StatsSnapshot Pool::stats() const {
    return state_->stats();
}

std::vector<std::pair<int, std::uint64_t>> Pool::write_stats() const {
    return state_->scheduler_.write_counts();
}

std::uint64_t Pool::take_job_records(std::vector<JobRecord>& out) {
    return state_->job_records_.take(out);
}

} // namespace poolcore
