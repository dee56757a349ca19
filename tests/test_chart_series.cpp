// SPDX-License-Identifier: GPL-3.0-or-later
// The widget-free logic behind the live charts: bounded series, the rolling window the user can
// drag into the history, per-second rates from cumulative counters, and the sample history the
// File menu exports.

#include "ui/charts/time_series.h"
#include "ui/monitor/counter_rate.h"
#include "ui/monitor/sample_deriver.h"
#include "ui/monitor/stats_history.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QtTest>
#include <cmath>

using namespace poolscope;
using poolcore::Outcome;

class ChartSeriesTest : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void appendKeepsTimeOrderAndCapacity() {
        TimeSeries s(3);
        QVERIFY(s.empty());
        QCOMPARE(s.append(1.0, 10), std::size_t(0));
        QCOMPARE(s.append(2.0, 20), std::size_t(0));
        QCOMPARE(s.append(3.0, 30), std::size_t(0));
        QCOMPARE(s.append(4.0, 40), std::size_t(1)); // the oldest goes
        QCOMPARE(s.size(), std::size_t(3));
        QCOMPARE(s.first_time(), 2.0);
        QCOMPARE(s.last_value(), 40.0);
        // A clock that went backwards never draws backwards.
        s.append(3.5, 50);
        QCOMPARE(s.last_time(), 4.0);
        QCOMPARE(s.last_value(), 50.0);
    }

    void zeroCapacityIsRefused() { QVERIFY_THROWS_EXCEPTION(std::invalid_argument, TimeSeries(0)); }

    void trimDropsOnlyOlderSamples() {
        TimeSeries s(100);
        for (int t = 0; t < 10; ++t)
            s.append(t, t * 2);
        QCOMPARE(s.trim_before(4.0), std::size_t(4));
        QCOMPARE(s.first_time(), 4.0);
        QCOMPARE(s.trim_before(0.0), std::size_t(0));
        QCOMPARE(s.trim_before(100.0), std::size_t(6));
        QVERIFY(s.empty());
    }

    void windowIncludesTheSampleInForceAtItsLeftEdge() {
        TimeSeries s(100);
        for (int t = 0; t < 10; ++t)
            s.append(t, t);
        auto [first, last] = s.window(3.5, 6.0);
        QCOMPARE(first, std::size_t(3)); // t=3 is still in force at 3.5
        QCOMPARE(last, std::size_t(7));  // t=6 is inside, inclusive
        std::tie(first, last) = s.window(3.0, 3.0);
        QCOMPARE(first, std::size_t(3));
        QCOMPARE(last, std::size_t(4));
        std::tie(first, last) = s.window(20, 30); // after the newest: the newest still holds
        QCOMPARE(first, std::size_t(9));
        QCOMPARE(last, std::size_t(10));
        std::tie(first, last) = s.window(-5, -1); // before the oldest: nothing
        QCOMPARE(first, last);
        std::tie(first, last) = s.window(5, 4); // inverted
        QCOMPARE(first, last);
    }

    void valueRangeCoversTheVisibleSamples() {
        TimeSeries s(100);
        const double values[] = {5, 1, 9, 3, 7};
        for (int t = 0; t < 5; ++t)
            s.append(t, values[t]);
        auto r = s.value_range(1.0, 3.0);
        QVERIFY(r);
        QCOMPARE(r->lower, 1.0);
        QCOMPARE(r->upper, 9.0);
        r = s.value_range(3.0, 4.0);
        QCOMPARE(r->lower, 3.0);
        QCOMPARE(r->upper, 7.0);
        QVERIFY(!TimeSeries(4).value_range(0, 1));
    }

    void lastChangeTimeMarksTheEndOfMovement() {
        TimeSeries s(100);
        QVERIFY(std::isinf(s.last_change_time()));
        s.append(0, 4);
        s.append(1, 4);
        QVERIFY(std::isinf(s.last_change_time()));
        s.append(2, 5);
        s.append(3, 5);
        QCOMPARE(s.last_change_time(), 2.0);
        s.clear();
        QVERIFY(std::isinf(s.last_change_time()));
    }

    void rollingWindowGrowsThenScrolls() {
        RollingWindow w(60);
        QVERIFY(w.following());
        // Less history than the window: starts at the history, ends a window later.
        auto r = w.range(10, 0);
        QCOMPARE(r.lower, 0.0);
        QCOMPARE(r.upper, 60.0);
        // More: ends at now.
        r = w.range(100, 0);
        QCOMPARE(r.lower, 40.0);
        QCOMPARE(r.upper, 100.0);
    }

    void draggingIntoHistoryPinsTheViewUntilItReturns() {
        RollingWindow w(60, 1);
        auto r = w.user_moved({20, 50}, 100, 0);
        QVERIFY(!w.following());
        QCOMPARE(r.lower, 20.0);
        QCOMPARE(r.upper, 50.0);
        QCOMPARE(w.width(), 30.0);
        // Time goes on; the pinned view stays where the user put it.
        r = w.range(130, 0);
        QCOMPARE(r.lower, 20.0);
        QCOMPARE(r.upper, 50.0);
        // Dragging past the live edge clamps to it and follows again.
        r = w.user_moved({120, 150}, 130, 0);
        QVERIFY(w.following());
        QCOMPARE(r.upper, 130.0);
        QCOMPARE(r.lower, 100.0);
    }

    void viewIsClampedToTheHistoryAndAMinimumWidth() {
        RollingWindow w(60, 2);
        // Before the oldest sample kept: moved right to it, keeping the width.
        auto r = w.user_moved({-50, -20}, 200, 100);
        QCOMPARE(r.lower, 100.0);
        QCOMPARE(r.upper, 130.0);
        // Zoomed to less than the minimum width: widened.
        r = w.user_moved({150, 150.5}, 200, 100);
        QVERIFY(r.upper - r.lower >= 2.0 - 1e-9);
        w.set_width(0.1);
        QCOMPARE(w.width(), 2.0);
        w.follow();
        QVERIFY(w.following());
    }

    void counterRateAveragesOverItsSpan() {
        CounterRate rate(1.0);
        QCOMPARE(rate.add(0.0, 0), 0.0); // one sample says nothing
        QCOMPARE(rate.add(0.5, 50), 100.0);
        QCOMPARE(rate.add(1.0, 100), 100.0);
        // The counter jumps by 300 in the last half second: the rate over the last second.
        QCOMPARE(rate.add(1.5, 400), 350.0);
        QCOMPARE(rate.add(2.0, 400), 300.0);
    }

    void counterGoingDownRestartsTheRate() {
        CounterRate rate(1.0);
        rate.add(0, 1000);
        rate.add(1, 2000);
        QCOMPARE(rate.add(1.5, 0), 0.0); // a new pool counts from zero
        QCOMPARE(rate.add(2.0, 100), 200.0);
        rate.reset();
        QCOMPARE(rate.add(3.0, 5), 0.0);
    }

    void samplesDeriveGaugesAndRates() {
        SampleDeriver deriver;
        poolcore::StatsSnapshot snap;
        snap.state = poolcore::PoolState::Run;
        snap.target_processes = 4;
        snap.alive_processes = 3;
        snap.busy_processes = 2;
        snap.pending = 7;
        snap.in_flight = 2;
        snap.latency_p50_us = 1500;
        snap.latency_p99_us = 9000;
        poolcore::WorkerStats slotted;
        slotted.slot = 0;
        slotted.pid = 100;
        slotted.rss_kib = 2048;
        slotted.writes = 5;
        poolcore::WorkerStats retiring = slotted;
        retiring.slot = -1;
        retiring.pid = 101;
        snap.workers = {slotted, retiring};
        deriver.derive(0.0, snap);

        snap.outcomes[std::size_t(Outcome::Success)] = 100;
        snap.outcomes[std::size_t(Outcome::TaskError)] = 10;
        snap.outcomes[std::size_t(Outcome::Terminated)] = 5;
        snap.outcomes[std::size_t(Outcome::WorkerLost)] = 3;
        snap.outcomes[std::size_t(Outcome::TimeLimit)] = 2;
        snap.outcomes[std::size_t(Outcome::SoftTimeLimit)] = 2;
        snap.finished = 122;
        snap.total_writes = 130;
        const Sample s = deriver.derive(0.5, snap);
        QCOMPARE(s.alive, 3);
        QCOMPARE(s.target, 4);
        QCOMPARE(s.busy, 2);
        QCOMPARE(s.pending, 7.0);
        // One rate per outcome: nothing folded together (soft and hard limits apart).
        const auto rate = [&](Outcome o) { return s.outcome_per_s[std::size_t(o)]; };
        QCOMPARE(rate(Outcome::Success), 200.0);
        QCOMPARE(rate(Outcome::WorkerLost), 6.0);
        QCOMPARE(rate(Outcome::TimeLimit), 4.0);
        QCOMPARE(rate(Outcome::SoftTimeLimit), 4.0);
        QCOMPARE(rate(Outcome::TaskError) + rate(Outcome::Terminated), 30.0);
        QCOMPARE(s.finished_per_s, 244.0);
        QCOMPARE(s.writes_per_s, 260.0);
        // Only workers holding a slot are charted.
        QCOMPARE(s.workers.size(), std::size_t(1));
        QCOMPARE(s.workers[0].pid, pid_t(100));
        QCOMPARE(s.workers[0].rss_mib, 2.0);
    }

    void historyIsBoundedAndExports() {
        StatsHistory history(3);
        SampleDeriver deriver;
        poolcore::StatsSnapshot snap;
        snap.state = poolcore::PoolState::Run;
        snap.target_processes = 2;
        for (int i = 0; i < 5; ++i) {
            snap.outcomes[std::size_t(Outcome::Success)] = std::uint64_t(i * 10);
            history.append(deriver.derive(i, snap));
        }
        QCOMPARE(history.samples().size(), std::size_t(3));
        QCOMPARE(history.samples().front().time, 2.0);

        const QString csv = QString::fromStdString(history.to_csv());
        const QStringList lines = csv.split(u'\n', Qt::SkipEmptyParts);
        QCOMPARE(lines.size(), 4); // header + 3
        const QStringList header = lines[0].split(u',');
        QCOMPARE(header.first(), QStringLiteral("time_s"));
        // The one clock: each row's wall-clock time, from the history's origin.
        QCOMPARE(header.last(), QStringLiteral("wall_time"));
        QVERIFY(lines[1].endsWith(QLatin1String("1970-01-01T00:00:02.000Z")));
        for (const QString& line : lines.mid(1))
            QCOMPARE(line.split(u',').size(), header.size());

        poolcore::Info info;
        info.max_concurrency = 2;
        const auto doc =
            QJsonDocument::fromJson(QByteArray::fromStdString(history.to_json(snap, &info)));
        QVERIFY(doc.isObject());
        const QJsonObject root = doc.object();
        QVERIFY(root.contains(QStringLiteral("snapshot")));
        QCOMPARE(root[QStringLiteral("info")][QStringLiteral("max-concurrency")].toInt(), 2);
        QCOMPARE(root[QStringLiteral("history")].toArray().size(), 3);
        QCOMPARE(root[QStringLiteral("started_at")].toString(),
                 QStringLiteral("1970-01-01T00:00:00.000Z"));
        QCOMPARE(root[QStringLiteral("history")]
                     .toArray()[0]
                     .toObject()[QStringLiteral("wall_time")]
                     .toString(),
                 QStringLiteral("1970-01-01T00:00:02.000Z"));
        // Without a pool there is no info report, and the JSON still parses.
        const auto bare =
            QJsonDocument::fromJson(QByteArray::fromStdString(history.to_json(snap, nullptr)));
        QVERIFY(bare.isObject());
    }
};

QTEST_APPLESS_MAIN(ChartSeriesTest)
#include "test_chart_series.moc"
