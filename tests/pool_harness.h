// SPDX-License-Identifier: GPL-3.0-or-later
// Shared scaffolding for the behavioural pool tests: every test runs against each pool variant
// (event-loop Pool on the poll loop, thread-driven BlockingPool, ...), through the TaskPool facade.
#pragma once

#include "poolcore/task_pool.h"
#include "process_util.h"
#include "test_main.h"

#include <QTest>
#include <algorithm>
#include <map>
#include <mutex>
#include <set>
#include <signal.h>
#include <string>
#include <sys/types.h>

namespace harness {

using namespace std::chrono_literals;
using poolcore::JobResult;
using poolcore::Outcome;

struct PoolVariant {
    std::string name;
    bool threads = false;
    poolcore::StartMethod start_method = poolcore::StartMethod::Fork;

    void apply(poolcore::PoolOptions& o) const {
        o.threads = threads;
        o.start_method = start_method;
        // Qt Test runs a watchdog thread, which makes fork refuse. That thread only waits on a
        // condition variable, so the override is safe here, as an embedder would judge it.
        o.allow_fork_with_threads = start_method == poolcore::StartMethod::Fork;
        if (start_method == poolcore::StartMethod::Forkserver && !o.forkserver)
            o.forkserver = testmain::forkserver();
    }
};

// Every pool (event-loop Pool on the poll loop, thread-driven BlockingPool) with every start
// method: the same behaviour is promised for all.
inline const std::vector<PoolVariant>& pool_variants() {
    using poolcore::StartMethod;
    static const std::vector<PoolVariant> variants = {
        {"event-loop/fork", false, StartMethod::Fork},
        {"event-loop/forkserver", false, StartMethod::Forkserver},
        {"event-loop/spawn", false, StartMethod::Spawn},
        {"blocking/fork", true, StartMethod::Fork},
        {"blocking/forkserver", true, StartMethod::Forkserver},
        {"blocking/spawn", true, StartMethod::Spawn},
    };
    return variants;
}

// Adds one data row per variant; pair with HARNESS_VARIANT() in the test body.
inline void add_variant_rows() {
    QTest::addColumn<int>("variant_index");
    const auto& v = pool_variants();
    for (std::size_t i = 0; i < v.size(); ++i)
        QTest::newRow(v[i].name.c_str()) << int(i);
}
#define HARNESS_VARIANT()                                                                          \
    QFETCH(int, variant_index);                                                                    \
    const harness::PoolVariant& variant = harness::pool_variants()[std::size_t(variant_index)]

// Event-loop Pool and BlockingPool rows, for tests that choose their own start method.
inline void add_pool_kind_rows() {
    QTest::addColumn<bool>("threads");
    QTest::newRow("event-loop") << false;
    QTest::newRow("blocking") << true;
}

inline poolcore::PoolOptions options(int processes) {
    poolcore::PoolOptions o;
    processes = processes > 0 ? processes : 1;
    o.processes = processes;
    o.allow_fork_with_threads = true; // Qt Test's watchdog thread is harmless (see PoolVariant)
    return o;
}

// Everything a pool reported, recorded thread-safely (BlockingPool calls back on its thread).
class Recorder : public poolcore::PoolObserver {
public:
    void on_message(poolcore::Severity severity, const std::string& text) override {
        std::lock_guard lock(mutex);
        messages.push_back(text);
        if (severity == poolcore::Severity::Error)
            errors.push_back(text);
    }
    void on_worker_exit(int, pid_t pid, const poolcore::ExitStatus& s, poolcore::ExitReason reason,
                        const std::string& fault) override {
        std::lock_guard lock(mutex);
        exits.push_back({pid, s, reason, fault});
    }
    std::vector<std::string> error_list() const {
        std::lock_guard lock(mutex);
        return errors;
    }
    int times_said(const std::string& fragment) const {
        std::lock_guard lock(mutex);
        return int(std::count_if(messages.begin(), messages.end(), [&](const std::string& m) {
            return m.find(fragment) != std::string::npos;
        }));
    }
    bool said(const std::string& fragment) const {
        std::lock_guard lock(mutex);
        for (const auto& m : messages)
            if (m.find(fragment) != std::string::npos)
                return true;
        return false;
    }
    struct Exit {
        pid_t pid;
        poolcore::ExitStatus status;
        poolcore::ExitReason reason;
        std::string fault;
    };
    std::vector<Exit> exit_list() const {
        std::lock_guard lock(mutex);
        return exits;
    }

    mutable std::mutex mutex;
    std::vector<std::string> messages;
    std::vector<std::string> errors; // the Error-level messages among them
    std::vector<Exit> exits;
};

// A started pool plus the outcomes of everything submitted through it, indexed by submission.
class PoolUnderTest {
public:
    PoolUnderTest(poolcore::PoolOptions options, const PoolVariant& variant)
        : pool(with_variant(std::move(options), variant)) {
        // recorder is declared before pool: the pool notifies it until the pool is destroyed.
        pool.add_observer(&recorder);
    }

    static poolcore::PoolOptions with_variant(poolcore::PoolOptions o, const PoolVariant& v) {
        v.apply(o);
        return o;
    }

    // Starts the pool and waits until every worker is up.
    bool start() {
        pool.on_start();
        return wait_for([this] { return pool.did_start_ok(); }, 10s);
    }

    // Submits; returns the submission's index for result()/accepted_pid().
    int submit(poolcore::TaskCall call) {
        const int n = submitted++;
        poolcore::JobCallbacks cb;
        cb.on_accepted = [this, n](poolcore::JobId, pid_t pid) {
            std::lock_guard lock(mutex_);
            accepted_[n] = pid;
        };
        auto record = [this, n](const JobResult& r) {
            std::lock_guard lock(mutex_);
            if (!results_.emplace(n, r).second)
                ++duplicate_outcomes_;
        };
        cb.on_success = record;
        cb.on_error = record;
        cb.on_timeout = [this, n](poolcore::JobId, bool soft, poolcore::Seconds limit) {
            std::lock_guard lock(mutex_);
            timeouts_[n].emplace_back(soft, limit.count());
        };
        pool.apply_async(std::move(call), std::move(cb));
        return n;
    }
    int submit(const std::string& spec, std::string payload = {}) {
        return submit(poolcore::TaskCall::parse(spec, std::move(payload)));
    }

    bool wait_for(const std::function<bool()>& done, std::chrono::milliseconds timeout = 20s) {
        return pool.wait_until(done, timeout);
    }
    bool wait_results(std::size_t n, std::chrono::milliseconds timeout = 20s) {
        return wait_for([&] { return result_count() >= n; }, timeout);
    }
    bool wait_accepted(int n, std::chrono::milliseconds timeout = 20s) {
        return wait_for([&] { return accepted_pid(n) != 0; }, timeout);
    }
    bool wait_alive(int n, std::chrono::milliseconds timeout = 20s) {
        return wait_for(
            [&] {
                const auto s = pool.stats();
                int up = 0;
                for (const auto& w : s.workers)
                    up += w.state == poolcore::WorkerState::Idle ||
                          w.state == poolcore::WorkerState::Busy;
                return s.alive_processes == n && up == n;
            },
            timeout);
    }

    std::size_t result_count() const {
        std::lock_guard lock(mutex_);
        return results_.size();
    }
    bool has_result(int n) const {
        std::lock_guard lock(mutex_);
        return results_.count(n) != 0;
    }
    JobResult result(int n) const {
        std::lock_guard lock(mutex_);
        auto it = results_.find(n);
        return it == results_.end() ? JobResult{} : it->second;
    }
    pid_t accepted_pid(int n) const {
        std::lock_guard lock(mutex_);
        auto it = accepted_.find(n);
        return it == accepted_.end() ? 0 : it->second;
    }
    std::vector<std::pair<bool, double>> timeouts(int n) const {
        std::lock_guard lock(mutex_);
        auto it = timeouts_.find(n);
        return it == timeouts_.end() ? std::vector<std::pair<bool, double>>{} : it->second;
    }
    std::size_t count(Outcome o) const {
        std::lock_guard lock(mutex_);
        std::size_t c = 0;
        for (const auto& [n, r] : results_)
            c += r.outcome == o;
        return c;
    }
    int duplicate_outcomes() const {
        std::lock_guard lock(mutex_);
        return duplicate_outcomes_;
    }
    std::set<pid_t> pids() const {
        const auto p = pool.info().processes;
        return {p.begin(), p.end()};
    }

private:
    // Declared before pool, as recorder is: a pool destroyed with jobs in flight still ends them
    // through the callbacks that write here (LeakSanitizer found results recorded into a map
    // already destroyed).
    mutable std::mutex mutex_;
    std::map<int, JobResult> results_;
    std::map<int, pid_t> accepted_;
    std::map<int, std::vector<std::pair<bool, double>>> timeouts_;
    int duplicate_outcomes_ = 0;

public:
    Recorder recorder;
    poolcore::TaskPool pool;
    int submitted = 0;
};

using testutil::process_gone;

inline std::string describe(const JobResult& r) {
    return std::string(poolcore::to_string(r.outcome)) + ": " + r.value;
}

} // namespace harness
