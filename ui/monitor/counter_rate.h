// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <deque>

namespace poolscope {

// Turns a cumulative counter sampled many times a second into a per-second rate, averaged over
// `span` seconds so that a chart updated at 20 Hz does not jitter with every sample's luck.
// A counter that goes down (a new pool started from zero) restarts the measurement.
class CounterRate {
public:
    explicit CounterRate(double span_seconds = 1.0) : span_(span_seconds) {}
    double add(double time, double count);
    void reset() { samples_.clear(); }

private:
    struct Point {
        double time;
        double count;
    };
    double span_;
    std::deque<Point> samples_;
};

} // namespace poolscope
