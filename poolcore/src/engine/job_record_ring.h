// SPDX-License-Identifier: MIT
#pragma once

#include "poolcore/job_record.h"

#include <atomic>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

namespace poolcore {

// The most recent job records, at most `capacity`, for a viewer to take in batches. The pool's
// thread adds, any thread takes (BlockingPool's viewer is not on the pool's thread). Both sides
// hold a spin flag only for O(1) steps: a take swaps the filled buffer for an empty one and
// moves the records out afterwards, so the pool never waits for a copy, and the uncontended
// add pays two atomic instructions instead of a mutex's calls. Each buffer is reserved whole
// at its first record (address space only: a page becomes memory when a record first lands on
// it) and kept, so adding never moves records, and a viewer that takes every tick touches only
// the pages one tick's records fill.
class JobRecordRing {
public:
    explicit JobRecordRing(std::size_t capacity) : capacity_(capacity) {}

    bool enabled() const { return capacity_ > 0; }
    std::size_t capacity() const { return capacity_; }

    // Keeps a record that `fill(JobRecord&)` writes in place (no record is moved), overwriting
    // the oldest when full (counted as dropped). A reused record holds an older job's values:
    // `fill` sets every field.
    template <typename Fill> void add(Fill&& fill) {
        SpinGuard guard(busy_);
        if (records_.size() < capacity_) {
            if (records_.capacity() < capacity_)
                records_.reserve(capacity_);
            fill(records_.emplace_back());
            return;
        }
        fill(records_[oldest_]);
        oldest_ = oldest_ + 1 == capacity_ ? 0 : oldest_ + 1;
        ++dropped_;
    }
    // Appends every record kept since the last take to `out`, oldest first; returns how many
    // were overwritten before anyone took them since the last take.
    std::uint64_t take(std::vector<JobRecord>& out);

private:
    class SpinGuard {
    public:
        explicit SpinGuard(std::atomic_flag& flag) : flag_(flag) {
            while (flag_.test_and_set(std::memory_order_acquire))
                std::this_thread::yield();
        }
        ~SpinGuard() { flag_.clear(std::memory_order_release); }
        SpinGuard(const SpinGuard&) = delete;
        SpinGuard& operator=(const SpinGuard&) = delete;

    private:
        std::atomic_flag& flag_;
    };

    const std::size_t capacity_;
    std::atomic_flag busy_ = ATOMIC_FLAG_INIT; // guards records_, oldest_, dropped_
    std::vector<JobRecord> records_;           // records_[oldest_] is the oldest once it wrapped
    std::size_t oldest_ = 0;
    std::uint64_t dropped_ = 0;
    std::mutex taking_;            // one taker at a time
    std::vector<JobRecord> spare_; // the taker's: empty between takes
};

} // namespace poolcore
