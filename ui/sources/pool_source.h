// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "poolcore/job.h"
#include "poolcore/observer.h"
#include "poolcore/options.h"
#include "poolcore/stats.h"
#include "ui/sources/job_records.h"
#include "ui/sources/pool_action.h"

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace poolscope {

class QtEventLoop;

// Where the window's data comes from: the one pool the controller drives, whichever kind it is.
// A source delivers stats snapshots, the info report, events (to the observer it was built
// with) and job records, and carries out the actions it supports. The local event-loop pool and
// the local thread-driven pool are the first two; a pool in another process, a cluster or a
// recording plug in here, built by a factory like make_pool_source.
//
// No method blocks the GUI thread: start, stop and terminate only begin what they name; the
// state says when it is done. Synchronous refusals throw poolcore::PoolError; asynchronous
// failures go to the error reporter given at construction (which may be called on any thread).
class PoolSource {
public:
    using ErrorReporter = std::function<void(const std::string& action, const std::string& error)>;

    virtual ~PoolSource() = default;

    // Whether this source can carry out `action` at all, whatever the pool's state, and if not
    // why (a recording would say "a recording cannot be controlled").
    virtual Availability availability(PoolAction action) const = 0;
    // The same for the window's other features (settings, load generator, per-process signals,
    // faults): whether this kind of source has them at all, and if not why.
    virtual Availability supports(SourceFeature feature) const = 0;

    virtual void start() = 0;
    virtual void restart() = 0;
    virtual void grow(int n) = 0;
    virtual int shrink(int n) = 0;
    virtual void close() = 0;
    virtual void stop() = 0;
    virtual void terminate() = 0;
    virtual void submit(poolcore::TaskCall call, poolcore::JobCallbacks callbacks) = 0;
    virtual bool terminate_job(pid_t pid, int signal) = 0;
    virtual bool kill_worker(pid_t pid, int signal) = 0;

    virtual poolcore::PoolState state() const = 0;
    virtual poolcore::StatsSnapshot stats() const = 0;
    virtual poolcore::Info info() const = 0;
    // True when job callbacks and observer calls arrive on the GUI thread.
    virtual bool runs_on_gui_thread() const = 0;
    // The jobs that ended since the last call, oldest first, collected once per sampling tick.
    virtual JobRecordBatch take_job_records() = 0;

    // What the event log says when the source starts; empty: the controller's own words for a
    // local pool ("starting 4 event-loop worker(s)").
    virtual std::string start_description() const { return {}; }

    // What the timeline calls the lane of `slot` whose process is `pid`; empty: the window's own
    // words ("slot 3 · 4711"), right for any pool of slots. A cluster names its workers.
    virtual std::string lane_label(int /*slot*/, pid_t /*pid*/) const { return {}; }

    // For a pool reached over a connection: why it is down now (nothing while it is up, and
    // always nothing for a pool of this process).
    virtual std::optional<std::string> connection_problem() const { return std::nullopt; }
    // False for a pool another program runs: leaving the window must not end it.
    virtual bool owns_pool() const { return true; }

    // At application exit only: ends the pool within `timeout` (terminating it if need be),
    // blocking the caller.
    virtual void shut_down(std::chrono::milliseconds timeout) = 0;
};

// The local sources: a thread-driven pool (BlockingPool on its own thread, whose blocking calls
// run on helper threads) when options.threads, else a poolcore::Pool registered with `loop` and
// driven by the GUI thread's event loop. Events go to `observer`; `report` hears asynchronous
// failures.
std::unique_ptr<PoolSource> make_pool_source(const poolcore::PoolOptions& options,
                                             QtEventLoop& loop, poolcore::PoolObserver* observer,
                                             PoolSource::ErrorReporter report);

// How a controller builds its source, so that another kind plugs in without editing it.
using PoolSourceFactory = std::function<decltype(make_pool_source)>;

} // namespace poolscope
