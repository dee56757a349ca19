// SPDX-License-Identifier: MIT
#pragma once

#include "monitor/monitor_feed.h"
#include "poolcore/event_loop.h"
#include "poolcore/monitor_protocol.h"
#include "poolcore/monitor_server.h"
#include "poolcore/stats.h"
#include "poolcore/unique_fd.h"

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>

namespace poolcore {

// The pool a hub serves, whichever kind it is: the hub calls it on its own loop's thread.
class MonitoredPool {
public:
    virtual ~MonitoredPool() = default;
    // "event-loop" or "thread-driven".
    virtual const char* kind() const = 0;
    virtual void sample(StatsSnapshot& stats, Info& info) = 0;
    // Whether the pool keeps its own ring of job records (PoolOptions::job_record_capacity): then
    // take_job_records drains it, with the task, slot and write time the observer never hears.
    virtual bool keeps_job_records() const = 0;
    // Appends the records that ended since the last take; returns how many were lost untaken.
    virtual std::uint64_t take_job_records(std::vector<JobRecord>& out) = 0;
    // Carries out `verb` with the request's arguments and calls `done` with the reply's fields
    // ("ok", "error", ...) on the hub's thread, now or later. Never throws.
    virtual void control(const std::string& verb, const nlohmann::json& request,
                         std::function<void(nlohmann::json)> done) = 0;
};

// The server's body: the listening socket, the viewers and what is sent to them, all on one
// EventLoop's thread. Nothing here ever blocks: every socket is non-blocking, and a viewer that
// cannot keep up is given less (coalesced snapshots) and then dropped.
class MonitorServer::Hub {
public:
    Hub(EventLoop& loop, MonitoredPool& pool, MonitorFeed& feed, MonitorOptions options);
    ~Hub();
    Hub(const Hub&) = delete;
    Hub& operator=(const Hub&) = delete;

    const std::string& path() const { return path_; }
    MonitorCounters counters() const;

private:
    struct Viewer;
    using Clock = std::chrono::steady_clock;

    void accept_all();
    void refuse(UniqueFd fd, const std::string& why);
    void read_from(std::uint64_t id);
    void write_to(std::uint64_t id);
    void handle(Viewer& viewer, const nlohmann::json& message);
    void reply(std::uint64_t id, nlohmann::json answer);
    void tick();
    // Queues a frame; false when the viewer was dropped for it.
    bool enqueue(Viewer& viewer, const std::string& frame);
    void flush(Viewer& viewer);
    void drop(std::uint64_t id, Severity severity, const std::string& reason);
    void log(Severity severity, const std::string& text);
    std::string describe(const Viewer& viewer) const;
    void count(std::uint64_t MonitorCounters::*counter);
    nlohmann::json hello() const;

    EventLoop& loop_;
    MonitoredPool& pool_;
    MonitorFeed& feed_;
    const MonitorOptions options_;
    std::string path_;
    UniqueFd listener_;
    EventLoop::TimerId ticker_ = 0;
    std::map<std::uint64_t, std::unique_ptr<Viewer>> viewers_;
    std::uint64_t next_viewer_ = 1;
    std::string snapshot_frame_; // the latest, for viewers whose snapshots were coalesced
    std::uint64_t events_dropped_ = 0;
    std::uint64_t records_dropped_ = 0;
    mutable std::mutex counters_mutex_;
    MonitorCounters counters_;
};

} // namespace poolcore
