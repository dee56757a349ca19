// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/pages/celery_page.h"

#include "ui/sources/celery_source.h"
#include "ui/sources/pool_controller.h"

#include <QDateTime>
#include <QHeaderView>
#include <QLabel>
#include <QTreeWidget>
#include <QVBoxLayout>

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

} // namespace

CeleryPage::CeleryPage(PoolController& controller, QWidget* parent)
    : QWidget(parent), controller_(controller), summary_(new QLabel), tree_(new QTreeWidget) {
    setObjectName(QStringLiteral("celeryPage"));
    auto* layout = new QVBoxLayout(this);
    summary_->setWordWrap(true);
    summary_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    layout->addWidget(summary_);
    tree_->setObjectName(QStringLiteral("celeryWorkers"));
    tree_->setHeaderLabels({tr("Worker / task"), tr("State"), tr("Heartbeat"), tr("Version"),
                            tr("Load avg"), tr("Pool processes"), tr("Active"), tr("Processed"),
                            tr("Writes (raw)"), tr("Autoscaler"), tr("Pool restarts")});
    tree_->setRootIsDecorated(true);
    tree_->setAlternatingRowColors(true);
    tree_->header()->setSectionResizeMode(QHeaderView::ResizeToContents);
    layout->addWidget(tree_);
    connect(&controller_, &PoolController::sampled, this, [this] {
        const qint64 now = QDateTime::currentMSecsSinceEpoch();
        if (now - last_refresh_ms_ >= 1000)
            refresh();
    });
    refresh();
}

void CeleryPage::refresh() {
    last_refresh_ms_ = QDateTime::currentMSecsSinceEpoch();
    const auto* source = dynamic_cast<const CelerySource*>(controller_.source());
    if (!source) {
        summary_->setText(tr("Not connected to a Celery cluster: File › Connect to Celery…"));
        tree_->clear();
        return;
    }
    const celery::CeleryClient& client = source->client();
    const celery::ClusterState& state = client.state();
    summary_->setText(
        tr("Broker %1: %2. %3 worker(s) online of %4; queue depth %5; %6 events, %7 bad "
           "messages skipped, %8 stale replies ignored. Events name a worker's main process, "
           "not the pool child: a task's child pid comes from `inspect active` (polled every "
           "%9 s).")
            .arg(text(client.settings().transport.url()), text(to_string(client.status())))
            .arg(state.online_workers())
            .arg(state.workers().size())
            .arg(state.queue_depth())
            .arg(state.events_seen())
            .arg(state.bad_messages())
            .arg(client.stale_replies())
            .arg(double(client.settings().poll_interval.count()) / 1000.0));
    const auto now = celery::Clock::now();
    tree_->setUpdatesEnabled(false);
    tree_->clear();
    for (const auto& [name, w] : state.workers()) {
        auto* row = new QTreeWidgetItem(tree_);
        row->setText(0, text(name));
        row->setText(1, w.online ? tr("online (pid %1)").arg(w.pid)
                                 : tr("offline: %1").arg(text(w.offline_reason)));
        if (w.last_heartbeat != celery::Clock::time_point{})
            row->setText(2, tr("%1 s ago (every %2 s)")
                                .arg(std::chrono::duration<double>(now - w.last_heartbeat).count(),
                                     0, 'f', 1)
                                .arg(w.freq));
        row->setText(3, text(w.sw_ident + " " + w.sw_ver + " " + w.sw_sys).trimmed());
        if (w.loadavg)
            row->setText(4, QStringLiteral("%1 %2 %3")
                                .arg((*w.loadavg)[0], 0, 'f', 2)
                                .arg((*w.loadavg)[1], 0, 'f', 2)
                                .arg((*w.loadavg)[2], 0, 'f', 2));
        if (w.have_stats) {
            QString pool = tr("%1 [%2]").arg(w.processes.size()).arg(pids(w.processes));
            if (w.concurrency_lags())
                pool += tr(" (Celery still says max-concurrency %1: it updates that late)")
                            .arg(w.max_concurrency);
            row->setText(5, pool);
            row->setText(8, tr("%1 (total %2, %3)")
                                .arg(text(w.writes.raw))
                                .arg(w.writes.total)
                                .arg(text(w.writes.strategy)));
            if (w.autoscaler)
                row->setText(9, tr("min %1 max %2 current %3")
                                    .arg(w.autoscaler->min)
                                    .arg(w.autoscaler->max)
                                    .arg(w.autoscaler->current));
            else
                row->setText(9, tr("off"));
        } else {
            row->setText(5, tr("waiting for inspect stats"));
        }
        row->setText(6,
                     QString::number(w.have_active ? int(w.active.size()) : w.active_by_heartbeat));
        row->setText(7, QString::number(w.processed));
        row->setText(10, !w.pool_restarts   ? tr("unknown")
                         : *w.pool_restarts ? tr("enabled")
                                            : tr("disabled"));
        for (const auto& task : w.active) {
            auto* child = new QTreeWidgetItem(row);
            child->setText(0, text(task.name + " " + task.args));
            child->setText(1, tr("running on pid %1").arg(task.worker_pid));
            child->setText(2, text(task.id));
        }
        row->setExpanded(true);
    }
    tree_->setUpdatesEnabled(true);
}

} // namespace poolscope
