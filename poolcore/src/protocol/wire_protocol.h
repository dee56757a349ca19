// SPDX-License-Identifier: MIT
#pragma once

// The wire protocol between the parent and a worker. Every message is one frame:
//
//   u32 body length | u8 type | body
//
// in host byte order (both ends are always on the same machine). The length counts the type byte
// and the body. Parent -> worker: Job, SoftLimit. Worker -> parent: WorkerUp, Ack, Ready.
// SoftLimit is how a platform without signals (Windows) tells a worker that a job ran out of
// time; it travels on the worker's control channel, beside the job channel, so that it never
// lands inside a job frame the parent is still writing.

#include "poolcore/job.h"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace poolcore::wire {

enum class FrameType : std::uint8_t {
    Job = 0x01,
    SoftLimit = 0x02,
    WorkerUp = 0x10,
    Ack = 0x11,
    Ready = 0x12,
};

inline constexpr std::size_t kHeaderSize = 5;
inline constexpr std::size_t kDefaultMaxFrame = 64u << 20;
// What a frame's length (which both ends check against their limit) counts besides its variable
// parts: a Job's type byte, id and two length fields; a Ready's type byte, id, outcome and two
// memory figures.
inline constexpr std::size_t kJobFixedBytes = 1 + 8 + 2 + 4;
inline constexpr std::size_t kReadyFixedBytes = 1 + 8 + 1 + 8 + 8;
// What a payload leaves of the frame limit, beside the task's name and argument: the larger of
// the two, so that the job fits its frame and a result as large as its payload (echo's) fits the
// frame that returns it.
inline constexpr std::size_t kPayloadFrameOverhead = std::max(kJobFixedBytes, kReadyFixedBytes);

struct JobMessage {
    JobId job_id = 0;
    std::string task;
    std::string argument;
    std::string payload;
};
struct SoftLimitMessage {
    std::uint32_t job_tag = 0; // the low 32 bits of the job's id, as a POSIX signal carries it
};
struct WorkerUpMessage {
    std::int32_t pid = 0;
    std::uint64_t rss_kib = 0;
};
struct AckMessage {
    JobId job_id = 0;
    std::int64_t accepted_ns = 0; // CLOCK_MONOTONIC in the worker
};
struct ReadyMessage {
    JobId job_id = 0;
    Outcome outcome = Outcome::Success; // only Success, TaskError or SoftTimeLimit travel
    std::uint64_t rss_kib = 0;          // the worker's resident memory after the job
    std::uint64_t private_kib = 0;      // memory only it holds (USS); 0 when not measured
    std::string payload;
};
using Message =
    std::variant<JobMessage, SoftLimitMessage, WorkerUpMessage, AckMessage, ReadyMessage>;

void append_job(std::string& out, JobId id, std::string_view task, std::string_view argument,
                std::string_view payload);
void append_soft_limit(std::string& out, const SoftLimitMessage& m);
void append_worker_up(std::string& out, const WorkerUpMessage& m);
void append_ack(std::string& out, const AckMessage& m);
void append_ready(std::string& out, JobId id, Outcome outcome, std::uint64_t rss_kib,
                  std::uint64_t private_kib, std::string_view payload);

// Which end decodes: each end accepts only the frame types the other end sends.
enum class Peer { Parent, Worker };

// Incremental decoder over a byte stream. Feed it with prepare()/commit() (read straight into its
// buffer) and pull messages with next(). Any malformed input is an error that sticks: the stream
// cannot be resynchronised, so the caller drops the peer.
class FrameDecoder {
public:
    enum class Status { NeedMore, Message, Error };

    explicit FrameDecoder(Peer reader, std::size_t max_frame = kDefaultMaxFrame);

    char* prepare(std::size_t at_least);
    void commit(std::size_t n);
    void feed(std::string_view bytes);

    Status next(Message& out);
    const std::string& error() const { return error_; }
    bool has_partial_frame() const { return end_ > begin_; }
    std::size_t buffered() const { return end_ - begin_; }

private:
    Status fail(std::string message);

    Peer reader_;
    std::size_t max_frame_;
    std::vector<char> buf_;
    std::size_t begin_ = 0;
    std::size_t end_ = 0;
    std::string error_;
};

} // namespace poolcore::wire
