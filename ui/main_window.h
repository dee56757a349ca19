// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "poolcore/options.h"
#include "ui/monitor/pool_monitor.h"
#include "ui/sources/pool_controller.h"
#include "ui/theme.h"

#include <QMainWindow>
#include <array>
#include <vector>

class QAction;
class QDockWidget;
class QLabel;
class QTabWidget;

namespace poolscope {

class ChartView;
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

// The Poolscope window: pool controls in the toolbar and the Pool menu, settings and the load
// generator on the left, the process table, event log and info report in the middle, and one
// dock per live chart.
class MainWindow final : public QMainWindow {
    Q_OBJECT
public:
    explicit MainWindow(QWidget* parent = nullptr);
    ~MainWindow() override;

    // Loads settings, layout and theme saved by an earlier session, and saves them on close.
    void restoreSession();
    // Presses Start.
    bool startPool();
    // Shows the pool another program serves on the monitor socket at `path` (File › Attach…).
    bool attachTo(const QString& path);

    PoolController& controller() { return *controller_; }
    LoadGenerator& generator() { return *generator_; }
    QAction* action(PoolAction a) const { return actions_[std::size_t(a)]; }
    SettingsPage* settingsPage() const { return settings_page_; }
    LoadPage* loadPage() const { return load_page_; }
    ProcessPage* processPage() const { return process_page_; }
    EventLogPage* eventLogPage() const { return event_log_page_; }
    InfoPage* infoPage() const { return info_page_; }
    JobsPage* jobsPage() const { return jobs_page_; }
    TasksPage* tasksPage() const { return tasks_page_; }
    StopProgress* stopProgress() const { return stop_progress_; }
    QTabWidget* tabs() const { return tabs_; }
    const std::vector<ChartView*>& charts() const { return charts_; }
    const StatsHistory& history() const { return monitor_->history(); }
    QString statusText() const;

    // Writes the statistics as JSON or CSV, by the file's suffix.
    bool exportStatistics(const QString& path, QString* error) const;
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
    void saveChartWithDialog(ChartView* chart);
    void resetLayout();
    void saveSession() const;

    PoolController* controller_;
    QLabel* connection_label_ = nullptr; // shown while attached to another program's pool
    QString attached_path_;
    PoolMonitor* monitor_;
    JobMonitor* job_monitor_; // the Jobs and Tasks pages and the job charts read it
    JobsPage* jobs_page_ = nullptr;
    TasksPage* tasks_page_ = nullptr;
    LoadGenerator* generator_;
    std::array<QAction*, kPoolActionCount> actions_{};
    std::array<QString, kPoolActionCount> action_tips_;
    SettingsPage* settings_page_ = nullptr;
    LoadPage* load_page_ = nullptr;
    ProcessPage* process_page_ = nullptr;
    EventLogPage* event_log_page_ = nullptr;
    InfoPage* info_page_ = nullptr;
    StopProgress* stop_progress_ = nullptr;
    QTabWidget* tabs_ = nullptr;
    std::vector<ChartView*> charts_;
    std::vector<QDockWidget*> docks_;
    QByteArray default_layout_;
    QLabel* state_label_ = nullptr;
    QLabel* processes_label_ = nullptr;
    QLabel* outcomes_label_ = nullptr;
    QLabel* throughput_label_ = nullptr;
    Theme theme_ = Theme::System;
    bool persist_ = false;
    bool quitting_ = false;
};

} // namespace poolscope
