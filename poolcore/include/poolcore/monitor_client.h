// SPDX-License-Identifier: MIT
#pragma once

#include "poolcore/event_loop.h"
#include "poolcore/job_record.h"
#include "poolcore/monitor_protocol.h"
#include "poolcore/stats.h"

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace poolcore {

/// What a MonitorServer said of itself in its hello.
struct MonitorHello {
    int version = 0;                       ///< the protocol version
    std::vector<std::string> capabilities; ///< "stats", "events", "jobs", "info", "control"
    bool read_only = true;                 ///< control verbs are refused
    std::string pool_kind;                 ///< "event-loop" or "thread-driven"
    pid_t pid = 0;                         ///< the process that runs the pool
    std::string program;                   ///< its name
};

/// The viewer's end of the monitor protocol, driven by an EventLoop (a PollLoop headless, the Qt
/// loop in the window): it never blocks. It connects, reads the hello, then hears snapshots,
/// events and job records; request() sends a control verb and hears its reply. When the
/// connection drops it says why and tries again every reconnect_interval.
class MonitorClient {
public:
    /// What the client tells its owner, on the loop's thread.
    struct Callbacks {
        /// Connected, and the server speaks our version.
        std::function<void(const MonitorHello&)> on_connected;
        /// The connection was lost or refused (`reason` for the user); retrying.
        std::function<void(const std::string& reason)> on_disconnected;
        /// The pool's picture, every snapshot interval.
        std::function<void(const StatsSnapshot&, const Info&)> on_snapshot;
        /// Things the pool did, in order.
        std::function<void(const std::vector<MonitorEvent>&)> on_events;
        /// Jobs that finished, oldest first; `dropped`: records the server had to let go.
        std::function<void(std::vector<JobRecord>, std::uint64_t dropped)> on_jobs;
    };
    /// A reply to request(): `ok`, or `error` for the user; the whole reply in `body`.
    using Reply =
        std::function<void(bool ok, const std::string& error, const nlohmann::json& body)>;

    /// A client of the server at `socket_path`, not connected yet (see connect()).
    MonitorClient(EventLoop& loop, std::string socket_path, Callbacks callbacks,
                  std::chrono::milliseconds reconnect_interval = std::chrono::seconds(1));
    ~MonitorClient(); ///< closes the connection; the pool goes on
    MonitorClient(const MonitorClient&) = delete;
    MonitorClient& operator=(const MonitorClient&) = delete;

    /// Begins connecting (and reconnecting after each loss).
    void connect();
    /// Sends `verb` with its `arguments` (an object: "n", "pid", "signal"); `reply` hears the
    /// answer, or the loss of the connection. Throws PoolError when not connected.
    void request(const std::string& verb, const nlohmann::json& arguments, Reply reply);
    /// The hello was read and the connection is up.
    bool connected() const;
    /// The latest hello; meaningful once connected.
    const MonitorHello& hello() const;
    /// The socket's path.
    const std::string& path() const;

private:
    class Connection;
    std::unique_ptr<Connection> connection_;
};

} // namespace poolcore
