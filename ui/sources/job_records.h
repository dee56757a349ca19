// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "poolcore/job_record.h"

#include <QMetaType>
#include <cstdint>
#include <vector>

namespace poolscope {

// Every source reports jobs as poolcore does (a local pool's ring, a remote pool, a Celery
// cluster all produce the same records), so views never know which kind they show.
using poolcore::JobRecord;
using JobRecords = std::vector<poolcore::JobRecord>;

struct JobRecordBatch {
    JobRecords records;        // oldest first
    std::uint64_t dropped = 0; // records lost since the previous batch: the source's ring was full
};

} // namespace poolscope

Q_DECLARE_METATYPE(poolscope::JobRecords)
