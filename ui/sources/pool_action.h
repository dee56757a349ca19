// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QString>

namespace poolscope {

// The commands the window offers on a pool.
enum class PoolAction { Start, Restart, Stop, Terminate, Close, Grow, Shrink };
inline constexpr int kPoolActionCount = 7;

// Whether an action may be taken now, and when not, why: the one answer both the enabled state
// of a button and its "Not available now: ..." tooltip come from.
struct Availability {
    bool available = true;
    QString reason; // empty when available

    static Availability yes() { return {}; }
    static Availability no(QString why) { return {false, std::move(why)}; }
};

QString actionName(PoolAction action);

// What else the window offers around a pool, which not every source can honour: the settings a
// pool starts with, the load generator's jobs, signals to one job or one worker process, the
// Faults menu, and what a chart needs to be drawn (the memory of each worker process).
enum class SourceFeature {
    Settings,
    LoadGenerator,
    TerminateJob,
    KillWorker,
    FaultInjection,
    WorkerMemory
};
inline constexpr int kSourceFeatureCount = 6;

} // namespace poolscope
