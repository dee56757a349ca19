// SPDX-License-Identifier: MIT
#include "poolcore/task_registry.h"

#include <algorithm>
#include <mutex>

namespace poolcore {

TaskRegistry& TaskRegistry::global() {
    static TaskRegistry* registry = [] {
        auto* r = new TaskRegistry; // never destroyed: forked workers _exit() and skip destructors
        register_builtin_tasks(*r);
        return r;
    }();
    return *registry;
}

void TaskRegistry::add(TaskDescription description, TaskFunction function) {
    std::unique_lock lock(mutex_);
    std::string name = description.name;
    tasks_[name] = Entry{std::move(description), std::move(function)};
}

bool TaskRegistry::contains(std::string_view name) const {
    std::shared_lock lock(mutex_);
    return tasks_.count(std::string(name)) != 0;
}

std::string TaskRegistry::run(std::string_view name, const TaskContext& context) const {
    TaskFunction fn;
    {
        std::shared_lock lock(mutex_);
        auto it = tasks_.find(std::string(name));
        if (it == tasks_.end())
            throw std::invalid_argument("unknown task '" + std::string(name) + "'");
        fn = it->second.function;
    }
    return fn(context);
}

std::vector<TaskDescription> TaskRegistry::list() const {
    std::shared_lock lock(mutex_);
    std::vector<TaskDescription> out;
    out.reserve(tasks_.size());
    for (const auto& [name, entry] : tasks_)
        out.push_back(entry.description);
    std::sort(out.begin(), out.end(), [](auto& a, auto& b) { return a.name < b.name; });
    return out;
}

} // namespace poolcore
