// SPDX-License-Identifier: MIT
#include "engine/restart_limiter.h"

#include <algorithm>

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

std::optional<CrashLoopGuard::Clock::duration> CrashLoopGuard::pause(Clock::time_point now) {
    if (!limiter_.tripped(now))
        return std::nullopt;
    return std::max<Clock::duration>(limiter_.resume_at() - now, std::chrono::milliseconds(10));
}

std::optional<int> CrashLoopGuard::pause_to_tell(Clock::time_point now) {
    ++pauses_untold_;
    if (told_ != Clock::time_point{} && now - told_ < window_)
        return std::nullopt;
    const int pauses = pauses_untold_;
    told_ = now;
    pauses_untold_ = 0;
    return pauses;
}

} // namespace poolcore
