// SPDX-License-Identifier: MIT
#pragma once

#include <chrono>
#include <deque>
#include <optional>

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

// The pool's guard against a crash loop: counts crashes (RestartLimiter), says when replacing
// workers must pause, and lets a lasting loop, which pauses many times a window, be told at most
// once a window, with the pauses it did not tell.
class CrashLoopGuard {
public:
    using Clock = RestartLimiter::Clock;

    CrashLoopGuard(int max_restarts, Clock::duration window)
        : limiter_(max_restarts, window), window_(window) {}

    void record_crash(Clock::time_point now = Clock::now()) { limiter_.record(now); }
    // A fresh start forgets the crashes, not when a loop was last told.
    void reset() { limiter_.reset(); }
    int crashes() const { return limiter_.count(); }

    // How long replacing must pause now (at least 10 ms); nothing while crashes are within
    // bounds.
    std::optional<Clock::duration> pause(Clock::time_point now = Clock::now());
    // Counts one pause. When a notice is due (the first, or a window after the last one) returns
    // how many pauses it covers, this one included; nothing otherwise.
    std::optional<int> pause_to_tell(Clock::time_point now = Clock::now());

private:
    RestartLimiter limiter_;
    Clock::duration window_;
    Clock::time_point told_{};
    int pauses_untold_ = 0;
};

} // namespace poolcore
