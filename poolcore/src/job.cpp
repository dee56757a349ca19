// SPDX-License-Identifier: MIT
#include "poolcore/job.h"

#include "poolcore/enum_text.h"

namespace poolcore {

namespace {
constexpr EnumTable<Outcome, kOutcomeCount> kOutcomeNames{
    {{Outcome::Success, "success"},
     {Outcome::TaskError, "task-error"},
     {Outcome::SoftTimeLimit, "soft-time-limit"},
     {Outcome::WorkerLost, "worker-lost"},
     {Outcome::TimeLimit, "time-limit"},
     {Outcome::Terminated, "terminated"}}};
} // namespace

std::string_view to_string(Outcome outcome) {
    return enum_text(kOutcomeNames, outcome);
}

TaskCall TaskCall::parse(std::string_view spec, std::string payload) {
    TaskCall call;
    const auto eq = spec.find('=');
    call.task = std::string(spec.substr(0, eq));
    if (eq != std::string_view::npos)
        call.argument = std::string(spec.substr(eq + 1));
    call.payload = std::move(payload);
    return call;
}

} // namespace poolcore
