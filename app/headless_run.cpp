// SPDX-License-Identifier: GPL-3.0-or-later
#include "app/headless_run.h"

#include "app/stop_signals.h"
#include "poolcore/load_driver.h"
#include "poolcore/monitor_server.h"
#include "poolcore/poll_loop.h"
#include "poolcore/signal_numbers.h"
#include "poolcore/task_pool.h"
#include "poolcore/worker_entry.h"

#include <QDateTime>
#include <algorithm>
#include <atomic>
#include <bit>
#include <cerrno>
#include <cstring>
#include <functional>
#include <iomanip>
#include <mutex>
#include <nlohmann/json.hpp>
#include <ostream>
#include <random>

namespace poolscope {

namespace {

using Clock = std::chrono::steady_clock;
using poolcore::Outcome;

// Latencies in a log-linear histogram: exact below 128 ns, then 128 steps per power of two, so
// a percentile is within 0.4% of the exact one in 58 KiB, however many jobs a run has (keeping
// every latency cost 8 bytes a job: 800 MB for a run of 100 million).
class LatencyHistogram {
public:
    void add(std::int64_t ns) {
        const auto v = std::uint64_t(std::max<std::int64_t>(0, ns));
        ++buckets_[index(v)];
        ++count_;
        max_ = std::max(max_, v);
    }
    // The sample of rank p * (count - 1), rounded, in nanoseconds.
    double percentile(double p) const {
        const auto rank = std::uint64_t(p * double(count_ - 1) + 0.5);
        std::uint64_t seen = 0;
        for (std::size_t i = 0; i < buckets_.size(); ++i) {
            seen += buckets_[i];
            if (seen > rank)
                return std::min(middle(i), double(max_));
        }
        return double(max_);
    }
    bool empty() const { return count_ == 0; }
    std::uint64_t max() const { return max_; }

private:
    static constexpr int kStepBits = 7;
    static constexpr std::uint64_t kSteps = 1u << kStepBits;

    static std::size_t index(std::uint64_t v) {
        if (v < kSteps)
            return std::size_t(v);
        const int shift = std::bit_width(v) - 1 - kStepBits;
        return std::size_t(kSteps * std::uint64_t(shift) + (v >> shift));
    }
    static double middle(std::size_t i) {
        if (i < kSteps)
            return double(i);
        const std::uint64_t shift = (i - kSteps) / kSteps;
        const std::uint64_t low = (kSteps + (i - kSteps) % kSteps) << shift;
        return double(low) + double((std::uint64_t(1) << shift) - 1) / 2;
    }

    std::array<std::uint64_t, kSteps*(64 - kStepBits + 1)> buckets_{};
    std::uint64_t count_ = 0;
    std::uint64_t max_ = 0;
};

// Tallies outcomes and latencies; callbacks may run on the pool's own thread.
class Tally {
public:
    void record(const poolcore::JobResult& r) {
        std::lock_guard lock(mutex_);
        ++counts_[std::size_t(r.outcome)];
        latencies_.add(r.latency.count());
        last_ = Clock::now();
        done_.fetch_add(1, std::memory_order_release);
    }
    long long done() const { return done_.load(std::memory_order_acquire); }
    std::uint64_t count(Outcome o) const {
        std::lock_guard lock(mutex_);
        return counts_[std::size_t(o)];
    }
    Clock::time_point last() const {
        std::lock_guard lock(mutex_);
        return last_;
    }
    // p50, p99 and max in microseconds.
    std::array<double, 3> latency_us() const {
        std::lock_guard lock(mutex_);
        if (latencies_.empty())
            return {0, 0, 0};
        return {latencies_.percentile(0.50) / 1000.0, latencies_.percentile(0.99) / 1000.0,
                double(latencies_.max()) / 1000.0};
    }

private:
    mutable std::mutex mutex_;
    std::array<std::uint64_t, poolcore::kOutcomeCount> counts_{};
    LatencyHistogram latencies_;
    Clock::time_point last_ = Clock::now();
    std::atomic<long long> done_{0};
};

class MessagePrinter final : public poolcore::PoolObserver {
public:
    MessagePrinter(std::ostream& err, bool verbose) : err_(err), verbose_(verbose) {}
    void on_message(poolcore::Severity s, const std::string& text) override {
        if (s == poolcore::Severity::Error || verbose_)
            print(text);
    }
    // With --verbose, every crash while the pool runs (not the workers a stop or terminate ends).
    void on_state_changed(poolcore::PoolState s) override {
        running_ = s == poolcore::PoolState::Run || s == poolcore::PoolState::Close;
    }
    void on_worker_exit(int slot, pid_t pid, const poolcore::ExitStatus& status,
                        poolcore::ExitReason reason, const std::string& fault) override {
        const bool crash =
            reason == poolcore::ExitReason::Died || reason == poolcore::ExitReason::Killed;
        if (verbose_ && crash && running_)
            print("worker pid " + std::to_string(pid) + " (slot " + std::to_string(slot) +
                  ") exited with " + status.describe() + (fault.empty() ? "" : ": " + fault));
    }

private:
    void print(const std::string& text) {
        std::lock_guard lock(mutex_);
        err_ << "poolscope: " << text << '\n';
    }

    std::mutex mutex_;
    std::ostream& err_;
    bool verbose_;
    bool running_ = false; // state changes and exits come on the pool's one thread
};

// The program spawned workers ran as; null for the methods that fork.
nlohmann::json spawned_as(const poolcore::PoolOptions& options) {
    if (options.effective_start_method() != poolcore::StartMethod::Spawn)
        return nullptr;
    return options.worker_program.empty() ? poolcore::this_program_file() : options.worker_program;
}

// The app's pool options: poolcore's own default start method is fork, the app's forkserver.
poolcore::PoolOptions pool_options(const HeadlessOptions& o) {
    poolcore::PoolOptions options = o.pool;
    if (!options.start_method)
        options.start_method = poolcore::StartMethod::Forkserver;
    return options;
}

// Builds and starts the pool; null (and the reason on `err`) when it cannot be. Start-up ends
// early when `stop_asked` holds.
std::unique_ptr<poolcore::TaskPool> start_pool(const poolcore::PoolOptions& options,
                                               poolcore::EventLoop* loop, MessagePrinter& printer,
                                               std::ostream& err,
                                               const std::function<bool()>& stop_asked) {
    std::unique_ptr<poolcore::TaskPool> pool;
    try {
        pool = std::make_unique<poolcore::TaskPool>(options);
    } catch (const std::exception& e) {
        err << "poolscope: " << e.what() << std::endl;
        return nullptr;
    }
    pool->add_observer(&printer);
    if (loop && !options.threads)
        pool->register_with_event_loop(*loop);
    try {
        pool->on_start();
    } catch (const std::exception& e) {
        err << "poolscope: cannot start the pool: " << e.what() << '\n';
        return nullptr;
    }
    pool->wait_until([&] { return pool->did_start_ok() || stop_asked(); },
                     std::chrono::duration_cast<Clock::duration>(options.proc_alive_timeout));
    return pool;
}

// A submit that never waits, for either kind of pool: the event-loop Pool's apply_async only
// queues, and BlockingPool::submit only hands the job to the pool's thread (its apply_async
// would wait on the put-lock).
poolcore::LoadDriver::Submit non_blocking_submit(poolcore::TaskPool& pool) {
    if (auto* blocking = pool.blocking_pool())
        return [blocking](poolcore::TaskCall call, poolcore::JobCallbacks callbacks) {
            blocking->submit(std::move(call), std::move(callbacks));
        };
    return [&pool](poolcore::TaskCall call, poolcore::JobCallbacks callbacks) {
        pool.apply_async(std::move(call), std::move(callbacks));
    };
}

// Enough queued to keep every worker fed between outcomes, and no more: a run of any length
// uses memory bounded by this window. A thread-driven pool with its put-lock on takes only as
// many as its workers can (what its apply_async would let through), as it always has here.
long long load_window(const poolcore::PoolOptions& options) {
    const int per_worker = options.strategy == poolcore::Strategy::Fair ? 1 : options.prefetch;
    if (options.threads && options.putlocks)
        return std::max(1, options.effective_processes() * per_worker);
    return std::max<long long>(1024,
                               4LL * options.effective_processes() * std::max(1, options.prefetch));
}

// Waits until every outcome is in, a job is refused, a stop signal comes or the timeout passes;
// with --chaos-kill, kills a busy worker every so often meanwhile.
void await_outcomes(poolcore::TaskPool& pool, const poolcore::LoadDriver& driver,
                    const HeadlessOptions& o, Clock::time_point begin,
                    const std::function<bool()>& stop_asked) {
    const auto deadline = begin + std::chrono::duration_cast<Clock::duration>(
                                      std::chrono::duration<double>(o.timeout_s));
    std::mt19937 rng(std::random_device{}());
    auto next_chaos = o.chaos_kill_ms ? begin + std::chrono::milliseconds(*o.chaos_kill_ms)
                                      : Clock::time_point::max();
    auto finished = [&] { return driver.complete() || driver.refused() || stop_asked(); };
    while (!finished() && Clock::now() < deadline) {
        const auto slice = std::min(next_chaos, deadline) - Clock::now();
        pool.wait_until(finished, std::max<Clock::duration>(slice, std::chrono::milliseconds(0)));
        if (Clock::now() >= next_chaos) {
            next_chaos += std::chrono::milliseconds(*o.chaos_kill_ms);
            std::vector<pid_t> busy;
            for (const auto& w : pool.stats().workers)
                if (w.state == poolcore::WorkerState::Busy)
                    busy.push_back(w.pid);
            if (!busy.empty())
                pool.kill_worker(busy[rng() % busy.size()], SIGKILL);
        }
    }
}

// After a first stop signal, with no new jobs going out: lets those in flight finish within the
// grace period, unless a second signal comes first. True when none is left in flight.
bool let_jobs_in_flight_finish(poolcore::TaskPool& pool, const poolcore::LoadDriver& driver,
                               const StopSignals& stop_signals, const HeadlessOptions& o,
                               const std::function<bool()>& stop_asked, std::ostream& err) {
    const long long in_flight = driver.outstanding();
    if (in_flight > 0 && stop_signals.count() == 1)
        err << "poolscope: " << poolcore::signal_name(stop_signals.first())
            << ": submitting no more jobs; the " << in_flight << " in flight have "
            << o.stop_grace_s << " s to finish (a second signal ends them now)\n";
    pool.wait_until(
        [&] { return driver.outstanding() == 0 || (stop_asked() && stop_signals.count() > 1); },
        std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(o.stop_grace_s)));
    const long long left = driver.outstanding();
    if (left > 0)
        err << "poolscope: terminating the " << left << " jobs still in flight"
            << (stop_signals.count() > 1 ? " on a second signal" : " after the grace period")
            << '\n';
    return left == 0;
}

struct RunFacts {
    qint64 started_at_ms = 0; // wall clock, ms since the Unix epoch: the report's time base
    long long submitted = 0;
    int stop_signal = 0; // the first SIGINT, SIGTERM or SIGHUP that stopped the run
    bool started_ok = false;
    double elapsed_s = 0;
    poolcore::Info info;
    poolcore::StatsSnapshot stats;
};

nlohmann::json make_report(const RunFacts& run, const Tally& tally,
                           const poolcore::PoolOptions& options) {
    const auto [p50, p99, max] = tally.latency_us();
    return {
        {"started_at", QDateTime::fromMSecsSinceEpoch(run.started_at_ms, Qt::UTC)
                           .toString(Qt::ISODateWithMs)
                           .toStdString()},
        {"started_at_unix_s", double(run.started_at_ms) / 1000.0},
        {"submitted", run.submitted},
        {"succeeded", tally.count(Outcome::Success)},
        {"failed", tally.count(Outcome::TaskError)},
        {"lost", tally.count(Outcome::WorkerLost)},
        {"timed_out", tally.count(Outcome::TimeLimit)},
        {"soft_timed_out", tally.count(Outcome::SoftTimeLimit)},
        {"terminated", tally.count(Outcome::Terminated)},
        {"elapsed_s", run.elapsed_s},
        {"tasks_per_s", run.elapsed_s > 0 ? double(tally.done()) / run.elapsed_s : 0.0},
        {"latency_us", {{"p50", p50}, {"p99", p99}, {"max", max}}},
        {"workers_started", run.stats.workers_started},
        {"workers_exited", run.stats.workers_exited},
        {"did_start_ok", run.started_ok},
        {"start_method", std::string(poolcore::to_string(options.effective_start_method()))},
        {"worker_program", spawned_as(options)},
        {"info", run.info},
        {"stopped_by", run.stop_signal
                           ? nlohmann::json(std::string(poolcore::signal_name(run.stop_signal)))
                           : nlohmann::json(nullptr)},
    };
}

// Writes the report as JSON or as text; false (and why on `err`) when it did not get out.
bool write_report(const nlohmann::json& report, const RunFacts& run, bool json, std::ostream& out,
                  std::ostream& err) {
    errno = 0; // so that a failed write below can say why
    if (json) {
        out << report.dump() << std::endl;
    } else {
        const auto& latency = report["latency_us"];
        out << std::fixed << std::setprecision(1);
        out << "jobs        " << report["submitted"] << " submitted: " << report["succeeded"]
            << " succeeded, " << report["failed"] << " failed, " << report["lost"] << " lost, "
            << report["timed_out"] << " timed out, " << report["soft_timed_out"]
            << " soft timed out, " << report["terminated"] << " terminated\n"
            << "throughput  " << report["tasks_per_s"].get<double>() << " jobs/s over "
            << std::setprecision(3) << run.elapsed_s << " s\n"
            << std::setprecision(1) << "latency     p50 " << latency["p50"].get<double>()
            << " us, p99 " << latency["p99"].get<double>() << " us, max "
            << latency["max"].get<double>() << " us\n"
            << "workers     " << run.stats.workers_started << " started, "
            << run.stats.workers_exited << " exited; start " << (run.started_ok ? "ok" : "FAILED")
            << '\n'
            << "info        " << nlohmann::json(run.info).dump() << '\n';
        if (run.stop_signal)
            out << "stopped by  " << poolcore::signal_name(run.stop_signal) << '\n';
    }
    // A report that did not reach its file (a full disk, a closed pipe) is a failed run: a script
    // must not read success from the exit code and then find nothing.
    out.flush();
    if (!out) {
        const int cause = errno;
        err << "poolscope: could not write the report"
            << (cause ? std::string(": ") + std::strerror(cause) : std::string()) << '\n';
        return false;
    }
    return true;
}

} // namespace

int run_headless(const HeadlessOptions& o, poolcore::EventLoop* loop, std::ostream& out,
                 std::ostream& err) {
    MessagePrinter printer(err, o.verbose); // both outlive the pool that calls them
    Tally tally;
    const poolcore::PoolOptions options = pool_options(o);

    // Caught before the pool starts, so that no signal from here on ends the run unreported. An
    // event-loop pool wakes on the signal pipe; a thread-driven one is waited for in short
    // slices, each of which looks at the pipe.
    StopSignals stop_signals;
    std::unique_ptr<poolcore::PollLoop> poll_loop;
    if (!loop && !options.threads) {
        try {
            poll_loop = std::make_unique<poolcore::PollLoop>();
        } catch (const std::exception& e) {
            // Its wake-up pipe needs two descriptors, which a very low RLIMIT_NOFILE may not leave.
            err << "poolscope: cannot start the pool: " << e.what() << "\n";
            return 1;
        }
        loop = poll_loop.get();
    }
    const bool watched = loop && !options.threads && stop_signals.fd() >= 0;
    if (watched)
        loop->add_reader(stop_signals.fd(), [&stop_signals] { stop_signals.collect(); });
    struct Unwatch {
        poolcore::EventLoop* loop;
        int fd;
        ~Unwatch() {
            if (loop)
                loop->remove_reader(fd);
        }
    } unwatch{watched ? loop : nullptr, stop_signals.fd()};
    const std::function<bool()> stop_asked = [&stop_signals, watched] {
        if (!watched)
            stop_signals.collect();
        return stop_signals.count() > 0;
    };

    const auto pool = start_pool(options, loop, printer, err, stop_asked);
    if (!pool)
        return 1;
#if POOLCORE_HAS_MONITOR // else the command line refused --monitor
    // Built after the pool and destroyed before it (it is declared later).
    std::unique_ptr<poolcore::MonitorServer> monitor;
    if (!o.monitor_socket.empty()) {
        poolcore::MonitorOptions monitor_options;
        monitor_options.socket_path = o.monitor_socket;
        monitor_options.read_only = o.monitor_read_only;
        try {
            if (auto* blocking = pool->blocking_pool())
                monitor = std::make_unique<poolcore::MonitorServer>(*blocking, monitor_options);
            else
                monitor = std::make_unique<poolcore::MonitorServer>(*pool->event_loop_pool(),
                                                                    monitor_options);
        } catch (const std::exception& e) {
            err << "poolscope: cannot serve the pool's monitor: " << e.what() << '\n';
            return 1;
        }
        err << "poolscope: monitor at " << monitor->path() << std::endl;
    }
#endif
    RunFacts run;
    run.started_ok = pool->did_start_ok();

    poolcore::LoadDriver::Settings settings;
    settings.window = load_window(options);
    settings.total = o.count;
    settings.on_outcome = [&tally](const poolcore::JobResult& r) { tally.record(r); };
    poolcore::LoadDriver driver(
        non_blocking_submit(*pool),
        poolcore::round_robin_calls(o.tasks, std::string(o.payload_bytes, 'x')),
        std::move(settings));
    const auto begin = Clock::now();
    run.started_at_ms = QDateTime::currentMSecsSinceEpoch();
    if (!stop_asked())
        driver.refill();
    await_outcomes(*pool, driver, o, begin, stop_asked);
    driver.stop();

    bool settled = driver.complete();
    run.stop_signal = stop_signals.first();
    if (run.stop_signal && !settled)
        settled = let_jobs_in_flight_finish(*pool, driver, stop_signals, o, stop_asked, err);
    const bool complete = driver.complete();
    const auto end = complete ? tally.last() : Clock::now();
    if (!settled && !run.stop_signal && !driver.refused())
        err << "poolscope: gave up after " << o.timeout_s << " s with " << tally.done() << " of "
            << o.count << " outcomes\n";
    if (driver.refused())
        err << "poolscope: a job was refused: " << driver.error() << '\n';

    run.info = pool->info();
    if (settled)
        pool->on_stop();
    else
        pool->on_terminate();
    run.stats = pool->stats();
    run.submitted = driver.submitted();
    run.elapsed_s = std::chrono::duration<double>(end - begin).count();
    const nlohmann::json report = make_report(run, tally, options);
    const bool written = write_report(report, run, o.json, out, err);
    // A stopped run says so by its exit code as a process ended by the signal would (128 + its
    // number), report or not: a supervisor reads the stop it asked for.
    if (run.stop_signal)
        return 128 + run.stop_signal;
    if (!written)
        return 1;
    return complete && run.started_ok ? 0 : 1;
}

} // namespace poolscope
