// SPDX-License-Identifier: MIT
#pragma once

#include "poolcore/job_record.h"

#include <cstdint>
#include <mutex>
#include <vector>

namespace poolcore {

// The most recent job records, at most `capacity`, for a viewer to take in batches. The pool's
// thread adds, any thread takes (BlockingPool's viewer is not on the pool's thread), so both
// sides hold the one mutex, which is uncontended but for the moment a take runs. Storage grows
// with use up to the capacity and is handed to the taker when it can be (swap), so a viewer
// that takes every tick keeps two small buffers alive, not a full ring.
class JobRecordRing {
public:
    explicit JobRecordRing(std::size_t capacity) : capacity_(capacity) {}

    bool enabled() const { return capacity_ > 0; }
    std::size_t capacity() const { return capacity_; }

    // Keeps `record`, overwriting the oldest when full (counted as dropped).
    void add(JobRecord&& record);
    // Appends every record kept since the last take to `out`, oldest first; returns how many
    // were overwritten before anyone took them since the last take.
    std::uint64_t take(std::vector<JobRecord>& out);

private:
    const std::size_t capacity_;
    std::mutex mutex_;
    std::vector<JobRecord> records_; // records_[oldest_] is the oldest once it wrapped
    std::size_t oldest_ = 0;
    std::uint64_t dropped_ = 0;
};

} // namespace poolcore
