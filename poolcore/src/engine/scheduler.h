// SPDX-License-Identifier: MIT
#pragma once

#include "poolcore/options.h"

#include <cstdint>
#include <utility>
#include <vector>

namespace poolcore {

// Decides how many more jobs a worker may be written, where the round-robin starts, and keeps
// Celery's per-slot write statistics (one count per job frame fully written, keyed by slot, in
// the order each slot was first written to).
class Scheduler {
public:
    Scheduler(Strategy strategy, int prefetch) : strategy_(strategy), prefetch_(prefetch) {}

    Strategy strategy() const { return strategy_; }
    int prefetch() const { return prefetch_; }

    // How many more jobs a worker with `queued` jobs written (or being written) may take.
    int capacity(std::size_t queued) const {
        const int limit = strategy_ == Strategy::Fair ? 1 : prefetch_;
        return queued >= std::size_t(limit) ? 0 : limit - int(queued);
    }

    // Round-robin origin among `ready` candidates: Celery's total_writes % ready.
    std::size_t start_index(std::size_t ready) const {
        return ready ? std::size_t(total_writes_ % ready) : 0;
    }

    void record_write(int slot);
    std::uint64_t total_writes() const { return total_writes_; }
    std::uint64_t writes_for(int slot) const;
    const std::vector<std::pair<int, std::uint64_t>>& write_counts() const { return counts_; }

private:
    Strategy strategy_;
    int prefetch_;
    std::uint64_t total_writes_ = 0;
    std::vector<std::pair<int, std::uint64_t>> counts_;
};

} // namespace poolcore
