// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/main_window.h"

#include "ui/charts/chart_registry.h"
#include "ui/charts/chart_view.h"
#include "ui/charts/job_charts.h"
#include "ui/export_file.h"
#include "ui/monitor/job_monitor.h"
#include "ui/monitor/pool_monitor.h"
#include "ui/pages/event_log_page.h"
#include "ui/pages/info_page.h"
#include "ui/pages/jobs_page.h"
#include "ui/pages/load_page.h"
#include "ui/pages/process_page.h"
#include "ui/pages/settings_page.h"
#include "ui/pages/stop_progress.h"
#include "ui/pages/tasks_page.h"
#include "ui/sources/attach_source.h"
#include "ui/sources/load_generator.h"

#include <QAction>
#include <QActionGroup>
#include <QApplication>
#include <QCloseEvent>
#include <QDockWidget>
#include <QFileDialog>
#include <QFileInfo>
#include <QInputDialog>
#include <QLabel>
#include <QLocale>
#include <QMenuBar>
#include <QMessageBox>
#include <QPushButton>
#include <QScrollArea>
#include <QScrollBar>
#include <QSettings>
#include <QStatusBar>
#include <QStyle>
#include <QTabWidget>
#include <QTimer>
#include <QToolBar>
#include <QVBoxLayout>
#include <map>

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
      generator_(new LoadGenerator(*controller_, this)) {
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
    attachJobViews();
    auto* central = new QWidget;
    auto* layout = new QVBoxLayout(central);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(0);
    layout->addWidget(stop_progress_);
    layout->addWidget(tabs_);
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
    connect(controller_, &PoolController::actionFailed, this,
            [this](const QString& action, const QString& message) {
                statusBar()->showMessage(tr("%1: %2").arg(action, message), 10000);
            });
    connect(controller_, &PoolController::stateChanged, this, [this](PoolState s) {
        if (quitting_ && s == PoolState::Stopped)
            QTimer::singleShot(0, this, &QWidget::close);
    });
    connect(settings_page_, &SettingsPage::validityChanged, this, &MainWindow::updateActions);

    resize(1400, 900);
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
        generator_->stop();
        controller_->stop();
    });
    connect(action(PoolAction::Terminate), &QAction::triggered, this, [this] {
        generator_->stop();
        controller_->terminate();
    });
    connect(action(PoolAction::Close), &QAction::triggered, this, [this] {
        generator_->stop();
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
    QDockWidget* settings = dock(tr("Settings"), QStringLiteral("settingsDock"),
                                 scrollable(settings_page_), Qt::LeftDockWidgetArea);
    QDockWidget* load = dock(tr("Load Generator"), QStringLiteral("loadDock"),
                             scrollable(load_page_), Qt::LeftDockWidgetArea);
    splitDockWidget(settings, load, Qt::Vertical);

    // The charts, as the registry lists them: each docks in its area, then lines up with the one
    // before it there.
    std::vector<QDockWidget*> chart_docks;
    for (const ChartRow& row : chartRows()) {
        ChartView* chart = row.make();
        const QString name = QString::fromLatin1(row.object_name);
        chart->setObjectName(name);
        charts_.push_back(chart);
        chart_docks.push_back(dock(chart->title(), name + QStringLiteral("Dock"), chart, row.area));
    }
    QList<QDockWidget*> across{settings}, down;
    QList<int> widths{340}, heights;
    std::map<Qt::DockWidgetArea, QDockWidget*> last_in_area;
    const auto rows = chartRows();
    for (std::size_t i = 0; i < rows.size(); ++i) {
        const ChartRow& row = rows[i];
        if (QDockWidget* before = last_in_area[row.area])
            splitDockWidget(before, chart_docks[i], row.split);
        last_in_area[row.area] = chart_docks[i];
        if (row.extent > 0) {
            const bool side =
                row.area == Qt::LeftDockWidgetArea || row.area == Qt::RightDockWidgetArea;
            (side ? across : down).push_back(chart_docks[i]);
            (side ? widths : heights).push_back(row.extent);
        }
    }
    resizeDocks(across, widths, Qt::Horizontal);
    if (!down.isEmpty())
        resizeDocks(down, heights, Qt::Vertical);
}

void MainWindow::createMenus() {
    QMenu* file = menuBar()->addMenu(tr("&File"));
    file->addAction(tr("&Attach to a Pool…"), this, &MainWindow::showAttachDialog)
        ->setToolTip(tr("Watches and controls a pool another program serves on a monitor socket"));
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
    file->addAction(tr("Export Event &Log…"), event_log_page_, &EventLogPage::exportWithDialog);
    file->addSeparator();
    QAction* quit = file->addAction(tr("&Quit"), this, &QWidget::close);
    quit->setShortcut(QKeySequence::Quit);

    QMenu* pool = menuBar()->addMenu(tr("&Pool"));
    for (QAction* a : actions_)
        pool->addAction(a);
    pool->insertSeparator(action(PoolAction::Grow));

    QMenu* view = menuBar()->addMenu(tr("&View"));
    for (QDockWidget* d : docks_)
        view->addAction(d->toggleViewAction());
    view->addSeparator();
    QMenu* window = view->addMenu(tr("Chart &Window"));
    for (int seconds : {30, 60, 120, 300, 600}) {
        window->addAction(seconds < 60 ? tr("%1 seconds").arg(seconds)
                                       : tr("%1 minutes").arg(seconds / 60),
                          this, [this, seconds] {
                              for (ChartView* c : charts_)
                                  c->setWindowSeconds(seconds);
                          });
    }
    view->addAction(tr("&Follow Live (All Charts)"), this, [this] {
        for (ChartView* c : charts_)
            c->followLive();
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
    help->addAction(tr("&About Poolscope"), this, [this] {
        QMessageBox::about(
            this, tr("About Poolscope"),
            tr("<h3>Poolscope</h3><p>Runs, watches and controls a prefork process pool modelled "
               "on Celery's prefork TaskPool.</p><p>Licensed under the GNU GPL, version 3 or "
               "later. Charts drawn with QCustomPlot.</p>"));
    });
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
    // Its settings and its load are the owning program's; the Info tab shows what it runs with.
    const QString owned = tr("Not available: the attached pool is run by its own program");
    for (QWidget* page :
         {static_cast<QWidget*>(settings_page_), static_cast<QWidget*>(load_page_)}) {
        page->setEnabled(false);
        page->setToolTip(owned);
    }
    const bool ok = controller_->start(poolcore::PoolOptions{});
    updateActions();
    return ok;
}

void MainWindow::showAttachDialog() {
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
    for (ChartView* chart : charts_)
        chart->addSample(sample);
    updateStatusBar(sample);
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

bool MainWindow::exportStatistics(const QString& path, QString* error) const {
    const QString suffix = QFileInfo(path).suffix().toLower();
    std::string content;
    if (suffix == QLatin1String("json")) {
        const auto info = controller_->info();
        content = monitor_->history().to_json(controller_->lastSnapshot(), info ? &*info : nullptr);
    } else if (suffix == QLatin1String("csv")) {
        content = monitor_->history().to_csv();
    } else {
        if (error)
            *error = tr("Choose a file name ending in .json or .csv.");
        return false;
    }
    return writeExportFile(path, QByteArray::fromStdString(content), error);
}

void MainWindow::exportStatisticsWithDialog(const QString& suffix) {
    const QString filter =
        suffix == QLatin1String("json") ? tr("JSON (*.json)") : tr("CSV (*.csv)");
    const QString path = QFileDialog::getSaveFileName(
        this, tr("Export Statistics"), QStringLiteral("poolscope-stats.") + suffix, filter);
    QString error;
    if (path.isEmpty())
        return;
    if (!exportStatistics(path, &error))
        QMessageBox::warning(this, tr("Export Statistics"), error);
    else
        statusBar()->showMessage(tr("Statistics saved to %1").arg(path), 5000);
}

void MainWindow::saveChartWithDialog(ChartView* chart) {
    const QString path = QFileDialog::getSaveFileName(
        this, tr("Save %1").arg(chart->title()),
        chart->title().toLower().replace(QLatin1Char(' '), QLatin1Char('-')) +
            QStringLiteral(".png"),
        tr("PNG image (*.png);;PDF document (*.pdf)"));
    QString error;
    if (path.isEmpty())
        return;
    if (!chart->saveImage(path, &error))
        QMessageBox::warning(this, tr("Save Chart"), error);
    else
        statusBar()->showMessage(tr("Chart saved to %1").arg(path), 5000);
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
}

void MainWindow::restoreSession() {
    persist_ = true;
    QSettings settings;
    settings_page_->restore(settings);
    load_page_->restore(settings);
    setTheme(themeFromKey(settings.value(QStringLiteral("view/theme")).toString()));
    restoreGeometry(settings.value(QStringLiteral("window/geometry")).toByteArray());
    restoreState(settings.value(QStringLiteral("window/state")).toByteArray());
    const double seconds = settings.value(QStringLiteral("view/chartWindow"), 60.0).toDouble();
    for (ChartView* c : charts_)
        c->setWindowSeconds(seconds);
}

void MainWindow::saveSession() const {
    if (!persist_)
        return;
    QSettings settings;
    settings_page_->save(settings);
    load_page_->save(settings);
    settings.setValue(QStringLiteral("view/theme"), themeKey(theme_));
    settings.setValue(QStringLiteral("window/geometry"), saveGeometry());
    settings.setValue(QStringLiteral("window/state"), saveState());
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
    generator_->stop();
    const auto& snap = controller_->lastSnapshot();
    const std::uint64_t jobs = snap.pending + snap.in_flight;
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
        box.exec();
        if (box.clickedButton() == stop) {
            quitting_ = true;
            controller_->stop();
        } else if (box.clickedButton() == terminate) {
            quitting_ = true;
            controller_->terminate();
        }
        return;
    }
    quitting_ = true;
    if (s != PoolState::Terminate)
        controller_->stop();
}

} // namespace poolscope
