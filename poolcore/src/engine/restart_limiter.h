// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <chrono>
#include <deque>

namespace poolcore {

// Counts abnormal worker exits in a sliding window, so that a crash loop cannot fork forever.
class RestartLimiter {
public:
    using Clock = std::chrono::steady_clock;

    RestartLimiter(int max_restarts, Clock::duration window)
        : max_(max_restarts), window_(window) {}

    // Records one abnormal exit at `now`; returns false once more than max_restarts fell inside
    // the window, i.e. when replacing should pause.
    bool record(Clock::time_point now = Clock::now());
    // True while the window still holds more exits than allowed.
    bool tripped(Clock::time_point now = Clock::now());
    // When the oldest exit in the window ages out: the earliest moment replacing may resume.
    Clock::time_point resume_at() const;
    int count() const { return int(exits_.size()); }
    void reset() { exits_.clear(); }

private:
    void expire(Clock::time_point now);

    int max_;
    Clock::duration window_;
    std::deque<Clock::time_point> exits_;
};

} // namespace poolcore
