// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/monitor/sample_deriver.h"

namespace poolscope {

using poolcore::Outcome;

Sample SampleDeriver::derive(double time, const poolcore::StatsSnapshot& s) {
    Sample out;
    out.time = time;
    out.state = s.state;
    out.target = s.target_processes;
    out.alive = s.alive_processes;
    out.busy = s.busy_processes;
    out.pending = double(s.pending);
    out.in_flight = double(s.in_flight);
    out.totals = s.outcomes;
    out.submitted = s.submitted;
    out.total_writes = s.total_writes;
    for (int o = 0; o < poolcore::kOutcomeCount; ++o)
        out.outcome_per_s[std::size_t(o)] =
            outcomes_[std::size_t(o)].add(time, double(s.count(Outcome(o))));
    out.finished_per_s = finished_.add(time, double(s.finished));
    out.writes_per_s = writes_.add(time, double(s.total_writes));
    out.workers.reserve(s.workers.size());
    for (const auto& w : s.workers)
        if (w.slot >= 0)
            out.workers.push_back({w.slot, w.pid, double(w.rss_kib) / 1024.0, w.writes});
    return out;
}

} // namespace poolscope
