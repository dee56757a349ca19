// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/pages/celery_page.h"

#include "poolcore/task_pool.h"
#include "ui/sources/celery_source.h"
#include "ui/sources/pool_controller.h"

#include <QDialog>
#include <QDialogButtonBox>
#include <QFormLayout>
#include <QHeaderView>
#include <QInputDialog>
#include <QLabel>
#include <QMenu>
#include <QMessageBox>
#include <QPointer>
#include <QPushButton>
#include <QSpinBox>
#include <QTreeWidget>
#include <QVBoxLayout>
#include <algorithm>
#include <optional>

namespace poolscope {

namespace {

QString text(const std::string& s) {
    return QString::fromStdString(s);
}

QString pids(const std::vector<pid_t>& list) {
    QStringList out;
    for (const pid_t p : list)
        out << QString::number(p);
    return out.join(QStringLiteral(", "));
}

constexpr int kNodeRole = Qt::UserRole;     // the worker's node name, on worker and task rows
constexpr int kTaskRole = Qt::UserRole + 1; // the task id, on task rows only

// How long a pool_grow / pool_shrink may take before the row stops expecting it: Celery applies
// them at the pool's maintenance tick, seconds at most on an idle worker.
constexpr qint64 kResizePatienceS = 120;

// The signals a task can be terminated with, as Celery names them.
const QStringList& terminateSignals() {
    static const QStringList names{QStringLiteral("SIGTERM"), QStringLiteral("SIGKILL"),
                                   QStringLiteral("SIGINT"),  QStringLiteral("SIGHUP"),
                                   QStringLiteral("SIGQUIT"), QStringLiteral("SIGUSR1"),
                                   QStringLiteral("SIGUSR2")};
    return names;
}

} // namespace

CeleryPage::CeleryPage(PoolController& controller, QWidget* parent)
    : QWidget(parent), controller_(controller), summary_(new QLabel), tree_(new QTreeWidget) {
    setObjectName(QStringLiteral("celeryPage"));
    auto* layout = new QVBoxLayout(this);
    summary_->setWordWrap(true);
    summary_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    layout->addWidget(summary_);
    tree_->setObjectName(QStringLiteral("celeryWorkers"));
    tree_->setColumnCount(ColumnCount);
    tree_->setHeaderLabels({tr("Worker / task"), tr("State"), tr("Last control and reply"),
                            tr("Heartbeat"), tr("Version"), tr("Load avg"), tr("Pool processes"),
                            tr("Active"), tr("Processed"), tr("Writes (raw)"), tr("Autoscaler"),
                            tr("Pool restarts")});
    tree_->setRootIsDecorated(true);
    tree_->setAlternatingRowColors(true);
    tree_->header()->setSectionResizeMode(QHeaderView::ResizeToContents);
    tree_->setContextMenuPolicy(Qt::CustomContextMenu);
    tree_->setToolTip(tr("Right-click a worker for its remote controls, a task to revoke or "
                         "terminate it"));
    connect(tree_, &QTreeWidget::customContextMenuRequested, this, [this](const QPoint& pos) {
        QTreeWidgetItem* row = tree_->itemAt(pos);
        if (!row)
            return;
        QMenu* menu = contextMenuFor(row);
        menu->exec(tree_->viewport()->mapToGlobal(pos));
        menu->deleteLater();
    });
    layout->addWidget(tree_);
    connect(&controller_, &PoolController::sampled, this, [this] {
        const qint64 now = QDateTime::currentMSecsSinceEpoch();
        if (now - last_refresh_ms_ >= 1000)
            refresh();
    });
    refresh();
}

CelerySource* CeleryPage::source() const {
    // The page only reads and sends through the source; the controller keeps owning it.
    return dynamic_cast<CelerySource*>(const_cast<PoolSource*>(controller_.source()));
}

QTreeWidgetItem* CeleryPage::workerRow(const QString& node) const {
    for (int i = 0; i < tree_->topLevelItemCount(); ++i) {
        QTreeWidgetItem* row = tree_->topLevelItem(i);
        const QString name = row->data(WorkerColumn, kNodeRole).toString();
        if (name == node || name.startsWith(node + QLatin1Char('@')))
            return row;
    }
    return nullptr;
}

QString CeleryPage::lastControlText(const QString& node) const {
    const QTreeWidgetItem* row = workerRow(node);
    return row ? row->text(ControlColumn) : QString();
}

bool CeleryPage::sendControl(const QString& node, const QString& method,
                             const QString& argumentsJson) {
    CelerySource* celery = source();
    if (!celery)
        return false;
    nlohmann::json arguments = nlohmann::json::object();
    if (!argumentsJson.isEmpty())
        arguments = nlohmann::json::parse(argumentsJson.toStdString(), nullptr, false);
    if (arguments.is_discarded() || !arguments.is_object())
        return false;
    const std::string name = node.toStdString();
    const std::string what = method.toStdString();
    last_control_[name] = {method, tr("sent, waiting for the reply…"), true, true,
                           QDateTime::currentDateTime()};
    pending_.erase(name);
    // The processes a resize should leave, from what stats listed when it was sent.
    int expected = 0;
    const auto& workers = celery->client().state().workers();
    if (const auto w = workers.find(name); w != workers.end() && w->second.have_stats &&
                                           (what == "pool_grow" || what == "pool_shrink")) {
        const int n = arguments.value("n", 1);
        expected = std::max(0, int(w->second.processes.size()) + (what == "pool_grow" ? n : -n));
    }
    QPointer<CeleryPage> self(this);
    celery->controlWorker(
        name, what, std::move(arguments),
        [self, name, method, what, expected](const celery::ControlResult& r) {
            if (!self)
                return;
            LastControl done{method, {}, true, false, QDateTime::currentDateTime()};
            if (!r.error.empty()) {
                done.ok = false;
                done.text = text(r.error);
            } else if (const auto it = r.replies.find(name); it != r.replies.end()) {
                const celery::NodeAnswer answer = celery::read_node_answer(it->second);
                done.ok = answer.ok;
                done.text = (answer.ok ? QString() : tr("error: ")) + text(answer.text);
                if (answer.ok &&
                    (what == "pool_grow" || what == "pool_shrink" || what == "autoscale"))
                    self->pending_[name] = {expected, done.at};
            } else {
                done.ok = false;
                done.text = tr("no reply within the timeout");
            }
            self->last_control_[name] = done;
            self->refresh();
        });
    refresh();
    return true;
}

void CeleryPage::askShutdown(const QString& node) {
    QMessageBox box(QMessageBox::Warning, tr("Shut Down Worker"),
                    tr("Shut down the Celery worker %1?").arg(node), QMessageBox::NoButton, this);
    box.setObjectName(QStringLiteral("celeryShutdownQuestion"));
    box.setInformativeText(
        tr("It finishes the tasks it runs, then exits: a warm shutdown. Poolscope cannot start "
           "it again; whatever supervises the worker (systemd, a container) decides that. Celery "
           "sends no reply to a shutdown: the worker going offline is the answer."));
    QPushButton* yes = box.addButton(tr("&Shut Down"), QMessageBox::DestructiveRole);
    box.addButton(QMessageBox::Cancel);
    box.setDefaultButton(QMessageBox::Cancel);
    box.exec();
    if (box.clickedButton() != yes)
        return;
    CelerySource* celery = source();
    if (!celery)
        return;
    const std::string name = node.toStdString();
    const bool sent = celery->shutdownWorker(name);
    last_control_[name] = {QStringLiteral("shutdown"),
                           sent ? tr("sent (Celery sends no reply; the worker goes offline once "
                                     "its running tasks are done)")
                                : tr("not sent: not connected to the broker"),
                           sent, false, QDateTime::currentDateTime()};
    refresh();
}

void CeleryPage::addWorkerActions(QMenu* menu, const QString& node) {
    CelerySource* celery = source();
    const celery::WorkerNode* w = nullptr;
    if (celery)
        if (const auto& all = celery->client().state().workers(); all.count(node.toStdString()))
            w = &all.at(node.toStdString());
    const bool connected =
        celery && celery->client().status() == celery::ConnectionStatus::Connected;
    const QString unavailable = !celery      ? tr("not watching a Celery cluster")
                                : !connected ? tr("not connected to the broker")
                                : !w || !w->online
                                    ? tr("the worker is offline: nothing would hear it")
                                    : QString();
    auto add = [&](const QString& label, const char* name, const QString& tip, auto&& run) {
        QAction* a = menu->addAction(label);
        a->setObjectName(QLatin1String(name));
        a->setToolTip(unavailable.isEmpty() ? tip : tr("Not available now: %1.").arg(unavailable));
        a->setEnabled(unavailable.isEmpty());
        connect(a, &QAction::triggered, this, run);
        return a;
    };
    add(tr("&Ping"), "celeryPing", tr("Asks the worker for a pong"),
        [this, node] { sendControl(node, QStringLiteral("ping"), {}); });
    menu->addSeparator();
    const QString lag = tr(" Celery applies it at the pool's next maintenance tick, and its "
                           "stats keep the old max-concurrency afterwards.");
    add(tr("&Grow Pool…"), "celeryPoolGrow", tr("pool_grow: adds N pool processes.") + lag,
        [this, node] {
            bool ok = false;
            const int n =
                QInputDialog::getInt(this, tr("Grow Pool"), tr("Processes to add to %1:").arg(node),
                                     1, 1, poolcore::kMaxProcesses, 1, &ok);
            if (ok)
                sendControl(node, QStringLiteral("pool_grow"),
                            QStringLiteral("{\"n\": %1}").arg(n));
        });
    add(tr("S&hrink Pool…"), "celeryPoolShrink", tr("pool_shrink: retires N pool processes.") + lag,
        [this, node] {
            bool ok = false;
            const int n = QInputDialog::getInt(this, tr("Shrink Pool"),
                                               tr("Processes to retire from %1:").arg(node), 1, 1,
                                               poolcore::kMaxProcesses, 1, &ok);
            if (ok)
                sendControl(node, QStringLiteral("pool_shrink"),
                            QStringLiteral("{\"n\": %1}").arg(n));
        });
    QString restart_tip = tr("pool_restart: replaces each pool child after its next task.");
    if (w && w->pool_restarts && !*w->pool_restarts)
        restart_tip += tr(" This worker runs with worker_pool_restarts off: it will answer "
                          "\"Pool restarts not enabled\".");
    add(tr("&Restart Pool"), "celeryPoolRestart", restart_tip, [this, node] {
        sendControl(node, QStringLiteral("pool_restart"), QStringLiteral("{\"reload\": false}"));
    });
    QString autoscale_tip = tr("autoscale: sets the autoscaler's maximum and minimum processes.");
    if (w && w->have_stats && !w->autoscaler)
        autoscale_tip += tr(" This worker runs without --autoscale: it will answer \"Autoscale "
                            "not enabled\".");
    const std::optional<celery::Autoscaler> autoscaler =
        w ? w->autoscaler : std::optional<celery::Autoscaler>();
    add(tr("&Autoscale…"), "celeryAutoscale", autoscale_tip, [this, node, autoscaler] {
        QDialog dialog(this);
        dialog.setObjectName(QStringLiteral("celeryAutoscaleDialog"));
        dialog.setWindowTitle(tr("Autoscale %1").arg(node));
        auto* form = new QFormLayout(&dialog);
        auto* max = new QSpinBox;
        max->setObjectName(QStringLiteral("autoscaleMax"));
        auto* min = new QSpinBox;
        min->setObjectName(QStringLiteral("autoscaleMin"));
        for (QSpinBox* box : {max, min})
            box->setRange(0, poolcore::kMaxProcesses);
        max->setValue(autoscaler ? autoscaler->max : 4);
        min->setValue(autoscaler ? autoscaler->min : 1);
        form->addRow(tr("&Maximum processes:"), max);
        form->addRow(tr("M&inimum processes:"), min);
        auto* buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel);
        form->addRow(buttons);
        connect(buttons, &QDialogButtonBox::accepted, &dialog, &QDialog::accept);
        connect(buttons, &QDialogButtonBox::rejected, &dialog, &QDialog::reject);
        if (dialog.exec() == QDialog::Accepted)
            sendControl(
                node, QStringLiteral("autoscale"),
                QStringLiteral("{\"max\": %1, \"min\": %2}").arg(max->value()).arg(min->value()));
    });
    menu->addSeparator();
    add(tr("&Enable Task Events"), "celeryEnableEvents",
        tr("enable_events: the worker sends task events (what the charts and the timeline are "
           "built from)"),
        [this, node] { sendControl(node, QStringLiteral("enable_events"), {}); });
    add(tr("&Disable Task Events"), "celeryDisableEvents",
        tr("disable_events: the worker stops sending task events; heartbeats go on. A worker "
           "started with -E sends every event group: Celery 5.2 answers it \"task events "
           "already disabled\" and sends on."),
        [this, node] { sendControl(node, QStringLiteral("disable_events"), {}); });
    menu->addSeparator();
    add(tr("Shut &Down…"), "celeryShutdown",
        tr("shutdown: a warm shutdown of this worker, after a confirmation"),
        [this, node] { askShutdown(node); });
}

void CeleryPage::addTaskActions(QMenu* menu, const QString& node, const QString& task) {
    CelerySource* celery = source();
    const bool connected =
        celery && celery->client().status() == celery::ConnectionStatus::Connected;
    auto revoke = [this, node, task](bool terminate, const QString& signal) {
        QString args = QStringLiteral("{\"task_id\": \"%1\", \"terminate\": %2")
                           .arg(task, terminate ? QStringLiteral("true") : QStringLiteral("false"));
        if (terminate)
            args += QStringLiteral(", \"signal\": \"%1\"").arg(signal);
        sendControl(node, QStringLiteral("revoke"), args + QLatin1Char('}'));
    };
    auto add = [&](const QString& label, const char* name, const QString& tip, auto&& run) {
        QAction* a = menu->addAction(label);
        a->setObjectName(QLatin1String(name));
        a->setEnabled(connected);
        a->setToolTip(connected ? tip : tr("Not available now: not connected to the broker."));
        connect(a, &QAction::triggered, this, run);
    };
    add(tr("&Revoke Task"), "celeryRevoke",
        tr("revoke: the workers discard the task if it has not started; a running one runs on"),
        [revoke] { revoke(false, {}); });
    add(tr("&Terminate Task (SIGTERM)"), "celeryTerminate",
        tr("revoke with terminate: the pool child running it gets SIGTERM"),
        [revoke] { revoke(true, QStringLiteral("SIGTERM")); });
    add(tr("Terminate Task with &Signal…"), "celeryTerminateSignal",
        tr("revoke with terminate and the signal you choose"), [this, revoke] {
            bool ok = false;
            const QString signal =
                QInputDialog::getItem(this, tr("Terminate Task"), tr("Signal for its pool child:"),
                                      terminateSignals(), 0, false, &ok);
            if (ok)
                revoke(true, signal);
        });
}

QMenu* CeleryPage::contextMenuFor(QTreeWidgetItem* row) {
    auto* menu = new QMenu(this);
    menu->setToolTipsVisible(true);
    const QString node = row->data(WorkerColumn, kNodeRole).toString();
    const QString task = row->data(WorkerColumn, kTaskRole).toString();
    if (task.isEmpty())
        addWorkerActions(menu, node);
    else
        addTaskActions(menu, node, task);
    return menu;
}

void CeleryPage::showControl(QTreeWidgetItem* row, const std::string& node) const {
    const auto it = last_control_.find(node);
    if (it == last_control_.end())
        return;
    const LastControl& c = it->second;
    row->setText(ControlColumn,
                 tr("%1: %2 (%3)")
                     .arg(c.method, c.text, QLocale().toString(c.at.time(), QLocale::ShortFormat)));
    QString tip = row->text(ControlColumn);
    if (const std::string note = CelerySource::lag_note(c.method.toStdString());
        !note.empty() && c.ok && !c.waiting)
        tip += QLatin1Char('\n') + text(note);
    row->setToolTip(ControlColumn, tip);
    if (!c.ok)
        row->setForeground(ControlColumn, QColor(0xc0, 0x39, 0x2b));
}

void CeleryPage::refresh() {
    last_refresh_ms_ = QDateTime::currentMSecsSinceEpoch();
    const CelerySource* celery = source();
    if (!celery) {
        summary_->setText(tr("Not connected to a Celery cluster: File › Connect to Celery…"));
        tree_->clear();
        return;
    }
    const celery::CeleryClient& client = celery->client();
    const celery::ClusterState& state = client.state();
    summary_->setText(
        tr("Broker %1: %2. %3 worker(s) online of %4; queue depth %5; %6 events, %7 bad "
           "messages skipped, %8 stale replies ignored. Events name a worker's main process, "
           "not the pool child: a task's child pid comes from `inspect active` (polled every "
           "%9 s). Right-click a worker or a task for its controls.")
            .arg(text(client.settings().transport.url()) +
                     (client.settings().transport.global_keyprefix.empty()
                          ? QString()
                          : tr(" (key prefix %1)")
                                .arg(text(client.settings().transport.global_keyprefix))),
                 text(to_string(client.status())))
            .arg(state.online_workers())
            .arg(state.workers().size())
            .arg(state.queue_depth())
            .arg(state.events_seen())
            .arg(state.bad_messages())
            .arg(client.stale_replies())
            .arg(double(client.settings().poll_interval.count()) / 1000.0));
    const auto now = celery::Clock::now();
    const QDateTime wall_now = QDateTime::currentDateTime();
    tree_->setUpdatesEnabled(false);
    tree_->clear();
    for (const auto& [name, w] : state.workers()) {
        auto* row = new QTreeWidgetItem(tree_);
        row->setText(WorkerColumn, text(name));
        row->setData(WorkerColumn, kNodeRole, text(name));
        row->setText(StateColumn, w.online ? tr("online (pid %1)").arg(w.pid)
                                           : tr("offline: %1").arg(text(w.offline_reason)));
        if (w.last_heartbeat != celery::Clock::time_point{})
            row->setText(
                HeartbeatColumn,
                tr("%1 s ago (every %2 s)")
                    .arg(std::chrono::duration<double>(now - w.last_heartbeat).count(), 0, 'f', 1)
                    .arg(w.freq));
        row->setText(VersionColumn, text(w.sw_ident + " " + w.sw_ver + " " + w.sw_sys).trimmed());
        if (w.loadavg)
            row->setText(LoadColumn, QStringLiteral("%1 %2 %3")
                                         .arg((*w.loadavg)[0], 0, 'f', 2)
                                         .arg((*w.loadavg)[1], 0, 'f', 2)
                                         .arg((*w.loadavg)[2], 0, 'f', 2));
        if (w.have_stats) {
            QString pool = tr("%1 [%2]").arg(w.processes.size()).arg(pids(w.processes));
            if (w.concurrency_lags())
                pool += tr(" (Celery still says max-concurrency %1: it updates that late)")
                            .arg(w.max_concurrency);
            // A resize the worker accepted shows until stats lists its effect: until then
            // Celery's figures are the old ones.
            if (auto p = pending_.find(name); p != pending_.end()) {
                const bool applied =
                    p->second.processes > 0 && int(w.processes.size()) == p->second.processes;
                if (applied || p->second.since.secsTo(wall_now) > kResizePatienceS)
                    pending_.erase(p);
                else if (p->second.processes > 0)
                    pool += tr(" → %1 once the pool's next maintenance tick applies it (stats "
                               "still shows the old pool)")
                                .arg(p->second.processes);
                else
                    pool += tr(" (autoscale accepted: stats shows it after the pool's next "
                               "maintenance tick)");
            }
            row->setText(PoolColumn, pool);
            row->setText(WritesColumn, tr("%1 (total %2, %3)")
                                           .arg(text(w.writes.raw))
                                           .arg(w.writes.total)
                                           .arg(text(w.writes.strategy)));
            if (w.autoscaler)
                row->setText(AutoscalerColumn, tr("min %1 max %2 current %3")
                                                   .arg(w.autoscaler->min)
                                                   .arg(w.autoscaler->max)
                                                   .arg(w.autoscaler->current));
            else
                row->setText(AutoscalerColumn, tr("off"));
        } else {
            row->setText(PoolColumn, tr("waiting for inspect stats"));
        }
        row->setText(ActiveColumn,
                     QString::number(w.have_active ? int(w.active.size()) : w.active_by_heartbeat));
        row->setText(ProcessedColumn, QString::number(w.processed));
        row->setText(RestartsColumn, !w.pool_restarts   ? tr("unknown")
                                     : *w.pool_restarts ? tr("enabled")
                                                        : tr("disabled"));
        showControl(row, name);
        for (const auto& task : w.active) {
            auto* child = new QTreeWidgetItem(row);
            child->setText(WorkerColumn, text(task.name + " " + task.args));
            child->setData(WorkerColumn, kNodeRole, text(name));
            child->setData(WorkerColumn, kTaskRole, text(task.id));
            child->setText(StateColumn, tr("running on pid %1").arg(task.worker_pid));
            child->setText(HeartbeatColumn, text(task.id));
        }
        row->setExpanded(true);
    }
    tree_->setUpdatesEnabled(true);
}

} // namespace poolscope
