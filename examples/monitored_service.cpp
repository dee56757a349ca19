// SPDX-License-Identifier: MIT
// A service that embeds poolcore with a task of its own and opts into a monitor socket, so that
// Poolscope (`poolscope --attach PATH`, or File > Attach...) can watch and control its pool from
// another process while the service goes on with its work.
//
//   example_monitored_service [--socket PATH] [--jobs N | --forever] [--rate JOBS_PER_S]
//                             [--work-ms MS] [--processes N] [--threads] [--read-only]
//                             [--viewer-buffer-kib KIB] [--stall-ms MS] [--wait-for-viewer]
//                             [--no-job-records]
//
// It prints "monitor at PATH" once viewers may attach, and at the end (N jobs done, or SIGINT /
// SIGTERM) stops its pool gracefully and prints "N of N jobs succeeded, 0 lost" and the
// monitor's counters. The tests of the `attach` label drive it.
#include "poolcore/blocking_pool.h"
#include "poolcore/monitor_server.h"
#include "poolcore/poll_loop.h"
#include "poolcore/pool.h"
#include "poolcore/task_registry.h"
#include "poolcore/worker_entry.h"

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <thread>

namespace {

// The service's own task: a 64-bit FNV-1a digest of the payload, after `argument` ms of "work".
std::string digest(const poolcore::TaskContext& ctx) {
    const int work_ms = ctx.argument().empty() ? 0 : std::atoi(std::string(ctx.argument()).c_str());
    const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(work_ms);
    while (std::chrono::steady_clock::now() < until) {
        ctx.check_soft_time_limit();
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    std::uint64_t h = 1469598103934665603ull;
    for (const char c : ctx.payload())
        h = (h ^ std::uint8_t(c)) * 1099511628211ull;
    char text[17];
    std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(h));
    return text;
}

// Set by the stop signals, read by a timer: the one thing a signal handler may safely touch.
volatile std::sig_atomic_t stop_requested = 0;
extern "C" void request_stop(int) {
    stop_requested = 1;
}

struct Settings {
    std::string socket;
    long long jobs = 100;
    bool forever = false;
    double rate = 200;
    int work_ms = 2;
    int processes = 2;
    bool threads = false;
    bool read_only = false;
    std::size_t viewer_buffer_kib = 0;
    long stall_ms = 0;
    bool wait_for_viewer = false;
    bool job_records = true; // the pool's own ring, which the monitor sends
};

constexpr const char* kUsage =
    "usage: example_monitored_service [--socket PATH] [--jobs N | --forever]\n"
    "           [--rate JOBS_PER_S] [--work-ms MS] [--processes N] [--threads] [--read-only]\n"
    "           [--viewer-buffer-kib KIB] [--stall-ms MS] [--wait-for-viewer]\n"
    "           [--no-job-records]\n"
    "Serves its pool on a monitor socket (default $XDG_RUNTIME_DIR/poolscope/pool-PID.sock)\n"
    "for `poolscope --attach PATH`.\n";

bool parse(int argc, char** argv, Settings& s) {
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        const auto value = [&]() -> const char* {
            if (i + 1 >= argc) {
                std::fprintf(stderr, "%s needs a value\n", arg.c_str());
                std::exit(2);
            }
            return argv[++i];
        };
        if (arg == "--help" || arg == "-h") {
            std::fputs(kUsage, stdout);
            std::exit(0);
        } else if (arg == "--socket")
            s.socket = value();
        else if (arg == "--jobs")
            s.jobs = std::atoll(value());
        else if (arg == "--forever")
            s.forever = true;
        else if (arg == "--rate")
            s.rate = std::atof(value());
        else if (arg == "--work-ms")
            s.work_ms = std::atoi(value());
        else if (arg == "--processes")
            s.processes = std::atoi(value());
        else if (arg == "--threads")
            s.threads = true;
        else if (arg == "--read-only")
            s.read_only = true;
        else if (arg == "--viewer-buffer-kib")
            s.viewer_buffer_kib = std::size_t(std::atoll(value()));
        else if (arg == "--stall-ms")
            s.stall_ms = std::atol(value());
        else if (arg == "--wait-for-viewer")
            s.wait_for_viewer = true;
        else if (arg == "--no-job-records")
            s.job_records = false;
        else {
            std::fprintf(stderr, "unknown option %s\n%s", arg.c_str(), kUsage);
            return false;
        }
    }
    if (s.rate <= 0 || s.processes < 1 || s.jobs < 0) {
        std::fprintf(stderr, "--rate and --processes must be positive, --jobs at least 0\n");
        return false;
    }
    return true;
}

// What the service keeps of its jobs: every job gets exactly one outcome.
struct Tally {
    std::atomic<long long> submitted{0}, succeeded{0}, failed{0};
    long long finished() const { return succeeded + failed; }
};

poolcore::JobCallbacks counting(Tally& tally) {
    poolcore::JobCallbacks callbacks;
    callbacks.on_success = [&tally](const poolcore::JobResult&) { ++tally.succeeded; };
    callbacks.on_error = [&tally](const poolcore::JobResult& r) {
        ++tally.failed;
        std::fprintf(stderr, "job %llu ended %s: %s\n", static_cast<unsigned long long>(r.id),
                     std::string(poolcore::to_string(r.outcome)).c_str(), r.value.c_str());
    };
    return callbacks;
}

poolcore::TaskCall next_call(const Settings& s, long long n) {
    return poolcore::TaskCall{.task = "digest",
                              .argument = std::to_string(s.work_ms),
                              .payload = "request " + std::to_string(n)};
}

void report(const Tally& tally, const poolcore::MonitorServer& monitor) {
    const auto c = monitor.counters();
    std::printf("%lld of %lld jobs succeeded, %lld lost\n", tally.succeeded.load(),
                tally.submitted.load(), tally.submitted - tally.finished());
    std::printf("monitor: %llu viewers served, %llu refused (uid), %llu refused (full), "
                "%llu dropped slow, %llu dropped for garbage, %llu control verbs\n",
                static_cast<unsigned long long>(c.accepted),
                static_cast<unsigned long long>(c.refused_uid),
                static_cast<unsigned long long>(c.refused_full),
                static_cast<unsigned long long>(c.dropped_slow),
                static_cast<unsigned long long>(c.dropped_garbage),
                static_cast<unsigned long long>(c.controls));
    std::fflush(stdout);
}

poolcore::MonitorOptions monitor_options(const Settings& s) {
    poolcore::MonitorOptions options;
    options.socket_path = s.socket; // empty: $XDG_RUNTIME_DIR/poolscope/pool-<pid>.sock
    options.read_only = s.read_only;
    if (s.viewer_buffer_kib)
        options.viewer_buffer_bytes = s.viewer_buffer_kib * 1024;
    if (s.stall_ms)
        options.viewer_stall_timeout = std::chrono::milliseconds(s.stall_ms);
    return options;
}

// Submits at `rate` until the goal is met or a stop signal came; `submit` throws once the pool is
// closed (a viewer may stop it), which ends the submitting.
template <typename Submit, typename Pump>
void feed_jobs(const Settings& s, Tally& tally, const poolcore::MonitorServer& monitor,
               Submit submit, Pump pump) {
    // For a viewer that must see every job from the first.
    while (s.wait_for_viewer && !stop_requested && monitor.counters().viewers == 0)
        pump();
    const auto start = std::chrono::steady_clock::now();
    while (!stop_requested && (s.forever || tally.submitted < s.jobs)) {
        const double elapsed =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        while (!stop_requested && (s.forever || tally.submitted < s.jobs) &&
               tally.submitted < (long long)(elapsed * s.rate) + 1) {
            try {
                submit(next_call(s, tally.submitted));
                ++tally.submitted;
            } catch (const poolcore::PoolError& e) {
                std::printf("no more jobs: %s\n", e.what());
                return;
            }
        }
        pump();
    }
}

} // namespace

int main(int argc, char** argv) {
    poolcore::TaskRegistry::global().add({"digest", "work ms", "FNV-1a of the payload"}, digest);
    poolcore::run_worker_if_requested(argc, argv);
    Settings s;
    if (!parse(argc, argv, s))
        return 2;
    std::signal(SIGINT, request_stop);
    std::signal(SIGTERM, request_stop);

    poolcore::PoolOptions options;
    options.processes = s.processes;
    options.threads = s.threads; // BlockingPool: its workers come from a forkserver
    if (!s.job_records)
        options.job_record_capacity = 0; // the monitor then builds records from what it hears
    Tally tally;
    try {
        if (s.threads) {
            // [snippet:monitor-blocking]
            poolcore::BlockingPool pool(options);
            poolcore::MonitorServer monitor(pool, monitor_options(s)); // serves from its own thread
            // [/snippet]
            std::printf("monitor at %s\n", monitor.path().c_str());
            std::fflush(stdout);
            pool.start();
            feed_jobs(
                s, tally, monitor,
                [&](poolcore::TaskCall call) { pool.submit(std::move(call), counting(tally)); },
                [] { std::this_thread::sleep_for(std::chrono::milliseconds(5)); });
            if (pool.state() == poolcore::PoolState::Run ||
                pool.state() == poolcore::PoolState::Close)
                pool.stop(std::chrono::seconds(120));
            report(tally, monitor);
        } else {
            // [snippet:monitor-event-loop]
            poolcore::PollLoop loop;
            poolcore::Pool pool(options);
            pool.register_with_event_loop(loop);
            poolcore::MonitorOptions monitor_opts = monitor_options(s);
            poolcore::MonitorServer monitor(pool, monitor_opts); // serves on the pool's loop
            // [/snippet]
            std::printf("monitor at %s\n", monitor.path().c_str());
            std::fflush(stdout);
            pool.start();
            feed_jobs(
                s, tally, monitor,
                [&](poolcore::TaskCall call) {
                    pool.apply_async(std::move(call), counting(tally));
                },
                [&] { loop.run_once(std::chrono::milliseconds(5)); });
            // Whatever is queued finishes first; a viewer may have stopped the pool already.
            if (pool.state() == poolcore::PoolState::Run ||
                pool.state() == poolcore::PoolState::Close)
                pool.stop();
            pool.join(std::chrono::seconds(120));
            report(tally, monitor);
        }
    } catch (const poolcore::PoolError& e) {
        std::fprintf(stderr, "monitored_service: %s\n", e.what());
        return 1;
    }
    return tally.submitted == tally.finished() ? 0 : 1;
}
