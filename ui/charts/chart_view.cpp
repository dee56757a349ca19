// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/charts/chart_view.h"

#include "ui/export_file.h"
#include "ui/timeline/mark_style.h"

#include <QBuffer>
#include <QContextMenuEvent>
#include <QDateTime>
#include <QFile>
#include <QFileDialog>
#include <QFileInfo>
#include <QImage>
#include <QLabel>
#include <QLocale>
#include <QMenu>
#include <QMessageBox>
#include <QMetaMethod>
#include <QTemporaryDir>
#include <QToolTip>
#include <QVBoxLayout>
#include <algorithm>
#include <cmath>
#include <limits>
#include <qcustomplot.h>

namespace poolscope {

namespace {
// How often a chart whose lines are all flat still redraws, to move its time labels on.
constexpr auto kIdleRefresh = std::chrono::seconds(5);
// How often a chart whose values have not changed since it last drew redraws while its lines
// still move (flat lines growing in an idle pool's first minute, or a finished load scrolling
// out of the window): a step a second is enough for a picture that says "nothing happens", and
// keeps an idle app near 1 % of a core (bench/gui) where following every sample costs 5 %.
constexpr auto kGrowingRefresh = std::chrono::seconds(1);
// Time ticks at the steps QCPAxisTickerTime picks, labelled with the wall-clock time they stand
// for (the keys are seconds since sampling began, which keeps them small and precise).
class WallClockTicker final : public QCPAxisTickerTime {
public:
    double origin = 0;

protected:
    QString getTickLabel(double tick, const QLocale&, QChar, int) override {
        const qint64 ms = qint64(std::llround((origin + tick) * 1000));
        return QDateTime::fromMSecsSinceEpoch(ms).toString(QStringLiteral("HH:mm:ss"));
    }
};

// Counts and rates labelled as people read them: "60,000", not "60000" or "6·10^4" (QCustomPlot's
// default switches to powers of ten past five digits). Fractions keep the default labels.
class GroupedNumberTicker final : public QCPAxisTicker {
protected:
    QString getTickLabel(double tick, const QLocale& locale, QChar format, int precision) override {
        if (std::abs(tick) < 1000 || std::abs(tick) >= 1e15 || tick != std::floor(tick))
            return QCPAxisTicker::getTickLabel(tick, locale, format, precision);
        QLocale grouped = locale;
        grouped.setNumberOptions(grouped.numberOptions() & ~QLocale::OmitGroupSeparator);
        return grouped.toString(qlonglong(tick));
    }
};

} // namespace

void ChartView::groupThousands(QCPAxis* axis) {
    auto ticker = QSharedPointer<GroupedNumberTicker>::create();
    ticker->setTickStepStrategy(axis->ticker()->tickStepStrategy());
    ticker->setTickCount(axis->ticker()->tickCount());
    axis->setTicker(ticker);
}

PlotSeries::PlotSeries(QCPGraph* graph, std::size_t capacity) : data_(capacity), graph_(graph) {}

void PlotSeries::append(double time, double value) {
    if (data_.append(time, value) > 0)
        graph_->data()->removeBefore(data_.first_time());
    graph_->addData(data_.last_time(), value);
}

void PlotSeries::clear() {
    data_.clear();
    graph_->data()->clear();
}

ChartView::ChartView(const QString& title, QWidget* parent)
    : QWidget(parent), title_(title), plot_(new QCustomPlot(this)) {
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(plot_);
    setMinimumSize(kMinimumWidth, kMinimumHeight);
    setAccessibleName(title);

    plot_->setNoAntialiasingOnDrag(true);
    plot_->setInteractions(QCP::iRangeDrag | QCP::iRangeZoom);
    plot_->setContextMenuPolicy(Qt::NoContextMenu); // ours, on the ChartView
    plot_->plotLayout()->insertRow(0);
    auto* heading = new QCPTextElement(plot_, title, QFont(font().family(), -1, QFont::Bold));
    heading->setObjectName(QStringLiteral("heading"));
    plot_->plotLayout()->addElement(0, 0, heading);

    time_rect_ = plot_->axisRect();
    time_rect_->setRangeDrag(Qt::Horizontal);
    time_rect_->setRangeZoom(Qt::Horizontal);
    timeAxis()->setTicker(QSharedPointer<WallClockTicker>::create());
    timeAxis()->setLabel(tr("wall-clock time"));
    timeAxis()->setRange(-window_.width(), 0);
    valueAxis()->setRange(0, minimumTop());
    groupThousands(valueAxis());
    // The legend goes in a row of its own under the heading, so that it never hides data.
    plot_->legend->setVisible(true);
    plot_->legend->setFont(QFont(font().family(), std::max(7, font().pointSize() - 1)));
    plot_->legend->setFillOrder(QCPLegend::foColumnsFirst);
    plot_->legend->setWrap(max_legend_columns_);
    plot_->legend->setRowSpacing(0);
    plot_->legend->setColumnSpacing(12);
    plot_->legend->setMargins(QMargins(4, 1, 4, 1));
    time_rect_->insetLayout()->take(plot_->legend);
    plot_->plotLayout()->insertRow(1);
    plot_->plotLayout()->addElement(1, 0, plot_->legend);
    plot_->plotLayout()->setRowStretchFactor(1, 0.001);
    plot_->plotLayout()->setRowSpacing(0);

    // Over the plot, not in the layout: the chart keeps its size and axes when a source cannot
    // feed it, and the reason sits where the lines would be.
    unavailable_ = new QLabel(plot_);
    unavailable_->setObjectName(QStringLiteral("unavailableReason"));
    unavailable_->setWordWrap(true);
    unavailable_->setAlignment(Qt::AlignCenter);
    unavailable_->setAttribute(Qt::WA_TransparentForMouseEvents);
    unavailable_->hide();
    connect(plot_, &QCustomPlot::afterLayout, this,
            [this] { unavailable_->setGeometry(time_rect_->rect().adjusted(8, 4, -8, -4)); });

    connect(timeAxis(), qOverload<const QCPRange&>(&QCPAxis::rangeChanged), this,
            &ChartView::onTimeRangeChanged);
    // Hover shows the values under the cursor.
    connect(plot_, &QCustomPlot::mouseMove, this, [this](QMouseEvent* e) {
        if (!have_samples_ || !time_rect_->rect().contains(e->pos()) || e->buttons()) {
            QToolTip::hideText();
            return;
        }
        QToolTip::showText(e->globalPosition().toPoint(),
                           valuesAt(timeAxis()->pixelToCoord(e->pos().x())), plot_);
    });
    connect(plot_, &QCustomPlot::mouseDoubleClick, this, [this] {
        followLive();
        Q_EMIT followRequested();
    });
}

ChartView::~ChartView() = default;

QCPAxis* ChartView::timeAxis() const {
    return time_rect_->axis(QCPAxis::atBottom);
}
QCPAxis* ChartView::valueAxis() const {
    return time_rect_->axis(QCPAxis::atLeft);
}

PlotSeries* ChartView::addSeries(const QString& name) {
    QCPGraph* graph = plot_->addGraph(timeAxis(), valueAxis());
    graph->setName(name);
    graph->setAdaptiveSampling(true);
    series_.push_back(std::make_unique<PlotSeries>(graph, kHistorySamples));
    return series_.back().get();
}

double ChartView::historyBegin() const {
    double begin = now_;
    for (const auto& s : series_)
        if (!s->data().empty())
            begin = std::min(begin, s->data().first_time());
    return begin;
}

double ChartView::lastChangeTime() const {
    double last = -std::numeric_limits<double>::infinity();
    for (const auto& s : series_)
        last = std::max(last, s->data().last_change_time());
    return last;
}

void ChartView::addSample(const Sample& sample) {
    now_ = sample.time;
    have_samples_ = true;
    append(sample);
    const bool extras = extrasChanged();
    if (!isVisible()) {
        dirty_ = true; // drawn when shown
        return;
    }
    const ValueRange range = window_.range(now_, historyBegin());
    // The picture only changes if a line changed inside the view, or the view is not yet full
    // of history; otherwise it would redraw the same flat lines under moved time labels.
    const bool same_picture = lastChangeTime() < range.lower && historyBegin() <= range.lower &&
                              (!window_.following() || now_ >= range.upper);
    const bool values_unchanged = lastChangeTime() <= drawn_until_;
    if (!dirty_ && !extras && values_unchanged &&
        std::chrono::steady_clock::now() - last_replot_ <
            (same_picture ? std::chrono::milliseconds(kIdleRefresh) : kGrowingRefresh))
        return;
    setTimeRange(range);
    requestReplot();
}

void ChartView::setTimeRange(ValueRange range) {
    setting_range_ = true;
    timeAxis()->setRange(range.lower, range.upper);
    setting_range_ = false;
    updateValueAxis(range);
}

void ChartView::updateValueAxis(ValueRange visible) {
    double top = minimumTop();
    for (const auto& s : series_)
        if (s->graph()->visible())
            if (auto r = s->data().value_range(visible.lower, visible.upper))
                top = std::max(top, r->upper);
    valueAxis()->setRange(0, top * 1.12);
}

void ChartView::onTimeRangeChanged(const QCPRange& range) {
    if (setting_range_ || !have_samples_)
        return;
    // The user dragged or zoomed: keep the view inside the history.
    const ValueRange r = window_.user_moved({range.lower, range.upper}, now_, historyBegin());
    setTimeRange(r);
    requestReplot();
    updateHeading();
    if (window_.following())
        Q_EMIT followRequested();
    else
        Q_EMIT userMovedTime(r.lower + time_origin_, r.upper + time_origin_);
}

void ChartView::setMaxLegendColumns(int columns) {
    max_legend_columns_ = std::max(1, columns);
    fitLegend();
}

void ChartView::fitLegend() {
    QCPLegend* legend = plot_->legend;
    int widest = 0;
    // The grid may hold empty cells (a row that is not full): item() is null there.
    for (int i = 0; i < legend->itemCount(); ++i)
        if (QCPAbstractLegendItem* item = legend->item(i))
            widest = std::max(widest, item->minimumOuterSizeHint().width());
    if (widest == 0)
        return;
    const int spacing = legend->columnSpacing();
    const int available = width() - legend->margins().left() - legend->margins().right();
    const int columns =
        std::clamp((available + spacing) / (widest + spacing), 1, max_legend_columns_);
    if (columns == legend->wrap())
        return;
    legend->setWrap(columns);
    legend->setFillOrder(legend->fillOrder(), /*rearrange=*/true);
}

void ChartView::fitTicks() {
    // About one value label per three text lines of height, so that labels never run into each
    // other however short the chart (the time axis picks its own readable steps).
    const int line = QFontMetrics(valueAxis()->tickLabelFont()).height();
    const auto rects = plot_->axisRects();
    for (QCPAxisRect* rect : rects) {
        const int h = rect->height() > 0 ? rect->height() : height() / int(rects.size());
        const int count = std::clamp(h / (3 * line), 1, 6);
        QCPAxis* axis = rect->axis(QCPAxis::atLeft);
        if (axis->ticker()->tickCount() != count)
            axis->ticker()->setTickCount(count);
        axis->ticker()->setTickStepStrategy(QCPAxisTicker::tssMeetTickCount);
        // Too short for two labels a line apart: none, rather than a smudge (hover tells).
        axis->setTickLabels(h >= 3 * line);
        if (QCPAxis* bottom = rect->axis(QCPAxis::atBottom))
            if (bottom == timeAxis()) {
                const int width_of = QFontMetrics(bottom->tickLabelFont())
                                         .horizontalAdvance(QStringLiteral("00:00:00")) *
                                     2;
                bottom->ticker()->setTickCount(
                    std::clamp((rect->width() > 0 ? rect->width() : width()) / width_of, 2, 8));
            }
    }
}

void ChartView::resizeEvent(QResizeEvent* event) {
    QWidget::resizeEvent(event);
    fitLegend();
    fitTicks();
}

QString ChartView::valuesAt(double key) const {
    const QLocale locale;
    QStringList lines;
    lines << QDateTime::fromMSecsSinceEpoch(qint64(std::llround((time_origin_ + key) * 1000)))
                 .toString(QStringLiteral("HH:mm:ss.zzz"));
    for (const auto& s : series_) {
        if (!s->graph()->visible() || s->data().empty())
            continue;
        const auto [first, last] = s->data().window(key, key);
        if (first == last || s->data().time(first) > key)
            continue;
        const double v = s->data().value(first);
        const QString name = s->graph()->name();
        lines << QStringLiteral("%1: %2").arg(
            name.isEmpty() ? tr("series") : name,
            std::isnan(v) ? tr("no data") : locale.toString(v, 'f', v < 10 ? 2 : 0));
    }
    return lines.join(QLatin1Char('\n'));
}

void ChartView::requestReplot() {
    fitLegend(); // series may have come or gone since (the memory chart's workers)
    fitTicks();
    drawn_until_ = now_;
    dirty_ = false;
    last_replot_ = std::chrono::steady_clock::now();
    ++replots_;
    plot_->replot(QCustomPlot::rpQueuedReplot);
}

void ChartView::replotNow() {
    fitLegend();
    fitTicks();
    if (have_samples_)
        setTimeRange(window_.range(now_, historyBegin()));
    drawn_until_ = now_;
    dirty_ = false;
    last_replot_ = std::chrono::steady_clock::now();
    ++replots_;
    plot_->replot(QCustomPlot::rpImmediateRefresh);
}

void ChartView::updateHeading() {
    auto* heading = qobject_cast<QCPTextElement*>(plot_->plotLayout()->element(0, 0));
    if (!heading)
        return;
    const QString title =
        title_detail_.isEmpty() ? title_ : QStringLiteral("%1 · %2").arg(title_, title_detail_);
    const QString text = window_.following()
                             ? title
                             : tr("%1 — paused, not following live (double-click)").arg(title);
    if (heading->text() != text)
        heading->setText(text);
}

void ChartView::setUnavailableReason(const QString& reason) {
    if (reason == unavailable_reason_)
        return;
    unavailable_reason_ = reason;
    unavailable_->setText(reason.isEmpty() ? QString() : tr("Not available: %1.").arg(reason));
    unavailable_->setVisible(!reason.isEmpty());
    unavailable_->setGeometry(time_rect_->rect().adjusted(8, 4, -8, -4));
}

void ChartView::setTitleDetail(const QString& detail) {
    title_detail_ = detail;
    updateHeading();
    requestReplot();
}

void ChartView::followLive() {
    window_.follow();
    updateHeading();
    if (have_samples_) {
        setTimeRange(window_.range(now_, historyBegin()));
        requestReplot();
    }
}

void ChartView::setWindowSeconds(double seconds) {
    window_.set_width(seconds);
    followLive();
}

void ChartView::setTimeOrigin(double wall_seconds) {
    time_origin_ = wall_seconds;
    if (auto ticker = timeAxis()->ticker().dynamicCast<WallClockTicker>())
        ticker->origin = wall_seconds;
    dirty_ = true;
}

void ChartView::addMark(const TimelineMark& mark) {
    auto* line = new QCPItemStraightLine(plot_);
    line->setClipAxisRect(time_rect_);
    line->setLayer(QStringLiteral("grid")); // under the data
    const double t = mark.time - time_origin_;
    for (QCPItemPosition* p : {line->point1, line->point2}) {
        p->setType(QCPItemPosition::ptPlotCoords);
        p->setAxes(timeAxis(), valueAxis());
    }
    line->point1->setCoords(t, 0);
    line->point2->setCoords(t, 1);
    marks_.push_back({line, mark.kind, mark.slot < 0});
    styleMark(marks_.back());
    while (marks_.size() > kMaxMarks) {
        plot_->removeItem(marks_.front().line);
        marks_.pop_front();
    }
    dirty_ = true;
}

void ChartView::styleMark(const Mark& mark) {
    QColor c = markColour(palette_, mark.kind);
    c.setAlpha(mark.whole_pool ? 220 : 140);
    mark.line->setPen(
        QPen(c, mark.whole_pool ? 1.4 : 1.0, mark.whole_pool ? Qt::DashLine : Qt::SolidLine));
}

void ChartView::showWallRange(double begin, double end) {
    if (!(end > begin) || !have_samples_)
        return;
    const ValueRange r =
        window_.user_moved({begin - time_origin_, end - time_origin_}, now_, historyBegin());
    setTimeRange(r);
    updateHeading();
    requestReplot();
}

ValueRange ChartView::visibleTimeRange() const {
    return {timeAxis()->range().lower, timeAxis()->range().upper};
}

double ChartView::lastReplotMs() const {
    return plot_->replotTime(false);
}
double ChartView::averageReplotMs() const {
    return plot_->replotTime(true);
}

bool ChartView::saveImage(const QString& path, QString* error, const ChartExport& how) {
    // Rendered first, then written whole or not at all (see writeExportFile).
    const QString suffix = QFileInfo(path).suffix().toLower();
    if (how.width < 100 || how.height < 100 || how.dpi < 48 || how.dpi > 1200) {
        if (error)
            *error = tr("Choose a size of at least 100×100 pixels and 48 to 1200 dots per inch.");
        return false;
    }
    auto* heading = qobject_cast<QCPTextElement*>(plot_->plotLayout()->element(0, 0));
    const QString shown = heading ? heading->text() : QString();
    if (heading && !how.caption.isEmpty())
        heading->setText((title_detail_.isEmpty()
                              ? title_
                              : QStringLiteral("%1 · %2").arg(title_, title_detail_)) +
                         QLatin1Char('\n') + how.caption);
    const auto restore = [&] {
        if (heading)
            heading->setText(shown);
        plot_->replot(QCustomPlot::rpQueuedReplot);
    };
    QByteArray bytes;
    if (suffix == QLatin1String("png")) {
        const double scale = how.dpi / 96.0;
        QImage image = plot_->toPixmap(how.width, how.height, scale).toImage();
        const int dots_per_metre = int(std::lround(how.dpi / 0.0254));
        image.setDotsPerMeterX(dots_per_metre);
        image.setDotsPerMeterY(dots_per_metre);
        QBuffer buffer(&bytes);
        buffer.open(QIODevice::WriteOnly);
        if (image.isNull() || !image.save(&buffer, "PNG")) {
            restore();
            if (error)
                *error = tr("Could not render the chart as PNG.");
            return false;
        }
    } else if (suffix == QLatin1String("pdf")) {
        // QCustomPlot prints PDFs only to a named file.
        QTemporaryDir scratch;
        const QString rendered = scratch.filePath(QStringLiteral("chart.pdf"));
        QFile file(rendered);
        if (!scratch.isValid() || !plot_->savePdf(rendered, how.width, how.height) ||
            !file.open(QIODevice::ReadOnly)) {
            restore();
            if (error)
                *error = tr("Could not render the chart as PDF.");
            return false;
        }
        bytes = file.readAll();
    } else {
        restore();
        if (error)
            *error = tr("Choose a file name ending in .png or .pdf.");
        return false;
    }
    restore();
    return writeExportFile(path, bytes, error);
}

void ChartView::styleAxisRect(QCPAxisRect* rect) {
    const ChartPalette& p = palette_;
    rect->setBackground(p.background);
    for (QCPAxis* axis : rect->axes()) {
        axis->setBasePen(QPen(p.muted));
        axis->setTickPen(QPen(p.muted));
        axis->setSubTickPen(QPen(p.muted));
        axis->setTickLabelColor(p.foreground);
        axis->setLabelColor(p.foreground);
        axis->grid()->setPen(QPen(p.grid, 1, Qt::SolidLine));
        axis->grid()->setSubGridPen(QPen(p.subgrid, 1, Qt::DotLine));
        axis->grid()->setZeroLinePen(Qt::NoPen);
    }
}

void ChartView::applyPalette() {
    palette_ = ChartPalette::from(QWidget::palette());
    plot_->setBackground(palette_.background);
    for (QCPAxisRect* rect : plot_->axisRects())
        styleAxisRect(rect);
    if (auto* heading = qobject_cast<QCPTextElement*>(plot_->plotLayout()->element(0, 0)))
        heading->setTextColor(palette_.foreground);
    plot_->legend->setBrush(Qt::NoBrush);
    plot_->legend->setBorderPen(Qt::NoPen);
    plot_->legend->setTextColor(palette_.foreground);
    QPalette note = unavailable_->palette();
    note.setColor(QPalette::WindowText, palette_.muted);
    unavailable_->setPalette(note);
    for (const Mark& m : marks_)
        styleMark(m);
    restyle(palette_);
    dirty_ = true;
    plot_->replot(QCustomPlot::rpQueuedReplot);
}

void ChartView::changeEvent(QEvent* event) {
    QWidget::changeEvent(event);
    if (event->type() == QEvent::PaletteChange || event->type() == QEvent::StyleChange)
        applyPalette();
}

void ChartView::showEvent(QShowEvent* event) {
    QWidget::showEvent(event);
    if (dirty_ && have_samples_) {
        setTimeRange(window_.range(now_, historyBegin()));
        requestReplot();
    }
}

void ChartView::contextMenuEvent(QContextMenuEvent* event) {
    QMenu menu(this);
    QAction* follow = menu.addAction(tr("Follow Live"), this, &ChartView::followLive);
    follow->setCheckable(true);
    follow->setChecked(window_.following());
    addMenuActions(menu);
    QMenu* span = menu.addMenu(tr("Window"));
    for (int seconds : {30, 60, 120, 300, 600}) {
        QAction* a = span->addAction(seconds < 60 ? tr("%1 seconds").arg(seconds)
                                                  : tr("%1 minutes").arg(seconds / 60));
        a->setCheckable(true);
        a->setChecked(std::abs(window_.width() - seconds) < 0.5);
        connect(a, &QAction::triggered, this, [this, seconds] { setWindowSeconds(seconds); });
    }
    menu.addSeparator();
    menu.addAction(tr("Save as PNG or PDF…"), this, [this] {
        if (isSignalConnected(QMetaMethod::fromSignal(&ChartView::saveRequested))) {
            Q_EMIT saveRequested();
            return;
        }
        const QString path = QFileDialog::getSaveFileName(
            this, tr("Save %1").arg(title_), title_ + QStringLiteral(".png"),
            tr("PNG image (*.png);;PDF document (*.pdf)"));
        QString error;
        if (!path.isEmpty() && !saveImage(path, &error))
            QMessageBox::warning(this, tr("Save Chart"), error);
    });
    menu.exec(event->globalPos());
}

} // namespace poolscope
