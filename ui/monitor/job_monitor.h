// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "ui/monitor/job_stats.h"
#include "ui/sources/job_records.h"

#include <QObject>

namespace poolscope {

class PoolController;

// Folds the controller's job batches into JobStats and closes its seconds on every sample, so
// that the Jobs and Tasks views and the latency charts read one set of aggregates.
class JobMonitor final : public QObject {
    Q_OBJECT
public:
    explicit JobMonitor(PoolController& controller, QObject* parent = nullptr);

    const JobStats& stats() const { return stats_; }

Q_SIGNALS:
    // A batch was folded in; it is passed on for views that keep records of their own.
    void jobsAdded(const poolscope::JobRecords& jobs);
    // Seconds were closed (new latency points) or rates moved: once per sample.
    void statsChanged();

private:
    PoolController& controller_;
    JobStats stats_;
};

} // namespace poolscope
