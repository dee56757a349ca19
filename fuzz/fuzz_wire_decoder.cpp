// SPDX-License-Identifier: MIT
// The wire protocol's FrameDecoder under libFuzzer, built twice (fuzz/CMakeLists.txt): as the
// parent reads a worker (POOLSCOPE_FUZZ_READER=Parent) and as a worker reads the parent (Worker).
//
// An input is [mode][chunk seed][stream...]. The stream reaches the decoder in chunks whose sizes
// come from the seed, through feed() and prepare()/commit() alternately, with every message
// pulled after each chunk, and these properties are checked (a violation aborts, which libFuzzer
// reports as a crash):
//   - chunking changes nothing: the messages and the error are those of the whole stream fed at
//     once;
//   - round trip: each decoded message, encoded again, is exactly the bytes it was decoded from;
//     in structured mode (mode bit 0) the stream is frames encoded from messages the rest of the
//     input describes, and decoding gives back exactly those messages;
//   - the error sticks: once next() reports an error, every later next() reports the same one
//     and decodes nothing, whatever is fed after it (a valid frame included).
#include "protocol/wire_protocol.h"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fuzzer/FuzzedDataProvider.h>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace {

using namespace poolcore;
using namespace poolcore::wire;

constexpr Peer kReader = Peer::POOLSCOPE_FUZZ_READER;
// A limit small enough for the fuzzer to cross often, besides the default one.
constexpr std::size_t kSmallMaxFrame = 300;

[[noreturn]] void violated(const char* property, int line) {
    std::fprintf(stderr, "fuzz_wire_decoder: property violated (line %d): %s\n", line, property);
    std::abort();
}
#define REQUIRE(condition)                                                                         \
    do {                                                                                           \
        if (!(condition))                                                                          \
            violated(#condition, __LINE__);                                                        \
    } while (false)

std::string encode(const Message& message) {
    std::string out;
    if (const auto* m = std::get_if<JobMessage>(&message))
        append_job(out, m->job_id, m->task, m->argument, m->payload);
    else if (const auto* m = std::get_if<SoftLimitMessage>(&message))
        append_soft_limit(out, *m);
    else if (const auto* m = std::get_if<WorkerUpMessage>(&message))
        append_worker_up(out, *m);
    else if (const auto* m = std::get_if<AckMessage>(&message))
        append_ack(out, *m);
    else if (const auto* m = std::get_if<ReadyMessage>(&message))
        append_ready(out, m->job_id, m->outcome, m->rss_kib, m->private_kib, m->payload);
    return out;
}

bool same(const Message& a, const Message& b) {
    if (a.index() != b.index())
        return false;
    if (const auto* x = std::get_if<JobMessage>(&a)) {
        const auto& y = std::get<JobMessage>(b);
        return x->job_id == y.job_id && x->task == y.task && x->argument == y.argument &&
               x->payload == y.payload;
    }
    if (const auto* x = std::get_if<SoftLimitMessage>(&a))
        return x->job_tag == std::get<SoftLimitMessage>(b).job_tag;
    if (const auto* x = std::get_if<WorkerUpMessage>(&a)) {
        const auto& y = std::get<WorkerUpMessage>(b);
        return x->pid == y.pid && x->rss_kib == y.rss_kib;
    }
    if (const auto* x = std::get_if<AckMessage>(&a)) {
        const auto& y = std::get<AckMessage>(b);
        return x->job_id == y.job_id && x->accepted_ns == y.accepted_ns;
    }
    const auto& x = std::get<ReadyMessage>(a);
    const auto& y = std::get<ReadyMessage>(b);
    return x.job_id == y.job_id && x.outcome == y.outcome && x.rss_kib == y.rss_kib &&
           x.private_kib == y.private_kib && x.payload == y.payload;
}

struct Decoded {
    std::vector<Message> messages;
    std::string error; // empty: no error
};

// Pulls every message the decoder has; checks each against the bytes it came from.
void drain(FrameDecoder& decoder, std::string_view stream, std::size_t fed, Decoded& out) {
    for (;;) {
        const std::size_t consumed_before = fed - decoder.buffered();
        Message m;
        const auto status = decoder.next(m);
        if (status == FrameDecoder::Status::NeedMore) {
            REQUIRE(out.error.empty());
            REQUIRE(decoder.buffered() == fed - consumed_before);
            return;
        }
        if (status == FrameDecoder::Status::Error) {
            REQUIRE(!decoder.error().empty());
            if (!out.error.empty()) {
                REQUIRE(decoder.error() == out.error); // sticky: the same error, again
                return;
            }
            out.error = decoder.error();
            // Asked again at once: still the error, nothing decoded.
            Message again;
            REQUIRE(decoder.next(again) == FrameDecoder::Status::Error);
            REQUIRE(decoder.error() == out.error);
            return;
        }
        REQUIRE(out.error.empty()); // nothing decoded after an error
        const std::size_t consumed_after = fed - decoder.buffered();
        REQUIRE(consumed_after > consumed_before);
        // Round trip: the message, encoded again, is the frame it was decoded from.
        REQUIRE(encode(m) == stream.substr(consumed_before, consumed_after - consumed_before));
        out.messages.push_back(std::move(m));
    }
}

// max_chunk 0: the whole stream at once.
Decoded decode(std::string_view stream, std::size_t max_frame, std::uint32_t chunk_seed,
               std::size_t max_chunk) {
    FrameDecoder decoder(kReader, max_frame);
    Decoded out;
    std::minstd_rand chunks(chunk_seed ? chunk_seed : 1);
    std::size_t fed = 0;
    bool through_prepare = false;
    while (fed < stream.size()) {
        const std::size_t left = stream.size() - fed;
        const std::size_t n = max_chunk == 0 ? left : std::min(left, 1 + chunks() % max_chunk);
        if (through_prepare) {
            char* room = decoder.prepare(n);
            std::memcpy(room, stream.data() + fed, n);
            decoder.commit(n);
        } else {
            decoder.feed(stream.substr(fed, n));
        }
        through_prepare = !through_prepare;
        fed += n;
        drain(decoder, stream, fed, out);
    }
    drain(decoder, stream, fed, out);
    if (!out.error.empty()) {
        // Whatever comes after an error, a valid frame too, decodes nothing.
        std::string more;
        if (kReader == Peer::Worker)
            append_job(more, 1, "noop", "", "");
        else
            append_ack(more, AckMessage{1, 2});
        more += stream;
        decoder.feed(more);
        drain(decoder, more, fed + more.size(), out);
    } else {
        REQUIRE(decoder.has_partial_frame() == (decoder.buffered() > 0));
    }
    return out;
}

// A message of a type this reader accepts, described by the input.
Message make_message(FuzzedDataProvider& in, std::size_t max_frame) {
    const std::size_t room = max_frame - kPayloadFrameOverhead; // the variable parts' share
    if (kReader == Peer::Worker) {
        // One soft-limit frame in four: what the parent sends where there are no signals.
        if (in.ConsumeIntegralInRange(0, 3) == 0)
            return SoftLimitMessage{in.ConsumeIntegral<std::uint32_t>()};
        JobMessage m;
        m.job_id = in.ConsumeIntegral<std::uint64_t>();
        m.task = in.ConsumeRandomLengthString(std::min<std::size_t>(room / 3, 0xffff));
        m.argument = in.ConsumeRandomLengthString(room / 3);
        m.payload = in.ConsumeRandomLengthString(room / 3);
        return m;
    }
    switch (in.ConsumeIntegralInRange(0, 2)) {
    case 0:
        return WorkerUpMessage{in.ConsumeIntegral<std::int32_t>(),
                               in.ConsumeIntegral<std::uint64_t>()};
    case 1:
        return AckMessage{in.ConsumeIntegral<JobId>(), in.ConsumeIntegral<std::int64_t>()};
    default: {
        ReadyMessage m;
        m.job_id = in.ConsumeIntegral<JobId>();
        m.outcome = static_cast<Outcome>(in.ConsumeIntegralInRange(0, 2));
        m.rss_kib = in.ConsumeIntegral<std::uint64_t>();
        m.private_kib = in.ConsumeIntegral<std::uint64_t>();
        m.payload = in.ConsumeRandomLengthString(room);
        return m;
    }
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 2)
        return 0;
    const std::uint8_t mode = data[0];
    const std::uint8_t seed = data[1];
    const bool structured = mode & 1;
    const std::size_t max_frame = (mode & 2) ? kSmallMaxFrame : kDefaultMaxFrame;
    // Chunks of at most 1, 7, 64 or 4096 bytes.
    static constexpr std::size_t kMaxChunks[] = {1, 7, 64, 4096};
    const std::size_t max_chunk = kMaxChunks[(mode >> 2) & 3];
    const std::string_view rest(reinterpret_cast<const char*>(data) + 2, size - 2);

    std::string stream;
    std::vector<Message> sent;
    if (structured) {
        FuzzedDataProvider in(reinterpret_cast<const std::uint8_t*>(rest.data()), rest.size());
        // Above the small limit at times, so that a frame over it is refused as such.
        const std::size_t limit = kSmallMaxFrame * 4;
        while (in.remaining_bytes() > 0 && sent.size() < 64) {
            sent.push_back(make_message(in, limit));
            stream += encode(sent.back());
        }
    } else {
        stream = rest;
    }

    const Decoded whole = decode(stream, max_frame, seed, 0);
    const Decoded chunked = decode(stream, max_frame, seed, max_chunk);
    REQUIRE(whole.error == chunked.error);
    REQUIRE(whole.messages.size() == chunked.messages.size());
    for (std::size_t i = 0; i < whole.messages.size(); ++i)
        REQUIRE(same(whole.messages[i], chunked.messages[i]));

    if (structured) {
        const bool fits = std::all_of(sent.begin(), sent.end(), [&](const Message& m) {
            return encode(m).size() - 4 <= max_frame;
        });
        if (fits) { // every frame within the limit: all come back, and no error
            REQUIRE(chunked.error.empty());
            REQUIRE(chunked.messages.size() == sent.size());
            for (std::size_t i = 0; i < sent.size(); ++i)
                REQUIRE(same(chunked.messages[i], sent[i]));
        } else {
            REQUIRE(!chunked.error.empty());
        }
    }
    return 0;
}
