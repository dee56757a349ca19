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
    const double failed = double(s.count(Outcome::TaskError) + s.count(Outcome::Terminated));
    const double timed_out = double(s.count(Outcome::TimeLimit) + s.count(Outcome::SoftTimeLimit));
    out.succeeded_per_s = succeeded_.add(time, double(s.count(Outcome::Success)));
    out.failed_per_s = failed_.add(time, failed);
    out.lost_per_s = lost_.add(time, double(s.count(Outcome::WorkerLost)));
    out.timed_out_per_s = timed_out_.add(time, timed_out);
    out.finished_per_s = finished_.add(time, double(s.finished));
    out.writes_per_s = writes_.add(time, double(s.total_writes));
    out.p50_ms = s.latency_p50_us / 1000.0;
    out.p99_ms = s.latency_p99_us / 1000.0;
    out.workers.reserve(s.workers.size());
    for (const auto& w : s.workers)
        if (w.slot >= 0)
            out.workers.push_back({w.slot, w.pid, double(w.rss_kib) / 1024.0, w.writes});
    return out;
}

} // namespace poolscope
