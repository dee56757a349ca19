// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "poolcore/load_driver.h"

#include <QObject>
#include <QString>
#include <QTimer>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

namespace poolscope {

class PoolController;

struct LoadSpec {
    enum class Mode { Burst, Rate };
    std::string task = "noop";
    std::string argument;
    // Further tasks as `name=arg` specs: a mixed load takes `task` and these round-robin.
    std::vector<std::string> mix;
    std::size_t payload_bytes = 0;
    Mode mode = Mode::Burst;
    long long burst_jobs = 1000;
    double jobs_per_second = 100;

    // Every task the load runs, in round-robin order: `task` first, then the mix.
    std::vector<poolcore::TaskCall> calls() const;
    // "noop" or "noop, sleep=5, echo": how the log and the counts name the load.
    QString describeTasks() const;
};

// Feeds the pool with jobs of one built-in task: a burst of N jobs, or a steady rate. It keeps a
// bounded number of jobs outstanding, so that a burst of millions or a rate the pool cannot
// follow costs bounded memory; a rate the pool cannot keep up with is reported as "behind".
class LoadGenerator : public QObject {
    Q_OBJECT
public:
    explicit LoadGenerator(PoolController& controller, QObject* parent = nullptr);
    ~LoadGenerator() override;

    // Checks the spec against the task registry and the running pool; on failure returns false
    // and sets `error` to a message for the user.
    bool start(const LoadSpec& spec, QString* error);
    // Submits nothing more; `reason` is what the stopped signal tells ("Stop Load pressed",
    // "the pool was terminated"). Jobs already submitted go on being counted as they end.
    void stop(const QString& reason = QStringLiteral("Stop Load pressed"));
    bool isRunning() const { return running_; }
    // Rate mode: a new rate for the running load, from the next pump on (no restart, so its
    // counts go on). False when no rate load runs or `jobs_per_second` is out of range.
    bool setRate(double jobs_per_second);
    // Stopped, with submitted jobs still to end: progress goes on until they have.
    bool isSettling() const { return settling_; }
    const LoadSpec& spec() const { return spec_; }

    long long submitted() const { return driver_ ? driver_->submitted() : 0; }
    long long completed() const;
    long long failed() const;
    // Rate mode: jobs not submitted because too many were already outstanding.
    long long behind() const { return behind_; }
    // The most jobs it lets be outstanding at once.
    long long window() const;

    // Checks a spec without starting; empty when it is acceptable.
    QString problem(const LoadSpec& spec) const;

Q_SIGNALS:
    void runningChanged(bool running);
    // At most ten times a second while running, and once when it stops.
    void progress(long long completed, long long total);
    void stopped(const QString& reason);

private:
    void pump();
    void settle();
    void refill();
    // Finishes the run if the driver met a refusal; true then.
    bool finishIfRefused();
    void finish(const QString& reason);

    PoolController& controller_;
    LoadSpec spec_;
    // The run's jobs; its counters live on in callbacks that outlive it or this object.
    std::unique_ptr<poolcore::LoadDriver> driver_;
    bool running_ = false;
    bool settling_ = false;
    long long behind_ = 0;
    double tokens_ = 0;
    std::chrono::steady_clock::time_point last_pump_;
    QTimer pump_timer_;
    int ticks_ = 0;
};

} // namespace poolscope
