// SPDX-License-Identifier: MIT
// The forkserver's control protocol (poolcore/src/platform/posix/forkserver_protocol.h) under
// libFuzzer. An input is [reply part: 16 bytes][request stream...]:
//   - the request stream is cut into records as the server reads them (a short tail is the EOF
//     the server exits 0 on); each record decodes to exactly one verdict, which is Launch or
//     Discard only for what the client itself sends (the magic, a known kind, a 0/1 flag, a
//     positive pid to discard), and a Launch or Discard encoded again is the record it came from;
//   - the reply part gives what recvmsg() returned (byte count, errno, the record, descriptors
//     received, how many a worker comes with here (2, or 3 without pidfd), MSG_CTRUNC);
//     interpret_reply gives a Worker only for one whole record with a positive pid, no error and
//     exactly the descriptors expected, and otherwise exactly the meaning the client acts on.
#include "platform/posix/forkserver_protocol.h"

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace {

using namespace poolcore::forkserver;

[[noreturn]] void violated(const char* property, int line) {
    std::fprintf(stderr, "fuzz_forkserver_protocol: property violated (line %d): %s\n", line,
                 property);
    std::abort();
}
#define REQUIRE(condition)                                                                         \
    do {                                                                                           \
        if (!(condition))                                                                          \
            violated(#condition, __LINE__);                                                        \
    } while (false)

void check_request(const RequestRecord& record) {
    const DecodedRequest d = decode_request(record);
    const Request& r = d.request;
    const bool from_client =
        r.magic == kRequestMagic && r.measure_private_memory <= 1 && r.reserved == 0;
    switch (d.verdict) {
    case RequestVerdict::Launch:
        REQUIRE(from_client && r.kind == RequestKind::Launch);
        break;
    case RequestVerdict::Discard:
        REQUIRE(from_client && r.kind == RequestKind::Discard && r.pid > 0);
        break;
    case RequestVerdict::Malformed:
        REQUIRE(!from_client ||
                (r.kind != RequestKind::Launch && (r.kind != RequestKind::Discard || r.pid <= 0)));
        return;
    }
    // What the client sends, encoded again, is the record: nothing in it was ignored.
    Request again;
    again.kind = r.kind;
    again.max_frame = r.max_frame;
    again.measure_private_memory = r.measure_private_memory;
    again.pid = r.pid;
    again.slot = r.slot;
    REQUIRE(std::memcmp(&again, record, sizeof again) == 0);
}

void check_reply(const std::uint8_t* part) {
    std::int16_t received;
    std::memcpy(&received, part, 2);
    const int error_number = part[2] % 8 == 0 ? ECONNRESET : part[2];
    const int descriptors = part[3] % 4;
    const bool truncated = part[4] & 1;
    const int expected = part[5] & 1 ? 3 : 2;
    Reply reply;
    std::memcpy(&reply.pid, part + 8, 4);
    std::memcpy(&reply.error, part + 12, 4);
    const ssize_t n = received < -1 ? -1 : received;

    const ReplyMeaning meaning =
        interpret_reply(n, error_number, reply, descriptors, expected, truncated);
    const bool whole = n == ssize_t(sizeof reply);
    switch (meaning) {
    case ReplyMeaning::ServerGone:
        REQUIRE(n == 0 || (n < 0 && error_number == ECONNRESET));
        break;
    case ReplyMeaning::Garbled:
        REQUIRE(!whole && n != 0);
        break;
    case ReplyMeaning::NoDescriptorHere:
        REQUIRE(whole && truncated && reply.error == 0 && reply.pid > 0);
        break;
    case ReplyMeaning::ForkFailed:
        REQUIRE(whole && reply.error != 0);
        break;
    case ReplyMeaning::MissingDescriptors:
        REQUIRE(whole && reply.error == 0 && (descriptors != expected || reply.pid <= 0));
        break;
    case ReplyMeaning::Worker:
        REQUIRE(whole && !truncated && reply.error == 0 && reply.pid > 0 &&
                descriptors == expected);
        break;
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    constexpr std::size_t kReplyPart = 16;
    if (size < kReplyPart)
        return 0;
    check_reply(data);
    for (std::size_t at = kReplyPart; at + sizeof(RequestRecord) <= size;
         at += sizeof(RequestRecord)) {
        RequestRecord record;
        std::memcpy(record, data + at, sizeof record);
        check_request(record);
    }
    return 0;
}
