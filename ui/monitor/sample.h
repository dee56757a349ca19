// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "poolcore/stats.h"

#include <array>
#include <cstdint>
#include <vector>

namespace poolscope {

struct WorkerSample {
    int slot = -1;
    pid_t pid = 0;
    double rss_mib = 0;
    std::uint64_t writes = 0;
};

// One sample of the pool as the charts, the status bar and the exports see it: the snapshot's
// gauges plus per-second rates derived from its counters.
struct Sample {
    double time = 0; // seconds since sampling began
    poolcore::PoolState state = poolcore::PoolState::Init;
    int target = 0;
    int alive = 0;
    int busy = 0;
    double pending = 0;
    double in_flight = 0;
    // Jobs that ended per second, by outcome (indexed by poolcore::Outcome, named by
    // poolcore::to_string everywhere they are shown): one vocabulary, nothing folded together.
    std::array<double, poolcore::kOutcomeCount> outcome_per_s{};
    double finished_per_s = 0;
    double writes_per_s = 0;
    // No latency here: the snapshot's p50/p99 cover the last jobs however old; the honest
    // per-second percentiles are JobStats' LatencyPoints.
    std::array<std::uint64_t, poolcore::kOutcomeCount> totals{};
    std::uint64_t submitted = 0;
    std::uint64_t total_writes = 0;
    std::vector<WorkerSample> workers; // workers that hold a slot, by slot
};

} // namespace poolscope
