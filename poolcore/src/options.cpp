// SPDX-License-Identifier: MIT
#include "poolcore/options.h"

#include "poolcore/enum_text.h"
#include "poolcore/worker_entry.h"
#include "protocol/wire_protocol.h"

#include <algorithm>
#include <cstdio>
#include <thread>
#include <unistd.h>

namespace poolcore {

namespace {
constexpr EnumTable<Strategy, 2> kStrategyNames{
    {{Strategy::Fair, "fair"}, {Strategy::Fcfs, "fcfs"}}};
// Celery's other spellings of the same strategies, accepted but never shown.
constexpr EnumTable<Strategy, 2> kStrategyAliases{
    {{Strategy::Fair, "default"}, {Strategy::Fcfs, "fast"}}};
constexpr EnumTable<StartMethod, 3> kStartMethodNames{{{StartMethod::Fork, "fork"},
                                                       {StartMethod::Forkserver, "forkserver"},
                                                       {StartMethod::Spawn, "spawn"}}};
} // namespace

std::string_view to_string(Strategy s) {
    return enum_text(kStrategyNames, s, "fcfs");
}

std::optional<Strategy> parse_strategy(std::string_view text) {
    if (auto strategy = enum_parse(kStrategyNames, text))
        return strategy;
    return enum_parse(kStrategyAliases, text);
}

std::string_view to_string(StartMethod m) {
    return enum_text(kStartMethodNames, m, "fork");
}

std::optional<StartMethod> parse_start_method(std::string_view text) {
    return enum_parse(kStartMethodNames, text);
}

std::vector<StartMethod> available_start_methods() {
#ifdef _WIN32
    return {StartMethod::Spawn};
#else
    return {StartMethod::Fork, StartMethod::Forkserver, StartMethod::Spawn};
#endif
}

StartMethod PoolOptions::effective_start_method() const {
    if (start_method)
        return *start_method;
#ifdef _WIN32
    return StartMethod::Spawn; // the only one Windows has
#else
    return threads ? StartMethod::Forkserver : StartMethod::Fork;
#endif
}

std::string time_problem(Seconds s, bool zero_allowed) {
    const double v = s.count();
    if ((zero_allowed ? v >= 0 : v > 0) && v <= kMaxSeconds)
        return {};
    char buf[128];
    std::snprintf(buf, sizeof buf, "must be %s and at most %g s (about 31 years), got %g s",
                  zero_allowed ? "zero or more" : "positive", kMaxSeconds, v);
    return buf;
}

int default_process_count() {
    const unsigned n = std::thread::hardware_concurrency();
    return n ? int(n) : 1;
}

int PoolOptions::effective_processes() const {
    return processes > 0 ? processes : default_process_count();
}

std::vector<PoolOptions::Problem> PoolOptions::problems() const {
    std::vector<Problem> out;
    auto add = [&](std::string field, std::string message) {
        out.push_back({std::move(field), std::move(message)});
    };
    if (processes < 0 || processes > kMaxProcesses)
        add("processes",
            "must be between 1 and " + std::to_string(kMaxProcesses) + " (0 means one per CPU)");
    if (prefetch < 1 || prefetch > 1024)
        add("prefetch", "must be between 1 and 1024");
    auto check_time = [&](const char* field, Seconds value, bool zero_allowed = false) {
        if (auto problem = time_problem(value, zero_allowed); !problem.empty())
            add(field, problem);
    };
    if (soft_time_limit)
        check_time("soft_time_limit", *soft_time_limit);
    if (time_limit)
        check_time("time_limit", *time_limit);
    if (soft_time_limit && time_limit && *soft_time_limit > *time_limit)
        add("soft_time_limit", "must be less than or equal to the hard time limit");
    if (max_tasks_per_child && *max_tasks_per_child < 1)
        add("max_tasks_per_child", "must be at least 1");
    if (max_memory_per_child_kib && *max_memory_per_child_kib < 1024)
        add("max_memory_per_child", "must be at least 1024 KiB");
    check_time("proc_alive_timeout", proc_alive_timeout);
    check_time("kill_grace", kill_grace, true);
    if (max_restarts < 1)
        add("max_restarts", "must be at least 1");
    check_time("restart_window", restart_window);
    if (max_frame_bytes < 1024)
        add("max_frame_bytes", "must be at least 1024");
    if (const auto methods = available_start_methods();
        std::find(methods.begin(), methods.end(), effective_start_method()) == methods.end())
        add("start_method", std::string(to_string(effective_start_method())) +
                                " needs fork(), which Windows does not have: use spawn");
    if (job_record_capacity > kMaxJobRecordCapacity)
        add("job_record_capacity",
            "must be at most " + std::to_string(kMaxJobRecordCapacity) + " (0 records none)");
    if (!worker_program.empty() && effective_start_method() == StartMethod::Spawn)
        if (auto problem = worker_program_problem(worker_program); !problem.empty())
            add("worker_program", problem);
    return out;
}

std::string PoolOptions::refusal(const TaskCall& call) const {
    if (call.task.empty())
        return "a job needs a task name";
    if (call.task.size() > 0xffff)
        return "task name too long: " + std::to_string(call.task.size()) + " bytes, at most 65535";
    if (call.soft_time_limit)
        if (auto problem = time_problem(*call.soft_time_limit); !problem.empty())
            return "soft_time_limit " + problem;
    if (call.time_limit)
        if (auto problem = time_problem(*call.time_limit); !problem.empty())
            return "time_limit " + problem;
    const auto soft = call.soft_time_limit ? call.soft_time_limit : soft_time_limit;
    const auto hard = call.time_limit ? call.time_limit : time_limit;
    if (soft && hard && *soft > *hard)
        return "soft_time_limit must be less than or equal to time_limit";
    return payload_problem(call.payload.size(), call.task, call.argument);
}

std::size_t PoolOptions::max_payload_bytes(std::string_view task, std::string_view argument) const {
    const std::size_t fixed = wire::kPayloadFrameOverhead + task.size() + argument.size();
    return max_frame_bytes > fixed ? max_frame_bytes - fixed : 0;
}

std::string PoolOptions::payload_problem(std::size_t payload_bytes, std::string_view task,
                                         std::string_view argument) const {
    const std::size_t most = max_payload_bytes(task, argument);
    if (payload_bytes <= most)
        return {};
    return "a payload of " + std::to_string(payload_bytes) + " bytes exceeds the " +
           std::to_string(most) + " a job of '" + std::string(task.substr(0, 64)) +
           "' can carry (max_frame_bytes " + std::to_string(max_frame_bytes) + " less " +
           std::to_string(wire::kPayloadFrameOverhead) +
           " bytes of frame header and the task's name and argument)";
}

void PoolOptions::validate() const {
    const auto list = problems();
    if (list.empty())
        return;
    std::string message = "invalid pool options:";
    for (const auto& p : list)
        message += " " + p.field + " " + p.message + ";";
    message.pop_back();
    throw PoolError(message);
}

} // namespace poolcore
