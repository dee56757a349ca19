// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/sources/load_generator.h"

#include "poolcore/task_registry.h"
#include "ui/sources/pool_controller.h"

#include <QPointer>
#include <algorithm>
#include <cmath>

namespace poolscope {

using Clock = std::chrono::steady_clock;

LoadGenerator::LoadGenerator(PoolController& controller, QObject* parent)
    : QObject(parent), controller_(controller), counters_(std::make_shared<Counters>()) {
    pump_timer_.setInterval(std::chrono::milliseconds(10));
    pump_timer_.setTimerType(Qt::PreciseTimer);
    connect(&pump_timer_, &QTimer::timeout, this, &LoadGenerator::pump);
    connect(&controller_, &PoolController::stateChanged, this, [this](poolcore::PoolState s) {
        if (running_ && s != poolcore::PoolState::Run)
            finish(QStringLiteral("the pool stopped accepting jobs (state %1)")
                       .arg(QString::fromLatin1(poolcore::to_string(s).data(),
                                                qsizetype(poolcore::to_string(s).size()))));
    });
}

LoadGenerator::~LoadGenerator() = default;

long long LoadGenerator::completed() const {
    return counters_->completed.load();
}
long long LoadGenerator::failed() const {
    return counters_->failed.load();
}

long long LoadGenerator::window() const {
    const auto& o = controller_.options();
    const long long per_worker = o.strategy == poolcore::Strategy::Fcfs ? o.prefetch : 1;
    const long long processes = std::max(1, controller_.lastSnapshot().target_processes);
    const long long enough_to_keep_busy = std::max<long long>(256, 8 * processes * per_worker);
    if (controller_.callbacksOnGuiThread())
        return enough_to_keep_busy; // every outcome tops the window up at once
    // Outcomes arrive on the pool's thread, and only the pump (every 10 ms) tops the window up:
    // it must hold more than the pool finishes in 10 ms, or the pump becomes the limit (256 jobs
    // per 10 ms held the thread-driven pool to 25,000 jobs/s; 1024 lets it reach 66,000, and
    // more only makes the GUI thread's refills longer). Large payloads cap it by memory.
    constexpr long long kPumpedWindow = 1024;
    constexpr long long kMaxOutstandingPayload = 64ll << 20;
    const long long by_memory =
        kMaxOutstandingPayload / std::max<long long>(1, (long long)spec_.payload_bytes);
    return std::max(enough_to_keep_busy, std::min(kPumpedWindow, by_memory));
}

QString LoadGenerator::problem(const LoadSpec& spec) const {
    if (!poolcore::TaskRegistry::global().contains(spec.task))
        return QStringLiteral("there is no task named '%1'").arg(QString::fromStdString(spec.task));
    if (spec.mode == LoadSpec::Mode::Burst && spec.burst_jobs < 1)
        return QStringLiteral("a burst needs at least one job");
    if (spec.mode == LoadSpec::Mode::Rate &&
        !(spec.jobs_per_second > 0 && spec.jobs_per_second <= 1e6))
        return QStringLiteral("the rate must be above 0 and at most 1,000,000 jobs a second");
    const std::size_t frame = spec.task.size() + spec.argument.size() + spec.payload_bytes + 32;
    if (controller_.hasPool() && frame > controller_.options().max_frame_bytes)
        return QStringLiteral("a payload of %1 bytes exceeds the pool's frame limit of %2 bytes")
            .arg(spec.payload_bytes)
            .arg(controller_.options().max_frame_bytes);
    if (controller_.state() != poolcore::PoolState::Run)
        return QStringLiteral("the pool is not running: start it first");
    return {};
}

bool LoadGenerator::start(const LoadSpec& spec, QString* error) {
    if (const QString p = problem(spec); !p.isEmpty()) {
        if (error)
            *error = p;
        return false;
    }
    if (running_)
        stop();
    spec_ = spec;
    payload_.assign(spec.payload_bytes, 'x');
    counters_ = std::make_shared<Counters>(); // callbacks of an earlier run count elsewhere
    submitted_ = 0;
    behind_ = 0;
    tokens_ = 0;
    ticks_ = 0;
    last_pump_ = Clock::now();
    running_ = true;
    pump_timer_.start();
    Q_EMIT runningChanged(true);
    Q_EMIT progress(0, spec_.mode == LoadSpec::Mode::Burst ? spec_.burst_jobs : 0);
    refill();
    return true;
}

void LoadGenerator::stop() {
    if (running_)
        finish(QStringLiteral("stopped"));
}

void LoadGenerator::finish(const QString& reason) {
    running_ = false;
    pump_timer_.stop();
    Q_EMIT progress(completed(), spec_.mode == LoadSpec::Mode::Burst ? spec_.burst_jobs : 0);
    Q_EMIT runningChanged(false);
    Q_EMIT stopped(reason);
}

void LoadGenerator::refill() {
    if (!running_ || refilling_)
        return;
    refilling_ = true; // an outcome arriving inside apply_async must not recurse into here
    const long long limit = window();
    const bool burst = spec_.mode == LoadSpec::Mode::Burst;
    auto counters = counters_;
    QPointer<LoadGenerator> self(this);
    const bool same_thread = controller_.callbacksOnGuiThread();
    poolcore::JobCallbacks callbacks;
    auto done = [counters, self, same_thread](const poolcore::JobResult& r) {
        counters->completed.fetch_add(1, std::memory_order_relaxed);
        if (!r.ok())
            counters->failed.fetch_add(1, std::memory_order_relaxed);
        // On the GUI thread, top the window up at once so that the workers never wait for the
        // next pump; on the pool's thread, the pump does it.
        if (same_thread && self && self->counters_ == counters &&
            self->spec_.mode == LoadSpec::Mode::Burst)
            self->refill();
    };
    callbacks.on_success = done;
    callbacks.on_error = done;
    while (running_) {
        const long long outstanding = submitted_ - counters_->completed.load();
        if (outstanding >= limit)
            break;
        if (burst && submitted_ >= spec_.burst_jobs)
            break;
        if (!burst && tokens_ < 1)
            break;
        poolcore::TaskCall call{spec_.task, spec_.argument, payload_, {}, {}};
        try {
            controller_.submit(std::move(call), callbacks);
        } catch (const std::exception& e) {
            refilling_ = false;
            finish(
                QStringLiteral("the pool refused a job: %1").arg(QString::fromStdString(e.what())));
            return;
        }
        ++submitted_;
        if (!burst)
            tokens_ -= 1;
    }
    refilling_ = false;
}

void LoadGenerator::pump() {
    if (!running_)
        return;
    const auto now = Clock::now();
    const double dt = std::chrono::duration<double>(now - last_pump_).count();
    last_pump_ = now;
    if (spec_.mode == LoadSpec::Mode::Rate) {
        tokens_ += spec_.jobs_per_second * dt;
        refill();
        // Whatever could not be submitted now is dropped, not saved up: a pool that falls
        // behind is shown falling behind instead of being flooded later.
        if (tokens_ >= 1) {
            behind_ += (long long)std::floor(tokens_);
            tokens_ -= std::floor(tokens_);
        }
    } else {
        refill();
        if (completed() >= spec_.burst_jobs) {
            finish(QStringLiteral("burst of %1 jobs done").arg(spec_.burst_jobs));
            return;
        }
    }
    if (++ticks_ % 10 == 0)
        Q_EMIT progress(completed(), spec_.mode == LoadSpec::Mode::Burst ? spec_.burst_jobs : 0);
}

} // namespace poolscope
