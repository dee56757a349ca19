// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/charts/job_charts.h"

#include "ui/monitor/job_stats.h"
#include "ui/sources/load_generator.h"

#include <QMenu>
#include <cmath>
#include <limits>
#include <qcustomplot.h>

namespace poolscope {

namespace {

constexpr double kGap = std::numeric_limits<double>::quiet_NaN();

QPen linePen(const QColor& c, qreal width = 1.6, Qt::PenStyle style = Qt::SolidLine) {
    QPen pen(c, width, style);
    pen.setCapStyle(Qt::FlatCap);
    return pen;
}

QColor mix(const QColor& a, const QColor& b) {
    return QColor((a.red() + b.red()) / 2, (a.green() + b.green()) / 2, (a.blue() + b.blue()) / 2);
}

// Appends the points of `stats` not drawn yet, each at the middle of its second, and a gap
// (NaN, which QCustomPlot leaves undrawn) before a point whose second does not follow the last.
template <typename Draw>
void appendPoints(const JobStats* stats, std::size_t& shown, double& last_second, Draw draw) {
    if (!stats)
        return;
    const auto& points = stats->points();
    if (shown > points.size()) // cleared
        shown = 0;
    // points is bounded: when it dropped its oldest, `shown` counts from its present start.
    for (std::size_t i = shown; i < points.size(); ++i) {
        const LatencyPoint& p = points[i];
        if (!std::isnan(last_second) && p.second > last_second + 1.5)
            draw(last_second + 1.0, nullptr);
        draw(p.second + 0.5, &p);
        last_second = p.second;
    }
    shown = points.size();
}

} // namespace

LatencyChart::LatencyChart(QWidget* parent) : ChartView(tr("Latency per Second"), parent) {
    p50_ = addSeries(tr("p50"));
    p90_ = addSeries(tr("p90"));
    p99_ = addSeries(tr("p99"));
    max_ = addSeries(tr("max"));
    // Short enough for the plot's height at 1366x768 (the longer "ms, submission to outcome" was
    // cut off); what it measures is in the README and the Jobs tab.
    valueAxis()->setLabel(tr("latency, ms"));
    applyPalette();
}

void LatencyChart::append(const Sample&) {
    appendPoints(stats_, shown_, last_second_, [this](double t, const LatencyPoint* p) {
        p50_->append(t, p ? p->latency.p50_ms : kGap);
        p90_->append(t, p ? p->latency.p90_ms : kGap);
        p99_->append(t, p ? p->latency.p99_ms : kGap);
        max_->append(t, p ? p->latency.max_ms : kGap);
    });
}

void LatencyChart::restyle(const ChartPalette& p) {
    p50_->graph()->setPen(linePen(p.p50, 2.0));
    p90_->graph()->setPen(linePen(mix(p.p50, p.p99), 1.4));
    p99_->graph()->setPen(linePen(p.p99, 1.6));
    max_->graph()->setPen(linePen(p.muted, 1.0, Qt::DashLine));
}

QueueRunChart::QueueRunChart(QWidget* parent) : ChartView(tr("Queue Wait vs Run Time"), parent) {
    queue_p50_ = addSeries(tr("queue wait p50"));
    queue_p99_ = addSeries(tr("queue wait p99"));
    run_p50_ = addSeries(tr("run time p50"));
    run_p99_ = addSeries(tr("run time p99"));
    valueAxis()->setLabel(tr("ms"));
    applyPalette();
}

void QueueRunChart::append(const Sample&) {
    appendPoints(stats_, shown_, last_second_, [this](double t, const LatencyPoint* p) {
        queue_p50_->append(t, p ? p->queue_wait.p50_ms : kGap);
        queue_p99_->append(t, p ? p->queue_wait.p99_ms : kGap);
        run_p50_->append(t, p ? p->run_time.p50_ms : kGap);
        run_p99_->append(t, p ? p->run_time.p99_ms : kGap);
    });
}

void QueueRunChart::restyle(const ChartPalette& p) {
    queue_p50_->graph()->setPen(linePen(p.pending, 2.0));
    queue_p99_->graph()->setPen(linePen(p.pending, 1.2, Qt::DashLine));
    run_p50_->graph()->setPen(linePen(p.in_flight, 2.0));
    run_p99_->graph()->setPen(linePen(p.in_flight, 1.2, Qt::DashLine));
}

LatencyHistogramChart::LatencyHistogramChart(QWidget* parent)
    : ChartView(tr("Latency Distribution"), parent) {
    histogram_rect_ = new QCPAxisRect(plot());
    setMinimumHeight(kMinimumHeightTwoPlots);
    plot()->plotLayout()->insertRow(2); // rows: heading, legend, histogram, time chart
    plot()->plotLayout()->addElement(2, 0, histogram_rect_);
    histogram_rect_->setRangeDrag(Qt::Orientations());
    histogram_rect_->setRangeZoom(Qt::Orientations());
    auto* margins = new QCPMarginGroup(plot());
    histogram_rect_->setMarginGroup(QCP::msLeft | QCP::msRight, margins);
    timeRect()->setMarginGroup(QCP::msLeft | QCP::msRight, margins);
    QCPAxis* ms_axis = histogram_rect_->axis(QCPAxis::atBottom);
    ms_axis->setScaleType(QCPAxis::stLogarithmic);
    ms_axis->setTicker(QSharedPointer<QCPAxisTickerLog>::create());
    ms_axis->setLabel(tr("latency, ms (log scale)"));
    histogram_rect_->axis(QCPAxis::atLeft)->setLabel(tr("jobs"));
    groupThousands(histogram_rect_->axis(QCPAxis::atLeft));
    for (int o = 0; o < poolcore::kOutcomeCount; ++o) {
        QCPGraph* g = plot()->addGraph(ms_axis, histogram_rect_->axis(QCPAxis::atLeft));
        g->setName(QString::fromLatin1(poolcore::to_string(poolcore::Outcome(o)).data()));
        g->setLineStyle(QCPGraph::lsStepCenter);
        g->removeFromLegend();
        outcome_lines_[std::size_t(o)] = g;
    }
    jobs_per_s_ = addSeries(tr("jobs finished / s"));
    valueAxis()->setLabel(tr("jobs / s"));
    plot()->plotLayout()->setRowStretchFactor(2, 1.4);
    plot()->plotLayout()->setRowStretchFactor(3, 0.6);
    applyPalette();
}

std::vector<std::pair<double, double>>
LatencyHistogramChart::distribution(poolcore::Outcome outcome) const {
    std::vector<std::pair<double, double>> out;
    const LatencyHistogram* h = stats_ ? stats_->latency(task_, outcome) : nullptr;
    if (!h || !h->count())
        return out;
    // Four display buckets per power of two: eight of the histogram's 32 each.
    constexpr int kGroup = LatencyHistogram::kSubBuckets / 4;
    const int last = h->lastBucket();
    for (int first = 0; first <= last; first += kGroup) {
        std::uint64_t n = 0;
        const int end = std::min(first + kGroup, LatencyHistogram::kBucketCount);
        for (int b = first; b < end; ++b)
            n += h->bucketCount(b);
        if (n)
            out.emplace_back(double(LatencyHistogram::bucketUpper(end - 1)) / 1e6, double(n));
    }
    return out;
}

void LatencyHistogramChart::setTask(const std::string& task) {
    task_ = task;
    setTitleDetail(QString::fromStdString(task));
    redrawDistribution();
}

void LatencyHistogramChart::addMenuActions(QMenu& menu) {
    QMenu* tasks = menu.addMenu(tr("Task"));
    QAction* all = tasks->addAction(tr("All tasks"), this, [this] { setTask({}); });
    all->setCheckable(true);
    all->setChecked(task_.empty());
    if (!stats_)
        return;
    tasks->addSeparator();
    for (const auto& [name, aggregate] : stats_->tasks()) {
        QAction* a = tasks->addAction(QString::fromStdString(name), this,
                                      [this, name = name] { setTask(name); });
        a->setCheckable(true);
        a->setChecked(name == task_);
    }
}

void LatencyHistogramChart::append(const Sample& s) {
    jobs_per_s_->append(s.time, s.finished_per_s);
    if (!stats_ || stats_->jobs() == drawn_jobs_)
        return;
    drawn_jobs_ = stats_->jobs();
    redrawDistribution();
}

void LatencyHistogramChart::redrawDistribution() {
    changed_ = true;
    double lo = 1e300, hi = 0, top = 1;
    for (int o = 0; o < poolcore::kOutcomeCount; ++o) {
        QVector<double> keys, values;
        for (const auto& [ms, n] : distribution(poolcore::Outcome(o))) {
            keys << ms;
            values << n;
            lo = std::min(lo, ms);
            hi = std::max(hi, ms);
            top = std::max(top, n);
        }
        QCPGraph* g = outcome_lines_[std::size_t(o)];
        g->setData(keys, values, true);
        if (keys.isEmpty())
            g->removeFromLegend();
        else
            g->addToLegend();
    }
    if (hi > 0) {
        histogram_rect_->axis(QCPAxis::atBottom)->setRange(std::max(lo / 2, 1e-6), hi * 2);
        histogram_rect_->axis(QCPAxis::atLeft)->setRange(0, top * 1.15);
    }
}

bool LatencyHistogramChart::extrasChanged() {
    return std::exchange(changed_, false);
}

void LatencyHistogramChart::restyle(const ChartPalette& p) {
    using poolcore::Outcome;
    const std::array<QColor, poolcore::kOutcomeCount> colours{
        p.succeeded, p.failed, mix(p.timed_out, p.succeeded), p.lost, p.timed_out, p.muted};
    for (int o = 0; o < poolcore::kOutcomeCount; ++o)
        outcome_lines_[std::size_t(o)]->setPen(linePen(colours[std::size_t(o)], 1.8));
    for (QCPAxis* axis : histogram_rect_->axes()) {
        axis->setBasePen(QPen(p.muted));
        axis->setTickPen(QPen(p.muted));
        axis->setSubTickPen(QPen(p.muted));
        axis->setTickLabelColor(p.foreground);
        axis->setLabelColor(p.foreground);
        axis->grid()->setPen(QPen(p.grid, 0, Qt::DotLine));
    }
    jobs_per_s_->graph()->setPen(linePen(p.succeeded, 1.4));
}

OfferedLoadChart::OfferedLoadChart(QWidget* parent)
    : ChartView(tr("Offered vs Achieved Load"), parent) {
    offered_ = addSeries(tr("offered (rate mode)"));
    achieved_ = addSeries(tr("submitted / s"));
    finished_ = addSeries(tr("finished / s"));
    valueAxis()->setLabel(tr("jobs / s"));
    offered_->graph()->setLineStyle(QCPGraph::lsStepLeft);
    applyPalette();
}

void OfferedLoadChart::append(const Sample& s) {
    const bool rate_mode =
        generator_ && generator_->isRunning() && generator_->spec().mode == LoadSpec::Mode::Rate;
    // A burst offers "as fast as possible": no rate to draw, so the line breaks.
    offered_->append(s.time, rate_mode ? generator_->spec().jobs_per_second
                                       : (generator_ && generator_->isRunning() ? kGap : 0.0));
    achieved_->append(
        s.time, generator_ ? submitted_rate_.add(s.time, double(generator_->submitted())) : 0.0);
    finished_->append(s.time, s.finished_per_s);
}

void OfferedLoadChart::restyle(const ChartPalette& p) {
    offered_->graph()->setPen(linePen(p.target, 1.6, Qt::DashLine));
    achieved_->graph()->setPen(linePen(p.writes, 2.0));
    finished_->graph()->setPen(linePen(p.succeeded, 1.4));
}

} // namespace poolscope
