// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "poolcore/job.h"
#include "poolcore/observer.h"

#include <QList>
#include <QMetaType>
#include <chrono>
#include <cstdint>
#include <deque>
#include <mutex>

namespace poolscope {

// One finished job as a source reports it: enough to place it on a per-worker timeline, without
// the task's result (which can be large and is not drawn).
struct JobRecord {
    poolcore::JobId id = 0;
    poolcore::Outcome outcome = poolcore::Outcome::Success;
    qint64 pid = 0;                      // the worker that ran it, 0 if none accepted it
    std::chrono::nanoseconds latency{0}; // from submission to the outcome
    std::chrono::steady_clock::time_point finished_at;
};

struct JobRecordBatch {
    QList<JobRecord> records;  // oldest first
    std::uint64_t dropped = 0; // records lost since the previous batch: the buffer was full
};

// The finished-job results a local pool reports, kept for the controller to collect once per
// sampling tick. It may be called on BlockingPool's thread, so it only records, under a lock.
// When the GUI falls behind it drops the oldest records and counts them, so memory stays bounded
// however fast jobs finish.
class JobRecordBuffer final : public poolcore::PoolObserver {
public:
    explicit JobRecordBuffer(std::size_t capacity = 50000) : capacity_(capacity) {}

    void on_job_finished(const poolcore::JobResult& result) override;

    // Everything recorded since the last call.
    JobRecordBatch drain();

private:
    const std::size_t capacity_;
    std::mutex mutex_;
    std::deque<JobRecord> records_;
    std::uint64_t dropped_ = 0;
};

} // namespace poolscope

Q_DECLARE_METATYPE(poolscope::JobRecord)
