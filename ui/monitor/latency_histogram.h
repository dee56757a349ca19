// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <array>
#include <chrono>
#include <cstdint>

namespace poolscope {

// Durations counted in log-linear buckets, as HdrHistogram does (Debian packages no C++
// HdrHistogram): exact below 64 ns, then 32 buckets per power of two, so a percentile is within
// 1/32 (3.1 %) of the true value from 1 ns to 292 years, in a fixed 15 KiB. Adding is a few
// instructions and never allocates; two histograms merge by adding counts.
class LatencyHistogram {
public:
    static constexpr int kSubBits = 5;
    static constexpr int kSubBuckets = 1 << kSubBits; // per power of two
    static constexpr int kLinear = 2 * kSubBuckets;   // values below this have a bucket each
    static constexpr int kBucketCount = kLinear + (63 - kSubBits) * kSubBuckets;

    void add(std::chrono::nanoseconds value);
    void merge(const LatencyHistogram& other);
    void clear();

    std::uint64_t count() const { return count_; }
    // Exact, not bucketed; 0 when empty.
    std::chrono::nanoseconds min() const { return std::chrono::nanoseconds(count_ ? min_ : 0); }
    std::chrono::nanoseconds max() const { return std::chrono::nanoseconds(max_); }
    // The smallest value with at least `p` (0..1) of the values at or below it, as the upper end
    // of its bucket clamped to the exact max; 0 when empty.
    std::chrono::nanoseconds percentile(double p) const;

    // The bucket `value` falls in, and a bucket's bounds [lower, upper] in nanoseconds.
    static int bucketOf(std::uint64_t value);
    static std::uint64_t bucketLower(int bucket);
    static std::uint64_t bucketUpper(int bucket);
    std::uint64_t bucketCount(int bucket) const { return counts_[std::size_t(bucket)]; }
    // The highest bucket that holds a value, -1 when empty.
    int lastBucket() const { return count_ ? bucketOf(max_) : -1; }

private:
    std::array<std::uint64_t, kBucketCount> counts_{};
    std::uint64_t count_ = 0;
    std::uint64_t min_ = UINT64_MAX;
    std::uint64_t max_ = 0;
};

} // namespace poolscope
