// SPDX-License-Identifier: MIT
#include "engine/worker_slots.h"

#include <algorithm>

namespace poolcore {

void WorkerSlots::reset(std::size_t count) {
    ids_.assign(count, 0);
    last_exit_.assign(count, std::string());
    starts_.assign(count, 0);
}

int WorkerSlots::occupied() const {
    return int(std::count_if(ids_.begin(), ids_.end(), [](WorkerId id) { return id != 0; }));
}

int WorkerSlots::next_vacant(int from) {
    std::size_t slot = std::size_t(std::max(from, 0));
    for (; slot < ids_.size(); ++slot)
        if (!ids_[slot])
            return int(slot);
    ids_.resize(slot + 1, 0);
    last_exit_.resize(slot + 1);
    starts_.resize(slot + 1, 0);
    return int(slot);
}

void WorkerSlots::vacate(int slot, WorkerId id) {
    if (holds(slot, id))
        ids_[std::size_t(slot)] = 0;
}

void WorkerSlots::record_exit(int slot, std::string text) {
    if (slot >= 0 && std::size_t(slot) < last_exit_.size())
        last_exit_[std::size_t(slot)] = std::move(text);
}

const std::string& WorkerSlots::last_exit(int slot) const {
    static const std::string none;
    return slot >= 0 && std::size_t(slot) < last_exit_.size() ? last_exit_[std::size_t(slot)]
                                                              : none;
}

} // namespace poolcore
