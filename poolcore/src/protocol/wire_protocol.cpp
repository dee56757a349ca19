// SPDX-License-Identifier: MIT
#include "protocol/wire_protocol.h"

#include "poolcore/enum_text.h"

#include <cstring>

namespace poolcore::wire {

namespace {

template <typename T> void put(std::string& out, T value) {
    char bytes[sizeof(T)];
    std::memcpy(bytes, &value, sizeof(T));
    out.append(bytes, sizeof(T));
}

void put_header(std::string& out, FrameType type, std::size_t body_size) {
    put<std::uint32_t>(out, static_cast<std::uint32_t>(body_size + 1));
    out.push_back(static_cast<char>(type));
}

// Reads fixed-size fields from a frame body, remembering whether any read ran past the end.
class BodyReader {
public:
    explicit BodyReader(std::string_view body) : rest_(body) {}
    template <typename T> T get() {
        T value{};
        if (rest_.size() < sizeof(T)) {
            truncated_ = true;
            return value;
        }
        std::memcpy(&value, rest_.data(), sizeof(T));
        rest_.remove_prefix(sizeof(T));
        return value;
    }
    std::string bytes(std::size_t n) {
        if (rest_.size() < n) {
            truncated_ = true;
            return {};
        }
        std::string s(rest_.substr(0, n));
        rest_.remove_prefix(n);
        return s;
    }
    std::string rest() {
        std::string s(rest_);
        rest_ = {};
        return s;
    }
    bool truncated() const { return truncated_; }
    bool exhausted() const { return rest_.empty(); }

private:
    std::string_view rest_;
    bool truncated_ = false;
};

constexpr EnumTable<FrameType, 5> kFrameTypeNames{{{FrameType::Job, "job"},
                                                   {FrameType::SoftLimit, "soft-limit"},
                                                   {FrameType::WorkerUp, "worker-up"},
                                                   {FrameType::Ack, "ack"},
                                                   {FrameType::Ready, "ready"}}};

std::string_view type_name(FrameType t) {
    return enum_text(kFrameTypeNames, t);
}

} // namespace

void append_job(std::string& out, JobId id, std::string_view task, std::string_view argument,
                std::string_view payload) {
    const std::size_t body = kJobFixedBytes - 1 + task.size() + argument.size() + payload.size();
    out.reserve(out.size() + kHeaderSize + body);
    put_header(out, FrameType::Job, body);
    put<std::uint64_t>(out, id);
    put<std::uint16_t>(out, static_cast<std::uint16_t>(task.size()));
    out.append(task);
    put<std::uint32_t>(out, static_cast<std::uint32_t>(argument.size()));
    out.append(argument);
    out.append(payload);
}

void append_soft_limit(std::string& out, const SoftLimitMessage& m) {
    put_header(out, FrameType::SoftLimit, 4);
    put<std::uint32_t>(out, m.job_tag);
}

void append_worker_up(std::string& out, const WorkerUpMessage& m) {
    put_header(out, FrameType::WorkerUp, 4 + 8);
    put<std::int32_t>(out, m.pid);
    put<std::uint64_t>(out, m.rss_kib);
}

void append_ack(std::string& out, const AckMessage& m) {
    put_header(out, FrameType::Ack, 8 + 8);
    put<std::uint64_t>(out, m.job_id);
    put<std::int64_t>(out, m.accepted_ns);
}

void append_ready(std::string& out, JobId id, Outcome outcome, std::uint64_t rss_kib,
                  std::uint64_t private_kib, std::string_view payload) {
    const std::size_t body = kReadyFixedBytes - 1 + payload.size();
    out.reserve(out.size() + kHeaderSize + body);
    put_header(out, FrameType::Ready, body);
    put<std::uint64_t>(out, id);
    put<std::uint8_t>(out, static_cast<std::uint8_t>(outcome));
    put<std::uint64_t>(out, rss_kib);
    put<std::uint64_t>(out, private_kib);
    out.append(payload);
}

FrameDecoder::FrameDecoder(Peer reader, std::size_t max_frame)
    : reader_(reader), max_frame_(max_frame), buf_(64 * 1024) {}

char* FrameDecoder::prepare(std::size_t at_least) {
    if (begin_ == end_) {
        begin_ = end_ = 0;
    } else if (begin_ > 0 && buf_.size() - end_ < at_least) {
        std::memmove(buf_.data(), buf_.data() + begin_, end_ - begin_);
        end_ -= begin_;
        begin_ = 0;
    }
    if (buf_.size() - end_ < at_least)
        buf_.resize(end_ + at_least);
    return buf_.data() + end_;
}

void FrameDecoder::commit(std::size_t n) {
    end_ += n;
}

void FrameDecoder::feed(std::string_view bytes) {
    std::memcpy(prepare(bytes.size()), bytes.data(), bytes.size());
    commit(bytes.size());
}

FrameDecoder::Status FrameDecoder::fail(std::string message) {
    error_ = std::move(message);
    return Status::Error;
}

FrameDecoder::Status FrameDecoder::next(Message& out) {
    if (!error_.empty())
        return Status::Error;
    const std::size_t available = end_ - begin_;
    if (available < 4)
        return Status::NeedMore;
    std::uint32_t length;
    std::memcpy(&length, buf_.data() + begin_, 4);
    if (length == 0)
        return fail("protocol error: empty frame");
    if (length > max_frame_)
        return fail("protocol error: frame of " + std::to_string(length) +
                    " bytes exceeds the limit of " + std::to_string(max_frame_));
    if (available < 4 + std::size_t(length))
        return Status::NeedMore;

    const auto type = static_cast<FrameType>(buf_[begin_ + 4]);
    std::string_view body(buf_.data() + begin_ + kHeaderSize, length - 1);
    begin_ += 4 + length;

    const bool from_worker = reader_ == Peer::Parent;
    BodyReader r(body);
    switch (type) {
    case FrameType::Job: {
        if (from_worker)
            return fail("protocol error: a worker sent a job frame");
        JobMessage m;
        m.job_id = r.get<std::uint64_t>();
        m.task = r.bytes(r.get<std::uint16_t>());
        m.argument = r.bytes(r.get<std::uint32_t>());
        m.payload = r.rest();
        out = std::move(m);
        break;
    }
    case FrameType::SoftLimit: {
        if (from_worker)
            return fail("protocol error: a worker sent a soft-limit frame");
        SoftLimitMessage m;
        m.job_tag = r.get<std::uint32_t>();
        if (!r.truncated() && !r.exhausted())
            return fail("protocol error: soft-limit frame has trailing bytes");
        out = m;
        break;
    }
    case FrameType::WorkerUp: {
        if (!from_worker)
            return fail("protocol error: the parent sent a worker-up frame");
        WorkerUpMessage m;
        m.pid = r.get<std::int32_t>();
        m.rss_kib = r.get<std::uint64_t>();
        if (!r.truncated() && !r.exhausted())
            return fail("protocol error: worker-up frame has trailing bytes");
        out = m;
        break;
    }
    case FrameType::Ack: {
        if (!from_worker)
            return fail("protocol error: the parent sent an ack frame");
        AckMessage m;
        m.job_id = r.get<std::uint64_t>();
        m.accepted_ns = r.get<std::int64_t>();
        if (!r.truncated() && !r.exhausted())
            return fail("protocol error: ack frame has trailing bytes");
        out = m;
        break;
    }
    case FrameType::Ready: {
        if (!from_worker)
            return fail("protocol error: the parent sent a ready frame");
        ReadyMessage m;
        m.job_id = r.get<std::uint64_t>();
        const auto outcome = r.get<std::uint8_t>();
        m.rss_kib = r.get<std::uint64_t>();
        m.private_kib = r.get<std::uint64_t>();
        m.payload = r.rest();
        if (outcome > static_cast<std::uint8_t>(Outcome::SoftTimeLimit))
            return fail("protocol error: ready frame with invalid outcome " +
                        std::to_string(outcome));
        m.outcome = static_cast<Outcome>(outcome);
        out = std::move(m);
        break;
    }
    default:
        return fail("protocol error: unknown frame type " +
                    std::to_string(static_cast<unsigned>(type)));
    }
    if (r.truncated())
        return fail("protocol error: truncated " + std::string(type_name(type)) + " frame");
    return Status::Message;
}

} // namespace poolcore::wire
