// SPDX-License-Identifier: GPL-3.0-or-later
#include "app/headless_run.h"

#include "poolcore/task_pool.h"
#include "poolcore/worker_entry.h"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <iomanip>
#include <mutex>
#include <nlohmann/json.hpp>
#include <ostream>
#include <random>
#include <signal.h>
#include <thread>

namespace poolscope {

namespace {

using Clock = std::chrono::steady_clock;
using poolcore::Outcome;

// Tallies outcomes and latencies; callbacks may run on the pool's own thread.
class Tally {
public:
    void record(const poolcore::JobResult& r) {
        std::lock_guard lock(mutex_);
        ++counts_[std::size_t(r.outcome)];
        latencies_ns_.push_back(r.latency.count());
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
    std::array<double, 3> latency_us() {
        std::lock_guard lock(mutex_);
        if (latencies_ns_.empty())
            return {0, 0, 0};
        auto& v = latencies_ns_;
        auto at = [&](double p) {
            const auto k = std::size_t(p * double(v.size() - 1) + 0.5);
            std::nth_element(v.begin(), v.begin() + std::ptrdiff_t(k), v.end());
            return double(v[k]) / 1000.0;
        };
        return {at(0.50), at(0.99), double(*std::max_element(v.begin(), v.end())) / 1000.0};
    }

private:
    mutable std::mutex mutex_;
    std::array<std::uint64_t, poolcore::kOutcomeCount> counts_{};
    std::vector<std::int64_t> latencies_ns_;
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

} // namespace

int run_headless(const HeadlessOptions& o, poolcore::EventLoop* loop, std::ostream& out,
                 std::ostream& err) {
    MessagePrinter printer(err, o.verbose); // outlives the pool that notifies it
    poolcore::PoolOptions options = o.pool;
    if (!options.start_method) // the app's default; poolcore's own is fork
        options.start_method = poolcore::StartMethod::Forkserver;
    std::unique_ptr<poolcore::TaskPool> owned;
    try {
        owned = std::make_unique<poolcore::TaskPool>(options);
    } catch (const std::exception& e) {
        err << "poolscope: " << e.what() << std::endl;
        return 1;
    }
    poolcore::TaskPool& pool = *owned;
    pool.add_observer(&printer);
    if (loop && !o.pool.threads)
        pool.register_with_event_loop(*loop);

    try {
        pool.on_start();
    } catch (const std::exception& e) {
        err << "poolscope: cannot start the pool: " << e.what() << '\n';
        return 1;
    }
    pool.wait_until([&] { return pool.did_start_ok(); },
                    std::chrono::duration_cast<Clock::duration>(o.pool.proc_alive_timeout));
    const bool started_ok = pool.did_start_ok();

    Tally tally;
    const std::string payload(o.payload_bytes, 'x');
    std::atomic<long long> submitted{0};
    std::string submit_error;
    const auto begin = Clock::now();

    auto make_call = [&](long long i) {
        poolcore::TaskCall call = o.tasks[std::size_t(i) % o.tasks.size()];
        call.payload = payload;
        return call;
    };
    poolcore::JobCallbacks callbacks;
    callbacks.on_success = [&](const poolcore::JobResult& r) { tally.record(r); };
    callbacks.on_error = [&](const poolcore::JobResult& r) { tally.record(r); };

    std::thread submitter;
    if (o.pool.threads) {
        // BlockingPool: apply_async waits for a free slot (put-lock), so submit from a thread.
        submitter = std::thread([&] {
            try {
                for (long long i = 0; i < o.count; ++i, ++submitted)
                    pool.apply_async(make_call(i), callbacks);
            } catch (const std::exception& e) {
                submit_error = e.what();
            }
        });
    } else {
        // Event-loop pool: keep a bounded window queued and refill it as outcomes arrive, so a
        // run of any length uses bounded memory.
        const long long window = std::max<long long>(1024, 4LL * o.pool.effective_processes() *
                                                               std::max(1, o.pool.prefetch));
        auto refill = std::make_shared<std::function<void()>>();
        callbacks.on_success = callbacks.on_error = [&, refill](const poolcore::JobResult& r) {
            tally.record(r);
            (*refill)();
        };
        *refill = [&] {
            while (submitted < o.count && submitted - tally.done() < window) {
                try {
                    pool.apply_async(make_call(submitted), callbacks);
                } catch (const std::exception& e) {
                    submit_error = e.what();
                    return;
                }
                ++submitted;
            }
        };
        (*refill)();
    }

    const auto deadline = begin + std::chrono::duration_cast<Clock::duration>(
                                      std::chrono::duration<double>(o.timeout_s));
    std::mt19937 rng(std::random_device{}());
    auto next_chaos = o.chaos_kill_ms ? begin + std::chrono::milliseconds(*o.chaos_kill_ms)
                                      : Clock::time_point::max();
    auto finished = [&] { return tally.done() >= o.count || !submit_error.empty(); };
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
    const bool complete = tally.done() >= o.count;
    const auto end = complete ? tally.last() : Clock::now();
    if (!complete && submit_error.empty())
        err << "poolscope: gave up after " << o.timeout_s << " s with " << tally.done() << " of "
            << o.count << " outcomes\n";
    if (!submit_error.empty())
        err << "poolscope: a job was refused: " << submit_error << '\n';

    const poolcore::Info info = pool.info();
    if (complete)
        pool.on_stop();
    else
        pool.on_terminate();
    if (submitter.joinable())
        submitter.join();
    const poolcore::StatsSnapshot stats = pool.stats();

    const double elapsed = std::chrono::duration<double>(end - begin).count();
    const auto [p50, p99, max] = tally.latency_us();
    nlohmann::json report = {
        {"submitted", submitted.load()},
        {"succeeded", tally.count(Outcome::Success)},
        {"failed", tally.count(Outcome::TaskError)},
        {"lost", tally.count(Outcome::WorkerLost)},
        {"timed_out", tally.count(Outcome::TimeLimit)},
        {"soft_timed_out", tally.count(Outcome::SoftTimeLimit)},
        {"terminated", tally.count(Outcome::Terminated)},
        {"elapsed_s", elapsed},
        {"tasks_per_s", elapsed > 0 ? double(tally.done()) / elapsed : 0.0},
        {"latency_us", {{"p50", p50}, {"p99", p99}, {"max", max}}},
        {"workers_started", stats.workers_started},
        {"workers_exited", stats.workers_exited},
        {"did_start_ok", started_ok},
        {"start_method", std::string(poolcore::to_string(options.effective_start_method()))},
        {"worker_program", spawned_as(options)},
        {"info", info},
    };
    errno = 0; // so that a failed write below can say why
    if (o.json) {
        out << report.dump() << std::endl;
    } else {
        out << std::fixed << std::setprecision(1);
        out << "jobs        " << report["submitted"] << " submitted: " << report["succeeded"]
            << " succeeded, " << report["failed"] << " failed, " << report["lost"] << " lost, "
            << report["timed_out"] << " timed out, " << report["soft_timed_out"]
            << " soft timed out, " << report["terminated"] << " terminated\n"
            << "throughput  " << report["tasks_per_s"].get<double>() << " jobs/s over "
            << std::setprecision(3) << elapsed << " s\n"
            << std::setprecision(1) << "latency     p50 " << p50 << " us, p99 " << p99
            << " us, max " << max << " us\n"
            << "workers     " << stats.workers_started << " started, " << stats.workers_exited
            << " exited; start " << (started_ok ? "ok" : "FAILED") << '\n'
            << "info        " << nlohmann::json(info).dump() << '\n';
    }
    // A report that did not reach its file (a full disk, a closed pipe) is a failed run: a script
    // must not read success from the exit code and then find nothing.
    out.flush();
    if (!out) {
        const int cause = errno;
        err << "poolscope: could not write the report"
            << (cause ? std::string(": ") + std::strerror(cause) : std::string()) << '\n';
        return 1;
    }
    return complete && started_ok ? 0 : 1;
}

} // namespace poolscope
