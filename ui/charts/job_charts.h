// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// The charts drawn from job records rather than from snapshots: latency per second, queue wait
// against run time, the latency distribution, and the load generator's offered rate against
// what it achieved. Each still advances with the sample tick (ChartView::addSample), reading
// what JobStats closed since the last one.

#include "ui/charts/chart_view.h"
#include "ui/monitor/counter_rate.h"

#include <array>
#include <limits>

class QCPGraph;

namespace poolscope {

class JobStats;
class LoadGenerator;

// A chart that reads JobStats; the window attaches it once.
class JobStatsChart {
public:
    virtual ~JobStatsChart() = default;
    virtual void attachJobStats(const JobStats* stats) = 0;
};

// p50, p90, p99 and max of the total latency (submission to outcome) of the jobs that finished
// in each second; a second without jobs has no point, so the lines break there.
class LatencyChart final : public ChartView, public JobStatsChart {
    Q_OBJECT
public:
    explicit LatencyChart(QWidget* parent = nullptr);
    void attachJobStats(const JobStats* stats) override { stats_ = stats; }

protected:
    void append(const Sample& s) override;
    void restyle(const ChartPalette& p) override;
    double minimumTop() const override { return 0.1; }

private:
    const JobStats* stats_ = nullptr;
    std::size_t shown_ = 0; // points of stats_ already drawn
    double last_second_ = std::numeric_limits<double>::quiet_NaN(); // none drawn yet
    PlotSeries *p50_, *p90_, *p99_, *max_;
};

// Where the time went, per second: waiting for a free worker (queue wait) against being written
// and run (run time), median and 99th percentile of each.
class QueueRunChart final : public ChartView, public JobStatsChart {
    Q_OBJECT
public:
    explicit QueueRunChart(QWidget* parent = nullptr);
    void attachJobStats(const JobStats* stats) override { stats_ = stats; }

protected:
    void append(const Sample& s) override;
    void restyle(const ChartPalette& p) override;
    double minimumTop() const override { return 0.1; }

private:
    const JobStats* stats_ = nullptr;
    std::size_t shown_ = 0;
    double last_second_ = std::numeric_limits<double>::quiet_NaN(); // none drawn yet
    PlotSeries *queue_p50_, *queue_p99_, *run_p50_, *run_p99_;
};

// The latency distribution of every job so far, one line per outcome, over log-scale buckets
// (four per power of two), above the number of jobs finished per second.
class LatencyHistogramChart final : public ChartView, public JobStatsChart {
    Q_OBJECT
public:
    explicit LatencyHistogramChart(QWidget* parent = nullptr);
    void attachJobStats(const JobStats* stats) override { stats_ = stats; }

    // What one outcome's line shows: (bucket's upper bound in ms, jobs) for non-empty buckets,
    // of the task shown.
    std::vector<std::pair<double, double>> distribution(poolcore::Outcome outcome) const;
    // Narrows the distribution to one task name; empty: every task. The context menu lists the
    // names seen so far.
    void setTask(const std::string& task);
    const std::string& task() const { return task_; }

protected:
    void append(const Sample& s) override;
    void restyle(const ChartPalette& p) override;
    bool extrasChanged() override;
    void addMenuActions(QMenu& menu) override;

private:
    void redrawDistribution();

    const JobStats* stats_ = nullptr;
    std::string task_;
    std::uint64_t drawn_jobs_ = 0;
    bool changed_ = false;
    QCPAxisRect* histogram_rect_;
    std::array<QCPGraph*, poolcore::kOutcomeCount> outcome_lines_{};
    PlotSeries* jobs_per_s_;
};

// The load generator's offered rate (what rate mode asks for) against the rate it achieved
// (jobs it submitted per second) and the pool's finished jobs per second.
class OfferedLoadChart final : public ChartView {
    Q_OBJECT
public:
    explicit OfferedLoadChart(QWidget* parent = nullptr);
    void attachLoadGenerator(const LoadGenerator* generator) { generator_ = generator; }

protected:
    void append(const Sample& s) override;
    void restyle(const ChartPalette& p) override;

private:
    const LoadGenerator* generator_ = nullptr;
    CounterRate submitted_rate_;
    PlotSeries *offered_, *achieved_, *finished_;
};

} // namespace poolscope
