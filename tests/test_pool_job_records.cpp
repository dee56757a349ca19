// SPDX-License-Identifier: GPL-3.0-or-later
// The job-record ring: each job's life as the pool saw it (where it ran, when each step
// happened, how it ended), taken in batches, bounded, and off at capacity 0.
#include "engine/job_record_ring.h"
#include "pool_harness.h"
#include "pool_test_tasks.h"

#include <atomic>
#include <thread>
#include <vector>

using namespace harness;
using namespace poolcore;
using namespace std::chrono_literals;

namespace {

JobRecord numbered(JobId id) {
    JobRecord r;
    r.id = id;
    r.task = "task-with-a-name-longer-than-sso-" + std::to_string(id);
    return r;
}

std::vector<JobId> ids_of(const std::vector<JobRecord>& records) {
    std::vector<JobId> ids;
    for (const auto& r : records)
        ids.push_back(r.id);
    return ids;
}

// Takes until `n` records came (BlockingPool records on its thread, after the callbacks).
std::vector<JobRecord> collect(PoolUnderTest& p, std::size_t n, std::uint64_t* dropped = nullptr) {
    std::vector<JobRecord> all;
    p.wait_for(
        [&] {
            std::vector<JobRecord> batch;
            const std::uint64_t d = p.pool.take_job_records(batch);
            if (dropped)
                *dropped += d;
            all.insert(all.end(), batch.begin(), batch.end());
            return all.size() >= n;
        },
        20s);
    return all;
}

const JobRecord* find(const std::vector<JobRecord>& records, const std::string& argument) {
    for (const auto& r : records)
        if (r.argument == argument)
            return &r;
    return nullptr;
}

} // namespace

class TestPoolJobRecords : public QObject {
    Q_OBJECT

private slots:
    void ringKeepsTheMostRecentInOrderAndCountsWhatItDropped() {
        JobRecordRing ring(3);
        for (JobId id = 1; id <= 5; ++id)
            ring.add([&](JobRecord& r) { r = numbered(id); });
        std::vector<JobRecord> out;
        QCOMPARE(ring.take(out), std::uint64_t(2));
        QCOMPARE(ids_of(out), (std::vector<JobId>{3, 4, 5}));
        QCOMPARE(out.back().task, std::string("task-with-a-name-longer-than-sso-5"));
        // Nothing new: nothing taken, nothing dropped.
        QCOMPARE(ring.take(out), std::uint64_t(0));
        QCOMPARE(out.size(), std::size_t(3));
        // Appended after what `out` held, and the drop count starts again from zero.
        ring.add([&](JobRecord& r) { r = numbered(6); });
        QCOMPARE(ring.take(out), std::uint64_t(0));
        QCOMPARE(ids_of(out), (std::vector<JobId>{3, 4, 5, 6}));
        for (JobId id = 7; id <= 14; ++id)
            ring.add([&](JobRecord& r) { r = numbered(id); });
        std::vector<JobRecord> next;
        QCOMPARE(ring.take(next), std::uint64_t(5));
        QCOMPARE(ids_of(next), (std::vector<JobId>{12, 13, 14}));
    }

    // One thread adds while another takes: every record is taken once or counted as dropped,
    // and each batch is in order.
    void ringTakesSafelyWhileAnotherThreadAdds() {
        JobRecordRing ring(1000);
        constexpr JobId kJobs = 200000;
        std::atomic<bool> done{false};
        std::thread adder([&] {
            for (JobId id = 1; id <= kJobs; ++id)
                ring.add([&](JobRecord& r) { r.id = id; });
            done = true;
        });
        std::uint64_t taken = 0, dropped = 0;
        JobId last = 0;
        bool ordered = true;
        for (bool finished = false; !finished;) {
            finished = done.load();
            std::vector<JobRecord> batch;
            dropped += ring.take(batch);
            for (const auto& r : batch) {
                ordered = ordered && r.id > last;
                last = r.id;
            }
            taken += batch.size();
        }
        adder.join();
        QVERIFY(ordered);
        QCOMPARE(taken + dropped, std::uint64_t(kJobs));
        QCOMPARE(last, kJobs);
    }

    void capacityIsRefusedBeyondItsBound() {
        PoolOptions o;
        o.job_record_capacity = kMaxJobRecordCapacity + 1;
        const auto problems = o.problems();
        QCOMPARE(problems.size(), std::size_t(1));
        QCOMPARE(problems.front().field, std::string("job_record_capacity"));
        o.job_record_capacity = 0;
        QVERIFY(o.problems().empty());
    }

    void eachJobsLifeIsRecorded_data() { add_variant_rows(); }
    void eachJobsLifeIsRecorded() {
        HARNESS_VARIANT();
        auto o = options(2);
        PoolUnderTest p(o, variant);
        QVERIFY(p.start());
        const auto before_submit = JobRecord::Clock::now();
        const int ok = p.submit(TaskCall{.task = "sleep", .argument = "30", .payload = "12345"});
        const int failed = p.submit("fail=boom");
        for (int i = 0; i < 10; ++i)
            p.submit("noop=" + std::to_string(i));
        QVERIFY(p.wait_results(12));
        const auto records = collect(p, 12);
        QCOMPARE(records.size(), std::size_t(12));
        const auto pids = p.pids();
        for (const JobRecord& r : records) {
            QVERIFY2(before_submit <= r.submitted, r.argument.c_str());
            QVERIFY(r.submitted <= r.written);
            QVERIFY(r.written <= r.accepted);
            QVERIFY(r.accepted <= r.finished);
            QCOMPARE(r.latency(), r.queue_wait() + r.run_time());
            QVERIFY(r.slot == 0 || r.slot == 1);
            QVERIFY(pids.count(r.pid));
            QCOMPARE(r.generation, std::uint32_t(0));
        }
        const JobRecord* sleep = find(records, "30");
        QVERIFY(sleep);
        QCOMPARE(sleep->task, std::string("sleep"));
        QCOMPARE(sleep->payload_bytes, std::uint64_t(5));
        QCOMPARE(sleep->outcome, Outcome::Success);
        QVERIFY(sleep->error.empty());
        QCOMPARE(sleep->pid, p.result(ok).pid);
        QVERIFY(sleep->run_time() >= 30ms);
        const JobRecord* fail = find(records, "boom");
        QVERIFY(fail);
        QCOMPARE(fail->outcome, Outcome::TaskError);
        QCOMPARE(fail->error, p.result(failed).value);
        QVERIFY(fail->error.find("boom") != std::string::npos);
        // Taken once: the next take has nothing.
        std::vector<JobRecord> again;
        QCOMPARE(p.pool.take_job_records(again), std::uint64_t(0));
        QVERIFY(again.empty());
    }

    // A slot's second worker is its generation 1; the job lost with the first says so.
    void aReplacementIsTheSlotsNextGeneration_data() { add_pool_kind_rows(); }
    void aReplacementIsTheSlotsNextGeneration() {
        QFETCH(bool, threads);
        auto o = options(1);
        PoolUnderTest p(o, PoolVariant{"", threads, StartMethod::Fork});
        QVERIFY(p.start());
        const int lost = p.submit("crash=SIGKILL");
        QVERIFY(p.wait_results(1));
        const int after = p.submit("noop=after");
        QVERIFY(p.wait_results(2));
        const auto records = collect(p, 2);
        QCOMPARE(records.size(), std::size_t(2));
        const JobRecord* crash = find(records, "SIGKILL");
        const JobRecord* next = find(records, "after");
        QVERIFY(crash && next);
        QCOMPARE(crash->outcome, Outcome::WorkerLost);
        QCOMPARE(crash->error, p.result(lost).value);
        QCOMPARE(crash->slot, 0);
        QCOMPARE(crash->generation, std::uint32_t(0));
        QCOMPARE(next->slot, 0);
        QCOMPARE(next->generation, std::uint32_t(1));
        QCOMPARE(next->pid, p.result(after).pid);
        QVERIFY(next->pid != crash->pid);
    }

    // Jobs a terminate ended before any worker took them ran nowhere: no slot, no pid, only
    // their submission and their end.
    void aJobEndedBeforeItRanHasOnlyItsEnds() {
        auto o = options(1);
        PoolUnderTest p(o, PoolVariant{"", false, StartMethod::Fork});
        QVERIFY(p.start());
        p.submit("sleep=5000");
        const int waiting = p.submit("noop=waiting");
        QVERIFY(p.wait_accepted(0));
        p.pool.on_terminate();
        QVERIFY(p.wait_results(2));
        const auto records = collect(p, 2);
        const JobRecord* r = find(records, "waiting");
        QVERIFY(r);
        QCOMPARE(r->outcome, Outcome::Terminated);
        QCOMPARE(r->error, p.result(waiting).value);
        QCOMPARE(r->slot, -1);
        QCOMPARE(r->pid, pid_t(0));
        QCOMPARE(r->written, JobRecord::Clock::time_point{});
        QCOMPARE(r->accepted, JobRecord::Clock::time_point{});
        QVERIFY(r->submitted <= r->finished);
        QCOMPARE(r->queue_wait(), r->latency());
        QCOMPARE(r->run_time(), std::chrono::nanoseconds{0});
    }

    void aFullRingCountsWhatItDropped_data() { add_pool_kind_rows(); }
    void aFullRingCountsWhatItDropped() {
        QFETCH(bool, threads);
        auto o = options(2);
        o.job_record_capacity = 5;
        PoolUnderTest p(o, PoolVariant{"", threads, StartMethod::Fork});
        QVERIFY(p.start());
        for (int i = 0; i < 12; ++i)
            p.submit("noop=" + std::to_string(i));
        QVERIFY(p.wait_results(12));
        std::uint64_t dropped = 0;
        // The last record lands just after the last callback on BlockingPool's thread.
        std::vector<JobRecord> records;
        QVERIFY(p.wait_for(
            [&] {
                std::vector<JobRecord> batch;
                dropped += p.pool.take_job_records(batch);
                records.insert(records.end(), batch.begin(), batch.end());
                return records.size() + dropped == 12;
            },
            10s));
        QCOMPARE(records.size(), std::size_t(5));
        QCOMPARE(dropped, std::uint64_t(7));
    }

    void capacityZeroRecordsNothing_data() { add_pool_kind_rows(); }
    void capacityZeroRecordsNothing() {
        QFETCH(bool, threads);
        auto o = options(1);
        o.job_record_capacity = 0;
        PoolUnderTest p(o, PoolVariant{"", threads, StartMethod::Fork});
        QVERIFY(p.start());
        for (int i = 0; i < 5; ++i)
            p.submit("noop");
        QVERIFY(p.wait_results(5));
        std::vector<JobRecord> records;
        QCOMPARE(p.pool.take_job_records(records), std::uint64_t(0));
        QVERIFY(records.empty());
    }
};

POOLSCOPE_TEST_MAIN(TestPoolJobRecords, QCoreApplication, register_test_tasks)
#include "test_pool_job_records.moc"
