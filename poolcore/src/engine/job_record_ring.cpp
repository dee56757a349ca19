// SPDX-License-Identifier: MIT
#include "engine/job_record_ring.h"

#include <iterator>

namespace poolcore {

void JobRecordRing::add(JobRecord&& record) {
    std::lock_guard lock(mutex_);
    if (records_.size() < capacity_) {
        records_.push_back(std::move(record));
        return;
    }
    records_[oldest_] = std::move(record);
    oldest_ = (oldest_ + 1) % capacity_;
    ++dropped_;
}

std::uint64_t JobRecordRing::take(std::vector<JobRecord>& out) {
    std::lock_guard lock(mutex_);
    if (oldest_ == 0 && out.empty()) {
        out.swap(records_); // in order already: hand the storage over instead of moving each
    } else {
        out.reserve(out.size() + records_.size());
        const auto split = records_.begin() + std::ptrdiff_t(oldest_);
        out.insert(out.end(), std::make_move_iterator(split),
                   std::make_move_iterator(records_.end()));
        out.insert(out.end(), std::make_move_iterator(records_.begin()),
                   std::make_move_iterator(split));
    }
    records_.clear();
    oldest_ = 0;
    const std::uint64_t dropped = dropped_;
    dropped_ = 0;
    return dropped;
}

} // namespace poolcore
