// SPDX-License-Identifier: GPL-3.0-or-later
#include "protocol/wire_protocol.h"

#include <QTest>
#include <cstring>

using namespace poolcore;
using namespace poolcore::wire;

class TestWireProtocol : public QObject {
    Q_OBJECT

    static std::string raw_frame(std::uint32_t length, std::uint8_t type, std::string body) {
        std::string s(4, '\0');
        std::memcpy(s.data(), &length, 4);
        s.push_back(char(type));
        return s + body;
    }

private slots:
    void roundTripsEveryWorkerMessage() {
        std::string bytes;
        append_worker_up(bytes, {1234, 5678});
        append_ack(bytes, {42, 99});
        append_ready(bytes, 42, Outcome::TaskError, 100, 50, "boom");
        FrameDecoder d(Peer::Parent);
        d.feed(bytes);
        Message m;
        QCOMPARE(d.next(m), FrameDecoder::Status::Message);
        QCOMPARE(std::get<WorkerUpMessage>(m).pid, 1234);
        QCOMPARE(std::get<WorkerUpMessage>(m).rss_kib, 5678u);
        QCOMPARE(d.next(m), FrameDecoder::Status::Message);
        QCOMPARE(std::get<AckMessage>(m).job_id, 42u);
        QCOMPARE(d.next(m), FrameDecoder::Status::Message);
        const auto& r = std::get<ReadyMessage>(m);
        QCOMPARE(r.job_id, 42u);
        QCOMPARE(r.outcome, Outcome::TaskError);
        QCOMPARE(r.rss_kib, 100u);
        QCOMPARE(r.private_kib, 50u);
        QCOMPARE(r.payload, std::string("boom"));
        QCOMPARE(d.next(m), FrameDecoder::Status::NeedMore);
    }

    void roundTripsAJobByteByByte() {
        std::string bytes;
        const std::string payload(3000, 'p');
        append_job(bytes, 7, "echo", "arg", payload);
        FrameDecoder d(Peer::Worker);
        Message m;
        for (std::size_t i = 0; i + 1 < bytes.size(); ++i) {
            d.feed(bytes.substr(i, 1));
            QCOMPARE(d.next(m), FrameDecoder::Status::NeedMore);
        }
        d.feed(bytes.substr(bytes.size() - 1));
        QCOMPARE(d.next(m), FrameDecoder::Status::Message);
        const auto& j = std::get<JobMessage>(m);
        QCOMPARE(j.job_id, 7u);
        QCOMPARE(j.task, std::string("echo"));
        QCOMPARE(j.argument, std::string("arg"));
        QCOMPARE(j.payload, payload);
    }

    // A partial frame left behind a decoded one moves to the buffer's start when what comes
    // next does not fit after it (the fuzzers' inputs are too short to get here).
    void aPartialFrameMovesToMakeRoomForTheRest() {
        std::string first, second;
        append_ack(first, {1, 2});
        const std::string payload(100 * 1024, 'r');
        append_ready(second, 3, Outcome::Success, 10, 20, payload);
        FrameDecoder d(Peer::Parent);
        const std::size_t head = 60 * 1024; // of the second frame: near the 64 KiB buffer's end
        d.feed(first + second.substr(0, head));
        Message m;
        QCOMPARE(d.next(m), FrameDecoder::Status::Message);
        QCOMPARE(std::get<AckMessage>(m).job_id, 1u);
        QCOMPARE(d.next(m), FrameDecoder::Status::NeedMore);
        QCOMPARE(d.buffered(), head);
        d.feed(second.substr(head));
        QCOMPARE(d.next(m), FrameDecoder::Status::Message);
        const auto& r = std::get<ReadyMessage>(m);
        QCOMPARE(r.job_id, 3u);
        QCOMPARE(r.private_kib, 20u);
        QVERIFY(r.payload == payload);
        QCOMPARE(d.buffered(), std::size_t(0));
        QCOMPARE(d.next(m), FrameDecoder::Status::NeedMore);
    }

    void rejectsUnknownType() {
        FrameDecoder d(Peer::Parent);
        d.feed(raw_frame(1, 0x7f, ""));
        Message m;
        QCOMPARE(d.next(m), FrameDecoder::Status::Error);
        QVERIFY(d.error().find("unknown frame type 127") != std::string::npos);
        // The error sticks: the stream cannot be resynchronised.
        std::string good;
        append_ack(good, {1, 1});
        d.feed(good);
        QCOMPARE(d.next(m), FrameDecoder::Status::Error);
    }

    void rejectsOversizedFrameBeforeBufferingIt() {
        FrameDecoder d(Peer::Parent, 1024);
        d.feed(raw_frame(0xFFFFFFF0u, std::uint8_t(FrameType::Ready), ""));
        Message m;
        QCOMPARE(d.next(m), FrameDecoder::Status::Error);
        QVERIFY(d.error().find("exceeds the limit") != std::string::npos);
    }

    void rejectsTruncatedBodies() {
        FrameDecoder d(Peer::Parent);
        d.feed(raw_frame(1 + 3, std::uint8_t(FrameType::Ack), "abc"));
        Message m;
        QCOMPARE(d.next(m), FrameDecoder::Status::Error);
        QVERIFY(d.error().find("truncated ack") != std::string::npos);
    }

    void rejectsTrailingBytesAndEmptyFrames() {
        std::string up;
        append_worker_up(up, {1, 2});
        std::string body = up.substr(5) + "x";
        FrameDecoder d(Peer::Parent);
        d.feed(raw_frame(std::uint32_t(body.size() + 1), std::uint8_t(FrameType::WorkerUp), body));
        Message m;
        QCOMPARE(d.next(m), FrameDecoder::Status::Error);

        FrameDecoder e(Peer::Parent);
        e.feed(raw_frame(0, 0, ""));
        QCOMPARE(e.next(m), FrameDecoder::Status::Error);
    }

    void rejectsFramesFromTheWrongPeer() {
        std::string job;
        append_job(job, 1, "noop", "", "");
        FrameDecoder parent(Peer::Parent);
        parent.feed(job);
        Message m;
        QCOMPARE(parent.next(m), FrameDecoder::Status::Error);

        std::string ack;
        append_ack(ack, {1, 1});
        FrameDecoder worker(Peer::Worker);
        worker.feed(ack);
        QCOMPARE(worker.next(m), FrameDecoder::Status::Error);
    }

    void rejectsOutcomesOnlyTheParentMayGive() {
        std::string ready;
        append_ready(ready, 1, Outcome::WorkerLost, 0, 0, "");
        FrameDecoder d(Peer::Parent);
        d.feed(ready);
        Message m;
        QCOMPARE(d.next(m), FrameDecoder::Status::Error);
        QVERIFY(d.error().find("invalid outcome") != std::string::npos);
    }
};

QTEST_APPLESS_MAIN(TestWireProtocol)
#include "test_wire_protocol.moc"
