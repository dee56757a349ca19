// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/pages/process_page.h"

#include "poolcore/observer.h"
#include "poolcore/signal_numbers.h"
#include "ui/models/process_table_model.h"
#include "ui/sources/pool_controller.h"

#include <QAction>
#include <QHeaderView>
#include <QItemSelectionModel>
#include <QMenu>
#include <QSortFilterProxyModel>
#include <QTableView>
#include <QVBoxLayout>

namespace poolscope {

namespace {
// What Send Signal offers: what poolcore passes on (pool.h). Windows ends a process and does
// nothing else to it, so there it is the two signals that end one.
#ifdef _WIN32
constexpr int kSignalsToSend[] = {SIGKILL, SIGTERM};
#else
constexpr int kSignalsToSend[] = {SIGHUP,  SIGINT,  SIGQUIT, SIGABRT, SIGKILL, SIGUSR1, SIGSEGV,
                                  SIGUSR2, SIGPIPE, SIGALRM, SIGTERM, SIGCONT, SIGSTOP, SIGTSTP};
#endif
} // namespace

ProcessPage::ProcessPage(PoolController& controller, QWidget* parent)
    : QWidget(parent), controller_(controller), model_(new ProcessTableModel(this)),
      sorted_(new QSortFilterProxyModel(this)), view_(new QTableView) {
    setObjectName(QStringLiteral("processPage"));
    sorted_->setSourceModel(model_);
    sorted_->setSortRole(ProcessTableModel::SortRole);
    view_->setObjectName(QStringLiteral("processTable"));
    view_->setAccessibleName(tr("Worker processes"));
    view_->setModel(sorted_);
    view_->setSortingEnabled(true);
    view_->sortByColumn(ProcessTableModel::Slot, Qt::AscendingOrder);
    view_->setSelectionBehavior(QAbstractItemView::SelectRows);
    view_->setSelectionMode(QAbstractItemView::SingleSelection);
    view_->setAlternatingRowColors(true);
    view_->verticalHeader()->setVisible(false);
    view_->verticalHeader()->setDefaultSectionSize(fontMetrics().height() + 6);
    view_->horizontalHeader()->setStretchLastSection(true);
    view_->horizontalHeader()->setHighlightSections(false);
    view_->setContextMenuPolicy(Qt::CustomContextMenu);
    const int char_width = fontMetrics().averageCharWidth();
    const std::pair<int, int> widths[] = {
        {ProcessTableModel::Slot, 5},        {ProcessTableModel::Pid, 8},
        {ProcessTableModel::State, 9},       {ProcessTableModel::CurrentJob, 22},
        {ProcessTableModel::RunningFor, 11}, {ProcessTableModel::JobsDone, 18},
        {ProcessTableModel::Writes, 13},     {ProcessTableModel::ResidentMemory, 15},
        {ProcessTableModel::Cpu, 6},         {ProcessTableModel::Uptime, 11},
        {ProcessTableModel::Generation, 10}, {ProcessTableModel::Replacements, 8}};
    for (const auto& [column, chars] : widths)
        view_->setColumnWidth(column, chars * char_width + 16);

    auto make = [this](const QString& text, const QString& tip, const QKeySequence& key) {
        auto* a = new QAction(text, this);
        a->setToolTip(tip);
        a->setStatusTip(tip);
        a->setShortcut(key);
        a->setShortcutContext(Qt::WidgetWithChildrenShortcut);
        addAction(a);
        return a;
    };
    terminate_job_ = make(tr("Terminate Job (SIGTERM)"),
                          tr("Sends SIGTERM to the selected worker while it runs a job; the job "
                             "ends as terminated and the worker is replaced if it dies."),
                          QKeySequence(tr("Ctrl+T")));
    kill_job_ = make(tr("Terminate Job (SIGKILL)"),
                     tr("Sends SIGKILL to the selected worker while it runs a job; the job ends "
                        "as terminated and the worker is replaced."),
                     QKeySequence(tr("Ctrl+Shift+T")));
    stop_worker_ = make(tr("Kill Worker (SIGTERM)"),
                        tr("Sends SIGTERM to the selected worker whatever it does; a job it runs "
                           "is lost, as in a crash, and the pool starts a replacement."),
                        QKeySequence(tr("Ctrl+K")));
    kill_worker_ = make(tr("Kill Worker (SIGKILL)"),
                        tr("Sends SIGKILL to the selected worker whatever it does; a job it runs "
                           "is lost, as in a crash, and the pool starts a replacement."),
                        QKeySequence(tr("Ctrl+Shift+K")));
    pause_worker_ = make(tr("Pause Worker (SIGSTOP)"),
                         tr("Stops the selected worker where it is, as a hang: its job's time "
                            "limits still run, so a hard limit kills it; Resume continues it."),
                         QKeySequence(tr("Ctrl+Shift+P")));
    resume_worker_ =
        make(tr("Resume Worker (SIGCONT)"), tr("Continues a worker paused with SIGSTOP."),
             QKeySequence(tr("Ctrl+Shift+R")));
    connect(pause_worker_, &QAction::triggered, this, [this] { sendSignal(SIGSTOP); });
    connect(resume_worker_, &QAction::triggered, this, [this] { sendSignal(SIGCONT); });
#ifdef _WIN32
    // Windows cannot stop a process where it is and continue it; a hang is the Faults menu's.
    pause_worker_->setVisible(false);
    resume_worker_->setVisible(false);
#endif
    connect(terminate_job_, &QAction::triggered, this,
            [this] { controller_.terminateJob(selectedPid(), SIGTERM); });
    connect(kill_job_, &QAction::triggered, this,
            [this] { controller_.terminateJob(selectedPid(), SIGKILL); });
    connect(stop_worker_, &QAction::triggered, this,
            [this] { controller_.killWorker(selectedPid(), SIGTERM); });
    connect(kill_worker_, &QAction::triggered, this,
            [this] { controller_.killWorker(selectedPid(), SIGKILL); });

    connect(view_, &QTableView::customContextMenuRequested, this, [this](const QPoint& pos) {
        const QModelIndex index = view_->indexAt(pos);
        if (index.isValid())
            view_->selectRow(index.row());
        updateActions();
        QMenu menu(this);
        menu.setToolTipsVisible(true);
        menu.addAction(terminate_job_);
        menu.addAction(kill_job_);
        menu.addSeparator();
        menu.addAction(stop_worker_);
        menu.addAction(kill_worker_);
        menu.addSeparator();
        menu.addAction(pause_worker_);
        menu.addAction(resume_worker_);
        QMenu* any = menu.addMenu(tr("Send &Signal"));
        any->setObjectName(QStringLiteral("sendSignalMenu"));
        any->setEnabled(stop_worker_->isEnabled());
        for (int signal : kSignalsToSend) {
            const auto name = poolcore::signal_name(signal);
            any->addAction(QStringLiteral("%1 (%2)")
                               .arg(QString::fromLatin1(name.data(), qsizetype(name.size())))
                               .arg(signal),
                           this, [this, signal] { sendSignal(signal); });
        }
        menu.exec(view_->viewport()->mapToGlobal(pos));
    });
    connect(view_->selectionModel(), &QItemSelectionModel::selectionChanged, this,
            &ProcessPage::updateActions);
    connect(&controller_, &PoolController::sampled, this, [this](const poolcore::StatsSnapshot& s) {
        model_->update(s.workers);
        updateActions();
    });

    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(view_);
    updateActions();
}

const poolcore::WorkerStats* ProcessPage::selectedWorker() const {
    const QModelIndexList rows = view_->selectionModel()->selectedRows();
    if (rows.isEmpty())
        return nullptr;
    const QModelIndex source = sorted_->mapToSource(rows.front());
    if (!source.isValid())
        return nullptr;
    return &model_->worker(source.row());
}

pid_t ProcessPage::selectedPid() const {
    const poolcore::WorkerStats* w = selectedWorker();
    return w ? w->pid : 0;
}

bool ProcessPage::selectPid(pid_t pid) {
    const int row = model_->rowOfPid(pid);
    if (row < 0)
        return false;
    view_->selectRow(sorted_->mapFromSource(model_->index(row, 0)).row());
    updateActions();
    return true;
}

void ProcessPage::updateActions() {
    const poolcore::WorkerStats* w = selectedWorker();
    const bool alive = w && w->state != poolcore::WorkerState::Exiting;
    // Only a job the worker has acknowledged is running; one merely sent has nothing to signal.
    const bool running = alive && w->current_job_accepted;
    // What the source cannot do at all is greyed whatever is selected, with its reason.
    const Availability jobs = controller_.availability(SourceFeature::TerminateJob);
    const Availability workers = controller_.availability(SourceFeature::KillWorker);
    auto apply = [](QAction* a, bool now, const Availability& supported) {
        a->setEnabled(now && supported.available);
        QString tip = a->statusTip();
        if (!supported.available)
            tip += QLatin1Char('\n') + tr("Not available now: %1.").arg(supported.reason);
        a->setToolTip(tip);
    };
    apply(terminate_job_, running, jobs);
    apply(kill_job_, running, jobs);
    for (QAction* a : {stop_worker_, kill_worker_, pause_worker_, resume_worker_})
        apply(a, alive, workers);
}

bool ProcessPage::sendSignal(int signal) {
    const pid_t pid = selectedPid();
    return pid > 0 && controller_.killWorker(pid, signal);
}

} // namespace poolscope
