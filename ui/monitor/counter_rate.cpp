// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/monitor/counter_rate.h"

namespace poolscope {

double CounterRate::add(double time, double count) {
    if (!samples_.empty() && (count < samples_.back().count || time < samples_.back().time))
        samples_.clear();
    samples_.push_back({time, count});
    // Keep the newest sample that is at least `span` old as the baseline.
    while (samples_.size() > 2 && samples_[1].time <= time - span_)
        samples_.pop_front();
    const Point& base = samples_.front();
    const double dt = time - base.time;
    return dt > 0 ? (count - base.count) / dt : 0.0;
}

} // namespace poolscope
