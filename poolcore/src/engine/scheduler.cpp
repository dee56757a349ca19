// SPDX-License-Identifier: MIT
#include "engine/scheduler.h"

namespace poolcore {

void Scheduler::record_write(int slot) {
    ++total_writes_;
    for (auto& [s, count] : counts_) {
        if (s == slot) {
            ++count;
            return;
        }
    }
    counts_.emplace_back(slot, 1);
}

std::uint64_t Scheduler::writes_for(int slot) const {
    for (const auto& [s, count] : counts_)
        if (s == slot)
            return count;
    return 0;
}

} // namespace poolcore
