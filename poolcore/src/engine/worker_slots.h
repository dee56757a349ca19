// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace poolcore {

// The pool's numbered places for workers (Celery's process index): which worker holds each, and
// how the last one to leave it ended. A slot outlives its workers, so a replacement takes the
// place (and the write counts) of the worker it replaces.
class WorkerSlots {
public:
    using WorkerId = std::uint64_t; // 0 marks a vacant slot

    // `count` vacant slots, their exit records cleared.
    void reset(std::size_t count);

    std::size_t size() const { return ids_.size(); }
    int occupied() const;
    // Slot by slot, 0 where vacant.
    const std::vector<WorkerId>& ids() const { return ids_; }
    bool holds(int slot, WorkerId id) const {
        return slot >= 0 && std::size_t(slot) < ids_.size() && ids_[std::size_t(slot)] == id;
    }

    // The first vacant slot from `from` on, adding one when none is.
    int next_vacant(int from);
    void occupy(int slot, WorkerId id) {
        ids_[std::size_t(slot)] = id;
        ++starts_[std::size_t(slot)];
    }
    // How many workers have occupied `slot` since reset(): the next one's generation.
    std::uint32_t starts(int slot) const { return starts_[std::size_t(slot)]; }
    // Frees `slot` if `id` still holds it.
    void vacate(int slot, WorkerId id);

    // "pid 123: exitcode 1 (died)": how the last worker in `slot` ended.
    void record_exit(int slot, std::string text);
    // Empty when no worker left `slot` yet, or for a slot that does not exist.
    const std::string& last_exit(int slot) const;

private:
    std::vector<WorkerId> ids_;
    std::vector<std::string> last_exit_;
    std::vector<std::uint32_t> starts_;
};

} // namespace poolcore
