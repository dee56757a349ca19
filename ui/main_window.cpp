// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/main_window.h"

#include "ui/background_export.h"
#include "ui/charts/chart_grid.h"
#include "ui/charts/chart_registry.h"
#include "ui/charts/chart_view.h"
#include "ui/charts/job_charts.h"
#include "ui/export_file.h"
#include "ui/fault_injection.h"
#include "ui/help_dialogs.h"
#include "ui/monitor/job_monitor.h"
#include "ui/monitor/pool_monitor.h"
#include "ui/pages/celery_page.h"
#include "ui/pages/chart_export_dialog.h"
#include "ui/pages/event_log_page.h"
#include "ui/pages/info_page.h"
#include "ui/pages/jobs_page.h"
#include "ui/pages/load_page.h"
#include "ui/pages/process_page.h"
#include "ui/pages/settings_page.h"
#include "ui/pages/stop_progress.h"
#include "ui/pages/tasks_page.h"
#include "ui/sources/attach_source.h"
#include "ui/sources/celery_source.h"
#include "ui/sources/load_generator.h"
#include "ui/timeline/timeline_view.h"

#include <QAction>
#include <QActionGroup>
#include <QApplication>
#include <QCloseEvent>
#include <QDateTime>
#include <QDialog>
#include <QDialogButtonBox>
#include <QDir>
#include <QDockWidget>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QInputDialog>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QMenuBar>
#include <QMessageBox>
#include <QPushButton>
#include <QScrollArea>
#include <QScrollBar>
#include <QSettings>
#include <QSplitter>
#include <QStandardPaths>
#include <QStatusBar>
#include <QStyle>
#include <QTabWidget>
#include <QTimer>
#include <QToolBar>
#include <QVBoxLayout>
#include <cmath>

// The resources are compiled into this static library; the linker keeps them only if someone
// asks for them by name.
static void initPoolscopeResources() {
    static const bool done = [] {
        Q_INIT_RESOURCE(poolscope);
        return true;
    }();
    (void)done;
}

namespace poolscope {

using poolcore::PoolState;

namespace {

void setTextIfChanged(QLabel* label, const QString& text) {
    if (label->text() != text)
        label->setText(text);
}

// Wraps a page in a scroll area so that a small dock never squeezes its form.
QWidget* scrollable(QWidget* page) {
    auto* area = new QScrollArea;
    area->setWidget(page);
    area->setWidgetResizable(true);
    area->setFrameShape(QFrame::NoFrame);
    area->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    area->setMinimumWidth(page->minimumSizeHint().width() +
                          area->verticalScrollBar()->sizeHint().width() + 4);
    return area;
}

} // namespace

MainWindow::MainWindow(QWidget* parent)
    : QMainWindow(parent), controller_(new PoolController(this)),
      monitor_(new PoolMonitor(*controller_, this)),
      job_monitor_(new JobMonitor(*controller_, this)),
      generator_(new LoadGenerator(*controller_, this)),
      background_export_(new BackgroundExport(this)),
      fault_injection_(new FaultInjection(*controller_, this)) {
    initPoolscopeResources();
    setObjectName(QStringLiteral("mainWindow"));
    setWindowTitle(tr("Poolscope"));
    setDockNestingEnabled(true);
    setCorner(Qt::TopLeftCorner, Qt::LeftDockWidgetArea);
    setCorner(Qt::BottomLeftCorner, Qt::LeftDockWidgetArea);

    process_page_ = new ProcessPage(*controller_);
    event_log_page_ = new EventLogPage;
    info_page_ = new InfoPage(*controller_);
    stop_progress_ = new StopProgress(*controller_);
    tabs_ = new QTabWidget;
    tabs_->setObjectName(QStringLiteral("pages"));
    tabs_->setDocumentMode(true);
    tabs_->addTab(process_page_, tr("&Processes"));
    tabs_->addTab(event_log_page_, tr("&Event Log"));
    tabs_->addTab(info_page_, tr("&Info"));
    // The charts are the centre; the tables, the settings and the load generator sit in docks
    // around them that fold away (View menu) or float.
    chart_grid_ = new ChartGrid;
    for (const ChartRow& row : chartRows()) {
        ChartView* chart = row.make();
        chart->setObjectName(QString::fromLatin1(row.object_name));
        charts_.push_back(chart);
        chart_grid_->addChart(chart);
        connect(chart, &ChartView::saveRequested, this,
                [this, chart] { saveChartWithDialog(chart); });
        // The charts zoom and pan together: one shared time axis.
        connect(chart, &ChartView::userMovedTime, this, [this, chart](double begin, double end) {
            for (ChartView* other : charts_)
                if (other != chart)
                    other->showWallRange(begin, end);
        });
        connect(chart, &ChartView::followRequested, this, [this] {
            for (ChartView* c : charts_)
                if (!c->isFollowing())
                    c->followLive();
        });
    }
    centre_ = new QSplitter(Qt::Vertical);
    centre_->setObjectName(QStringLiteral("centre"));
    centre_->setChildrenCollapsible(false);
    timeline_ = new TimelineView;
    centre_->addWidget(timeline_);
    // On a laptop screen nine charts at a readable height do not fit under the timeline: the
    // grid scrolls then, rather than pushing the window past the screen.
    auto* chart_scroll = new QScrollArea;
    chart_scroll->setObjectName(QStringLiteral("chartScroll"));
    chart_scroll->setWidget(chart_grid_);
    chart_scroll->setWidgetResizable(true);
    chart_scroll->setFrameShape(QFrame::NoFrame);
    chart_scroll->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    chart_scroll->setMinimumHeight(ChartView::kMinimumHeight);
    centre_->addWidget(chart_scroll);
    centre_->setStretchFactor(0, 2);
    centre_->setStretchFactor(1, 3);
    for (ChartView* chart : charts_)
        chart->setTimeOrigin(monitor_->timeOrigin());
    attachJobViews();
    auto* central = new QWidget;
    auto* layout = new QVBoxLayout(central);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(0);
    layout->addWidget(stop_progress_);
    layout->addWidget(centre_);
    setCentralWidget(central);

    createActions();
    createDocks();
    for (ChartView* chart : charts_) {
        if (auto* c = dynamic_cast<JobStatsChart*>(chart))
            c->attachJobStats(&job_monitor_->stats());
        if (auto* c = dynamic_cast<OfferedLoadChart*>(chart))
            c->attachLoadGenerator(generator_);
    }
    createMenus();
    createStatusBar();

    connect(monitor_, &PoolMonitor::sampleDerived, this, &MainWindow::onSampleDerived);
    connect(controller_, &PoolController::availabilityChanged, this, &MainWindow::updateActions);
    connect(controller_, &PoolController::eventsArrived, event_log_page_, &EventLogPage::append);
    connect(controller_, &PoolController::eventsArrived, timeline_, &TimelineView::addEvents);
    // The charts carry the timeline's marks.
    connect(controller_, &PoolController::eventsArrived, this,
            [this](const QList<PoolEvent>& events) {
                for (const PoolEvent& e : events)
                    if (const auto mark = markForEvent(e))
                        for (ChartView* chart : charts_)
                            chart->addMark(*mark);
            });
    connect(controller_, &PoolController::jobsArrived, timeline_, &TimelineView::addJobs);
    // Lanes are named by whichever source is open (a cluster names its workers).
    timeline_->setLaneLabeler([this](int slot, qint64 pid) {
        const PoolSource* source = controller_->source();
        return source ? QString::fromStdString(source->lane_label(slot, pid_t(pid))) : QString();
    });
    connect(controller_, &PoolController::sampled, timeline_, &TimelineView::setRunning);
    connect(timeline_, &TimelineView::timeRangeSelected, this, &MainWindow::showTimeRange);
    connect(timeline_, &TimelineView::jobActivated, this, [this](poolcore::JobId id) {
        if (jobs_page_->showJob(id)) {
            tabs_->setCurrentWidget(jobs_page_);
            return;
        }
        statusBar()->showMessage(
            tr("Job %1 has left the jobs list, which keeps only the newest jobs").arg(id), 10000);
    });
    connect(controller_, &PoolController::actionFailed, this,
            [this](const QString& action, const QString& message) {
                statusBar()->showMessage(tr("%1: %2").arg(action, message), 10000);
            });
    connect(controller_, &PoolController::stateChanged, this, [this](PoolState s) {
        if (quitting_ && s == PoolState::Stopped)
            QTimer::singleShot(0, this, &QWidget::close);
    });
    connect(settings_page_, &SettingsPage::validityChanged, this, &MainWindow::updateActions);
    connect(background_export_, &BackgroundExport::finished, this,
            [this](const QString& path, const QString& error) {
                if (!error.isEmpty()) {
                    statusBar()->clearMessage();
                    QMessageBox::warning(this, tr("Export Statistics"), error);
                } else {
                    rememberExportFolder(path);
                    statusBar()->showMessage(tr("Statistics saved to %1").arg(path), 5000);
                }
            });

    resize(1280, 720);
    default_layout_ = saveState();
    updateActions();
}

MainWindow::~MainWindow() {
    generator_->stop();
    // The charts and pages listen to the controller: end the pool while they still exist.
    controller_->shutDown(std::chrono::seconds(5));
}

void MainWindow::createActions() {
    struct Spec {
        PoolAction action;
        QString text;
        const char* icon;
        QList<QKeySequence> keys;
        QString tip;
    };
    const Spec specs[] = {
        {PoolAction::Start,
         tr("&Start"),
         "start",
         {QKeySequence(Qt::Key_F5)},
         tr("Starts a new pool with the settings on the left")},
        {PoolAction::Restart,
         tr("&Restart"),
         "restart",
         {QKeySequence(tr("Ctrl+R"))},
         tr("Replaces every worker: idle ones at once, busy ones when their job ends; then runs a "
            "no-op job on the new ones")},
        {PoolAction::Stop,
         tr("S&top"),
         "stop",
         {QKeySequence(tr("Shift+F5"))},
         tr("Stops gracefully: accepts no new jobs, lets queued and running jobs finish, then "
            "retires the workers")},
        {PoolAction::Terminate,
         tr("&Terminate"),
         "terminate",
         {QKeySequence(tr("Ctrl+Shift+F5"))},
         tr("Stops at once: fails queued and running jobs and kills every worker")},
        {PoolAction::Close,
         tr("&Close"),
         "close",
         {QKeySequence(tr("Ctrl+Shift+L"))},
         tr("Closes the pool to new jobs; queued and running jobs go on (then Stop or "
            "Terminate)")},
        {PoolAction::Grow,
         tr("&Grow"),
         "grow",
         {QKeySequence(tr("Ctrl+=")), QKeySequence(tr("Ctrl++"))},
         tr("Adds one worker process")},
        {PoolAction::Shrink,
         tr("Shrin&k"),
         "shrink",
         {QKeySequence(tr("Ctrl+-"))},
         tr("Retires one idle worker process (never a busy one)")},
    };
    for (const Spec& s : specs) {
        const QIcon icon(QStringLiteral(":/poolscope/icons/%1.png").arg(QLatin1String(s.icon)));
        auto* a = new QAction(icon, s.text, this);
        a->setObjectName(QStringLiteral("action") + actionName(s.action));
        a->setShortcuts(s.keys);
        a->setShortcutContext(Qt::WindowShortcut);
        action_tips_[std::size_t(s.action)] = s.tip;
        actions_[std::size_t(s.action)] = a;
    }
    connect(action(PoolAction::Start), &QAction::triggered, this, &MainWindow::startPool);
    connect(action(PoolAction::Restart), &QAction::triggered, controller_,
            &PoolController::restart);
    connect(action(PoolAction::Stop), &QAction::triggered, this, [this] {
        generator_->stop(tr("the pool is stopping (Stop)"));
        controller_->stop();
    });
    connect(action(PoolAction::Terminate), &QAction::triggered, this, [this] {
        generator_->stop(tr("the pool was terminated"));
        controller_->terminate();
    });
    connect(action(PoolAction::Close), &QAction::triggered, this, [this] {
        generator_->stop(tr("the pool was closed to new jobs"));
        controller_->close();
    });
    connect(action(PoolAction::Grow), &QAction::triggered, controller_, &PoolController::grow);
    connect(action(PoolAction::Shrink), &QAction::triggered, controller_, &PoolController::shrink);

    auto* bar = addToolBar(tr("Pool"));
    bar->setObjectName(QStringLiteral("poolToolBar"));
    bar->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
    for (int i = 0; i < kPoolActionCount; ++i) {
        bar->addAction(actions_[std::size_t(i)]);
        if (PoolAction(i) == PoolAction::Close)
            bar->addSeparator();
        if (QWidget* button = bar->widgetForAction(actions_[std::size_t(i)])) {
            button->setObjectName(QStringLiteral("button") + actionName(PoolAction(i)));
            button->setAccessibleName(actionName(PoolAction(i)) + tr(" pool"));
            button->setAccessibleDescription(action_tips_[std::size_t(i)]);
        }
    }
}

void MainWindow::updateActions() {
    for (int i = 0; i < kPoolActionCount; ++i) {
        const auto a = PoolAction(i);
        QAction* act = actions_[std::size_t(i)];
        // Start also needs settings it can start with, which only the window knows.
        const Availability now =
            a == PoolAction::Start && !settings_page_->isValid()
                ? Availability::no(tr("fix the settings marked on the left first"))
                : controller_->availability(a);
        act->setEnabled(now.available);
        QString tip = action_tips_[std::size_t(i)];
        if (!act->shortcut().isEmpty())
            tip += QStringLiteral(" (%1)").arg(act->shortcut().toString(QKeySequence::NativeText));
        if (!now.available)
            tip += QLatin1Char('\n') + tr("Not available now: %1.").arg(now.reason);
        act->setToolTip(tip);
        act->setStatusTip(action_tips_[std::size_t(i)]);
    }
    // The forms the source has no use for are greyed, with its reason above them.
    auto grey = [this](QWidget* page, QLabel* note, SourceFeature feature) {
        const Availability a = controller_->availability(feature);
        page->setEnabled(a.available);
        const QString why = a.available ? QString() : tr("Not available now: %1.").arg(a.reason);
        page->setToolTip(why);
        note->setText(why);
        note->setVisible(!a.available);
    };
    grey(settings_page_, settings_note_, SourceFeature::Settings);
    grey(load_page_, load_note_, SourceFeature::LoadGenerator);
    // A chart whose data the source does not have says so rather than stay empty.
    const auto rows = chartRows();
    for (std::size_t i = 0; i < rows.size() && i < charts_.size(); ++i) {
        const Availability a =
            rows[i].needs ? controller_->availability(*rows[i].needs) : Availability::yes();
        charts_[i]->setUnavailableReason(a.reason);
    }
    if (detach_action_) {
        const bool attached = !controller_->ownsPool();
        detach_action_->setEnabled(attached);
        detach_action_->setToolTip(
            attached ? tr("Disconnects and leaves the pool or the Celery cluster running; Start "
                          "then runs this window's own pool")
                     : tr("Not available now: the window shows no other program's pool or Celery "
                          "cluster."));
    }
}

void MainWindow::attachJobViews() {
    jobs_page_ = new JobsPage;
    tasks_page_ = new TasksPage(job_monitor_->stats());
    tabs_->addTab(jobs_page_, tr("&Jobs"));
    tabs_->addTab(tasks_page_, tr("&Tasks"));
    connect(job_monitor_, &JobMonitor::jobsAdded, jobs_page_, &JobsPage::append);
    connect(job_monitor_, &JobMonitor::statsChanged, tasks_page_, &TasksPage::refresh);
}

void MainWindow::createDocks() {
    auto dock = [this](const QString& title, const QString& name, QWidget* content,
                       Qt::DockWidgetArea area) {
        auto* d = new QDockWidget(title, this);
        d->setObjectName(name);
        d->setWidget(content);
        d->setAccessibleName(title);
        addDockWidget(area, d);
        docks_.push_back(d);
        return d;
    };
    settings_page_ = new SettingsPage;
    load_page_ = new LoadPage(*controller_, *generator_);
    // Each form has a line above it that says why it is greyed when the source has no use for
    // it (a Celery cluster's settings are its workers' own).
    auto with_note = [](QWidget* page, QLabel*& note, const QString& name) {
        auto* box = new QWidget;
        auto* layout = new QVBoxLayout(box);
        layout->setContentsMargins(0, 0, 0, 0);
        note = new QLabel;
        note->setObjectName(name);
        note->setWordWrap(true);
        note->setContentsMargins(8, 6, 8, 0);
        note->hide();
        layout->addWidget(note);
        layout->addWidget(page);
        return box;
    };
    // Settings and load generator share one column as tabs: stacked, their forms alone would
    // ask for more height than a laptop screen has.
    QDockWidget* settings = dock(tr("Settings"), QStringLiteral("settingsDock"),
                                 scrollable(with_note(settings_page_, settings_note_,
                                                      QStringLiteral("settingsUnavailable"))),
                                 Qt::LeftDockWidgetArea);
    QDockWidget* load =
        dock(tr("Load Generator"), QStringLiteral("loadDock"),
             scrollable(with_note(load_page_, load_note_, QStringLiteral("loadUnavailable"))),
             Qt::LeftDockWidgetArea);
    tabifyDockWidget(settings, load);
    settings->raise();
    QDockWidget* details = dock(tr("Processes, Events and Info"), QStringLiteral("detailsDock"),
                                tabs_, Qt::BottomDockWidgetArea);
    resizeDocks({settings}, {340}, Qt::Horizontal);
    resizeDocks({details}, {220}, Qt::Vertical);
}

void MainWindow::setChartVisible(ChartView* chart, bool visible) {
    chart_grid_->setChartVisible(chart, visible);
    for (QAction* a : chart_actions_)
        if (a->data().toString() == chart->objectName() && a->isChecked() != visible)
            a->setChecked(visible);
}

void MainWindow::createMenus() {
    QMenu* file = menuBar()->addMenu(tr("&File"));
    QAction* attach =
        file->addAction(tr("&Attach to a Pool…"), this, &MainWindow::showAttachDialog);
    attach->setToolTip(
        tr("Watches and controls a pool another program serves on a monitor socket"));
#if !POOLCORE_HAS_MONITOR
    attach->setEnabled(false);
    attach->setToolTip(tr("Not available: %1.").arg(QString::fromLatin1(kNoAttachReason)));
#endif
    file->addSeparator();
    QAction* json = file->addAction(tr("Export Statistics as &JSON…"), this,
                                    [this] { exportStatisticsWithDialog(QStringLiteral("json")); });
    json->setShortcut(QKeySequence(tr("Ctrl+E")));
    json->setToolTip(tr("Saves the latest snapshot, the info report and the sampled history"));
    file->addAction(tr("Export Statistics as &CSV…"), this,
                    [this] { exportStatisticsWithDialog(QStringLiteral("csv")); })
        ->setToolTip(tr("Saves the sampled history, one row per sample"));
    QMenu* save_chart = file->addMenu(tr("Save C&hart As"));
    for (ChartView* chart : charts_)
        save_chart->addAction(chart->title() + tr("…"), this,
                              [this, chart] { saveChartWithDialog(chart); });
    file->addAction(tr("Save &All Charts…"), this, &MainWindow::saveAllChartsWithDialog)
        ->setToolTip(tr("Saves every shown chart as a PNG in one folder, at one size"));
    file->addAction(tr("Export Event &Log…"), event_log_page_, &EventLogPage::exportWithDialog);
    file->addSeparator();
    file->addAction(tr("Connect to &Celery…"), this, &MainWindow::showCeleryDialog)
        ->setObjectName(QStringLiteral("actionConnectCelery"));
    detach_action_ = file->addAction(tr("&Detach"), this, &MainWindow::detach);
    detach_action_->setObjectName(QStringLiteral("actionDetach"));
    file->setToolTipsVisible(true);
    file->addSeparator();
    QAction* quit = file->addAction(tr("&Quit"), this, &QWidget::close);
    quit->setShortcut(QKeySequence::Quit);

    QMenu* pool = menuBar()->addMenu(tr("&Pool"));
    for (QAction* a : actions_)
        pool->addAction(a);
    pool->insertSeparator(action(PoolAction::Grow));

    menuBar()->addMenu(fault_injection_->createMenu(this));

    QMenu* view = menuBar()->addMenu(tr("&View"));
    for (QDockWidget* d : docks_)
        view->addAction(d->toggleViewAction());
    QMenu* shown_charts = view->addMenu(tr("C&harts"));
    for (ChartView* chart : charts_) {
        QAction* a = shown_charts->addAction(chart->title());
        a->setCheckable(true);
        a->setChecked(true);
        a->setData(chart->objectName());
        chart_actions_.push_back(a);
        connect(a, &QAction::toggled, this, [this, chart](bool on) { setChartVisible(chart, on); });
    }
    view->addSeparator();
    QMenu* window = view->addMenu(tr("Chart &Window"));
    for (int seconds : {30, 60, 120, 300, 600}) {
        window->addAction(seconds < 60 ? tr("%1 seconds").arg(seconds)
                                       : tr("%1 minutes").arg(seconds / 60),
                          this, [this, seconds] {
                              for (ChartView* c : charts_)
                                  c->setWindowSeconds(seconds);
                              timeline_->setWindowSeconds(seconds);
                          });
    }
    view->addAction(tr("&Follow Live (All Charts)"), this, [this] {
        for (ChartView* c : charts_)
            c->followLive();
        timeline_->followLive();
    });
    QMenu* theme = view->addMenu(tr("&Theme"));
    auto* themes = new QActionGroup(this);
    for (Theme t : {Theme::System, Theme::Light, Theme::Dark}) {
        QAction* a = theme->addAction(t == Theme::System  ? tr("&System")
                                      : t == Theme::Light ? tr("&Light")
                                                          : tr("&Dark"));
        a->setCheckable(true);
        a->setChecked(t == theme_);
        a->setObjectName(QStringLiteral("theme-") + themeKey(t));
        themes->addAction(a);
        connect(a, &QAction::triggered, this, [this, t] { setTheme(t); });
    }
    view->addAction(tr("&Reset Layout"), this, &MainWindow::resetLayout);

    QMenu* help = menuBar()->addMenu(tr("&Help"));
    QAction* keys = help->addAction(tr("&Keyboard Shortcuts"), this, [this] {
        ShortcutsDialog dialog(this);
        dialog.exec();
    });
    keys->setObjectName(QStringLiteral("actionShortcuts"));
    keys->setShortcut(QKeySequence::HelpContents);
    help->addAction(tr("&About Poolscope"), this,
                    [this] { QMessageBox::about(this, tr("About Poolscope"), aboutText()); });
}

void MainWindow::createStatusBar() {
    state_label_ = new QLabel;
    state_label_->setObjectName(QStringLiteral("statusState"));
    processes_label_ = new QLabel;
    processes_label_->setObjectName(QStringLiteral("statusProcesses"));
    outcomes_label_ = new QLabel;
    outcomes_label_->setObjectName(QStringLiteral("statusOutcomes"));
    throughput_label_ = new QLabel;
    throughput_label_->setObjectName(QStringLiteral("statusThroughput"));
    for (QLabel* l : {state_label_, processes_label_, outcomes_label_, throughput_label_}) {
        l->setTextInteractionFlags(Qt::TextSelectableByMouse);
        statusBar()->addPermanentWidget(l);
    }
    state_label_->setText(tr("No pool"));
    connection_label_ = new QLabel;
    connection_label_->setObjectName(QStringLiteral("statusConnection"));
    connection_label_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    connection_label_->hide();
    statusBar()->addPermanentWidget(connection_label_);
    connect(controller_, &PoolController::connectionChanged, this, [this](const QString& problem) {
        connection_label_->setText(problem.isEmpty() ? tr("Attached: %1").arg(attached_path_)
                                                     : tr("Not connected: %1").arg(problem));
        connection_label_->setStyleSheet(problem.isEmpty() ? QString()
                                                           : QStringLiteral("color: #c0392b"));
    });
}

bool MainWindow::attachTo(const QString& path) {
#if !POOLCORE_HAS_MONITOR
    statusBar()->showMessage(
        tr("Attach to %1: not available: %2").arg(path, QString::fromLatin1(kNoAttachReason)),
        10000);
    return false;
#else
    // The window shows one pool: its own must have ended first; an attached one is just left.
    if (controller_->ownsPool() && !controller_->availability(PoolAction::Start).available) {
        statusBar()->showMessage(tr("Attach: stop or terminate this window's own pool first"),
                                 10000);
        return false;
    }
    if (!controller_->ownsPool())
        controller_->shutDown(std::chrono::seconds(1)); // only disconnects
    generator_->stop();
    attached_path_ = path;
    controller_->setSourceFactory(attach_source_factory(path.toStdString()));
    connection_label_->setText(tr("Not connected: connecting to %1").arg(path));
    connection_label_->show();
    setWindowTitle(tr("%1 (attached)").arg(path));
    // Its settings and its load are the owning program's: the source says so, and
    // updateActions greys them with that reason.
    const bool ok = controller_->start(poolcore::PoolOptions{});
    updateActions();
    return ok;
#endif
}

void MainWindow::showCeleryDialog() {
    QSettings saved;
    QDialog dialog(this);
    dialog.setObjectName(QStringLiteral("celeryConnectDialog"));
    dialog.setWindowTitle(tr("Connect to Celery"));
    auto* form = new QFormLayout(&dialog);
    auto* url = new QLineEdit(
        saved.value(QStringLiteral("celery/url"), QStringLiteral("redis://127.0.0.1:6379/0"))
            .toString());
    url->setObjectName(QStringLiteral("celeryUrl"));
    url->setMinimumWidth(url->fontMetrics().horizontalAdvance(
        QStringLiteral("redis://broker.example.internal:6379/15")));
    url->setToolTip(tr("The cluster's Redis broker, as its broker_url says: redis://HOST:PORT/DB"));
    auto* prefix = new QLineEdit(saved.value(QStringLiteral("celery/keyprefix")).toString());
    prefix->setObjectName(QStringLiteral("celeryKeyprefix"));
    prefix->setPlaceholderText(tr("(none)"));
    prefix->setToolTip(tr("kombu's global_keyprefix, when the cluster sets it in "
                          "broker_transport_options: every key and channel it uses starts with "
                          "it. Leave empty for Celery's default."));
    form->addRow(tr("&Broker URL:"), url);
    form->addRow(tr("Global &key prefix:"), prefix);
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel);
    form->addRow(buttons);
    connect(buttons, &QDialogButtonBox::accepted, &dialog, &QDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, &dialog, &QDialog::reject);
    if (dialog.exec() != QDialog::Accepted)
        return;
    if (connectToCelery(url->text().trimmed(), prefix->text()) && persist_) {
        saved.setValue(QStringLiteral("celery/url"), url->text().trimmed());
        saved.setValue(QStringLiteral("celery/keyprefix"), prefix->text());
    }
}

bool MainWindow::detach() {
    if (controller_->ownsPool()) {
        statusBar()->showMessage(tr("Detach: the window shows its own pool, not an attached one"),
                                 10000);
        return false;
    }
    const QString left = !attached_path_.isEmpty() ? tr("the pool on %1").arg(attached_path_)
                                                   : tr("the Celery cluster");
    generator_->stop();
    // Only disconnects: an attached pool and a Celery cluster are another program's.
    controller_->shutDown(std::chrono::seconds(5));
    controller_->setSourceFactory(make_pool_source);
    controller_->log(EventKind::Control, poolcore::Severity::Info,
                     tr("detached from %1, which goes on running").arg(left));
    attached_path_.clear();
    connection_label_->hide();
    if (celery_page_) {
        tabs_->removeTab(tabs_->indexOf(celery_page_));
        celery_page_->deleteLater();
        celery_page_ = nullptr;
    }
    setWindowTitle(tr("Poolscope"));
    state_label_->setText(tr("No pool"));
    controller_->sampleNow(); // the state and the log now, not at the next tick
    updateActions();
    statusBar()->showMessage(tr("Detached from %1; it goes on running").arg(left), 10000);
    return true;
}

void MainWindow::showAttachDialog() {
#if POOLCORE_HAS_MONITOR
    const QStringList sockets = find_monitor_sockets();
    bool ok = false;
    const QString path = QInputDialog::getItem(
        this, tr("Attach to a Pool"),
        sockets.isEmpty()
            ? tr("No monitor socket in %1; type a socket's path:").arg(monitor_runtime_directory())
            : tr("Monitor sockets in %1, or type a path:").arg(monitor_runtime_directory()),
        sockets, 0, true, &ok);
    if (ok && !path.trimmed().isEmpty())
        attachTo(path.trimmed());
#endif
}

QString MainWindow::statusText() const {
    return QStringList{state_label_->text(), processes_label_->text(), outcomes_label_->text(),
                       throughput_label_->text()}
        .join(QStringLiteral(" | "));
}

void MainWindow::updateStatusBar(const Sample& s) {
    const QLocale locale;
    using poolcore::Outcome;
    QString state = stateText(s.state);
    if (controller_->isStopping())
        state += tr(" (stopping)");
    setTextIfChanged(state_label_, tr("Pool: %1").arg(state));
    setTextIfChanged(
        processes_label_,
        tr("Processes: %1 alive / %2 target, %3 busy").arg(s.alive).arg(s.target).arg(s.busy));
    setTextIfChanged(outcomes_label_, [&] {
        // Every outcome by poolcore's name, as the charts, the Jobs tab and the exports say it.
        QStringList parts;
        for (int o = 0; o < poolcore::kOutcomeCount; ++o)
            parts << QStringLiteral("%1 %2").arg(
                QString::fromLatin1(poolcore::to_string(Outcome(o)).data()),
                locale.toString(qulonglong(s.totals[std::size_t(o)])));
        return parts.join(QStringLiteral(" · "));
    }());
    setTextIfChanged(throughput_label_,
                     tr("%1 jobs/s").arg(locale.toString(s.finished_per_s, 'f', 0)));
}

void MainWindow::onSampleDerived(const Sample& sample) {
    if (sample.state == PoolState::Run || sample.state == PoolState::Close)
        settings_page_->followProcessCount(sample.target);
    for (ChartView* chart : charts_)
        chart->addSample(sample);
    timeline_->refresh();
    updateStatusBar(sample);
}

void MainWindow::showTimeRange(double begin, double end) {
    for (ChartView* chart : charts_)
        chart->showWallRange(begin, end);
    timeline_->showRange(begin, end);
    // The job list filters on the steady clock its records carry.
    const double offset = timeline_->store().wallOffset();
    auto steady = [offset](double wall) {
        return std::chrono::steady_clock::time_point(
            std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                std::chrono::duration<double>(wall - offset)));
    };
    jobs_page_->setTimeRange(steady(begin), steady(end));
}

bool MainWindow::startPool() {
    if (!settings_page_->isValid()) {
        statusBar()->showMessage(tr("Start: fix the settings marked on the left first"), 10000);
        return false;
    }
    const bool ok = controller_->start(settings_page_->options());
    settings_page_->setRunningOptions(ok ? &controller_->options() : nullptr);
    updateActions();
    return ok;
}

bool MainWindow::connectToCelery(const QString& url, const QString& keyprefix) {
    celery::ClientSettings settings;
    settings.transport.global_keyprefix = keyprefix.toStdString();
    if (const std::string problem = celery::parse_broker_url(url.toStdString(), settings.transport);
        !problem.empty()) {
        statusBar()->showMessage(tr("Connect to Celery: %1").arg(QString::fromStdString(problem)),
                                 10000);
        return false;
    }
    generator_->stop();
    controller_->shutDown(std::chrono::seconds(5));
    controller_->setSourceFactory(make_celery_source_factory(settings));
    if (!celery_page_) {
        celery_page_ = new CeleryPage(*controller_);
        tabs_->insertTab(0, celery_page_, tr("&Celery Workers"));
    }
    tabs_->setCurrentWidget(celery_page_);
    setWindowTitle(
        keyprefix.isEmpty()
            ? tr("Poolscope — Celery on %1").arg(QString::fromStdString(settings.transport.url()))
            : tr("Poolscope — Celery on %1, key prefix %2")
                  .arg(QString::fromStdString(settings.transport.url()), keyprefix));
    const bool ok = controller_->start(settings_page_->options());
    updateActions();
    return ok;
}

std::function<QByteArray(QString*)> MainWindow::statisticsExport(const QString& path,
                                                                 QString* error) const {
    const QString suffix = QFileInfo(path).suffix().toLower();
    if (suffix == QLatin1String("json")) {
        // Copied here, serialized wherever the caller runs it: the history is a few MB at most,
        // its JSON text several times that and far slower to make.
        return [history = monitor_->history(), snapshot = controller_->lastSnapshot(),
                info = controller_->info(), seconds = job_monitor_->stats().points()](QString*) {
            return QByteArray::fromStdString(
                history.to_json(snapshot, info ? &*info : nullptr, seconds));
        };
    }
    if (suffix == QLatin1String("csv"))
        return [history = monitor_->history(), seconds = job_monitor_->stats().points()](QString*) {
            return QByteArray::fromStdString(history.to_csv(seconds));
        };
    if (error)
        *error = tr("Choose a file name ending in .json or .csv.");
    return {};
}

bool MainWindow::exportStatistics(const QString& path, QString* error) const {
    const auto produce = statisticsExport(path, error);
    if (!produce)
        return false;
    QString failure;
    const QByteArray bytes = produce(&failure);
    if (!failure.isEmpty()) {
        if (error)
            *error = failure;
        return false;
    }
    return writeExportFile(path, bytes, error);
}

bool MainWindow::exportStatisticsInBackground(const QString& path, QString* error) {
    auto produce = statisticsExport(path, error);
    if (!produce)
        return false;
    if (!background_export_->start(path, std::move(produce))) {
        if (error)
            *error = tr("An export is still being written; try again when it has finished.");
        return false;
    }
    statusBar()->showMessage(tr("Writing statistics to %1…").arg(path));
    return true;
}

void MainWindow::exportStatisticsWithDialog(const QString& suffix) {
    const QString filter =
        suffix == QLatin1String("json") ? tr("JSON (*.json)") : tr("CSV (*.csv)");
    const QString path = QFileDialog::getSaveFileName(
        this, tr("Export Statistics"),
        exportDialogPath(ExportKind::Data, QStringLiteral("poolscope-stats.") + suffix), filter);
    QString error;
    if (path.isEmpty())
        return;
    if (!exportStatisticsInBackground(path, &error))
        QMessageBox::warning(this, tr("Export Statistics"), error);
}

QString MainWindow::chartCaption(const ChartView& chart) const {
    const ValueRange r = chart.visibleTimeRange();
    const double origin = chart.timeOrigin();
    auto at = [](double wall) {
        return QDateTime::fromMSecsSinceEpoch(qint64(std::llround(wall * 1000)));
    };
    const QDateTime begin = at(origin + r.lower), end = at(origin + r.upper);
    QString when = QStringLiteral("%1 – %2").arg(
        QLocale().toString(begin, QStringLiteral("ddd d MMM yyyy HH:mm:ss")),
        end.toString(QStringLiteral("HH:mm:ss t")));
    const PoolState s = controller_->state();
    if (s == PoolState::Init || s == PoolState::Stopped)
        return when;
    const poolcore::PoolOptions& o = controller_->options();
    return tr("%1 · %2 processes · %3 · %4 pool")
        .arg(when)
        .arg(o.processes)
        .arg(o.start_method
                 ? QString::fromStdString(std::string(poolcore::to_string(*o.start_method)))
                 : tr("default start method"),
             o.threads ? tr("threaded") : tr("event-loop"));
}

QString MainWindow::chartFolder() const {
    const QString fallback = QStandardPaths::writableLocation(QStandardPaths::PicturesLocation);
    return QSettings().value(QStringLiteral("export/chartFolder"), fallback).toString();
}

void MainWindow::rememberChartFolder(const QString& folder) const {
    if (persist_)
        QSettings().setValue(QStringLiteral("export/chartFolder"), folder);
}

void MainWindow::saveChartWithDialog(ChartView* chart) {
    const auto how = ChartExportDialog::ask(this, chart_export_, chart->title());
    if (!how)
        return;
    chart_export_ = *how;
    const QString name = chart->title().toLower().replace(QLatin1Char(' '), QLatin1Char('-')) +
                         QStringLiteral(".png");
    const QString path = QFileDialog::getSaveFileName(
        this, tr("Save %1").arg(chart->title()), QDir(chartFolder()).filePath(name),
        tr("PNG image (*.png);;PDF document (*.pdf)"));
    if (path.isEmpty())
        return;
    rememberChartFolder(QFileInfo(path).absolutePath());
    ChartExport options = *how;
    options.caption = chartCaption(*chart);
    QString error;
    if (!chart->saveImage(path, &error, options)) {
        QMessageBox::warning(this, tr("Save Chart"), error);
        return;
    }
    statusBar()->showMessage(tr("Chart saved to %1").arg(path), 5000);
}

QStringList MainWindow::saveAllCharts(const QString& folder, const ChartExport& how,
                                      QString* error) {
    QStringList saved;
    const QString stamp =
        QDateTime::currentDateTime().toString(QStringLiteral("yyyy-MM-dd-HHmmss"));
    for (ChartView* chart : charts_) {
        if (chart->isHidden())
            continue;
        ChartExport options = how;
        options.caption = chartCaption(*chart);
        const QString path = QDir(folder).filePath(
            QStringLiteral("poolscope-%1-%2.png")
                .arg(stamp, chart->title().toLower().replace(QLatin1Char(' '), QLatin1Char('-'))));
        if (!chart->saveImage(path, error, options))
            return saved; // the first failure stops the rest: the disk is full or not writable
        saved << path;
    }
    if (error)
        error->clear();
    return saved;
}

void MainWindow::saveAllChartsWithDialog() {
    const auto how = ChartExportDialog::ask(this, chart_export_, tr("All Charts"));
    if (!how)
        return;
    chart_export_ = *how;
    const QString folder =
        QFileDialog::getExistingDirectory(this, tr("Save All Charts In"), chartFolder());
    if (folder.isEmpty())
        return;
    rememberChartFolder(folder);
    QString error;
    const QStringList saved = saveAllCharts(folder, *how, &error);
    if (!error.isEmpty())
        QMessageBox::warning(
            this, tr("Save All Charts"),
            tr("%1\n%n chart(s) were saved before this.", nullptr, int(saved.size())).arg(error));
    else
        statusBar()->showMessage(
            tr("%n chart(s) saved in %1", nullptr, int(saved.size())).arg(folder), 5000);
}

void MainWindow::setTheme(Theme theme) {
    theme_ = theme;
    applyTheme(theme);
    for (QAction* a : findChildren<QAction*>())
        if (a->objectName() == QStringLiteral("theme-") + themeKey(theme))
            a->setChecked(true);
}

void MainWindow::resetLayout() {
    restoreState(default_layout_);
    for (QDockWidget* d : docks_)
        d->show();
    for (ChartView* c : charts_)
        setChartVisible(c, true);
}

void MainWindow::restoreSession() {
    persist_ = true;
    QSettings settings;
    settings_page_->restore(settings);
    load_page_->restore(settings);
    setTheme(themeFromKey(settings.value(QStringLiteral("view/theme")).toString()));
    restoreGeometry(settings.value(QStringLiteral("window/geometry")).toByteArray());
    restoreState(settings.value(QStringLiteral("window/state")).toByteArray());
    const QStringList hidden = settings.value(QStringLiteral("view/hiddenCharts")).toStringList();
    for (ChartView* c : charts_)
        setChartVisible(c, !hidden.contains(c->objectName()));
    const double seconds = settings.value(QStringLiteral("view/chartWindow"), 60.0).toDouble();
    for (ChartView* c : charts_)
        c->setWindowSeconds(seconds);
}

void MainWindow::applyCommandLineOptions(const poolcore::PoolOptions& options) {
    const QVariantMap saved = settings_page_->values();
    settings_page_->setOptions(options);
    const QVariantMap given = settings_page_->values();
    saved_values_.clear();
    command_line_values_.clear();
    for (auto it = given.begin(); it != given.end(); ++it)
        if (saved.value(it.key()) != it.value()) {
            saved_values_.insert(it.key(), saved.value(it.key()));
            command_line_values_.insert(it.key(), it.value());
        }
}

void MainWindow::saveSession() const {
    if (!persist_)
        return;
    QSettings settings;
    // A field the command line set for this run and the user left alone keeps its saved value:
    // one-off options are not new defaults. What the user changed in the form is.
    QVariantMap pool = settings_page_->values();
    for (auto it = pool.begin(); it != pool.end(); ++it)
        if (command_line_values_.contains(it.key()) &&
            command_line_values_.value(it.key()) == it.value())
            it.value() = saved_values_.value(it.key());
    SettingsPage::save(settings, pool);
    load_page_->save(settings);
    settings.setValue(QStringLiteral("view/theme"), themeKey(theme_));
    settings.setValue(QStringLiteral("window/geometry"), saveGeometry());
    settings.setValue(QStringLiteral("window/state"), saveState());
    QStringList hidden;
    for (ChartView* c : charts_)
        if (c->isHidden())
            hidden << c->objectName();
    settings.setValue(QStringLiteral("view/hiddenCharts"), hidden);
    if (!charts_.empty())
        settings.setValue(QStringLiteral("view/chartWindow"), charts_.front()->windowSeconds());
}

void MainWindow::closeEvent(QCloseEvent* event) {
    const PoolState s = controller_->state();
    const bool active = s == PoolState::Run || s == PoolState::Close || s == PoolState::Terminate;
    // Another program's pool goes on without the window.
    if (!active || !controller_->ownsPool()) {
        saveSession();
        event->accept();
        return;
    }
    event->ignore();
    if (quitting_)
        return; // already winding down; the window closes when the pool has stopped
    // The count as of now, not of the last tick; the load goes on until the user decides.
    controller_->sampleNow();
    const auto& snap = controller_->lastSnapshot();
    const std::uint64_t jobs = snap.pending + snap.in_flight;
    const QString quitting = tr("Poolscope is quitting");
    if (jobs > 0 && s != PoolState::Terminate) {
        QMessageBox box(QMessageBox::Question, tr("Quit Poolscope"),
                        tr("%n job(s) are still queued or running.", nullptr, int(jobs)),
                        QMessageBox::NoButton, this);
        box.setObjectName(QStringLiteral("quitQuestion"));
        box.setInformativeText(tr("Stop lets them finish before the workers exit; Terminate "
                                  "fails them and kills the workers now."));
        QPushButton* stop = box.addButton(tr("&Stop and Quit"), QMessageBox::AcceptRole);
        QPushButton* terminate =
            box.addButton(tr("&Terminate and Quit"), QMessageBox::DestructiveRole);
        box.addButton(QMessageBox::Cancel);
        box.setDefaultButton(stop);
        // The load goes on while the box is open: the count follows the pool.
        const auto live =
            connect(controller_, &PoolController::sampled, &box,
                    [&box](const poolcore::StatsSnapshot& now) {
                        const int left = int(now.pending + now.in_flight);
                        box.setText(tr("%n job(s) are still queued or running.", nullptr, left));
                    });
        box.exec();
        disconnect(live);
        if (box.clickedButton() == stop) {
            quitting_ = true;
            generator_->stop(quitting);
            controller_->stop();
        } else if (box.clickedButton() == terminate) {
            quitting_ = true;
            generator_->stop(quitting);
            controller_->terminate();
        }
        return;
    }
    quitting_ = true;
    generator_->stop(quitting);
    if (s != PoolState::Terminate)
        controller_->stop();
}

} // namespace poolscope
