// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/charts/live_charts.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <qcustomplot.h>

namespace poolscope {

namespace {

void stepped(PlotSeries* s) {
    s->graph()->setLineStyle(QCPGraph::lsStepLeft);
}

QPen linePen(const QColor& c, qreal width = 1.6, Qt::PenStyle style = Qt::SolidLine) {
    QPen pen(c, width, style);
    pen.setCapStyle(Qt::FlatCap);
    return pen;
}

} // namespace

ProcessCountChart::ProcessCountChart(QWidget* parent) : ChartView(tr("Processes"), parent) {
    // Drawn in this order: busy underneath, alive on top of it, the target dashed over both.
    busy_ = addSeries(tr("busy (1 s mean)"));
    alive_ = addSeries(tr("alive"));
    target_ = addSeries(tr("target"));
    for (PlotSeries* s : {target_, alive_})
        stepped(s);
    valueAxis()->setLabel(tr("processes"));
    valueAxis()->ticker()->setTickStepStrategy(QCPAxisTicker::tssReadability);
    applyPalette();
}

void ProcessCountChart::append(const Sample& s) {
    target_->append(s.time, s.target);
    alive_->append(s.time, s.alive);
    busy_->append(s.time, busy_mean_.add(s.busy));
}

void ProcessCountChart::restyle(const ChartPalette& p) {
    target_->graph()->setPen(linePen(p.target, 1.4, Qt::DashLine));
    alive_->graph()->setPen(linePen(p.alive, 2.0));
    busy_->graph()->setPen(linePen(p.busy, 1.0));
    QColor fill = p.busy;
    fill.setAlpha(p.dark ? 70 : 50);
    busy_->graph()->setBrush(fill);
}

ThroughputChart::ThroughputChart(QWidget* parent) : ChartView(tr("Throughput"), parent) {
    // Named as poolcore names the outcomes, as in the status bar, the Jobs tab and the exports.
    for (int o = 0; o < poolcore::kOutcomeCount; ++o)
        outcomes_[std::size_t(o)] =
            addSeries(QString::fromLatin1(poolcore::to_string(poolcore::Outcome(o)).data()));
    valueAxis()->setLabel(tr("jobs / s"));
    applyPalette();
}

void ThroughputChart::append(const Sample& s) {
    for (std::size_t o = 0; o < outcomes_.size(); ++o)
        outcomes_[o]->append(s.time, s.outcome_per_s[o]);
}

void ThroughputChart::restyle(const ChartPalette& p) {
    using poolcore::Outcome;
    const auto pen = [&](Outcome o, const QColor& c, qreal width = 1.6,
                         Qt::PenStyle style = Qt::SolidLine) {
        outcomes_[std::size_t(o)]->graph()->setPen(linePen(c, width, style));
    };
    pen(Outcome::Success, p.succeeded, 2.0);
    pen(Outcome::TaskError, p.failed);
    pen(Outcome::SoftTimeLimit, p.timed_out, 1.4, Qt::DashLine);
    pen(Outcome::WorkerLost, p.lost);
    pen(Outcome::TimeLimit, p.timed_out);
    pen(Outcome::Terminated, p.muted);
}

QueueDepthChart::QueueDepthChart(QWidget* parent) : ChartView(tr("Queue Depth"), parent) {
    in_flight_ = addSeries(tr("in workers (1 s mean)"));
    pending_ = addSeries(tr("pending"));
    stepped(pending_);
    valueAxis()->setLabel(tr("jobs"));
    applyPalette();
}

void QueueDepthChart::append(const Sample& s) {
    pending_->append(s.time, s.pending);
    in_flight_->append(s.time, in_flight_mean_.add(s.in_flight));
}

void QueueDepthChart::restyle(const ChartPalette& p) {
    pending_->graph()->setPen(linePen(p.pending, 1.6));
    QColor fill = p.pending;
    fill.setAlpha(p.dark ? 70 : 50);
    pending_->graph()->setBrush(fill);
    in_flight_->graph()->setPen(linePen(p.in_flight, 1.2));
}

MemoryChart::MemoryChart(QWidget* parent) : ChartView(tr("Worker Memory"), parent) {
    valueAxis()->setLabel(tr("resident MiB"));
    setMaxLegendColumns(3);
    applyPalette();
}

void MemoryChart::append(const Sample& s) {
    // A slot without a worker in this sample gets a gap, so that its line breaks instead of
    // joining the last worker's memory to the next one's across the time nobody was there.
    for (auto& [index, slot] : slots_) {
        const int wanted = index; // clang 14 cannot capture a structured binding
        const bool present =
            std::any_of(s.workers.begin(), s.workers.end(),
                        [wanted](const WorkerSample& w) { return w.slot == wanted; });
        if (!present)
            slot.series->append(s.time, std::numeric_limits<double>::quiet_NaN());
    }
    for (const WorkerSample& w : s.workers) {
        Slot& slot = slots_[w.slot];
        if (!slot.series) {
            slot.series = addSeries(QString());
            slot.series->graph()->setPen(linePen(chartPalette().series(w.slot), 1.6));
        }
        if (slot.pid != w.pid) {
            slot.pid = w.pid;
            slot.series->graph()->setName(tr("slot %1 · %2").arg(w.slot).arg(w.pid));
            labels_changed_ = true;
        }
        slot.series->append(s.time, w.rss_mib);
    }
    pickLegend();
}

void MemoryChart::pickLegend() {
    std::vector<std::pair<double, int>> by_memory;
    for (const auto& [index, slot] : slots_) {
        const auto& d = slot.series->data();
        by_memory.emplace_back(d.empty() || std::isnan(d.last_value()) ? -1.0 : d.last_value(),
                               index);
    }
    std::sort(by_memory.begin(), by_memory.end(), [](const auto& a, const auto& b) {
        return a.first != b.first ? a.first > b.first : a.second < b.second;
    });
    std::vector<int> wanted;
    for (std::size_t i = 0; i < by_memory.size() && i < kLegendEntries; ++i)
        wanted.push_back(by_memory[i].second);
    std::sort(wanted.begin(), wanted.end());
    if (wanted == in_legend_)
        return;
    in_legend_ = wanted;
    for (auto& [index, slot] : slots_) {
        QCPGraph* g = slot.series->graph();
        if (std::binary_search(wanted.begin(), wanted.end(), index))
            g->addToLegend();
        else
            g->removeFromLegend();
    }
    valueAxis()->setLabel(slots_.size() > kLegendEntries
                              ? tr("resident MiB (legend: top %1)").arg(kLegendEntries)
                              : tr("resident MiB"));
    labels_changed_ = true;
}

bool MemoryChart::extrasChanged() {
    return std::exchange(labels_changed_, false);
}

void MemoryChart::restyle(const ChartPalette& p) {
    for (auto& [index, slot] : slots_)
        slot.series->graph()->setPen(linePen(p.series(index), 1.6));
}

WriteStatsChart::WriteStatsChart(QWidget* parent)
    : ChartView(tr("Write Statistics"), parent),
      slot_ticker_(QSharedPointer<QCPAxisTickerText>::create()) {
    // The bars sit above the time chart, sharing its left margin so that the two line up.
    bars_rect_ = new QCPAxisRect(plot());
    setMinimumHeight(kMinimumHeightTwoPlots);
    // Rows: heading, legend, bars, time chart.
    plot()->plotLayout()->insertRow(2);
    plot()->plotLayout()->addElement(2, 0, bars_rect_);
    bars_rect_->setRangeDrag(Qt::Orientations());
    bars_rect_->setRangeZoom(Qt::Orientations());
    auto* margins = new QCPMarginGroup(plot());
    bars_rect_->setMarginGroup(QCP::msLeft | QCP::msRight, margins);
    timeRect()->setMarginGroup(QCP::msLeft | QCP::msRight, margins);
    QCPAxis* slot_axis = bars_rect_->axis(QCPAxis::atBottom);
    slot_axis->setTicker(slot_ticker_);
    slot_axis->setLabel(tr("slot and pid"));
    slot_axis->grid()->setVisible(false);
    bars_rect_->axis(QCPAxis::atLeft)->setLabel(tr("raw writes"));
    groupThousands(bars_rect_->axis(QCPAxis::atLeft));
    bars_ = new QCPBars(slot_axis, bars_rect_->axis(QCPAxis::atLeft));
    bars_->setName(tr("raw writes per slot"));
    bars_->setWidth(0.6);
    bars_->removeFromLegend();
    writes_per_s_ = addSeries(tr("writes / s (all slots)"));
    valueAxis()->setLabel(tr("writes / s"));
    plot()->plotLayout()->setRowStretchFactor(2, 1.0);
    plot()->plotLayout()->setRowStretchFactor(3, 1.0);
    applyPalette();
}

void WriteStatsChart::append(const Sample& s) {
    writes_per_s_->append(s.time, s.writes_per_s);
    const auto same = [](const WorkerSample& a, const WorkerSample& b) {
        return a.slot == b.slot && a.pid == b.pid && a.writes == b.writes;
    };
    if (std::equal(s.workers.begin(), s.workers.end(), shown_.begin(), shown_.end(), same))
        return;
    shown_ = s.workers;
    bars_changed_ = true;
    QVector<double> keys, values;
    double top = 1;
    for (const WorkerSample& w : shown_) {
        keys << w.slot;
        values << double(w.writes);
        top = std::max(top, double(w.writes));
    }
    bars_->setData(keys, values, true);
    const int slot_count = shown_.empty() ? 1 : shown_.back().slot + 1;
    bars_rect_->axis(QCPAxis::atBottom)->setRange(-0.6, slot_count - 0.4);
    bars_rect_->axis(QCPAxis::atLeft)->setRange(0, top * 1.15);
    labelSlots();
}

void WriteStatsChart::labelSlots() {
    const int slot_count = shown_.empty() ? 1 : shown_.back().slot + 1;
    QCPAxis* axis = bars_rect_->axis(QCPAxis::atBottom);
    const QFontMetrics metrics(axis->tickLabelFont());
    const int widest_pid = metrics.horizontalAdvance(QStringLiteral("4194304")); // pid_max
    const int room = (width() > 0 ? width() : 600) * 8 / 10 / slot_count;
    const bool show_pids = room >= widest_pid + metrics.averageCharWidth() * 2;
    slot_ticker_->clear();
    for (const WorkerSample& w : shown_)
        slot_ticker_->addTick(w.slot, show_pids ? QStringLiteral("%1\n%2").arg(w.slot).arg(w.pid)
                                                : QString::number(w.slot));
    if (show_pids != pids_shown_) {
        pids_shown_ = show_pids;
        axis->setLabel(show_pids ? tr("slot and pid") : tr("slot (pids in the process table)"));
    }
}

void WriteStatsChart::resizeEvent(QResizeEvent* event) {
    labelSlots();
    ChartView::resizeEvent(event);
}

bool WriteStatsChart::extrasChanged() {
    return std::exchange(bars_changed_, false);
}

std::vector<std::pair<int, double>> WriteStatsChart::bars() const {
    std::vector<std::pair<int, double>> out;
    for (auto it = bars_->data()->constBegin(); it != bars_->data()->constEnd(); ++it)
        out.emplace_back(int(it->key), it->value);
    return out;
}

QStringList WriteStatsChart::barLabels() const {
    QStringList out;
    for (auto it = slot_ticker_->ticks().cbegin(); it != slot_ticker_->ticks().cend(); ++it)
        out << it.value();
    return out;
}

void WriteStatsChart::restyle(const ChartPalette& p) {
    writes_per_s_->graph()->setPen(linePen(p.writes, 2.0));
    QColor fill = p.bars;
    fill.setAlpha(170);
    bars_->setBrush(fill);
    bars_->setPen(QPen(p.bars));
}

} // namespace poolscope
