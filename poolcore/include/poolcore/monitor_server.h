// SPDX-License-Identifier: MIT
#pragma once

#include "poolcore/event_loop.h"
#include "poolcore/monitor_protocol.h" // POOLCORE_HAS_MONITOR
#include "poolcore/observer.h"

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace poolcore {

class Pool;
class BlockingPool;

/// How a MonitorServer serves its viewers.
struct MonitorOptions {
    /// The socket's path. Empty: default_monitor_socket_path(). Its directory is created mode
    /// 0700 if missing, and refused if another user owns it or others may enter it.
    std::string socket_path;
    /// Refuse every control verb: viewers may watch and not act.
    bool read_only = false;
    /// How often viewers get a stats snapshot, and events and job records are sent.
    std::chrono::milliseconds snapshot_interval{100};
    /// Bytes queued for one viewer beyond which it is dropped as too slow.
    std::size_t viewer_buffer_bytes = 8u << 20;
    /// A viewer with output pending that takes none of it for this long is dropped as stuck.
    std::chrono::milliseconds viewer_stall_timeout{10000};
    /// Viewers at once; one more is told so and refused.
    int max_viewers = 128;
    /// Where the server's log lines go (viewers refused or dropped, verbs taken); on the thread
    /// that drives the server. Unset: standard error.
    std::function<void(Severity, const std::string&)> log;
};

/// What a MonitorServer has done so far.
struct MonitorCounters {
    int viewers = 0;                   ///< connected now
    std::uint64_t accepted = 0;        ///< viewers that got a hello
    std::uint64_t refused_uid = 0;     ///< connections of another user, refused
    std::uint64_t refused_full = 0;    ///< connections beyond max_viewers, refused
    std::uint64_t dropped_slow = 0;    ///< viewers dropped for a full buffer or a stall
    std::uint64_t dropped_garbage = 0; ///< viewers dropped for a malformed frame
    std::uint64_t controls = 0;        ///< control verbs carried out
};

/// "$XDG_RUNTIME_DIR/poolscope", or "/tmp/poolscope-<uid>" without one: where monitor sockets
/// live by default and where a viewer looks for them.
std::string default_monitor_directory();
/// default_monitor_directory() + "/<name>.sock"; `name` empty: "pool-<pid>".
std::string default_monitor_socket_path(const std::string& name = {});

/// A monitor endpoint an embedder opts into: a Unix-domain stream socket on which viewers of the
/// same user (Poolscope's `--attach`) watch the pool (stats snapshots, events, job records, the
/// info report) and, unless read_only, control it (restart, grow, shrink, close, stop,
/// terminate, terminate_job, kill_worker). The protocol is in docs/monitor-protocol.md.
///
/// The pool never waits for a viewer: sockets are non-blocking, each viewer has a bounded send
/// buffer, a slow one gets the latest snapshot only (coalesced) and is then dropped with a
/// logged reason. A viewer's death or garbage drops that viewer alone. The server never listens
/// on a network; a peer of another uid is refused and logged.
///
/// The job records it sends are the pool's own (take_job_records), taken while a viewer is
/// attached: an embedder that takes them as well gets only those the server has not.
class MonitorServer {
public:
    /// Serves `pool` on the loop the pool is registered with (it must be, and this must be
    /// called on that loop's thread, as must the destructor). Throws PoolError when the socket
    /// cannot be made (a live server on the path, a directory others may enter).
    MonitorServer(Pool& pool, MonitorOptions options = {});
    /// Serves a thread-driven `pool` from a thread of its own, so it may be built and destroyed
    /// on any thread. Throws PoolError as above.
    MonitorServer(BlockingPool& pool, MonitorOptions options = {});
    /// Closes every viewer and removes the socket; the pool goes on. Destroy it before the pool.
    ~MonitorServer();
    MonitorServer(const MonitorServer&) = delete;
    MonitorServer& operator=(const MonitorServer&) = delete;

    /// The socket's path.
    const std::string& path() const;
    /// What it has done so far; safe from any thread.
    MonitorCounters counters() const;

    /// The server's body (src/monitor/): the sockets and the viewers.
    class Hub;
    /// What drives the hub: the pool's own loop, or a thread of its own (src/monitor/).
    class Runner;

private:
    std::unique_ptr<Runner> runner_;
};

} // namespace poolcore
