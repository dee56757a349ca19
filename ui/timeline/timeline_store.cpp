// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/timeline/timeline_store.h"

#include <algorithm>
#include <chrono>
#include <cmath>

namespace poolscope {

using poolcore::JobRecord;
using poolcore::Outcome;

std::optional<TimelineMark> markForEvent(const PoolEvent& e) {
    TimelineMark m;
    m.time = double(e.time_ms) / 1000.0;
    m.slot = e.slot;
    m.pid = e.pid;
    m.text = e.text;
    const QString lower = e.text.toLower();
    switch (e.kind) {
    case EventKind::WorkerUp:
        m.kind = MarkKind::WorkerUp;
        return m;
    case EventKind::WorkerExit:
        m.kind = MarkKind::WorkerExit;
        return m;
    case EventKind::Recycling:
        m.kind = MarkKind::Recycle;
        return m;
    case EventKind::TimeLimit:
        // A worker exit from the hard limit names its slot; a job's soft limit does not.
        if (e.slot >= 0) {
            m.kind = MarkKind::HardKill;
            return m;
        }
        if (lower.contains(QLatin1String("soft"))) {
            m.kind = MarkKind::SoftLimit;
            return m;
        }
        return std::nullopt; // a job ended by the hard limit: its bar and the kill say it
    case EventKind::Restart:
        m.kind = MarkKind::Restart;
        return m;
    case EventKind::Control:
        m.kind = lower.contains(QLatin1String("grow")) || lower.contains(QLatin1String("shrink"))
                     ? MarkKind::Resize
                     : MarkKind::Control;
        return m;
    case EventKind::Message:
        if (lower.contains(QLatin1String("forkserver"))) {
            m.kind = MarkKind::Forkserver;
            return m;
        }
        if (lower.contains(QLatin1String("grow")) || lower.contains(QLatin1String("shrink"))) {
            m.kind = MarkKind::Resize;
            return m;
        }
        return std::nullopt;
    case EventKind::JobLost:
    case EventKind::JobFailed:
    case EventKind::StateChange:
        return std::nullopt;
    }
    return std::nullopt;
}

BusyBuckets::BusyBuckets(double resolution, std::size_t capacity)
    : resolution_(resolution), capacity_(std::max<std::size_t>(capacity, 1)) {}

void BusyBuckets::add(double begin, double end, Outcome outcome) {
    if (!(end > begin))
        return;
    const auto first = std::int64_t(std::floor(begin / resolution_));
    const auto last = std::int64_t(std::floor(end / resolution_));
    if (buckets_.empty())
        first_ = first;
    const std::int64_t newest = first_ + std::int64_t(buckets_.size()) - 1;
    if (last > newest) {
        if (last - newest >= std::int64_t(capacity_)) { // a gap longer than the whole ring
            buckets_.clear();
            first_ = last - std::int64_t(capacity_) + 1;
        }
        while (first_ + std::int64_t(buckets_.size()) <= last)
            buckets_.push_back(Bucket{});
        while (buckets_.size() > capacity_) {
            buckets_.pop_front();
            ++first_;
        }
    } else if (first < first_ && buckets_.size() < capacity_) {
        // An older job than any so far (records arrive out of order): room at the front.
        const std::int64_t room = std::int64_t(capacity_ - buckets_.size());
        const std::int64_t grow = std::min(first_ - first, room);
        for (std::int64_t i = 0; i < grow; ++i)
            buckets_.push_front(Bucket{});
        first_ -= grow;
    }
    for (std::int64_t i = std::max(first, first_); i <= last; ++i) {
        const double lo = std::max(begin, double(i) * resolution_);
        const double hi = std::min(end, double(i + 1) * resolution_);
        if (hi > lo)
            buckets_[std::size_t(i - first_)][std::size_t(outcome)] += float(hi - lo);
    }
}

BusyBuckets::Bucket BusyBuckets::busy(double begin, double end) const {
    Bucket out{};
    if (buckets_.empty() || !(end > begin))
        return out;
    const auto first = std::max(std::int64_t(std::floor(begin / resolution_)), first_);
    const auto last = std::min(std::int64_t(std::floor(end / resolution_)),
                               first_ + std::int64_t(buckets_.size()) - 1);
    for (std::int64_t i = first; i <= last; ++i) {
        const double lo = std::max(begin, double(i) * resolution_);
        const double hi = std::min(end, double(i + 1) * resolution_);
        if (!(hi > lo))
            continue;
        const double share = (hi - lo) / resolution_;
        const Bucket& b = buckets_[std::size_t(i - first_)];
        for (std::size_t k = 0; k < out.size(); ++k)
            out[k] += float(double(b[k]) * share);
    }
    return out;
}

TimelineStore::TimelineStore(std::size_t capacity) : capacity_(std::max<std::size_t>(capacity, 1)) {
    using namespace std::chrono;
    wall_offset_ = duration<double>(system_clock::now().time_since_epoch()).count() -
                   duration<double>(steady_clock::now().time_since_epoch()).count();
}

double TimelineStore::toWall(JobRecord::Clock::time_point t) const {
    return std::chrono::duration<double>(t.time_since_epoch()).count() + wall_offset_;
}

int TimelineStore::laneOfSlot(int slot) const {
    const auto it = lane_of_slot_.find(slot);
    return it == lane_of_slot_.end() ? -1 : it->second;
}

int TimelineStore::slotOfPid(qint64 pid) const {
    const auto it = slot_of_pid_.find(pid);
    return it == slot_of_pid_.end() ? -1 : it->second;
}

TimelineStore::Lane& TimelineStore::laneFor(int slot) {
    if (const int i = laneOfSlot(slot); i >= 0)
        return lanes_[std::size_t(i)];
    Lane lane;
    lane.slot = slot;
    const auto at = std::lower_bound(lanes_.begin(), lanes_.end(), slot,
                                     [](const Lane& l, int s) { return l.slot < s; });
    const auto index = at - lanes_.begin();
    lanes_.insert(at, std::move(lane));
    lane_of_slot_.clear();
    for (std::size_t i = 0; i < lanes_.size(); ++i)
        lane_of_slot_[lanes_[i].slot] = int(i);
    return lanes_[std::size_t(index)];
}

void TimelineStore::addJobs(const std::vector<JobRecord>& records) {
    for (const JobRecord& r : records)
        addJob(r);
    // A job whose record came is drawn as a bar from now on, not as running.
    if (!running_.empty() && !records.empty())
        std::erase_if(running_, [&](const TimelineRunning& run) {
            return std::any_of(records.begin(), records.end(),
                               [&](const JobRecord& r) { return r.id == run.id; });
        });
}

void TimelineStore::setRunning(const poolcore::StatsSnapshot& snapshot, double now) {
    running_.clear();
    for (const poolcore::WorkerStats& w : snapshot.workers) {
        if (!w.current_job || !w.current_job_accepted || w.slot < 0)
            continue;
        TimelineRunning run;
        run.id = w.current_job;
        run.started = now - w.current_job_seconds;
        run.seen = now;
        run.pid = w.pid;
        run.task = QString::fromStdString(w.current_task);
        run.slot = w.slot;
        laneFor(w.slot);
        running_.push_back(std::move(run));
    }
    if (!running_.empty())
        latest_ = std::max(latest_, now);
}

void TimelineStore::addJob(const JobRecord& r) {
    const JobRecord::Clock::time_point never{};
    Job j;
    j.id = r.id;
    j.outcome = r.outcome;
    j.slot = r.slot;
    j.finished = toWall(r.finished);
    j.submitted = r.submitted == never ? j.finished : toWall(r.submitted);
    j.written = r.written == never ? 0 : toWall(r.written);
    j.accepted = r.accepted == never ? 0 : toWall(r.accepted);
    latest_ = std::max(latest_, j.finished);
    if (j.slot >= 0 && j.written > 0) {
        Lane& lane = laneFor(j.slot);
        if (r.pid != 0 && r.generation >= lane.generation) {
            lane.pid = r.pid;
            lane.generation = r.generation;
        }
        lane.fine.add(j.written, j.finished, j.outcome);
        lane.coarse.add(j.written, j.finished, j.outcome);
    }
    // Records come mostly in finish order: an out-of-order one goes in near the back.
    auto at = jobs_.end();
    while (at != jobs_.begin() && std::prev(at)->finished > j.finished)
        --at;
    const auto offset = at - jobs_.begin();
    jobs_.insert(at, j);
    records_.insert(records_.begin() + offset, r);
    while (jobs_.size() > capacity_) {
        jobs_.pop_front();
        records_.pop_front();
        ++dropped_;
    }
}

void TimelineStore::addEvents(const QList<PoolEvent>& events) {
    for (const PoolEvent& e : events) {
        if (e.kind == EventKind::WorkerUp && e.slot >= 0) {
            Lane& lane = laneFor(e.slot);
            lane.pid = e.pid;
        }
        if (e.pid != 0 && e.slot >= 0)
            slot_of_pid_[e.pid] = e.slot;
        if (auto m = markForEvent(e)) {
            if (m->slot < 0 && m->pid != 0) { // a job's event names only the worker
                const auto it = slot_of_pid_.find(m->pid);
                if (it != slot_of_pid_.end())
                    m->slot = it->second;
            }
            latest_ = std::max(latest_, m->time);
            marks_.push_back(std::move(*m));
            if (marks_.size() > kMarkCapacity)
                marks_.pop_front();
        }
    }
    if (slot_of_pid_.size() > 4096) // pids of long-gone workers
        slot_of_pid_.clear();
}

void TimelineStore::clear() {
    jobs_.clear();
    records_.clear();
    lanes_.clear();
    lane_of_slot_.clear();
    slot_of_pid_.clear();
    marks_.clear();
    running_.clear();
    latest_ = 0;
}

const JobRecord* TimelineStore::job(poolcore::JobId id) const {
    for (std::size_t i = records_.size(); i-- > 0;)
        if (records_[i].id == id)
            return &records_[i];
    return nullptr;
}

TimelineFrame TimelineStore::frame(double begin, double end, int columns) const {
    TimelineFrame f;
    f.begin = begin;
    f.end = end;
    f.columns = std::max(columns, 1);
    for (const TimelineMark& m : marks_)
        if (m.time >= begin && m.time <= end)
            f.marks.push_back(&m);
    if (!(end > begin))
        return f;
    for (const TimelineRunning& run : running_)
        if (run.started <= end && run.seen >= begin) {
            f.running.push_back(run);
            f.running.back().lane = laneOfSlot(run.slot); // lanes shift as slots are added
        }
    // Jobs are kept by finish time: those finishing in view, plus long ones finishing later.
    const auto first = std::lower_bound(jobs_.begin(), jobs_.end(), begin,
                                        [](const Job& j, double t) { return j.finished < t; });
    const auto in_view_end = std::upper_bound(
        first, jobs_.end(), end, [](double t, const Job& j) { return t < j.finished; });
    const auto finishing_in_view = std::size_t(in_view_end - first);
    if (finishing_in_view <= kMaxBars) {
        f.mode = TimelineFrame::Mode::Bars;
        auto add = [&](const Job& j) {
            const int lane = laneOfSlot(j.slot);
            if (lane < 0 || j.written <= 0 || j.written > end)
                return;
            f.bars.push_back(
                {lane, j.id, j.submitted, j.written, j.accepted, j.finished, j.outcome});
        };
        for (auto it = first; it != in_view_end; ++it)
            add(*it);
        // Jobs that started in view and finished after it: few unless the view is far back.
        std::size_t extra = 0;
        for (auto it = in_view_end; it != jobs_.end() && extra < kMaxBars; ++it, ++extra)
            add(*it);
        return f;
    }
    f.mode = TimelineFrame::Mode::Density;
    const double step = (end - begin) / f.columns;
    f.density.assign(lanes_.size() * std::size_t(f.columns) * poolcore::kOutcomeCount, 0.0f);
    for (std::size_t l = 0; l < lanes_.size(); ++l) {
        const Lane& lane = lanes_[l];
        // The fine buckets while they cover the view and a column holds few of them.
        const BusyBuckets& buckets =
            begin >= lane.fine.earliest() && step < 25 * lane.fine.resolution() ? lane.fine
                                                                                : lane.coarse;
        for (int c = 0; c < f.columns; ++c) {
            const double lo = begin + c * step;
            const BusyBuckets::Bucket b = buckets.busy(lo, lo + step);
            float* out =
                &f.density[(l * std::size_t(f.columns) + std::size_t(c)) * poolcore::kOutcomeCount];
            for (int k = 0; k < poolcore::kOutcomeCount; ++k)
                out[k] = std::min(1.0f, float(double(b[std::size_t(k)]) / step));
        }
    }
    return f;
}

} // namespace poolscope
