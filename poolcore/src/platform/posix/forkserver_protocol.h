// SPDX-License-Identifier: MIT
#pragma once

// What the forkserver and its client say to each other over the control socket. The control
// protocol: fixed-size records on a stream socket, one Launch request answered by one reply
// carrying the worker's channel and exit-status pipe (SCM_RIGHTS), and where the kernel has no
// pidfd the read end of the worker's death pipe too; a Discard has no answer. On a worker's
// exit-status pipe the server writes the raw waitpid() status once, then closes it.

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <sys/types.h>
#include <unistd.h>

namespace poolcore::forkserver {

inline constexpr std::uint32_t kRequestMagic = 0x504f4f4c; // "POOL"

enum class RequestKind : std::uint32_t {
    Launch = 0,  // fork a worker; answered by a Reply
    Discard = 1, // the client could not take the worker `pid`'s descriptors: kill it; no reply
};

struct Request {
    std::uint32_t magic = kRequestMagic;
    RequestKind kind = RequestKind::Launch;
    std::uint64_t max_frame = 0;
    std::uint32_t measure_private_memory = 0;
    std::int32_t pid = 0;   // of a Discard
    std::int32_t slot = -1; // of a Launch: the worker's process title says it
    // Zero: names the bytes the 8-byte alignment would add anyway, so that a record has no
    // padding of indeterminate value and a nonzero one is not the protocol.
    std::uint32_t reserved = 0;
};
static_assert(sizeof(Request) == 32, "a Request record has no padding");

// The channel, the exit-status pipe and, where there is no pidfd, the death pipe's read end.
inline constexpr int kMostReplyDescriptors = 3;

struct Reply {
    std::int32_t pid = 0;
    std::int32_t error = 0; // errno of a failed fork; no descriptors come with it
};

// A request as the server reads it off the socket: exactly one record's bytes.
using RequestRecord = unsigned char[sizeof(Request)];

// What the server does with one record. Anything but a Launch or a Discard from its own client
// means the stream is not the protocol (or lost its place): the server ends (EX_PROTOCOL).
enum class RequestVerdict { Launch, Discard, Malformed };

struct DecodedRequest {
    RequestVerdict verdict = RequestVerdict::Malformed;
    Request request; // as sent; meaningful unless Malformed
};

inline DecodedRequest decode_request(const RequestRecord& record) {
    DecodedRequest d;
    std::memcpy(&d.request, record, sizeof d.request);
    const Request& r = d.request;
    if (r.magic != kRequestMagic || r.measure_private_memory > 1 || r.reserved != 0)
        return d;
    if (r.kind == RequestKind::Launch)
        d.verdict = RequestVerdict::Launch;
    else if (r.kind == RequestKind::Discard && r.pid > 0) // never a process group, never -1
        d.verdict = RequestVerdict::Discard;
    return d;
}

// What one reply means to the client, from what recvmsg() returned (`received` bytes, or -1
// with `error_number`), the record, how many descriptors came with it, how many a worker comes
// with on this kernel (2, or 3 with the death pipe where there is no pidfd) and whether the
// kernel truncated them (MSG_CTRUNC).
enum class ReplyMeaning {
    ServerGone,         // EOF or a reset: the server ended
    Garbled,            // not one whole record: the stream lost its place
    NoDescriptorHere,   // a worker was forked but this process had no free descriptor for it
    ForkFailed,         // the server could not fork: `error` says why
    MissingDescriptors, // claims a worker without exactly the descriptors it comes with
    Worker,             // a worker with its channel and exit-status pipe (and death pipe)
};

inline ReplyMeaning interpret_reply(ssize_t received, int error_number, const Reply& reply,
                                    int descriptors, int expected_descriptors,
                                    bool control_truncated) {
    if (received == 0 || (received < 0 && error_number == ECONNRESET))
        return ReplyMeaning::ServerGone;
    if (received != ssize_t(sizeof reply))
        return ReplyMeaning::Garbled;
    if (control_truncated && reply.error == 0 && reply.pid > 0)
        return ReplyMeaning::NoDescriptorHere;
    if (reply.error != 0)
        return ReplyMeaning::ForkFailed;
    if (descriptors != expected_descriptors || reply.pid <= 0)
        return ReplyMeaning::MissingDescriptors;
    return ReplyMeaning::Worker;
}

// Reads exactly `size` bytes; false on EOF or an error first.
inline bool read_exact(int fd, void* data, std::size_t size) {
    auto* p = static_cast<char*>(data);
    while (size > 0) {
        const ssize_t n = ::read(fd, p, size);
        if (n > 0) {
            p += n;
            size -= std::size_t(n);
        } else if (n < 0 && errno == EINTR) {
            continue;
        } else {
            return false;
        }
    }
    return true;
}

} // namespace poolcore::forkserver
