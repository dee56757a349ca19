// SPDX-License-Identifier: MIT
#pragma once

#include "poolcore/job_record.h"
#include "poolcore/observer.h"
#include "poolcore/stats.h"

#include <cstddef>
#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <string_view>
#include <vector>

/// 1 where poolcore has MonitorServer and MonitorClient: their sockets are Unix-domain ones, which
/// every POSIX system has. 0 on Windows, where this build of poolcore serves no monitor yet (the
/// protocol's encoding is there all the same); a program tests it with `#if`.
#ifdef _WIN32
#define POOLCORE_HAS_MONITOR 0
#else
#define POOLCORE_HAS_MONITOR 1
#endif

namespace poolcore {

/// The monitor protocol (docs/monitor-protocol.md): what a MonitorServer and a MonitorClient say
/// to each other over a Unix-domain stream socket. Every message is one frame,
///
///     u32 length (big-endian) | that many bytes of UTF-8 JSON, one object with a "type"
///
/// and the server's first frame is a hello naming kMonitorProtocolName and the version.
inline constexpr const char* kMonitorProtocolName = "poolcore-monitor";
/// Raised when a message changes meaning; a client refuses a hello of another version.
inline constexpr int kMonitorProtocolVersion = 1;
/// The frame header: the body's length.
inline constexpr std::size_t kMonitorHeaderBytes = 4;
/// The largest frame a server takes from a viewer (requests are small).
inline constexpr std::size_t kMonitorMaxRequestBytes = 64u << 10;
/// The largest frame a client takes from a server (a snapshot of kMaxProcesses workers, a batch
/// of job records).
inline constexpr std::size_t kMonitorMaxMessageBytes = 16u << 20;

/// Appends `message` to `out` as one frame.
void append_monitor_frame(std::string& out, const nlohmann::json& message);

/// An incremental decoder of a stream of frames. Any malformed input (a frame beyond the limit,
/// a body that is not JSON, not an object or has no string "type") is an error that sticks: the
/// stream cannot be resynchronised, so the reader drops its peer.
class MonitorFrameDecoder {
public:
    /// What next() found.
    enum class Status { NeedMore, Message, Error };

    /// A decoder that refuses frames longer than `max_frame` bytes.
    explicit MonitorFrameDecoder(std::size_t max_frame);

    /// Appends bytes read from the stream.
    void feed(std::string_view bytes);
    /// The next whole message, if one is buffered. After Error, always Error.
    Status next(nlohmann::json& out);
    /// Why next() returned Error, for the user.
    const std::string& error() const { return error_; }
    /// Bytes held that do not yet make a frame.
    std::size_t buffered() const { return buffer_.size() - begin_; }

private:
    Status fail(std::string message);

    std::size_t max_frame_;
    std::string buffer_;
    std::size_t begin_ = 0;
    std::string error_;
};

/// One thing the pool did, as the monitor forwards it: a PoolObserver call other than a job's
/// (jobs travel as JobRecord batches).
struct MonitorEvent {
    /// Which observer call it was.
    enum class Kind { WorkerUp, WorkerExit, StateChanged, Message };
    Kind kind = Kind::Message;            ///< which call
    int slot = -1;                        ///< WorkerUp, WorkerExit
    pid_t pid = 0;                        ///< WorkerUp, WorkerExit
    ExitStatus status{};                  ///< WorkerExit
    ExitReason reason = ExitReason::Died; ///< WorkerExit
    std::string fault{};                  ///< WorkerExit: why the pool killed it
    PoolState state = PoolState::Init;    ///< StateChanged
    Severity severity = Severity::Info;   ///< Message
    std::string text{};                   ///< Message

    /// Makes the same call on `observer`.
    void replay(PoolObserver& observer) const;
};

/// @name JSON of the monitor's messages
/// Every from_json() throws nlohmann::json::exception (a type_error or out_of_range) on a
/// missing or ill-typed key, and std::invalid_argument on an unknown enum name.
/// @{
void to_json(nlohmann::json& j, const MonitorEvent& e);   ///< {"event": "worker-up", ...}
void from_json(const nlohmann::json& j, MonitorEvent& e); ///< the reverse of to_json()
/// Times as nanoseconds of CLOCK_MONOTONIC, which every process on the machine shares.
void to_json(nlohmann::json& j, const JobRecord& r);
void from_json(const nlohmann::json& j, JobRecord& r);     ///< the reverse of to_json()
void from_json(const nlohmann::json& j, StatsSnapshot& s); ///< the reverse of to_json()
void from_json(const nlohmann::json& j, WorkerStats& w);   ///< the reverse of to_json()
void from_json(const nlohmann::json& j, Info& info);       ///< the reverse of to_json()
void from_json(const nlohmann::json& j, WriteStats& w);    ///< the reverse of to_json()
/// @}

/// The control verbs a monitor accepts, by their protocol names ("restart", "grow", ...).
const std::vector<std::string>& monitor_control_verbs();

} // namespace poolcore
