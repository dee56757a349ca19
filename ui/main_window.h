// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "poolcore/options.h"
#include "ui/charts/chart_view.h"
#include "ui/monitor/pool_monitor.h"
#include "ui/sources/pool_controller.h"
#include "ui/theme.h"

#include <QMainWindow>
#include <QVariantMap>
#include <array>
#include <functional>
#include <vector>

class QAction;
class QDockWidget;
class QLabel;
class QSplitter;
class QTabWidget;

namespace poolscope {

class BackgroundExport;
class CeleryPage;
class ChartGrid;
class ChartView;
class FaultInjection;
class EventLogPage;
class InfoPage;
class JobMonitor;
class JobsPage;
class TasksPage;
class LoadGenerator;
class LoadPage;
class ProcessPage;
class SettingsPage;
class StopProgress;
class TimelineView;

// The Poolscope window: pool controls in the toolbar and the Pool menu; the live charts in the
// centre; settings and the load generator as tabs of a dock on the left, the process table, event
// log and info report as tabs of a dock below. Every dock folds away from the View menu, so the
// window fits a 1280×720 screen (and 2560×1440 at scale 2).
class MainWindow final : public QMainWindow {
    Q_OBJECT
public:
    explicit MainWindow(QWidget* parent = nullptr);
    ~MainWindow() override;

    // Loads settings, layout and theme saved by an earlier session, and saves them on close.
    void restoreSession();
    // Puts this run's command-line options in the settings form without making them the saved
    // defaults: saveSession() keeps the saved value of every field they set that the user then
    // left alone.
    void applyCommandLineOptions(const poolcore::PoolOptions& options);
    // Presses Start.
    bool startPool();
    // Ends the pool shown now and watches the Celery cluster on `url` (redis://HOST:PORT/DB)
    // instead, its keys and channels named with kombu's global_keyprefix `keyprefix` (the
    // cluster's broker_transport_options); false with the reason in the status bar when the URL
    // cannot be read.
    bool connectToCelery(const QString& url, const QString& keyprefix = {});
    // File › Connect to Celery…: asks for the broker URL and the key prefix, then connects.
    void showCeleryDialog();
    CeleryPage* celeryPage() const { return celery_page_; }
    // Shows the pool another program serves on the monitor socket at `path` (File › Attach…).
    bool attachTo(const QString& path);
    // File › Detach: leaves the attached pool or the Celery cluster running, disconnects, and
    // goes back to an empty window whose Start runs its own pool again; false (with the reason
    // in the status bar) when the window shows its own pool.
    bool detach();
    QAction* detachAction() const { return detach_action_; }

    PoolController& controller() { return *controller_; }
    LoadGenerator& generator() { return *generator_; }
    QAction* action(PoolAction a) const { return actions_[std::size_t(a)]; }
    SettingsPage* settingsPage() const { return settings_page_; }
    LoadPage* loadPage() const { return load_page_; }
    // The line above the settings / the load generator saying why they are greyed.
    QLabel* settingsNote() const { return settings_note_; }
    QLabel* loadNote() const { return load_note_; }
    ProcessPage* processPage() const { return process_page_; }
    EventLogPage* eventLogPage() const { return event_log_page_; }
    InfoPage* infoPage() const { return info_page_; }
    JobsPage* jobsPage() const { return jobs_page_; }
    TasksPage* tasksPage() const { return tasks_page_; }
    StopProgress* stopProgress() const { return stop_progress_; }
    QTabWidget* tabs() const { return tabs_; }
    const std::vector<ChartView*>& charts() const { return charts_; }
    ChartGrid* chartGrid() const { return chart_grid_; }
    TimelineView* timeline() const { return timeline_; }
    // Zooms every chart and the timeline to [begin, end], wall-clock seconds.
    void showTimeRange(double begin, double end);
    void setChartVisible(ChartView* chart, bool visible);
    const StatsHistory& history() const { return monitor_->history(); }
    QString statusText() const;

    // Saves every shown chart as a PNG in `folder`; returns the files written (up to the first
    // failure, which `error` then describes).
    QStringList saveAllCharts(const QString& folder, const ChartExport& how, QString* error);
    // The title line of a saved chart: its time range and the pool's settings.
    QString chartCaption(const ChartView& chart) const;

    // Writes the statistics as JSON or CSV, by the file's suffix, on the GUI thread.
    bool exportStatistics(const QString& path, QString* error) const;
    // The same from a copy taken now, serialized and written on the export's own thread, so the
    // GUI thread and an event-loop pool on it go on (the File menu's way); the result comes as
    // BackgroundExport::finished. False with `error` for a wrong suffix or an export under way.
    bool exportStatisticsInBackground(const QString& path, QString* error);
    BackgroundExport& backgroundExport() { return *background_export_; }
    FaultInjection& faultInjection() { return *fault_injection_; }
    void setTheme(Theme theme);

protected:
    void closeEvent(QCloseEvent* event) override;

private:
    void createActions();
    void createMenus();
    void createDocks();
    // The Jobs and Tasks pages and the charts drawn from job records.
    void attachJobViews();
    void createStatusBar();
    void showAttachDialog();
    void updateActions();
    void onSampleDerived(const Sample& sample);
    void updateStatusBar(const Sample& sample);
    void exportStatisticsWithDialog(const QString& suffix);
    // What exporting to `path` writes, from a copy of the statistics taken now; null (and
    // `error`) for a suffix other than .json or .csv.
    std::function<QByteArray(QString*)> statisticsExport(const QString& path, QString* error) const;
    void saveChartWithDialog(ChartView* chart);
    void saveAllChartsWithDialog();
    QString chartFolder() const;
    void rememberChartFolder(const QString& folder) const;
    void resetLayout();
    void saveSession() const;

    PoolController* controller_;
    QLabel* connection_label_ = nullptr; // shown while attached to another program's pool
    QAction* detach_action_ = nullptr;
    QString attached_path_;
    PoolMonitor* monitor_;
    JobMonitor* job_monitor_; // the Jobs and Tasks pages and the job charts read it
    JobsPage* jobs_page_ = nullptr;
    TasksPage* tasks_page_ = nullptr;
    LoadGenerator* generator_;
    BackgroundExport* background_export_;
    FaultInjection* fault_injection_;
    std::array<QAction*, kPoolActionCount> actions_{};
    std::array<QString, kPoolActionCount> action_tips_;
    SettingsPage* settings_page_ = nullptr;
    LoadPage* load_page_ = nullptr;
    QLabel* settings_note_ = nullptr; // why the settings are greyed, above them
    QLabel* load_note_ = nullptr;
    ProcessPage* process_page_ = nullptr;
    EventLogPage* event_log_page_ = nullptr;
    InfoPage* info_page_ = nullptr;
    CeleryPage* celery_page_ = nullptr;
    StopProgress* stop_progress_ = nullptr;
    QTabWidget* tabs_ = nullptr;
    std::vector<ChartView*> charts_;
    std::vector<QAction*> chart_actions_;
    ChartExport chart_export_;
    ChartGrid* chart_grid_ = nullptr;
    TimelineView* timeline_ = nullptr;
    QSplitter* centre_ = nullptr;
    std::vector<QDockWidget*> docks_;
    QByteArray default_layout_;
    QLabel* state_label_ = nullptr;
    QLabel* processes_label_ = nullptr;
    QLabel* outcomes_label_ = nullptr;
    QLabel* throughput_label_ = nullptr;
    Theme theme_ = Theme::System;
    // The saved and the command line's value of each settings field the command line set.
    QVariantMap saved_values_;
    QVariantMap command_line_values_;
    bool persist_ = false;
    bool quitting_ = false;
};

} // namespace poolscope
