// SPDX-License-Identifier: MIT
#include "engine/channel.h"

#include "platform/socket_io.h"

namespace poolcore {

namespace {
constexpr std::size_t kReadChunk = 64 * 1024;
} // namespace

Channel::Channel(UniqueFd fd, std::size_t max_frame)
    : fd_(std::move(fd)), decoder_(wire::Peer::Parent, max_frame) {}

void Channel::queue_job(JobId id, std::string_view task, std::string_view argument,
                        std::string_view payload) {
    const std::size_t before = out_.size();
    wire::append_job(out_, id, task, argument, payload);
    queued_total_ += out_.size() - before;
    frame_ends_.emplace_back(queued_total_, id);
}

Channel::IoStatus Channel::write_some() {
    while (sent_ < out_.size()) {
        const long n = platform::send_some(fd_.get(), out_.data() + sent_, out_.size() - sent_);
        if (n > 0) {
            sent_ += std::size_t(n);
            flushed_total_ += std::uint64_t(n);
            continue;
        }
        const platform::IoFailure failure = platform::last_io_failure();
        if (n < 0 && failure.kind == platform::IoError::Interrupted)
            continue;
        if (n < 0 && failure.kind == platform::IoError::WouldBlock)
            return IoStatus::WouldBlock;
        error_ = "write to worker failed: " + failure.text();
        return IoStatus::Error;
    }
    out_.clear();
    sent_ = 0;
    return IoStatus::Ok;
}

Channel::IoStatus Channel::read_available() {
    for (;;) {
        char* dst = decoder_.prepare(kReadChunk);
        const long n = platform::recv_some(fd_.get(), dst, kReadChunk);
        if (n > 0) {
            decoder_.commit(std::size_t(n));
            // A short read emptied the socket; the level-triggered loop calls again if more came.
            if (std::size_t(n) < kReadChunk)
                return IoStatus::Ok;
            continue;
        }
        if (n == 0)
            return IoStatus::Eof;
        const platform::IoFailure failure = platform::last_io_failure();
        if (failure.kind == platform::IoError::Interrupted)
            continue;
        if (failure.kind == platform::IoError::WouldBlock)
            return IoStatus::Ok;
        if (failure.kind == platform::IoError::Reset)
            return IoStatus::Eof;
        error_ = "read from worker failed: " + failure.text();
        return IoStatus::Error;
    }
}

} // namespace poolcore
