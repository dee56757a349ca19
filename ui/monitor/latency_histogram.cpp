// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/monitor/latency_histogram.h"

#include <algorithm>
#include <bit>
#include <cmath>

namespace poolscope {

int LatencyHistogram::bucketOf(std::uint64_t value) {
    if (value < std::uint64_t(kLinear))
        return int(value);
    const int msb = 63 - std::countl_zero(value);
    const int shift = msb - kSubBits; // >= 1 here
    return kLinear + (shift - 1) * kSubBuckets + int(value >> shift) - kSubBuckets;
}

std::uint64_t LatencyHistogram::bucketLower(int bucket) {
    if (bucket < kLinear)
        return std::uint64_t(bucket);
    const int shift = (bucket - kLinear) / kSubBuckets + 1;
    const std::uint64_t sub = std::uint64_t((bucket - kLinear) % kSubBuckets + kSubBuckets);
    return sub << shift;
}

std::uint64_t LatencyHistogram::bucketUpper(int bucket) {
    if (bucket < kLinear)
        return std::uint64_t(bucket);
    const int shift = (bucket - kLinear) / kSubBuckets + 1;
    const std::uint64_t sub = std::uint64_t((bucket - kLinear) % kSubBuckets + kSubBuckets);
    return ((sub + 1) << shift) - 1;
}

void LatencyHistogram::add(std::chrono::nanoseconds value) {
    // A negative duration (clocks of two machines, a source's rounding) counts as zero.
    const std::uint64_t v = value.count() > 0 ? std::uint64_t(value.count()) : 0;
    ++counts_[std::size_t(bucketOf(v))];
    ++count_;
    min_ = std::min(min_, v);
    max_ = std::max(max_, v);
}

void LatencyHistogram::merge(const LatencyHistogram& other) {
    if (!other.count_)
        return;
    for (std::size_t i = 0; i < counts_.size(); ++i)
        counts_[i] += other.counts_[i];
    count_ += other.count_;
    min_ = std::min(min_, other.min_);
    max_ = std::max(max_, other.max_);
}

void LatencyHistogram::clear() {
    counts_.fill(0);
    count_ = 0;
    min_ = UINT64_MAX;
    max_ = 0;
}

std::chrono::nanoseconds LatencyHistogram::percentile(double p) const {
    if (!count_)
        return std::chrono::nanoseconds(0);
    p = std::clamp(p, 0.0, 1.0);
    const std::uint64_t rank =
        std::max<std::uint64_t>(1, std::uint64_t(std::ceil(p * double(count_))));
    std::uint64_t seen = 0;
    const int last = bucketOf(max_);
    for (int b = bucketOf(min_); b <= last; ++b) {
        seen += counts_[std::size_t(b)];
        if (seen >= rank)
            return std::chrono::nanoseconds(std::int64_t(std::clamp(bucketUpper(b), min_, max_)));
    }
    return std::chrono::nanoseconds(std::int64_t(max_));
}

} // namespace poolscope
