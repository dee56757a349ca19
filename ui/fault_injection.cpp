// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/fault_injection.h"

#include "poolcore/forkserver.h"
#include "poolcore/signal_numbers.h"
#include "ui/sources/pool_controller.h"

#include <QAction>
#include <QInputDialog>
#include <QMenu>
#include <vector>
#ifndef _WIN32
#include <signal.h>
#endif

namespace poolscope {

using poolcore::Severity;

FaultInjection::FaultInjection(PoolController& controller, QObject* parent)
    : QObject(parent), controller_(controller) {
    connect(&chaos_, &QTimer::timeout, this, &FaultInjection::killRandomWorker);
    connect(&controller_, &PoolController::stateChanged, this, [this](poolcore::PoolState s) {
        if (s != poolcore::PoolState::Run && chaos_.isActive())
            stopChaos();
    });
}

void FaultInjection::startChaos(std::chrono::milliseconds interval) {
    chaos_.setInterval(std::max(interval, std::chrono::milliseconds(1)));
    chaos_kills_ = 0;
    chaos_.start();
    controller_.log(
        EventKind::Control, Severity::Warning,
        QStringLiteral("chaos: SIGKILL to a random worker every %1 ms").arg(chaos_.interval()));
    Q_EMIT chaosChanged(true);
}

void FaultInjection::stopChaos() {
    if (!chaos_.isActive())
        return;
    chaos_.stop();
    controller_.log(EventKind::Control, Severity::Info,
                    QStringLiteral("chaos stopped after %1 kill(s)").arg(chaos_kills_));
    Q_EMIT chaosChanged(false);
}

void FaultInjection::killRandomWorker() {
    if (controller_.state() != poolcore::PoolState::Run)
        return;
    std::vector<pid_t> candidates;
    for (const auto& w : controller_.lastSnapshot().workers)
        if (w.slot >= 0 && w.state != poolcore::WorkerState::Exiting)
            candidates.push_back(w.pid);
    if (candidates.empty())
        return; // all are starting up or gone: the next tick tries again
    const pid_t victim =
        candidates[std::uniform_int_distribution<std::size_t>(0, candidates.size() - 1)(random_)];
    if (controller_.killWorker(victim, SIGKILL))
        ++chaos_kills_;
}

bool FaultInjection::killForkServer() {
    const auto& options = controller_.options();
    if (!controller_.hasPool() || options.start_method != poolcore::StartMethod::Forkserver ||
        !options.forkserver) {
        controller_.log(EventKind::Control, Severity::Error,
                        QStringLiteral("Kill forkserver failed: the pool does not start its "
                                       "workers through a forkserver"));
        return false;
    }
    const pid_t pid = options.forkserver->pid();
#ifdef _WIN32
    const bool killed = false; // unreachable: Windows has no forkserver (validate() refuses it)
#else
    const bool killed = pid > 0 && ::kill(pid, SIGKILL) == 0;
#endif
    if (!killed) {
        controller_.log(EventKind::Control, Severity::Error,
                        QStringLiteral("Kill forkserver failed: no server process to kill"));
        return false;
    }
    controller_.log(EventKind::Control, Severity::Warning,
                    QStringLiteral("sent SIGKILL to the forkserver (pid %1); the next worker "
                                   "start launches a new one")
                        .arg(pid));
    return true;
}

QMenu* FaultInjection::createMenu(QWidget* parent) {
    auto* menu = new QMenu(tr("F&aults"), parent);
    menu->setObjectName(QStringLiteral("faultsMenu"));
    QAction* chaos = menu->addAction(tr("&Chaos Kills…"));
    chaos->setObjectName(QStringLiteral("actionChaos"));
    chaos->setCheckable(true);
    chaos->setToolTip(tr("Sends SIGKILL to a random worker at an interval, as --chaos-kill-ms "
                         "does headless; stops when the pool stops"));
    connect(chaos, &QAction::triggered, this, [this, chaos, parent](bool on) {
        if (!on) {
            stopChaos();
            return;
        }
        bool ok = false;
        const int ms =
            QInputDialog::getInt(parent, tr("Chaos Kills"), tr("Kill a random worker every (ms):"),
                                 1000, 1, 3'600'000, 100, &ok);
        if (ok && controller_.state() == poolcore::PoolState::Run)
            startChaos(std::chrono::milliseconds(ms));
        chaos->setChecked(chaosRunning());
    });
    connect(this, &FaultInjection::chaosChanged, chaos, &QAction::setChecked);
    QAction* forkserver = menu->addAction(tr("Kill the &Forkserver"));
    forkserver->setObjectName(QStringLiteral("actionKillForkserver"));
    forkserver->setToolTip(tr("SIGKILL to the server that forks the workers; the pool starts a "
                              "new one at the next worker start"));
    connect(forkserver, &QAction::triggered, this, &FaultInjection::killForkServer);
    connect(menu, &QMenu::aboutToShow, this, [this, menu, chaos, forkserver] {
        const Availability supported = controller_.availability(SourceFeature::FaultInjection);
        const bool runs = supported.available && controller_.state() == poolcore::PoolState::Run;
        chaos->setEnabled(runs || chaosRunning());
        forkserver->setEnabled(runs && controller_.options().start_method ==
                                           poolcore::StartMethod::Forkserver);
        menu->setToolTipsVisible(true);
        for (QAction* a : menu->actions())
            if (!a->isSeparator()) {
                if (a->property("tip").isNull())
                    a->setProperty("tip", a->toolTip());
                a->setToolTip(supported.available
                                  ? a->property("tip").toString()
                                  : a->property("tip").toString() + QLatin1Char('\n') +
                                        tr("Not available now: %1.").arg(supported.reason));
            }
    });
    return menu;
}

} // namespace poolscope
