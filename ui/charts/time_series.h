// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// Widget-free series maintenance for the live charts: a bounded history per series and the
// rolling window the charts show. Everything here is plain C++ so that it is unit-tested without
// a plot.

#include <cstddef>
#include <deque>
#include <optional>
#include <utility>
#include <vector>

namespace poolscope {

struct ValueRange {
    double lower = 0;
    double upper = 0;
};

// A bounded history of (time, value) samples in time order. A NaN value is a gap: no data then
// (a slot without a worker), and the chart breaks its line there. When full, appending drops the
// oldest sample, so memory stays fixed however long the app runs.
class TimeSeries {
public:
    explicit TimeSeries(std::size_t capacity);

    // Appends a sample. A time earlier than the newest sample is moved up to it: charts never
    // go backwards, whatever the caller's clock did. Returns how many old samples were dropped.
    std::size_t append(double time, double value);
    void clear();
    // Drops every sample older than `time`; returns how many.
    std::size_t trim_before(double time);

    std::size_t size() const { return times_.size(); }
    std::size_t capacity() const { return capacity_; }
    bool empty() const { return times_.empty(); }
    double time(std::size_t i) const { return times_[i]; } // 0 is the oldest
    double value(std::size_t i) const { return values_[i]; }
    double first_time() const { return times_.front(); }
    double last_time() const { return times_.back(); }
    double last_value() const { return values_.back(); }

    // Indices [first, last) of the samples a chart needs to draw [t0, t1]: those inside it,
    // plus the one just before t0 so that a step or line enters the window from the left edge.
    std::pair<std::size_t, std::size_t> window(double t0, double t1) const;
    // Smallest and largest value among window(t0, t1), gaps (NaN) left out; nullopt when there is
    // none.
    std::optional<ValueRange> value_range(double t0, double t1) const;
    // The time of the newest sample whose value differs from the one before it. Everything at
    // or after it is constant, so a view starting later shows a flat line. -inf when the
    // series has never changed.
    double last_change_time() const { return last_change_; }

private:
    std::size_t capacity_;
    std::deque<double> times_;
    std::deque<double> values_;
    double last_change_;
};

// The mean of the last `count` values: a gauge that flips between 1 and 2 every sample at high
// rates (busy workers, jobs in workers) reads as its average, not as a barcode.
class MovingMean {
public:
    explicit MovingMean(std::size_t count) : count_(count ? count : 1) {}
    double add(double value);
    void clear() {
        values_.clear();
        sum_ = 0;
    }

private:
    std::size_t count_;
    std::deque<double> values_;
    double sum_ = 0;
    int adds_since_sum_ = 0;
};

// The time range a chart shows: a rolling window that follows the newest sample, until the user
// drags or zooms into the history; it follows again once the view reaches the live edge.
class RollingWindow {
public:
    explicit RollingWindow(double width_seconds = 60.0, double min_width = 1.0)
        : width_(width_seconds), min_width_(min_width) {}

    // The range to show now that the newest sample is at `now` and the oldest one still kept is
    // at `history_begin`. While following, it ends at `now` (or, while the history is shorter
    // than the window, starts at `history_begin`); otherwise it stays where the user put it,
    // clamped to the history.
    ValueRange range(double now, double history_begin) const;
    // The user moved the view to `requested`: keeps it inside [history_begin, now] and at least
    // min_width wide, and follows again if it reaches the live edge. Returns the range to show.
    ValueRange user_moved(ValueRange requested, double now, double history_begin);

    bool following() const { return following_; }
    void follow() { following_ = true; }
    double width() const { return width_; }
    void set_width(double seconds);

private:
    ValueRange clamp(ValueRange r, double now, double history_begin) const;

    double width_;
    double min_width_;
    bool following_ = true;
    ValueRange pinned_; // the user's range while not following
};

} // namespace poolscope
