// SPDX-License-Identifier: GPL-3.0-or-later
// poolbench: one measurement of poolcore per run, printed as one JSON line, so that bench/run.sh
// can alternate contenders and repeat them. See bench/README.md.
//
//   poolbench throughput --pool async|async-qt|blocking --strategy fair|fcfs [--prefetch N]
//                        --processes N --count N [--task noop|echo] [--payload BYTES]
//   poolbench start      --processes N [--start-method M] [--worker-program PATH]
//   poolbench restart    --processes N [--start-method M] [--worker-program PATH]
//   poolbench memory     --processes N [--start-method M] [--worker-program PATH]
#include "poolcore/forkserver.h"
#include "poolcore/task_pool.h"
#include "poolcore/worker_entry.h"
#include "qtloop/qt_event_loop.h"

#include <QCoreApplication>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <stdexcept>
#include <string>
#include <unistd.h>

namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

struct Arguments {
    std::string mode;
    std::map<std::string, std::string> values;

    std::string get(const std::string& key, const std::string& fallback) const {
        auto it = values.find(key);
        return it == values.end() ? fallback : it->second;
    }
    long long number(const std::string& key, long long fallback) const {
        auto it = values.find(key);
        return it == values.end() ? fallback : std::stoll(it->second);
    }
};

Arguments parse(int argc, char** argv) {
    if (argc < 2)
        throw std::invalid_argument(
            "usage: poolbench throughput|start|restart|memory [--key value]...");
    Arguments a;
    a.mode = argv[1];
    for (int i = 2; i < argc; i += 2) {
        const std::string key = argv[i];
        if (key.rfind("--", 0) != 0 || i + 1 >= argc)
            throw std::invalid_argument("expected --key value, got '" + key + "'");
        a.values[key.substr(2)] = argv[i + 1];
    }
    return a;
}

double seconds_since(Clock::time_point t0) {
    return std::chrono::duration<double>(Clock::now() - t0).count();
}

poolcore::PoolOptions pool_options(const Arguments& a, std::shared_ptr<poolcore::ForkServer> fs) {
    poolcore::PoolOptions o;
    o.processes = int(a.number("processes", 2));
    const std::string pool = a.get("pool", "async");
    o.threads = pool == "blocking";
    o.strategy =
        a.get("strategy", "fair") == "fcfs" ? poolcore::Strategy::Fcfs : poolcore::Strategy::Fair;
    o.prefetch = int(a.number("prefetch", 4));
    o.putlocks = false; // submit everything up front, as the peers do
    const auto method = poolcore::parse_start_method(a.get("start-method", "forkserver"));
    if (!method)
        throw std::invalid_argument("--start-method takes fork, forkserver or spawn");
    o.start_method = *method;
    o.worker_program = a.get("worker-program", ""); // spawn: as the app does, poolscope-worker
    o.forkserver = std::move(fs);
    // poolbench is single-threaded except for BlockingPool's own thread and Qt's: the fork
    // contender measures the fork path itself, which the benchmark vouches is safe here.
    o.allow_fork_with_threads = true;
    return o;
}

// A pool with its loop: the built-in poll loop, the Qt loop, or BlockingPool's own thread.
class Contender {
public:
    Contender(const Arguments& a, std::shared_ptr<poolcore::ForkServer> fs)
        : pool_(pool_options(a, std::move(fs))) {
        if (a.get("pool", "async") == "async-qt") {
            qt_loop_ = std::make_unique<poolscope::QtEventLoop>();
            pool_.register_with_event_loop(*qt_loop_);
        }
    }
    poolcore::TaskPool& pool() { return pool_; }
    bool wait(const std::function<bool()>& done, std::chrono::seconds timeout = 600s) {
        return pool_.wait_until(done, timeout);
    }

private:
    std::unique_ptr<poolscope::QtEventLoop> qt_loop_; // outlives the pool registered on it
    poolcore::TaskPool pool_;
};

nlohmann::json throughput(const Arguments& a, std::shared_ptr<poolcore::ForkServer> fs) {
    Contender c(a, std::move(fs));
    auto& pool = c.pool();
    pool.on_start();
    if (!c.wait([&] { return pool.did_start_ok(); }, 30s))
        throw std::runtime_error("the pool did not start");
    const long long count = a.number("count", 100000);
    const std::string task = a.get("task", "noop");
    const std::string payload(std::size_t(a.number("payload", 0)), 'x');
    std::atomic<long long> done{0}, failed{0};
    poolcore::JobCallbacks cb;
    cb.on_success = [&](const poolcore::JobResult&) { done.fetch_add(1); };
    cb.on_error = [&](const poolcore::JobResult&) {
        failed.fetch_add(1);
        done.fetch_add(1);
    };
    const auto t0 = Clock::now();
    for (long long i = 0; i < count; ++i)
        pool.apply_async(poolcore::TaskCall{task, {}, payload, {}, {}}, cb);
    if (!c.wait([&] { return done.load() == count; }))
        throw std::runtime_error("timed out waiting for outcomes");
    const double elapsed = seconds_since(t0);
    pool.on_stop();
    return {
        {"seconds", elapsed}, {"jobs_per_s", double(count) / elapsed}, {"failed", failed.load()}};
}

// Submits no-ops until every one of `want` distinct workers, other than those in `exclude`, has
// run one; returns when it has. Jobs still queued then finish later, so their callbacks hold the
// tally by shared ownership, not by reference to this frame.
bool each_worker_runs_one(Contender& c, std::size_t want, const std::set<pid_t>& exclude) {
    struct Tally {
        std::mutex mutex;
        std::set<pid_t> ran;
        std::atomic<int> outstanding{0};
        std::size_t count() {
            std::lock_guard lock(mutex);
            return ran.size();
        }
    };
    auto tally = std::make_shared<Tally>();
    poolcore::JobCallbacks cb;
    cb.on_accepted = [tally, exclude](poolcore::JobId, pid_t pid) {
        std::lock_guard lock(tally->mutex);
        if (!exclude.count(pid))
            tally->ran.insert(pid);
    };
    cb.on_success = [tally](const poolcore::JobResult&) { --tally->outstanding; };
    cb.on_error = cb.on_success;
    const auto deadline = Clock::now() + 60s;
    while (Clock::now() < deadline) {
        // A worker that came up early may take several: each round sends more for the late ones.
        for (std::size_t i = 0; i < want; ++i, ++tally->outstanding)
            c.pool().apply_async(poolcore::TaskCall{"noop", {}, {}, {}, {}}, cb);
        if (!c.wait([&] { return tally->count() >= want || tally->outstanding.load() == 0; }, 60s))
            return false;
        if (tally->count() >= want)
            return true;
    }
    return false;
}

std::set<pid_t> worker_pids(poolcore::TaskPool& pool) {
    std::set<pid_t> pids;
    for (const auto& w : pool.stats().workers)
        if (w.pid > 0)
            pids.insert(w.pid);
    return pids;
}

nlohmann::json start(const Arguments& a, std::shared_ptr<poolcore::ForkServer> fs) {
    const auto t0 = Clock::now();
    Contender c(a, std::move(fs));
    c.pool().on_start();
    if (!each_worker_runs_one(c, std::size_t(c.pool().num_processes()), {}))
        throw std::runtime_error("not every worker ran a job");
    const double elapsed = seconds_since(t0);
    c.pool().on_terminate();
    return {{"seconds", elapsed}};
}

nlohmann::json restart(const Arguments& a, std::shared_ptr<poolcore::ForkServer> fs) {
    Contender c(a, std::move(fs));
    c.pool().on_start();
    const auto n = std::size_t(c.pool().num_processes());
    if (!each_worker_runs_one(c, n, {}))
        throw std::runtime_error("the pool did not start");
    const auto old_pids = worker_pids(c.pool());
    const auto t0 = Clock::now();
    c.pool().restart();
    if (!each_worker_runs_one(c, n, old_pids))
        throw std::runtime_error("not every new worker ran a job");
    const double elapsed = seconds_since(t0);
    c.pool().on_terminate();
    return {{"seconds", elapsed}};
}

std::map<std::string, long long> smaps_rollup(pid_t pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/smaps_rollup");
    std::map<std::string, long long> values;
    std::string line;
    while (std::getline(in, line)) {
        const auto colon = line.find(':');
        if (colon == std::string::npos)
            continue;
        try {
            values[line.substr(0, colon)] = std::stoll(line.substr(colon + 1));
        } catch (const std::exception&) {
        }
    }
    return values;
}

nlohmann::json memory(const Arguments& a, std::shared_ptr<poolcore::ForkServer> fs) {
    Contender c(a, std::move(fs));
    c.pool().on_start();
    const auto n = std::size_t(c.pool().num_processes());
    if (!each_worker_runs_one(c, n, {}))
        throw std::runtime_error("the pool did not start");
    c.wait([] { return false; }, 1s); // settle: idle workers, idle loop
    double pss = 0, dirty = 0;
    const auto pids = worker_pids(c.pool());
    for (pid_t pid : pids) {
        auto m = smaps_rollup(pid);
        pss += double(m["Pss"]);
        dirty += double(m["Private_Dirty"]);
    }
    auto parent = smaps_rollup(::getpid());
    nlohmann::json out = {{"worker_pss_kib", pss / double(pids.size())},
                          {"worker_private_dirty_kib", dirty / double(pids.size())},
                          {"parent_pss_kib", parent["Pss"]},
                          {"parent_private_dirty_kib", parent["Private_Dirty"]}};
    c.pool().on_terminate();
    return out;
}

} // namespace

int main(int argc, char** argv) {
    poolcore::run_worker_if_requested(argc, argv);
    try {
        const Arguments a = parse(argc, argv);
        // As in an application: the forkserver starts before any thread (Qt's, BlockingPool's).
        std::shared_ptr<poolcore::ForkServer> fs;
        if (a.get("start-method", "forkserver") == "forkserver" && a.mode != "start")
            fs = poolcore::ForkServer::start();
        const auto t_fs = Clock::now();
        if (a.get("start-method", "forkserver") == "forkserver" && a.mode == "start")
            fs = poolcore::ForkServer::start(); // starting it is part of starting the pool
        const double fs_seconds = seconds_since(t_fs);
        QCoreApplication app(argc, argv);
        nlohmann::json result;
        if (a.mode == "throughput")
            result = throughput(a, fs);
        else if (a.mode == "start")
            result = start(a, fs);
        else if (a.mode == "restart")
            result = restart(a, fs);
        else if (a.mode == "memory")
            result = memory(a, fs);
        else
            throw std::invalid_argument("unknown mode '" + a.mode + "'");
        if (a.mode == "start")
            result["seconds"] = result["seconds"].get<double>() + fs_seconds;
        result["bench"] = a.mode;
        for (const auto& [k, v] : a.values)
            result[k] = v;
        std::puts(result.dump().c_str());
        return 0;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "poolbench: %s\n", e.what());
        return 1;
    }
}
