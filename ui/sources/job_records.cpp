// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/sources/job_records.h"

namespace poolscope {

void JobRecordBuffer::on_job_finished(const poolcore::JobResult& result) {
    const JobRecord record{result.id, result.outcome, result.pid, result.latency,
                           std::chrono::steady_clock::now()};
    std::lock_guard lock(mutex_);
    if (records_.size() >= capacity_) {
        records_.pop_front();
        ++dropped_;
    }
    records_.push_back(record);
}

JobRecordBatch JobRecordBuffer::drain() {
    std::lock_guard lock(mutex_);
    JobRecordBatch batch;
    batch.records.reserve(qsizetype(records_.size()));
    for (const JobRecord& r : records_)
        batch.records.push_back(r);
    records_.clear();
    batch.dropped = dropped_;
    dropped_ = 0;
    return batch;
}

} // namespace poolscope
