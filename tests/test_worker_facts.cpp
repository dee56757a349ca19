// SPDX-License-Identifier: GPL-3.0-or-later
// What the stats snapshot says of each worker beyond its state: CPU use (from the system's own
// accounting), uptime, the restart generation it belongs to and how often its slot has been
// refilled; checked against real workers that spin, get killed and get restarted.

#include "pool_harness.h"
#include "pool_test_tasks.h"

using namespace harness;

namespace {

// Points into `s`: a temporary snapshot would leave it dangling (ASan caught one).
const poolcore::WorkerStats* inSlot(poolcore::StatsSnapshot&&, int) = delete;
const poolcore::WorkerStats* inSlot(const poolcore::StatsSnapshot& s, int slot) {
    for (const auto& w : s.workers)
        if (w.slot == slot)
            return &w;
    return nullptr;
}

} // namespace

class TestWorkerFacts : public QObject {
    Q_OBJECT

private slots:
    void aSpinningWorkerShowsItsCpuUse_data() { add_variant_rows(); }
    void aSpinningWorkerShowsItsCpuUse() {
        HARNESS_VARIANT();
        PoolUnderTest p(options(2), variant);
        QVERIFY(p.start());
        QVERIFY(p.wait_alive(2));
        const int job = p.submit("spin=3000");
        QVERIFY(p.wait_accepted(job));
        const pid_t spinner = p.accepted_pid(job);
        // The first sample only reads the counter; the reading after half a second has a rate.
        double busiest = -1, idle = -1;
        QVERIFY2(p.wait_for(
                     [&] {
                         for (const auto& w : p.pool.stats().workers) {
                             if (w.pid == spinner)
                                 busiest = std::max(busiest, w.cpu_percent);
                             else if (w.cpu_percent >= 0)
                                 idle = w.cpu_percent;
                         }
                         return busiest > 2 && idle >= 0;
                     },
                     10s),
                 qPrintable(QStringLiteral("spinner %1 %, idle %2 %, job: %3")
                                .arg(busiest)
                                .arg(idle)
                                .arg(QString::fromStdString(p.result(job).value))));
        // Generous: a machine shared with others may give the spinner only a few percent of a
        // core, but an idle worker sleeps in read() and gets next to none.
        QVERIFY2(idle < 2, qPrintable(QString::number(idle)));
        const poolcore::StatsSnapshot snapshot = p.pool.stats(); // inSlot points into it
        const auto* w = inSlot(snapshot, 0);
        QVERIFY(w);
        QVERIFY(w->cpu_seconds >= 0);
        QVERIFY(w->uptime_seconds > 0.4 && w->uptime_seconds < 60);
    }

    void replacementsAndGenerationsAreCountedPerSlot_data() { add_variant_rows(); }
    void replacementsAndGenerationsAreCountedPerSlot() {
        HARNESS_VARIANT();
        PoolUnderTest p(options(2), variant);
        QVERIFY(p.start());
        QVERIFY(p.wait_alive(2));
        auto s = p.pool.stats();
        for (const auto& w : s.workers) {
            QCOMPARE(w.slot_replacements, std::uint64_t(0));
            QCOMPARE(w.generation, std::uint64_t(0));
        }
        const pid_t first = inSlot(s, 0)->pid;
        QVERIFY(::kill(first, SIGKILL) == 0);
        QVERIFY(p.wait_for([&] {
            const auto now = p.pool.stats();
            const auto* w = inSlot(now, 0);
            return w && w->pid != first && w->state == poolcore::WorkerState::Idle;
        }));
        s = p.pool.stats();
        QCOMPARE(inSlot(s, 0)->slot_replacements, std::uint64_t(1));
        QCOMPARE(inSlot(s, 1)->slot_replacements, std::uint64_t(0));
        QVERIFY(inSlot(s, 0)->uptime_seconds < inSlot(s, 1)->uptime_seconds);

        p.pool.restart();
        QVERIFY(p.wait_for([&] {
            const auto now = p.pool.stats();
            if (now.restart_in_progress || now.workers.size() != 2)
                return false;
            for (const auto& w : now.workers)
                if (w.generation != 1 || w.state != poolcore::WorkerState::Idle)
                    return false;
            return true;
        }));
        s = p.pool.stats();
        QCOMPARE(inSlot(s, 0)->slot_replacements, std::uint64_t(2));
        QCOMPARE(inSlot(s, 1)->slot_replacements, std::uint64_t(1));
    }
};

POOLSCOPE_TEST_MAIN(TestWorkerFacts, QCoreApplication, register_test_tasks)
#include "test_worker_facts.moc"
