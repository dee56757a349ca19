// SPDX-License-Identifier: MIT
#include "poolcore/options.h"

#include "poolcore/enum_text.h"
#include "poolcore/worker_entry.h"

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

StartMethod PoolOptions::effective_start_method() const {
    if (start_method)
        return *start_method;
    return threads ? StartMethod::Forkserver : StartMethod::Fork;
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
    if (soft_time_limit && soft_time_limit->count() <= 0)
        add("soft_time_limit", "must be positive");
    if (time_limit && time_limit->count() <= 0)
        add("time_limit", "must be positive");
    if (soft_time_limit && time_limit && *soft_time_limit > *time_limit)
        add("soft_time_limit", "must be less than or equal to the hard time limit");
    if (max_tasks_per_child && *max_tasks_per_child < 1)
        add("max_tasks_per_child", "must be at least 1");
    if (max_memory_per_child_kib && *max_memory_per_child_kib < 1024)
        add("max_memory_per_child", "must be at least 1024 KiB");
    if (proc_alive_timeout.count() <= 0)
        add("proc_alive_timeout", "must be positive");
    if (kill_grace.count() < 0)
        add("kill_grace", "must not be negative");
    if (max_restarts < 1)
        add("max_restarts", "must be at least 1");
    if (restart_window.count() <= 0)
        add("restart_window", "must be positive");
    if (max_frame_bytes < 1024)
        add("max_frame_bytes", "must be at least 1024");
    if (!worker_program.empty() && effective_start_method() == StartMethod::Spawn)
        if (auto problem = worker_program_problem(worker_program); !problem.empty())
            add("worker_program", problem);
    return out;
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
