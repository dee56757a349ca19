// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/timeline/timeline_view.h"

#include "ui/timeline/mark_style.h"

#include <QDateTime>
#include <QElapsedTimer>
#include <QEvent>
#include <QHBoxLayout>
#include <QLabel>
#include <QLocale>
#include <QMouseEvent>
#include <QPainter>
#include <QPushButton>
#include <QToolTip>
#include <QVBoxLayout>
#include <QWheelEvent>
#include <algorithm>
#include <chrono>
#include <cmath>

namespace poolscope {

using poolcore::Outcome;

namespace {

constexpr int kAxisHeight = 34;
constexpr int kMaxLaneHeight = 22;
constexpr int kMinLaneHeight = 6;

QColor outcomeColour(const ChartPalette& p, Outcome o) {
    switch (o) {
    case Outcome::Success:
        return p.succeeded;
    case Outcome::TaskError:
    case Outcome::Terminated:
        return p.failed;
    case Outcome::WorkerLost:
        return p.lost;
    case Outcome::TimeLimit:
    case Outcome::SoftTimeLimit:
        return p.timed_out;
    }
    return p.foreground;
}

QString outcomeText(Outcome o) {
    const auto t = poolcore::to_string(o);
    return QString::fromUtf8(t.data(), qsizetype(t.size()));
}

QString wallText(double seconds, bool millis) {
    const QDateTime t = QDateTime::fromMSecsSinceEpoch(qint64(std::llround(seconds * 1000)));
    return t.toString(millis ? QStringLiteral("HH:mm:ss.zzz") : QStringLiteral("HH:mm:ss"));
}

QString durationText(double seconds) {
    const QLocale locale;
    if (seconds < 1e-3)
        return QObject::tr("%1 µs").arg(locale.toString(seconds * 1e6, 'f', 0));
    if (seconds < 1)
        return QObject::tr("%1 ms").arg(locale.toString(seconds * 1e3, 'f', 2));
    return QObject::tr("%1 s").arg(locale.toString(seconds, 'f', 3));
}

} // namespace

// The drawing and the mouse; the view holds the state.
class TimelineCanvas final : public QWidget {
public:
    explicit TimelineCanvas(TimelineView& view) : QWidget(&view), view_(view) {
        setMouseTracking(true);
        setMinimumHeight(90);
        setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Expanding);
        setAccessibleName(TimelineView::tr("Job timeline"));
    }

    QSize sizeHint() const override { return {600, 200}; }

    // The label column's width, measured when the lanes are painted: timeToX asks for it for
    // every bar, and shaping the text each time made a window of 40,000 bars (a Celery worker's
    // minute) take 60 ms per paint. At least what "slot 88 · 4194304" needs, at most a third of
    // the canvas (longer names are elided in the middle).
    int gutter() const {
        if (gutter_px_ < 0)
            measureGutter({});
        return gutter_px_;
    }
    void measureGutter(const QStringList& labels) const {
        const QFontMetrics metrics(font());
        int widest = metrics.horizontalAdvance(QStringLiteral("slot 88 · 4194304"));
        for (const QString& label : labels)
            widest = std::max(widest, metrics.horizontalAdvance(label));
        gutter_px_ = std::min(widest + 8, std::max(60, width() / 3));
    }
    int plotWidth() const { return std::max(1, width() - gutter() - 4); }
    int laneHeight() const {
        const int lanes = std::max<int>(1, int(view_.store_.lanes().size()));
        return std::clamp((height() - kAxisHeight) / lanes, kMinLaneHeight, kMaxLaneHeight);
    }
    double xToTime(double x) const {
        const ValueRange r = view_.visibleRange();
        return r.lower + (x - gutter()) / plotWidth() * (r.upper - r.lower);
    }
    double timeToX(double t) const {
        const ValueRange r = view_.visibleRange();
        return gutter() + (t - r.lower) / (r.upper - r.lower) * plotWidth();
    }
    int laneAt(int y) const {
        const int lane = y / laneHeight();
        return lane < int(view_.store_.lanes().size()) ? lane : -1;
    }

protected:
    void paintEvent(QPaintEvent*) override {
        QElapsedTimer clock;
        clock.start();
        QPainter p(this);
        const ChartPalette& pal = view_.palette_;
        p.fillRect(rect(), pal.background);
        const TimelineFrame f = view_.currentFrame();
        const auto& lanes = view_.store_.lanes();
        const int lh = laneHeight();
        const int lanes_bottom = int(lanes.size()) * lh;
        // Lanes and their labels.
        p.setFont(font());
        QStringList labels;
        for (const TimelineStore::Lane& lane : lanes)
            labels << view_.laneLabel(lane.slot, lane.pid);
        measureGutter(labels);
        const int left = gutter();
        for (std::size_t i = 0; i < lanes.size(); ++i) {
            const int y = int(i) * lh;
            if (i % 2)
                p.fillRect(QRect(left, y, plotWidth(), lh), pal.subgrid);
            if (lh >= 10) {
                p.setPen(pal.foreground);
                const QString label =
                    p.fontMetrics().elidedText(labels[qsizetype(i)], Qt::ElideMiddle, left - 8);
                p.drawText(QRect(2, y, left - 6, lh), Qt::AlignRight | Qt::AlignVCenter, label);
            }
        }
        if (lanes.empty()) {
            p.setPen(pal.muted);
            p.drawText(QRect(left, 0, plotWidth(), height() - kAxisHeight), Qt::AlignCenter,
                       TimelineView::tr("No jobs yet: start the pool and a load"));
        }
        p.setClipRect(QRect(left, 0, plotWidth() + 1, height()));
        if (f.mode == TimelineFrame::Mode::Bars) {
            for (const TimelineBar& b : f.bars) {
                const int y = b.lane * lh;
                const double xs = timeToX(b.submitted), xw = timeToX(b.written),
                             xa = b.accepted > 0 ? timeToX(b.accepted) : xw,
                             xf = timeToX(b.finished);
                const QColor c = outcomeColour(pal, b.outcome);
                if (xw - xs >= 1) { // the wait in the pool's queue
                    p.setPen(QPen(pal.muted, 1));
                    p.drawLine(QPointF(xs, y + lh / 2.0), QPointF(xw, y + lh / 2.0));
                }
                const double w = std::max(1.0, xf - xw);
                QColor waiting = c;
                waiting.setAlpha(110);
                const QRectF bar(xw, y + 2, w, lh - 4);
                p.fillRect(bar, c);
                if (xa > xw + 1)
                    p.fillRect(QRectF(xw, y + 2, std::min(xa - xw, w), lh - 4), waiting);
                if (w >= 6 && lh >= 10) {
                    p.setPen(QPen(pal.background, 1));
                    p.drawRect(bar);
                }
            }
        } else {
            for (std::size_t l = 0; l < lanes.size(); ++l)
                for (int c = 0; c < f.columns; ++c) {
                    double bottom = double(l + 1) * lh - 1;
                    for (int k = 0; k < poolcore::kOutcomeCount; ++k) {
                        const float busy = f.busy(int(l), c, Outcome(k));
                        if (busy <= 0)
                            continue;
                        const double h = std::min<double>(busy, 1.0) * (lh - 2);
                        p.fillRect(QRectF(left + c, bottom - h, 1, h),
                                   outcomeColour(pal, Outcome(k)));
                        bottom -= h;
                    }
                }
        }
        // Jobs running now: hatched and outlined, so a long or hung job reads as still going.
        for (const TimelineRunning& run : f.running) {
            const int y = run.lane * lh;
            const double x0 = timeToX(run.started), x1 = std::max(x0 + 2, timeToX(run.seen));
            const QRectF bar(x0, y + 2, x1 - x0, lh - 4);
            QColor fill = pal.foreground;
            fill.setAlpha(60);
            p.fillRect(bar, fill);
            p.fillRect(bar, QBrush(pal.foreground, Qt::BDiagPattern));
            p.setPen(QPen(pal.foreground, 1));
            p.drawRect(bar);
        }
        // Marks: a line through the lane (or every lane for the whole pool's), a notch on top.
        for (const TimelineMark* m : f.marks) {
            const double x = timeToX(m->time);
            const int lane = m->slot >= 0 ? view_.store_.laneOfSlot(m->slot) : -1;
            const QColor c = markColour(pal, m->kind);
            p.setPen(QPen(c, 1.5, m->slot >= 0 ? Qt::SolidLine : Qt::DashLine));
            const double top = lane >= 0 ? lane * lh : 0;
            const double bottom = lane >= 0 ? (lane + 1) * lh : lanes_bottom;
            p.drawLine(QPointF(x, top), QPointF(x, bottom));
            const QPointF notch[3] = {{x - 3, top}, {x + 3, top}, {x, top + 4}};
            p.setBrush(c);
            p.drawPolygon(notch, 3);
        }
        p.setClipping(false);
        drawAxis(p, lanes_bottom);
        if (selecting_) {
            QColor fill = pal.foreground;
            fill.setAlpha(40);
            const int a = std::min(press_.x(), drag_x_), b = std::max(press_.x(), drag_x_);
            p.fillRect(QRect(a, 0, b - a, lanes_bottom), fill);
        }
        view_.last_paint_ms_ = double(clock.nsecsElapsed()) / 1e6;
    }

    void drawAxis(QPainter& p, int lanes_bottom) {
        const ChartPalette& pal = view_.palette_;
        const ValueRange r = view_.visibleRange();
        const int y = std::max(lanes_bottom, 0) + 1;
        p.setPen(pal.muted);
        p.drawLine(gutter(), y, gutter() + plotWidth(), y);
        const QFontMetrics m(font());
        const double span = r.upper - r.lower;
        static constexpr double kSteps[] = {0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2,
                                            0.5,   1,     2,     5,    10,   15,   30,  60,
                                            120,   300,   600,   900,  1800, 3600};
        const double wanted =
            span * (m.horizontalAdvance(QStringLiteral("00:00:00.000")) + 24) / plotWidth();
        double step = kSteps[std::size(kSteps) - 1];
        for (double s : kSteps)
            if (s >= wanted) {
                step = s;
                break;
            }
        const bool millis = step < 1;
        for (double t = std::ceil(r.lower / step) * step; t <= r.upper; t += step) {
            const int x = int(std::lround(timeToX(t)));
            p.setPen(pal.grid);
            p.drawLine(x, 0, x, y);
            p.setPen(pal.foreground);
            p.drawLine(x, y, x, y + 3);
            const QString label = wallText(t, millis);
            const int w = m.horizontalAdvance(label);
            // A label that would run into the "wall clock" caption or past the right edge is
            // left out (its tick stays): at scale 2 the first one was drawn over the caption.
            if (x - w / 2 < gutter() || x + w / 2 > width())
                continue;
            p.drawText(x - w / 2, y + 4 + m.ascent(), label);
        }
        p.setPen(pal.muted);
        p.drawText(QRect(0, y + 4, gutter() - 6, m.height()), Qt::AlignRight,
                   TimelineView::tr("wall clock"));
    }

    void wheelEvent(QWheelEvent* e) override {
        const ValueRange r = view_.visibleRange();
        const double at = xToTime(e->position().x());
        const double factor = std::pow(0.85, e->angleDelta().y() / 120.0);
        view_.userMoved({at - (at - r.lower) * factor, at + (r.upper - at) * factor});
        e->accept();
    }

    void mousePressEvent(QMouseEvent* e) override {
        press_ = e->pos();
        drag_x_ = press_.x();
        press_range_ = view_.visibleRange();
        moved_ = false;
        selecting_ = e->button() == Qt::RightButton ||
                     (e->button() == Qt::LeftButton && (e->modifiers() & Qt::ShiftModifier));
        panning_ = !selecting_ && e->button() == Qt::LeftButton;
    }

    void mouseMoveEvent(QMouseEvent* e) override {
        if (panning_ || selecting_) {
            if (std::abs(e->pos().x() - press_.x()) > 3)
                moved_ = true;
            if (panning_ && moved_) {
                const double dt = (e->pos().x() - press_.x()) *
                                  (press_range_.upper - press_range_.lower) / plotWidth();
                view_.userMoved({press_range_.lower - dt, press_range_.upper - dt});
            }
            drag_x_ = std::clamp(e->pos().x(), gutter(), gutter() + plotWidth());
            if (selecting_)
                update();
            return;
        }
        const QString tip = describeAt(e->pos());
        if (tip.isEmpty())
            QToolTip::hideText();
        else
            QToolTip::showText(e->globalPosition().toPoint(), tip, this);
    }

    void mouseReleaseEvent(QMouseEvent* e) override {
        if (selecting_ && moved_) {
            const double a = xToTime(std::min(press_.x(), drag_x_));
            const double b = xToTime(std::max(press_.x(), drag_x_));
            selecting_ = false;
            view_.showRange(a, b);
            Q_EMIT view_.timeRangeSelected(a, b);
        } else if (!moved_ && e->button() == Qt::LeftButton) {
            if (const TimelineBar* bar = barAt(e->pos()))
                Q_EMIT view_.jobActivated(bar->id);
        }
        selecting_ = panning_ = false;
        update();
    }

    void mouseDoubleClickEvent(QMouseEvent*) override { view_.followLive(); }

private:
    // The bar under a point, from the frame as drawn (a few pixels of slack for thin bars).
    const TimelineBar* barAt(QPoint pos) {
        frame_ = view_.currentFrame();
        const int lane = laneAt(pos.y());
        if (lane < 0 || frame_.mode != TimelineFrame::Mode::Bars)
            return nullptr;
        const double slack = 3 * (frame_.end - frame_.begin) / plotWidth();
        const double t = xToTime(pos.x());
        const TimelineBar* best = nullptr;
        double best_distance = slack;
        for (const TimelineBar& b : frame_.bars) {
            if (b.lane != lane)
                continue;
            const double d = t < b.written ? b.written - t : t > b.finished ? t - b.finished : 0;
            if (d <= best_distance) {
                best = &b;
                best_distance = d;
            }
        }
        return best;
    }

    QString describeAt(QPoint pos) {
        if (pos.x() < gutter())
            return {};
        QStringList lines;
        const double t = xToTime(pos.x());
        const double slack =
            4 * (view_.visibleRange().upper - view_.visibleRange().lower) / plotWidth();
        const int lane = laneAt(pos.y());
        const auto& lanes = view_.store_.lanes();
        for (const TimelineMark& m : view_.store_.marks())
            if (std::abs(m.time - t) <= slack &&
                (m.slot < 0 || view_.store_.laneOfSlot(m.slot) == lane))
                lines << QStringLiteral("%1  %2").arg(wallText(m.time, true), m.text);
        for (const TimelineRunning& run : view_.currentFrame().running)
            if (run.lane == lane && t >= run.started - slack && t <= run.seen + slack) {
                lines << TimelineView::tr("job %1 %2 · running").arg(run.id).arg(run.task);
                lines << view_.laneLabel(lanes[std::size_t(run.lane)].slot, run.pid);
                lines << TimelineView::tr("running for %1 · since %2")
                             .arg(durationText(run.seen - run.started),
                                  wallText(run.started, true));
            }
        if (const TimelineBar* bar = barAt(pos)) {
            const poolcore::JobRecord* r = view_.store_.job(bar->id);
            lines << TimelineView::tr("job %1 %2 · %3")
                         .arg(bar->id)
                         .arg(r ? QString::fromStdString(r->task) : QString(),
                              outcomeText(bar->outcome));
            lines << view_.laneLabel(lanes[std::size_t(bar->lane)].slot, r ? qint64(r->pid) : 0);
            lines << TimelineView::tr("queued %1 · ran %2 · written at %3")
                         .arg(durationText(bar->written - bar->submitted),
                              durationText(bar->finished - bar->written),
                              wallText(bar->written, true));
            if (r && !r->error.empty())
                lines << QString::fromStdString(r->error).left(200);
            lines << TimelineView::tr("Click for its detail");
        } else if (lane >= 0 && frame_.mode == TimelineFrame::Mode::Density) {
            const int c = std::clamp(pos.x() - gutter(), 0, frame_.columns - 1);
            QStringList parts;
            float total = 0;
            for (int k = 0; k < poolcore::kOutcomeCount; ++k) {
                const float busy = frame_.busy(lane, c, Outcome(k));
                total += busy;
                if (busy > 0)
                    parts << QStringLiteral("%1 %2%")
                                 .arg(outcomeText(Outcome(k)))
                                 .arg(std::lround(busy * 100));
            }
            const TimelineStore::Lane& l = lanes[std::size_t(lane)];
            lines << TimelineView::tr("%1 at %2: busy %3% (%4); zoom in for single jobs")
                         .arg(view_.laneLabel(l.slot, l.pid))
                         .arg(wallText(t, true))
                         .arg(std::lround(std::min(total, 1.0f) * 100))
                         .arg(parts.join(QStringLiteral(", ")));
        }
        return lines.join(QLatin1Char('\n'));
    }

    TimelineView& view_;
    mutable QFont gutter_font_;
    mutable int gutter_px_ = -1;
    TimelineFrame frame_;
    QPoint press_;
    int drag_x_ = 0;
    ValueRange press_range_;
    bool moved_ = false, selecting_ = false, panning_ = false;
};

TimelineView::TimelineView(QWidget* parent) : QWidget(parent) {
    setObjectName(QStringLiteral("timeline"));
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(2, 2, 2, 2);
    layout->setSpacing(2);
    auto* header = new QHBoxLayout;
    auto* title = new QLabel(tr("<b>Timeline</b>"));
    status_ = new QLabel;
    status_->setObjectName(QStringLiteral("timelineStatus"));
    follow_button_ = new QPushButton(tr("Follow Live"));
    follow_button_->setObjectName(QStringLiteral("timelineFollow"));
    follow_button_->setToolTip(
        tr("Scroll with the newest jobs again (or double-click the timeline)"));
    connect(follow_button_, &QPushButton::clicked, this, &TimelineView::followLive);
    header->addWidget(title);
    header->addWidget(status_, 1);
    header->addWidget(follow_button_);
    layout->addLayout(header);
    canvas_ = new TimelineCanvas(*this);
    canvas_->setToolTip(QString());
    layout->addWidget(canvas_, 1);
    setToolTip(tr("Wheel: zoom · drag: pan · Shift+drag or right-drag: select a time range for "
                  "every chart · click a bar: the job's detail · double-click: follow live"));
    palette_ = ChartPalette::from(palette());
    updateStatus();
}

double TimelineView::now() const {
    using namespace std::chrono;
    return duration<double>(system_clock::now().time_since_epoch()).count();
}

double TimelineView::historyBegin() const {
    double begin = now();
    if (!store_.marks().empty())
        begin = std::min(begin, store_.marks().front().time);
    for (const auto& lane : store_.lanes())
        if (lane.coarse.size() > 0)
            begin = std::min(begin, lane.coarse.earliest());
    return begin;
}

ValueRange TimelineView::visibleRange() const {
    return window_.range(now(), historyBegin());
}

TimelineFrame TimelineView::currentFrame() const {
    const ValueRange r = visibleRange();
    return store_.frame(r.lower, r.upper, canvas_->plotWidth());
}

void TimelineView::userMoved(ValueRange requested) {
    window_.user_moved(requested, now(), historyBegin());
    updateStatus();
    canvas_->update();
}

void TimelineView::showRange(double begin, double end) {
    if (!(end > begin))
        return;
    window_.user_moved({begin, end}, now(), historyBegin());
    if (window_.following()) // a range ending now: still show exactly it, then scroll
        window_.set_width(end - begin);
    updateStatus();
    canvas_->update();
}

void TimelineView::setLaneLabeler(LaneLabeler labeler) {
    lane_labeler_ = std::move(labeler);
    refresh();
}

QString TimelineView::laneLabel(int slot, qint64 pid) const {
    if (lane_labeler_)
        if (QString label = lane_labeler_(slot, pid); !label.isEmpty())
            return label;
    return pid ? tr("slot %1 · %2").arg(slot).arg(pid) : tr("slot %1").arg(slot);
}

void TimelineView::followLive() {
    window_.follow();
    updateStatus();
    canvas_->update();
}

void TimelineView::setWindowSeconds(double seconds) {
    window_.set_width(seconds);
    followLive();
}

QString TimelineView::statusText() const {
    return status_->text();
}

void TimelineView::updateStatus() {
    const bool following = window_.following();
    const ValueRange r = visibleRange();
    const QString span = durationText(r.upper - r.lower);
    status_->setText(following ? tr("following live · last %1").arg(span)
                               : tr("paused, not following live · %1 from %2")
                                     .arg(span, wallText(r.lower, r.upper - r.lower < 10)));
    follow_button_->setEnabled(!following);
    if (following != was_following_) {
        was_following_ = following;
        Q_EMIT followingChanged(following);
    }
}

void TimelineView::refresh() {
    if (!isVisible())
        return;
    if (window_.following())
        canvas_->update();
}

void TimelineView::addJobs(const std::vector<poolcore::JobRecord>& jobs) {
    store_.addJobs(jobs);
}

void TimelineView::setRunning(const poolcore::StatsSnapshot& snapshot) {
    store_.setRunning(snapshot, double(QDateTime::currentMSecsSinceEpoch()) / 1000.0);
}

void TimelineView::addEvents(const QList<PoolEvent>& events) {
    store_.addEvents(events);
}

double TimelineView::repaintNow() {
    canvas_->repaint();
    return last_paint_ms_;
}

void TimelineView::changeEvent(QEvent* event) {
    QWidget::changeEvent(event);
    if (event->type() == QEvent::PaletteChange || event->type() == QEvent::StyleChange) {
        palette_ = ChartPalette::from(palette());
        canvas_->update();
    }
}

} // namespace poolscope
