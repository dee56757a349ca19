// SPDX-License-Identifier: MIT
#include "engine/job_record_ring.h"

#include <iterator>

namespace poolcore {

std::uint64_t JobRecordRing::take(std::vector<JobRecord>& out) {
    std::lock_guard taker(taking_);
    std::size_t oldest = 0;
    std::uint64_t dropped = 0;
    {
        SpinGuard guard(busy_);
        records_.swap(spare_); // the pool goes on in the empty buffer at once
        oldest = oldest_;
        dropped = dropped_;
        oldest_ = 0;
        dropped_ = 0;
    }
    out.reserve(out.size() + spare_.size());
    const auto split = spare_.begin() + std::ptrdiff_t(oldest);
    out.insert(out.end(), std::make_move_iterator(split), std::make_move_iterator(spare_.end()));
    out.insert(out.end(), std::make_move_iterator(spare_.begin()), std::make_move_iterator(split));
    spare_.clear(); // keeps the reserved storage for the next swap
    return dropped;
}

} // namespace poolcore
