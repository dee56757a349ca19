// SPDX-License-Identifier: GPL-3.0-or-later
// Derived job data without widgets: the log-bucket latency histogram, per-second latency points
// and per-task aggregates.
#include "ui/monitor/job_stats.h"
#include "ui/monitor/latency_histogram.h"

#include <QtTest>
#include <random>

using namespace poolscope;
using namespace std::chrono_literals;
using poolcore::JobRecord;
using poolcore::Outcome;

namespace {

const JobRecord::Clock::time_point kEpoch{std::chrono::seconds(1000)};

// A job that waited `queue` and ran `run`, finished `at` after the epoch.
JobRecord job(std::string task, std::chrono::nanoseconds at, std::chrono::nanoseconds queue,
              std::chrono::nanoseconds run, Outcome outcome = Outcome::Success,
              std::string error = {}) {
    JobRecord r;
    r.task = std::move(task);
    r.outcome = outcome;
    r.error = std::move(error);
    r.finished = kEpoch + at;
    r.written = r.finished - run;
    r.accepted = r.written;
    r.submitted = r.written - queue;
    return r;
}

} // namespace

class JobStatsTest : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void bucketsCoverEveryValueWithinTheirPrecision() {
        for (std::uint64_t v : {0ull, 1ull, 63ull, 64ull, 65ull, 1000ull, 123456789ull,
                                (1ull << 62) + 12345ull, ~0ull}) {
            const int b = LatencyHistogram::bucketOf(v);
            QVERIFY(b >= 0 && b < LatencyHistogram::kBucketCount);
            QVERIFY(LatencyHistogram::bucketLower(b) <= v);
            QVERIFY(v <= LatencyHistogram::bucketUpper(b));
            const double width =
                double(LatencyHistogram::bucketUpper(b) - LatencyHistogram::bucketLower(b));
            QVERIFY(width <= double(v) / 32.0 + 1);
        }
        // Consecutive buckets tile the range without gaps.
        for (int b = 1; b < LatencyHistogram::kBucketCount; ++b)
            QCOMPARE(LatencyHistogram::bucketLower(b), LatencyHistogram::bucketUpper(b - 1) + 1);
    }

    void percentilesAreWithinThreePerCentOfTheExactOnes() {
        std::mt19937_64 random(42);
        std::lognormal_distribution<double> spread(13.0, 1.5); // ~0.4 ms median, long tail
        std::vector<std::int64_t> values;
        LatencyHistogram h;
        for (int i = 0; i < 100000; ++i) {
            values.push_back(std::int64_t(spread(random)));
            h.add(std::chrono::nanoseconds(values.back()));
        }
        std::sort(values.begin(), values.end());
        QCOMPARE(h.count(), std::uint64_t(values.size()));
        QCOMPARE(h.min().count(), values.front());
        QCOMPARE(h.max().count(), values.back());
        for (double p : {0.5, 0.9, 0.99, 0.999}) {
            const double exact = double(values[std::size_t(std::ceil(p * 100000)) - 1]);
            const double got = double(h.percentile(p).count());
            QVERIFY2(got >= exact && got <= exact * (1 + 1.0 / 32),
                     qPrintable(QString("p%1: %2 vs %3").arg(p).arg(got).arg(exact)));
        }
        LatencyHistogram other;
        other.add(1h);
        h.merge(other);
        QCOMPARE(h.max(), std::chrono::nanoseconds(1h));
        QCOMPARE(h.percentile(1.0), std::chrono::nanoseconds(1h));
        h.clear();
        QCOMPARE(h.count(), std::uint64_t(0));
        QCOMPARE(h.percentile(0.5).count(), 0);
        QCOMPARE(h.lastBucket(), -1);
    }

    void eachSecondHasThePercentilesOfItsOwnJobsAndAnEmptyOneNoPoint() {
        JobStats stats(kEpoch);
        std::vector<JobRecord> batch;
        for (int i = 1; i <= 100; ++i) // second 0: runs of 1..100 ms
            batch.push_back(job("a", 500ms, 1ms, std::chrono::milliseconds(i)));
        batch.push_back(job("a", 2500ms, 2ms, 7ms)); // second 2; second 1 has none
        stats.add(batch);
        QCOMPARE(stats.closeUntil(kEpoch + 1200ms), std::size_t(0)); // second 0 still open
        QCOMPARE(stats.closeUntil(kEpoch + 1600ms), std::size_t(1));
        QCOMPARE(stats.closeUntil(kEpoch + 3600ms), std::size_t(1)); // second 2; 1 has no point
        const auto& points = stats.points();
        QCOMPARE(points.size(), std::size_t(2));
        QCOMPARE(points[0].second, 0.0);
        QCOMPARE(points[0].jobs, std::uint64_t(100));
        QVERIFY(qAbs(points[0].run_time.p50_ms - 50) <= 50 / 32.0 + 0.01);
        QVERIFY(qAbs(points[0].run_time.p99_ms - 99) <= 99 / 32.0 + 0.01);
        QCOMPARE(points[0].run_time.max_ms, 100.0);
        QVERIFY(qAbs(points[0].queue_wait.p50_ms - 1) < 0.05);
        QVERIFY(qAbs(points[0].latency.max_ms - 101) < 0.01);
        QCOMPARE(points[1].second, 2.0);
        QCOMPARE(points[1].jobs, std::uint64_t(1));
        // Nothing finishes any more: no new points, however long the time goes on.
        QCOMPARE(stats.closeUntil(kEpoch + 60s), std::size_t(0));
        // A record for a closed second still counts, and says it came late.
        stats.add({job("a", 500ms, 1ms, 1ms)});
        QCOMPARE(stats.late(), std::uint64_t(1));
        QCOMPARE(stats.tasks().at("a").total, std::uint64_t(102));
    }

    void tasksCountEveryOutcomeAndKeepTheLastError() {
        JobStats stats(kEpoch);
        stats.add({job("resize", 100ms, 1ms, 10ms), job("resize", 200ms, 1ms, 20ms),
                   job("resize", 300ms, 3ms, 30ms, Outcome::TaskError, "first"),
                   job("resize", 900ms, 1ms, 2ms, Outcome::TimeLimit, "TimeLimitExceeded"),
                   job("mail", 400ms, 5ms, 1ms, Outcome::SoftTimeLimit, "soft")});
        stats.closeUntil(kEpoch + 1600ms);
        const TaskAggregate& resize = stats.tasks().at("resize");
        QCOMPARE(resize.total, std::uint64_t(4));
        QCOMPARE(resize.outcomes[std::size_t(Outcome::Success)], std::uint64_t(2));
        QCOMPARE(resize.outcomes[std::size_t(Outcome::TaskError)], std::uint64_t(1));
        QCOMPARE(resize.outcomes[std::size_t(Outcome::TimeLimit)], std::uint64_t(1));
        QCOMPARE(resize.last_error, std::string("TimeLimitExceeded"));
        QCOMPARE(resize.rate_per_s, 4.0 / JobStats::kRateSeconds);
        QCOMPARE(resize.run_time.max(), std::chrono::nanoseconds(30ms));
        const TaskAggregate& mail = stats.tasks().at("mail");
        QCOMPARE(mail.outcomes[std::size_t(Outcome::SoftTimeLimit)], std::uint64_t(1));
        QCOMPARE(mail.outcomes[std::size_t(Outcome::TimeLimit)], std::uint64_t(0));
        QCOMPARE(stats.latency("resize", Outcome::Success)->count(), std::uint64_t(2));
        QCOMPARE(stats.latency("", Outcome::SoftTimeLimit)->count(), std::uint64_t(1));
        QVERIFY(!stats.latency("mail", Outcome::Success));
        // The rate falls to zero once its seconds are past.
        stats.closeUntil(kEpoch + 30s);
        QCOMPARE(stats.tasks().at("resize").rate_per_s, 0.0);
        QCOMPARE(stats.jobs(), std::uint64_t(5));
    }

    void taskNamesBeyondTheBoundShareOneRow() {
        JobStats stats(kEpoch);
        std::vector<JobRecord> batch;
        for (std::size_t i = 0; i < JobStats::kMaxTasks + 50; ++i)
            batch.push_back(job("t" + std::to_string(i), 100ms, 1ms, 1ms));
        stats.add(batch);
        QCOMPARE(stats.tasks().size(), JobStats::kMaxTasks + 1);
        QCOMPARE(stats.tasks().at(JobStats::kOtherTasks).total, std::uint64_t(50));
        QCOMPARE(stats.jobs(), std::uint64_t(JobStats::kMaxTasks + 50));
    }
};

QTEST_GUILESS_MAIN(JobStatsTest)
#include "test_job_stats.moc"
