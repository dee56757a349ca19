// SPDX-License-Identifier: MIT
#include "poolcore/monitor_protocol.h"

#include "poolcore/enum_text.h"

#include <nlohmann/json.hpp>
#include <stdexcept>

namespace poolcore {

using nlohmann::json;

namespace {

constexpr EnumTable<PoolState, 5> kStateNames{{
    {PoolState::Init, "INIT"},
    {PoolState::Run, "RUN"},
    {PoolState::Close, "CLOSE"},
    {PoolState::Terminate, "TERMINATE"},
    {PoolState::Stopped, "STOPPED"},
}};
constexpr EnumTable<ExitReason, 5> kReasonNames{{
    {ExitReason::Died, "died"},
    {ExitReason::Recycled, "recycled"},
    {ExitReason::Retired, "retired"},
    {ExitReason::TimeLimit, "time-limit"},
    {ExitReason::Killed, "killed"},
}};
constexpr EnumTable<Severity, 3> kSeverityNames{{
    {Severity::Info, "info"},
    {Severity::Warning, "warning"},
    {Severity::Error, "error"},
}};
constexpr EnumTable<MonitorEvent::Kind, 4> kEventNames{{
    {MonitorEvent::Kind::WorkerUp, "worker-up"},
    {MonitorEvent::Kind::WorkerExit, "worker-exit"},
    {MonitorEvent::Kind::StateChanged, "state"},
    {MonitorEvent::Kind::Message, "message"},
}};
constexpr EnumTable<WorkerState, 4> kWorkerStateNames{{
    {WorkerState::Starting, "starting"},
    {WorkerState::Idle, "idle"},
    {WorkerState::Busy, "busy"},
    {WorkerState::Exiting, "exiting"},
}};

template <typename Enum, std::size_t N>
Enum parse_or_throw(const EnumTable<Enum, N>& table, const json& j, const char* what) {
    const auto& text = j.get_ref<const std::string&>();
    if (const auto value = enum_parse(table, text))
        return *value;
    throw std::invalid_argument(std::string("unknown ") + what + " \"" + text + "\"");
}

Outcome parse_outcome(const json& j) {
    const auto& text = j.get_ref<const std::string&>();
    for (int i = 0; i < kOutcomeCount; ++i)
        if (to_string(Outcome(i)) == text)
            return Outcome(i);
    throw std::invalid_argument("unknown outcome \"" + text + "\"");
}

std::int64_t to_ns(JobRecord::Clock::time_point t) {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}
JobRecord::Clock::time_point from_ns(const json& j) {
    return JobRecord::Clock::time_point(std::chrono::duration_cast<JobRecord::Clock::duration>(
        std::chrono::nanoseconds(j.get<std::int64_t>())));
}

} // namespace

void append_monitor_frame(std::string& out, const json& message) {
    const std::string body = message.dump(-1, ' ', false, json::error_handler_t::replace);
    const auto n = std::uint32_t(body.size());
    const char header[kMonitorHeaderBytes] = {char(n >> 24), char(n >> 16), char(n >> 8), char(n)};
    out.append(header, kMonitorHeaderBytes);
    out += body;
}

MonitorFrameDecoder::MonitorFrameDecoder(std::size_t max_frame) : max_frame_(max_frame) {}

void MonitorFrameDecoder::feed(std::string_view bytes) {
    if (!error_.empty())
        return;
    // Compact before growing, so a long stream of small frames keeps the buffer small.
    if (begin_ > 0 && begin_ * 2 >= buffer_.size()) {
        buffer_.erase(0, begin_);
        begin_ = 0;
    }
    buffer_.append(bytes);
}

MonitorFrameDecoder::Status MonitorFrameDecoder::fail(std::string message) {
    error_ = std::move(message);
    buffer_.clear();
    begin_ = 0;
    return Status::Error;
}

MonitorFrameDecoder::Status MonitorFrameDecoder::next(json& out) {
    if (!error_.empty())
        return Status::Error;
    if (buffered() < kMonitorHeaderBytes)
        return Status::NeedMore;
    const auto* h = reinterpret_cast<const unsigned char*>(buffer_.data() + begin_);
    const std::size_t length = (std::size_t(h[0]) << 24) | (std::size_t(h[1]) << 16) |
                               (std::size_t(h[2]) << 8) | std::size_t(h[3]);
    if (length == 0)
        return fail("an empty frame (a frame carries one JSON object)");
    if (length > max_frame_)
        return fail("a frame of " + std::to_string(length) + " bytes, beyond the limit of " +
                    std::to_string(max_frame_));
    if (buffered() < kMonitorHeaderBytes + length)
        return Status::NeedMore;
    const char* body = buffer_.data() + begin_ + kMonitorHeaderBytes;
    json message = json::parse(body, body + length, nullptr, false);
    begin_ += kMonitorHeaderBytes + length;
    if (message.is_discarded())
        return fail("a frame whose body is not valid JSON");
    if (!message.is_object())
        return fail("a frame whose JSON is not an object");
    const auto type = message.find("type");
    if (type == message.end() || !type->is_string())
        return fail("a message without a string \"type\"");
    out = std::move(message);
    return Status::Message;
}

void MonitorEvent::replay(PoolObserver& observer) const {
    switch (kind) {
    case Kind::WorkerUp:
        observer.on_worker_up(slot, pid);
        break;
    case Kind::WorkerExit:
        observer.on_worker_exit(slot, pid, status, reason, fault);
        break;
    case Kind::StateChanged:
        observer.on_state_changed(state);
        break;
    case Kind::Message:
        observer.on_message(severity, text);
        break;
    }
}

void to_json(json& j, const MonitorEvent& e) {
    j = {{"event", enum_text(kEventNames, e.kind, "message")}};
    switch (e.kind) {
    case MonitorEvent::Kind::WorkerUp:
        j["slot"] = e.slot;
        j["pid"] = e.pid;
        break;
    case MonitorEvent::Kind::WorkerExit:
        j["slot"] = e.slot;
        j["pid"] = e.pid;
        j["status"] = {
            {"known", e.status.known}, {"signaled", e.status.signaled}, {"code", e.status.code}};
        j["reason"] = enum_text(kReasonNames, e.reason, "died");
        j["fault"] = e.fault;
        break;
    case MonitorEvent::Kind::StateChanged:
        j["state"] = enum_text(kStateNames, e.state, "INIT");
        break;
    case MonitorEvent::Kind::Message:
        j["severity"] = enum_text(kSeverityNames, e.severity, "info");
        j["text"] = e.text;
        break;
    }
}

void from_json(const json& j, MonitorEvent& e) {
    e = MonitorEvent{};
    e.kind = parse_or_throw(kEventNames, j.at("event"), "event");
    switch (e.kind) {
    case MonitorEvent::Kind::WorkerUp:
        j.at("slot").get_to(e.slot);
        j.at("pid").get_to(e.pid);
        break;
    case MonitorEvent::Kind::WorkerExit: {
        j.at("slot").get_to(e.slot);
        j.at("pid").get_to(e.pid);
        const json& status = j.at("status");
        status.at("known").get_to(e.status.known);
        status.at("signaled").get_to(e.status.signaled);
        status.at("code").get_to(e.status.code);
        e.reason = parse_or_throw(kReasonNames, j.at("reason"), "exit reason");
        j.at("fault").get_to(e.fault);
        break;
    }
    case MonitorEvent::Kind::StateChanged:
        e.state = parse_or_throw(kStateNames, j.at("state"), "pool state");
        break;
    case MonitorEvent::Kind::Message:
        e.severity = parse_or_throw(kSeverityNames, j.at("severity"), "severity");
        j.at("text").get_to(e.text);
        break;
    }
}

void to_json(json& j, const JobRecord& r) {
    j = {{"id", r.id},
         {"task", r.task},
         {"argument", r.argument},
         {"payload_bytes", r.payload_bytes},
         {"slot", r.slot},
         {"pid", r.pid},
         {"generation", r.generation},
         {"outcome", to_string(r.outcome)},
         {"error", r.error},
         {"submitted_ns", to_ns(r.submitted)},
         {"written_ns", to_ns(r.written)},
         {"accepted_ns", to_ns(r.accepted)},
         {"finished_ns", to_ns(r.finished)}};
}

void from_json(const json& j, JobRecord& r) {
    r = JobRecord{};
    j.at("id").get_to(r.id);
    j.at("task").get_to(r.task);
    j.at("argument").get_to(r.argument);
    j.at("payload_bytes").get_to(r.payload_bytes);
    j.at("slot").get_to(r.slot);
    j.at("pid").get_to(r.pid);
    j.at("generation").get_to(r.generation);
    r.outcome = parse_outcome(j.at("outcome"));
    j.at("error").get_to(r.error);
    r.submitted = from_ns(j.at("submitted_ns"));
    r.written = from_ns(j.at("written_ns"));
    r.accepted = from_ns(j.at("accepted_ns"));
    r.finished = from_ns(j.at("finished_ns"));
}

void from_json(const json& j, WorkerStats& w) {
    j.at("slot").get_to(w.slot);
    j.at("pid").get_to(w.pid);
    w.state = parse_or_throw(kWorkerStateNames, j.at("state"), "worker state");
    j.at("current_job").get_to(w.current_job);
    j.at("current_task").get_to(w.current_task);
    j.at("current_job_accepted").get_to(w.current_job_accepted);
    j.at("current_job_seconds").get_to(w.current_job_seconds);
    j.at("queued").get_to(w.queued);
    j.at("jobs_done").get_to(w.jobs_done);
    j.at("writes").get_to(w.writes);
    j.at("rss_kib").get_to(w.rss_kib);
    j.at("last_exit").get_to(w.last_exit);
    // Added in poolcore 0.2 without a version change (a server before them leaves the defaults:
    // no CPU figure, no uptime).
    w.uptime_seconds = j.value("uptime_seconds", 0.0);
    w.cpu_seconds = j.value("cpu_seconds", -1.0);
    w.cpu_percent = j.value("cpu_percent", -1.0);
    w.generation = j.value("generation", std::uint64_t{0});
    w.slot_replacements = j.value("slot_replacements", std::uint64_t{0});
}

void from_json(const json& j, StatsSnapshot& s) {
    s = StatsSnapshot{};
    s.state = parse_or_throw(kStateNames, j.at("state"), "pool state");
    j.at("target_processes").get_to(s.target_processes);
    j.at("alive_processes").get_to(s.alive_processes);
    j.at("busy_processes").get_to(s.busy_processes);
    j.at("pending").get_to(s.pending);
    j.at("in_flight").get_to(s.in_flight);
    j.at("workers").get_to(s.workers);
    const json& outcomes = j.at("outcomes");
    for (int i = 0; i < kOutcomeCount; ++i)
        outcomes.at(std::string(to_string(Outcome(i)))).get_to(s.outcomes[std::size_t(i)]);
    j.at("submitted").get_to(s.submitted);
    j.at("finished").get_to(s.finished);
    j.at("workers_started").get_to(s.workers_started);
    j.at("workers_exited").get_to(s.workers_exited);
    j.at("total_writes").get_to(s.total_writes);
    j.at("latency_us").at("p50").get_to(s.latency_p50_us);
    j.at("latency_us").at("p99").get_to(s.latency_p99_us);
    j.at("restart_in_progress").get_to(s.restart_in_progress);
    j.at("replacement_paused").get_to(s.replacement_paused);
}

void from_json(const json& j, WriteStats& w) {
    j.at("total").get_to(w.total);
    j.at("avg").get_to(w.avg);
    j.at("all").get_to(w.all);
    j.at("raw").get_to(w.raw);
    j.at("strategy").get_to(w.strategy);
    j.at("inqueues").at("total").get_to(w.inqueues_total);
    j.at("inqueues").at("active").get_to(w.inqueues_active);
}

void from_json(const json& j, Info& info) {
    info = Info{};
    j.at("max-concurrency").get_to(info.max_concurrency);
    j.at("processes").get_to(info.processes);
    const json& per_child = j.at("max-tasks-per-child");
    if (per_child.is_number())
        info.max_tasks_per_child = per_child.get<int>();
    j.at("put-guarded-by-semaphore").get_to(info.put_guarded_by_semaphore);
    const json& timeouts = j.at("timeouts");
    info.timeouts = {timeouts.at(0).get<double>(), timeouts.at(1).get<double>()};
    j.at("writes").get_to(info.writes);
}

const std::vector<std::string>& monitor_control_verbs() {
    static const std::vector<std::string> verbs{
        "restart", "grow", "shrink", "close", "stop", "terminate", "terminate_job", "kill_worker"};
    return verbs;
}

} // namespace poolcore
