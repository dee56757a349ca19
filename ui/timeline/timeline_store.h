// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// The per-slot job timeline as data, without a widget: a bounded ring of job records, one lane
// per slot with its current pid, the pool's events as marks, and busy time per lane in fixed
// time buckets. frame() turns a view (a time range and a width in pixels) into what to draw:
// bars when few enough jobs are in view, else density (how busy each lane was in each pixel
// column, by outcome), so a redraw costs about the same at 10 or 100,000 jobs a second.
//
// Times are wall-clock seconds since the Unix epoch, the one time base of the window (job records
// arrive on the steady clock and are converted on the way in).

#include "poolcore/job_record.h"
#include "poolcore/stats.h"
#include "ui/sources/pool_events.h"

#include <array>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace poolscope {

// What a timeline mark stands for.
enum class MarkKind {
    WorkerUp,   // a worker started in the slot (a replacement when the slot had one before)
    WorkerExit, // a worker exited (the text says with which signal or code)
    HardKill,   // the hard time limit killed the worker
    SoftLimit,  // a soft time limit was signalled to the job
    Recycle,    // the worker was recycled (max tasks or memory)
    Restart,    // the pool replaced every worker
    Resize,     // grow or shrink
    Forkserver, // the forkserver died or was restarted
    Control,    // any other user action (stop, terminate, close)
};
inline constexpr int kMarkKindCount = 9;

struct TimelineMark {
    double time = 0; // wall-clock seconds
    MarkKind kind = MarkKind::Control;
    int slot = -1; // -1: the whole pool
    qint64 pid = 0;
    QString text;
};

// The mark an event of the pool stands for, if any (job failures are not marks: their bars say
// so; state changes neither: they follow the user's actions, which are).
std::optional<TimelineMark> markForEvent(const PoolEvent& event);

// One job as drawn when zoomed in.
struct TimelineBar {
    int lane = 0;
    poolcore::JobId id = 0;
    double submitted = 0, written = 0, accepted = 0, finished = 0; // accepted 0: not known
    poolcore::Outcome outcome = poolcore::Outcome::Success;
};

// A job a worker is running now: drawn from its start to the latest sample, growing, until its
// record arrives (a hang or a long job is seen while it happens, not only once it ends).
struct TimelineRunning {
    int slot = -1;
    int lane = 0; // in a frame: the slot's lane then
    poolcore::JobId id = 0;
    double started = 0, seen = 0; // wall-clock seconds: the worker's ack, the latest sample
    qint64 pid = 0;
    QString task;
};

// What the timeline shows for one view.
struct TimelineFrame {
    enum class Mode { Bars, Density };
    Mode mode = Mode::Bars;
    double begin = 0, end = 0;
    int columns = 0;
    std::vector<TimelineBar> bars; // Mode::Bars
    // Mode::Density: busy fraction (0..1) per lane, column and outcome, lane-major:
    // density[(lane * columns + column) * kOutcomeCount + outcome].
    std::vector<float> density;
    std::vector<const TimelineMark*> marks; // those in view, oldest first
    std::vector<TimelineRunning> running;   // jobs running now, in view, in either mode
    float busy(int lane, int column, poolcore::Outcome outcome) const {
        return density[(std::size_t(lane) * std::size_t(columns) + std::size_t(column)) *
                           poolcore::kOutcomeCount +
                       std::size_t(outcome)];
    }
};

// Busy seconds per outcome in fixed buckets of `resolution` seconds, the newest `capacity` of
// them: a bounded summary that never drops a job however many arrive.
class BusyBuckets {
public:
    using Bucket = std::array<float, poolcore::kOutcomeCount>;
    BusyBuckets(double resolution, std::size_t capacity);

    void add(double begin, double end, poolcore::Outcome outcome);
    // Busy seconds per outcome within [begin, end), counting partly covered buckets in
    // proportion.
    Bucket busy(double begin, double end) const;
    double resolution() const { return resolution_; }
    // The oldest time still summarised.
    double earliest() const { return double(first_) * resolution_; }
    std::size_t size() const { return buckets_.size(); }
    std::size_t capacity() const { return capacity_; }

private:
    double resolution_;
    std::size_t capacity_;
    std::int64_t first_ = 0;
    std::deque<Bucket> buckets_;
};

class TimelineStore {
public:
    struct Lane {
        int slot = -1;
        qint64 pid = 0;
        std::uint32_t generation = 0;
        BusyBuckets fine{0.02, 6000};  // 20 ms for the last two minutes
        BusyBuckets coarse{0.5, 7200}; // 0.5 s for the last hour
    };

    // At most this many jobs are drawn as bars; a view holding more is drawn as density.
    static constexpr std::size_t kMaxBars = 3000;
    static constexpr std::size_t kDefaultCapacity = 100000;
    static constexpr std::size_t kMarkCapacity = 5000;

    explicit TimelineStore(std::size_t capacity = kDefaultCapacity);

    // Job records on the steady clock, as the pool reports them, in any order.
    void addJobs(const std::vector<poolcore::JobRecord>& records);
    void addEvents(const QList<PoolEvent>& events);
    // The jobs each worker of `snapshot` is running, as of `now` (wall-clock seconds); replaces
    // the previous sample's.
    void setRunning(const poolcore::StatsSnapshot& snapshot, double now);
    const std::vector<TimelineRunning>& running() const { return running_; }
    void clear();

    // Wall-clock seconds for a steady-clock time (the offset is taken when the store is made).
    double toWall(poolcore::JobRecord::Clock::time_point t) const;
    void setWallOffset(double seconds) { wall_offset_ = seconds; }
    // Wall-clock seconds minus steady-clock seconds: toWall's offset.
    double wallOffset() const { return wall_offset_; }

    TimelineFrame frame(double begin, double end, int columns) const;

    // The record of a job still in the ring.
    const poolcore::JobRecord* job(poolcore::JobId id) const;
    const std::vector<Lane>& lanes() const { return lanes_; }
    std::size_t size() const { return jobs_.size(); }
    std::size_t capacity() const { return capacity_; }
    std::uint64_t dropped() const { return dropped_; }
    const std::deque<TimelineMark>& marks() const { return marks_; }
    // The newest time anything happened; 0 before anything did.
    double latest() const { return latest_; }
    int laneOfSlot(int slot) const;
    // The slot a worker was last seen in (from the pool's events); -1 if not known.
    int slotOfPid(qint64 pid) const;

private:
    struct Job {
        double submitted, written, accepted, finished;
        int slot;
        poolcore::Outcome outcome;
        poolcore::JobId id;
    };
    Lane& laneFor(int slot);
    void addJob(const poolcore::JobRecord& r);

    std::size_t capacity_;
    double wall_offset_;
    std::deque<Job> jobs_;                    // by finish time
    std::deque<poolcore::JobRecord> records_; // the same jobs' full records, same order
    std::vector<Lane> lanes_;                 // by slot
    std::map<int, int> lane_of_slot_;
    std::map<qint64, int> slot_of_pid_;
    std::deque<TimelineMark> marks_;
    std::vector<TimelineRunning> running_;
    std::uint64_t dropped_ = 0;
    double latest_ = 0;
};

} // namespace poolscope
