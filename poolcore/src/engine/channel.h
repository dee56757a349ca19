// SPDX-License-Identifier: MIT
#pragma once

#include "poolcore/unique_fd.h"
#include "protocol/wire_protocol.h"

#include <deque>
#include <string>

namespace poolcore {

// The parent's end of one worker's channel: a non-blocking stream socket with an outbound buffer
// that survives EAGAIN (once a frame's first byte is out the rest follows, in order) and a frame
// decoder for what the worker sends back.
class Channel {
public:
    enum class IoStatus { Ok, WouldBlock, Eof, Error };

    Channel(UniqueFd fd, std::size_t max_frame);

    int fd() const { return fd_.get(); }
    bool is_open() const { return fd_.valid(); }
    void close() { fd_.reset(); }

    // Queues a job frame; call flush() to send.
    void queue_job(JobId id, std::string_view task, std::string_view argument,
                   std::string_view payload);
    bool has_pending_output() const { return sent_ < out_.size(); }

    // Writes as much queued output as the socket takes. `on_job_written(id)` runs for every job
    // frame whose last byte went out. Returns Ok when everything is out, WouldBlock when output is
    // still pending, Error (see error()) when the peer is gone.
    template <typename OnJobWritten> IoStatus flush(OnJobWritten&& on_job_written) {
        const IoStatus status = write_some();
        while (!frame_ends_.empty() && frame_ends_.front().first <= flushed_total_) {
            const JobId id = frame_ends_.front().second;
            frame_ends_.pop_front();
            on_job_written(id);
        }
        return status;
    }

    // Reads everything the socket holds into the decoder. Ok when drained, Eof when the worker
    // closed its end, Error on a socket error.
    IoStatus read_available();
    wire::FrameDecoder& decoder() { return decoder_; }

    const std::string& error() const { return error_; }

private:
    IoStatus write_some();

    UniqueFd fd_;
    wire::FrameDecoder decoder_;
    std::string out_;
    std::size_t sent_ = 0;
    std::uint64_t flushed_total_ = 0; // bytes ever written, to match frame_ends_
    std::uint64_t queued_total_ = 0;
    std::deque<std::pair<std::uint64_t, JobId>> frame_ends_;
    std::string error_;
};

} // namespace poolcore
