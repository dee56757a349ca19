// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/charts/time_series.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

namespace poolscope {

namespace {
constexpr double kNever = -std::numeric_limits<double>::infinity();
}

TimeSeries::TimeSeries(std::size_t capacity) : capacity_(capacity), last_change_(kNever) {
    if (capacity_ == 0)
        throw std::invalid_argument("a time series needs room for at least one sample");
}

std::size_t TimeSeries::append(double time, double value) {
    if (!times_.empty()) {
        time = std::max(time, times_.back());
        if (value != values_.back())
            last_change_ = time;
    }
    times_.push_back(time);
    values_.push_back(value);
    std::size_t dropped = 0;
    while (times_.size() > capacity_) {
        times_.pop_front();
        values_.pop_front();
        ++dropped;
    }
    return dropped;
}

void TimeSeries::clear() {
    times_.clear();
    values_.clear();
    last_change_ = kNever;
}

std::size_t TimeSeries::trim_before(double time) {
    const auto end = std::lower_bound(times_.begin(), times_.end(), time);
    const auto n = std::size_t(end - times_.begin());
    times_.erase(times_.begin(), end);
    values_.erase(values_.begin(), values_.begin() + std::ptrdiff_t(n));
    return n;
}

std::pair<std::size_t, std::size_t> TimeSeries::window(double t0, double t1) const {
    if (t1 < t0 || times_.empty())
        return {0, 0};
    auto first = std::lower_bound(times_.begin(), times_.end(), t0);
    if (first != times_.begin() && (first == times_.end() || *first > t0))
        --first; // the sample that is still in force at t0
    const auto last = std::upper_bound(first, times_.end(), t1);
    return {std::size_t(first - times_.begin()), std::size_t(last - times_.begin())};
}

std::optional<ValueRange> TimeSeries::value_range(double t0, double t1) const {
    const auto [first, last] = window(t0, t1);
    if (first == last)
        return std::nullopt;
    // NaN marks a gap (a second without jobs): it has no value to scale to.
    std::optional<ValueRange> range;
    for (std::size_t i = first; i < last; ++i) {
        const double v = values_[i];
        if (std::isnan(v))
            continue;
        range = range ? ValueRange{std::min(range->lower, v), std::max(range->upper, v)}
                      : ValueRange{v, v};
    }
    return range;
}

ValueRange RollingWindow::range(double now, double history_begin) const {
    if (following_) {
        // Until the history fills the window, the window starts where the history does and
        // the lines grow to the right; then it scrolls.
        const double upper = std::max(now, history_begin + width_);
        return {upper - width_, upper};
    }
    return clamp(pinned_, now, history_begin);
}

void RollingWindow::set_width(double seconds) {
    width_ = std::max(seconds, min_width_);
}

ValueRange RollingWindow::clamp(ValueRange r, double now, double history_begin) const {
    double width = std::max(r.upper - r.lower, min_width_);
    // The history may be shorter than the window at first: the view can still be `width` wide,
    // anchored at the live edge.
    const double earliest = std::min(history_begin, now - width);
    if (r.upper > now) {
        r.upper = now;
        r.lower = now - width;
    }
    if (r.lower < earliest) {
        r.lower = earliest;
        r.upper = std::min(earliest + width, now);
    }
    width = r.upper - r.lower;
    if (width < min_width_)
        r.lower = r.upper - min_width_;
    return r;
}

ValueRange RollingWindow::user_moved(ValueRange requested, double now, double history_begin) {
    const ValueRange r = clamp(requested, now, history_begin);
    width_ = std::max(r.upper - r.lower, min_width_);
    // Within a tenth of the window of the newest sample counts as "back at the live edge".
    following_ = r.upper >= now - 0.1 * width_;
    pinned_ = r;
    return following_ ? range(now, history_begin) : r;
}

} // namespace poolscope
