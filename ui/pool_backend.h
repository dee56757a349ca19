// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "poolcore/job.h"
#include "poolcore/observer.h"
#include "poolcore/options.h"
#include "poolcore/stats.h"

#include <chrono>
#include <functional>
#include <memory>
#include <string>

namespace poolscope {

class QtEventLoop;

// The one pool the controller drives, whichever kind it is. No method blocks the GUI thread:
// start, stop and terminate only begin what they name; the state says when it is done.
// Synchronous refusals throw poolcore::PoolError; asynchronous failures go to the error
// reporter given at construction (which may be called on any thread).
class PoolBackend {
public:
    using ErrorReporter = std::function<void(const std::string& action, const std::string& error)>;

    virtual ~PoolBackend() = default;

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

    // At application exit only: ends the pool within `timeout` (terminating it if need be),
    // blocking the caller.
    virtual void shut_down(std::chrono::milliseconds timeout) = 0;
};

// poolcore::Pool registered with `loop`, driven by the GUI thread's event loop.
std::unique_ptr<PoolBackend> make_event_loop_backend(const poolcore::PoolOptions& options,
                                                     QtEventLoop& loop,
                                                     poolcore::PoolObserver* observer);

// poolcore::BlockingPool on its own thread. Its blocking calls (start, stop, terminate) run on
// helper threads; submit never waits (BlockingPool::submit).
std::unique_ptr<PoolBackend> make_thread_backend(const poolcore::PoolOptions& options,
                                                 poolcore::PoolObserver* observer,
                                                 PoolBackend::ErrorReporter report);

} // namespace poolscope
