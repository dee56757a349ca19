// SPDX-License-Identifier: GPL-3.0-or-later
#include "poolcore/job.h"

namespace poolcore {

std::string_view to_string(Outcome outcome) {
    switch (outcome) {
    case Outcome::Success:
        return "success";
    case Outcome::TaskError:
        return "task-error";
    case Outcome::SoftTimeLimit:
        return "soft-time-limit";
    case Outcome::WorkerLost:
        return "worker-lost";
    case Outcome::TimeLimit:
        return "time-limit";
    case Outcome::Terminated:
        return "terminated";
    }
    return "unknown";
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
