// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "ui/charts/chart_palette.h"
#include "ui/charts/time_series.h"
#include "ui/monitor/sample.h"
#include "ui/timeline/timeline_store.h"

#include <QWidget>
#include <chrono>
#include <deque>
#include <memory>
#include <vector>

class QCustomPlot;
class QMenu;
class QCPAxis;
class QCPAxisRect;
class QCPGraph;
class QCPItemStraightLine;
class QCPRange;

class QLabel;

namespace poolscope {

// How a chart is saved: its size in pixels at 96 dpi, the dots per inch of the file (the image
// is that many times 96 dpi larger), and a caption under the title (date, pool settings).
struct ChartExport {
    int width = 1200;
    int height = 675;
    int dpi = 192;
    QString caption;
};

// One line of a live chart: its bounded history (the logic) and the QCustomPlot graph that
// mirrors it (the drawing).
class PlotSeries {
public:
    PlotSeries(QCPGraph* graph, std::size_t capacity);
    void append(double time, double value);
    const TimeSeries& data() const { return data_; }
    QCPGraph* graph() const { return graph_; }
    void clear();

private:
    TimeSeries data_;
    QCPGraph* graph_;
};

// A live chart: a QCustomPlot whose time axis shows a rolling window over a bounded history
// (ten minutes at 20 samples a second). Dragging or zooming the time axis looks back into the
// history and stops following; a double click, or dragging back to the present, follows again.
// Replots are queued (rpQueuedReplot) and skipped while the chart is hidden, and while every
// visible line has been flat for the whole window, apart from a refresh every few seconds that
// keeps the time labels honest: an idle pool costs the GUI next to nothing.
class ChartView : public QWidget {
    Q_OBJECT
public:
    static constexpr std::size_t kHistorySamples = 12000;
    // Small enough that six charts and the timeline fit a 1280×720 screen beside the settings.
    static constexpr int kMinimumWidth = 240;
    // The least that holds a heading, a legend of up to three rows and a plot without squeezing
    // one over another (test_window_fits checks); a chart with a second plot above its time
    // chart (Write Statistics, Latency Distribution) asks for kMinimumHeightTwoPlots.
    static constexpr int kMinimumHeight = 180;
    static constexpr int kMinimumHeightTwoPlots = 260;

    explicit ChartView(const QString& title, QWidget* parent = nullptr);
    ~ChartView() override;

    QString title() const { return title_; }
    void addSample(const Sample& sample);

    // Writes the chart as PNG or PDF, by the file's suffix, at the size and resolution asked for,
    // with the caption as a second title line.
    bool saveImage(const QString& path, QString* error, const ChartExport& how = {});

    void setWindowSeconds(double seconds);
    double windowSeconds() const { return window_.width(); }
    void followLive();
    bool isFollowing() const { return window_.following(); }
    ValueRange visibleTimeRange() const;

    // The wall-clock time (seconds since the Unix epoch) of sample time 0: the axis shows wall
    // clock time, the one time base of the window.
    void setTimeOrigin(double wall_seconds);
    double timeOrigin() const { return time_origin_; }
    // Draws a mark of the pool's (wall-clock time in the mark), as the timeline does: a dashed
    // line for the whole pool's, a thin one for a single worker's. The newest kMaxMarks stay.
    static constexpr std::size_t kMaxMarks = 200;
    void addMark(const TimelineMark& mark);
    std::size_t markCount() const { return marks_.size(); }
    // Shows [begin, end] in wall-clock seconds and stops following (the timeline's selection).
    void showWallRange(double begin, double end);

    // What the last replots cost, for the benchmark.
    double lastReplotMs() const;
    double averageReplotMs() const;
    int replotCount() const { return replots_; }
    // Replots right now, synchronously (the benchmark and the screenshot test use it).
    void replotNow();

    // Why this chart has nothing to show from the present source, written across its plot;
    // empty: it has (the default).
    void setUnavailableReason(const QString& reason);
    QString unavailableReason() const { return unavailable_reason_; }

    QCustomPlot* plot() const { return plot_; }
    // The hover text at a time (seconds since sampling began): wall-clock time, then each shown
    // series' value then.
    QString valuesAt(double key) const;

Q_SIGNALS:
    // "Save as PNG or PDF…" from the chart's menu, when the window handles it (else the chart
    // asks for a file itself).
    void saveRequested();
    // The user dragged or zoomed the time axis to [begin, end], wall-clock seconds; or asked to
    // follow live again (double click).
    void userMovedTime(double begin, double end);
    void followRequested();

protected:
    // Adds the sample to the chart's series.
    virtual void append(const Sample& sample) = 0;
    // Applies the palette to the chart's own items; the axes are done already.
    virtual void restyle(const ChartPalette& palette) = 0;
    // Anything the chart draws besides its time series changed (bars, labels).
    virtual bool extrasChanged() { return false; }
    // The smallest top the value axis may have, so that a quiet chart does not magnify noise.
    virtual double minimumTop() const { return 1.0; }
    // The chart's own entries of its context menu, above the shared ones.
    virtual void addMenuActions(QMenu& menu) { (void)menu; }
    // Labels the axis's whole-number ticks with thousands separators (the value axis has them).
    static void groupThousands(QCPAxis* axis);
    // A qualifier shown after the title in the heading (what the chart is narrowed to).
    void setTitleDetail(const QString& detail);

    PlotSeries* addSeries(const QString& name);
    const std::vector<std::unique_ptr<PlotSeries>>& series() const { return series_; }
    QCPAxisRect* timeRect() const { return time_rect_; }
    QCPAxis* timeAxis() const;
    QCPAxis* valueAxis() const;
    const ChartPalette& chartPalette() const { return palette_; }
    void styleAxisRect(QCPAxisRect* rect);
    // Styles everything from the widget palette and calls restyle(). Derived charts call it at
    // the end of their constructor, once their series exist.
    void applyPalette();

    // The legend wraps into at most this many columns, fewer when the chart is too narrow.
    void setMaxLegendColumns(int columns);

    void changeEvent(QEvent* event) override;
    void showEvent(QShowEvent* event) override;
    void resizeEvent(QResizeEvent* event) override;
    void contextMenuEvent(QContextMenuEvent* event) override;

private:
    void onTimeRangeChanged(const QCPRange& range);
    void setTimeRange(ValueRange range);
    void updateValueAxis(ValueRange visible);
    void requestReplot();
    // Fewer value ticks on a short chart, so that their labels never overlap.
    void fitTicks();
    // The heading says when the chart does not follow live.
    void updateHeading();
    // Wraps the legend so that no entry is cut off at the chart's present width.
    void fitLegend();
    double historyBegin() const;
    double lastChangeTime() const;

    QString title_;
    QString title_detail_;
    QString unavailable_reason_;
    QLabel* unavailable_ = nullptr; // says unavailable_reason_ over the plot
    double time_origin_ = 0;
    QCustomPlot* plot_;
    QCPAxisRect* time_rect_;
    std::vector<std::unique_ptr<PlotSeries>> series_;
    struct Mark {
        QCPItemStraightLine* line;
        MarkKind kind;
        bool whole_pool;
    };
    std::deque<Mark> marks_;
    void styleMark(const Mark& mark);
    ChartPalette palette_;
    RollingWindow window_;
    double now_ = 0;
    double drawn_until_ = -1; // the newest sample time the last replot showed
    bool have_samples_ = false;
    bool setting_range_ = false;
    bool dirty_ = true;
    std::chrono::steady_clock::time_point last_replot_{};
    int replots_ = 0;
    int max_legend_columns_ = 4;
};

} // namespace poolscope
