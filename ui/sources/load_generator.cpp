// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/sources/load_generator.h"

#include "poolcore/task_registry.h"
#include "ui/sources/pool_controller.h"

#include <QStringList>
#include <algorithm>
#include <cmath>

namespace poolscope {

using Clock = std::chrono::steady_clock;

std::vector<poolcore::TaskCall> LoadSpec::calls() const {
    std::vector<poolcore::TaskCall> all{poolcore::TaskCall{task, argument, {}, {}, {}}};
    for (const std::string& spec : mix)
        all.push_back(poolcore::TaskCall::parse(spec));
    return all;
}

QString LoadSpec::describeTasks() const {
    QStringList names;
    for (const auto& call : calls())
        names << QString::fromStdString(call.argument.empty() ? call.task
                                                              : call.task + "=" + call.argument);
    return names.join(QStringLiteral(", "));
}

LoadGenerator::LoadGenerator(PoolController& controller, QObject* parent)
    : QObject(parent), controller_(controller) {
    pump_timer_.setInterval(std::chrono::milliseconds(10));
    pump_timer_.setTimerType(Qt::PreciseTimer);
    connect(&pump_timer_, &QTimer::timeout, this, &LoadGenerator::pump);
    connect(&controller_, &PoolController::stateChanged, this, [this](poolcore::PoolState s) {
        if (settling_ && s == poolcore::PoolState::Stopped)
            settle(); // every job the pool had has its outcome by now
        if (running_ && s != poolcore::PoolState::Run)
            finish(QStringLiteral("the pool stopped accepting jobs (state %1)")
                       .arg(QString::fromLatin1(poolcore::to_string(s).data(),
                                                qsizetype(poolcore::to_string(s).size()))));
    });
}

LoadGenerator::~LoadGenerator() = default;

long long LoadGenerator::completed() const {
    return driver_ ? driver_->completed() : 0;
}
long long LoadGenerator::failed() const {
    return driver_ ? driver_->failed() : 0;
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
    const auto calls = spec.calls();
    for (const auto& call : calls)
        if (!poolcore::TaskRegistry::global().contains(call.task))
            return call.task.empty() ? QStringLiteral("a task in the mix has no name")
                                     : QStringLiteral("there is no task named '%1'")
                                           .arg(QString::fromStdString(call.task));
    if (spec.mode == LoadSpec::Mode::Burst && spec.burst_jobs < 1)
        return QStringLiteral("a burst needs at least one job");
    if (spec.mode == LoadSpec::Mode::Rate &&
        !(spec.jobs_per_second > 0 && spec.jobs_per_second <= 1e6))
        return QStringLiteral("the rate must be above 0 and at most 1,000,000 jobs a second");
    if (controller_.hasPool())
        for (const auto& call : calls)
            if (const auto why = controller_.options().payload_problem(spec.payload_bytes,
                                                                       call.task, call.argument);
                !why.empty())
                return QString::fromStdString(why); // the pool's own limit, in its own words
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
    settling_ = false;
    spec_ = spec;
    const bool burst = spec_.mode == LoadSpec::Mode::Burst;
    poolcore::LoadDriver::Settings settings;
    settings.window = window();
    if (burst)
        settings.total = spec_.burst_jobs;
    settings.budgeted = !burst;
    // On the GUI thread, an outcome tops a burst's window up at once so that the workers never
    // wait for the next pump; on the pool's thread, the pump does it (the controller is the GUI
    // thread's).
    settings.refill_on_outcome = burst && controller_.callbacksOnGuiThread();
    driver_.reset(); // callbacks of an earlier run count elsewhere
    driver_ = std::make_unique<poolcore::LoadDriver>(
        [this](poolcore::TaskCall call, poolcore::JobCallbacks callbacks) {
            controller_.submit(std::move(call), std::move(callbacks));
        },
        poolcore::round_robin_calls(spec_.calls(), std::string(spec_.payload_bytes, 'x')),
        std::move(settings));
    behind_ = 0;
    tokens_ = 0;
    ticks_ = 0;
    last_pump_ = Clock::now();
    running_ = true;
    pump_timer_.start();
    controller_.log(
        EventKind::Control, poolcore::Severity::Info,
        (burst
             ? QStringLiteral("load started: a burst of %1 job(s) of %2").arg(spec_.burst_jobs)
             : QStringLiteral("load started: %1 job(s) a second of %2").arg(spec_.jobs_per_second))
                .arg(spec_.describeTasks()) +
            (spec_.mix.empty() ? QString() : QStringLiteral(" (round-robin)")));
    Q_EMIT runningChanged(true);
    Q_EMIT progress(0, burst ? spec_.burst_jobs : 0);
    refill();
    return true;
}

bool LoadGenerator::setRate(double jobs_per_second) {
    if (!running_ || spec_.mode != LoadSpec::Mode::Rate ||
        !(jobs_per_second > 0 && jobs_per_second <= 1e6))
        return false;
    if (jobs_per_second == spec_.jobs_per_second)
        return true;
    spec_.jobs_per_second = jobs_per_second;
    controller_.log(EventKind::Control, poolcore::Severity::Info,
                    QStringLiteral("load rate changed to %1 job(s) a second").arg(jobs_per_second));
    return true;
}

void LoadGenerator::stop(const QString& reason) {
    if (running_)
        finish(reason);
}

void LoadGenerator::finish(const QString& reason) {
    running_ = false;
    driver_->stop();
    // The jobs already submitted still end (a graceful stop lets them run, a terminate fails
    // them): the pump goes on counting them until the last has its outcome.
    settling_ = driver_->outstanding() > 0;
    if (!settling_)
        pump_timer_.stop();
    controller_.log(
        EventKind::Control, poolcore::Severity::Info,
        QStringLiteral("load stopped (%1) after %2 submitted job(s)").arg(reason).arg(submitted()));
    Q_EMIT progress(completed(), spec_.mode == LoadSpec::Mode::Burst ? spec_.burst_jobs : 0);
    Q_EMIT runningChanged(false);
    Q_EMIT stopped(reason);
}

void LoadGenerator::settle() {
    if (!settling_)
        return;
    settling_ = false;
    pump_timer_.stop();
    Q_EMIT progress(completed(), spec_.mode == LoadSpec::Mode::Burst ? spec_.burst_jobs : 0);
}

bool LoadGenerator::finishIfRefused() {
    if (!running_ || !driver_->refused())
        return false;
    finish(
        QStringLiteral("the pool refused a job: %1").arg(QString::fromStdString(driver_->error())));
    return true;
}

void LoadGenerator::refill() {
    if (!running_)
        return;
    driver_->set_window(window());
    driver_->refill();
    finishIfRefused();
}

void LoadGenerator::pump() {
    if (settling_) {
        if (driver_->outstanding() <= 0)
            settle();
        else if (++ticks_ % 10 == 0)
            Q_EMIT progress(completed(),
                            spec_.mode == LoadSpec::Mode::Burst ? spec_.burst_jobs : 0);
        return;
    }
    if (!running_)
        return;
    const auto now = Clock::now();
    const double dt = std::chrono::duration<double>(now - last_pump_).count();
    last_pump_ = now;
    if (finishIfRefused()) // met by a refill on an outcome since the last pump
        return;
    if (spec_.mode == LoadSpec::Mode::Rate) {
        tokens_ += spec_.jobs_per_second * dt;
        const double whole = std::floor(tokens_);
        tokens_ -= whole;
        driver_->set_window(window());
        driver_->grant((long long)whole);
        if (finishIfRefused())
            return;
        // Whatever could not be submitted now is dropped, not saved up: a pool that falls
        // behind is shown falling behind instead of being flooded later.
        behind_ += driver_->take_unused_budget();
    } else {
        refill();
        if (!running_)
            return;
        if (completed() >= spec_.burst_jobs) {
            finish(QStringLiteral("burst of %1 jobs done").arg(spec_.burst_jobs));
            return;
        }
    }
    if (++ticks_ % 10 == 0)
        Q_EMIT progress(completed(), spec_.mode == LoadSpec::Mode::Burst ? spec_.burst_jobs : 0);
}

} // namespace poolscope
