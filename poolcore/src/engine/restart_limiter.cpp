// SPDX-License-Identifier: GPL-3.0-or-later
#include "engine/restart_limiter.h"

namespace poolcore {

void RestartLimiter::expire(Clock::time_point now) {
    while (!exits_.empty() && now - exits_.front() >= window_)
        exits_.pop_front();
}

bool RestartLimiter::record(Clock::time_point now) {
    expire(now);
    exits_.push_back(now);
    return int(exits_.size()) <= max_;
}

bool RestartLimiter::tripped(Clock::time_point now) {
    expire(now);
    return int(exits_.size()) > max_;
}

RestartLimiter::Clock::time_point RestartLimiter::resume_at() const {
    if (int(exits_.size()) <= max_)
        return Clock::time_point::min();
    // Replacing resumes once enough exits have aged out to bring the count back to max_.
    return exits_[exits_.size() - std::size_t(max_) - 1] + window_;
}

} // namespace poolcore
