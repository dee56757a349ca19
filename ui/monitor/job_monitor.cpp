// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/monitor/job_monitor.h"

#include "ui/sources/pool_controller.h"

namespace poolscope {

JobMonitor::JobMonitor(PoolController& controller, QObject* parent)
    : QObject(parent), controller_(controller), stats_(controller.epoch()) {
    connect(&controller_, &PoolController::jobsArrived, this, [this](const JobRecords& jobs) {
        stats_.add(jobs);
        Q_EMIT jobsAdded(jobs);
    });
    connect(&controller_, &PoolController::sampled, this, [this] {
        stats_.closeUntil(JobStats::Clock::now());
        Q_EMIT statsChanged();
    });
}

} // namespace poolscope
