// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/monitor/pool_monitor.h"

#include "ui/sources/pool_controller.h"

#include <chrono>

namespace poolscope {

PoolMonitor::PoolMonitor(PoolController& controller, QObject* parent)
    : QObject(parent), controller_(controller) {
    using namespace std::chrono;
    const double wall_now = duration<double>(system_clock::now().time_since_epoch()).count();
    history_.set_time_origin(wall_now - controller_.elapsedSeconds());
    connect(&controller_, &PoolController::sampled, this, &PoolMonitor::onSampled);
}

void PoolMonitor::onSampled(const poolcore::StatsSnapshot& snapshot) {
    Sample sample = deriver_.derive(controller_.elapsedSeconds(), snapshot);
    Q_EMIT sampleDerived(sample);
    history_.append(std::move(sample));
}

} // namespace poolscope
