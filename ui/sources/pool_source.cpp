// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/sources/pool_source.h"

#include "poolcore/blocking_pool.h"
#include "poolcore/pool.h"
#include "qtloop/qt_event_loop.h"

#include <atomic>
#include <thread>
#include <vector>

namespace poolscope {

namespace {

// What both local sources are alike in: a poolcore pool of this process, which reports its
// events to the window's observer and keeps its finished jobs in its own ring, and answers
// every question and the verbs that act at once the same way.
template <typename LocalPool> class LocalSource : public PoolSource {
public:
    explicit LocalSource(const poolcore::PoolOptions& options, poolcore::PoolObserver* observer)
        : pool_(options) {
        pool_.add_observer(observer);
    }

    Availability availability(PoolAction) const override { return Availability::yes(); }
    Availability supports(SourceFeature) const override { return Availability::yes(); }

    void restart() override { pool_.restart(); }
    void grow(int n) override { pool_.grow(n); }
    int shrink(int n) override { return pool_.shrink(n); }
    void close() override { pool_.close(); }
    bool terminate_job(pid_t pid, int signal) override { return pool_.terminate_job(pid, signal); }
    bool kill_worker(pid_t pid, int signal) override { return pool_.kill_worker(pid, signal); }
    poolcore::PoolState state() const override { return pool_.state(); }
    poolcore::StatsSnapshot stats() const override { return pool_.stats(); }
    poolcore::Info info() const override { return pool_.info(); }
    JobRecordBatch take_job_records() override {
        JobRecordBatch batch;
        batch.dropped = pool_.take_job_records(batch.records);
        return batch;
    }

protected:
    LocalPool pool_;
};

class LocalEventLoopSource final : public LocalSource<poolcore::Pool> {
public:
    LocalEventLoopSource(const poolcore::PoolOptions& options, QtEventLoop& loop,
                         poolcore::PoolObserver* observer)
        : LocalSource(options, observer) {
        pool_.register_with_event_loop(loop);
    }

    void start() override { pool_.start(); }
    void stop() override { pool_.stop(); }
    void terminate() override { pool_.terminate(); }
    void submit(poolcore::TaskCall call, poolcore::JobCallbacks callbacks) override {
        pool_.apply_async(std::move(call), std::move(callbacks));
    }
    bool runs_on_gui_thread() const override { return true; }

    void shut_down(std::chrono::milliseconds timeout) override {
        pool_.terminate();
        pool_.join(timeout);
        // Whatever is still alive is killed and reaped by ~Pool.
    }
};

class LocalThreadSource final : public LocalSource<poolcore::BlockingPool> {
public:
    LocalThreadSource(const poolcore::PoolOptions& options, poolcore::PoolObserver* observer,
                      ErrorReporter report)
        : LocalSource(options, observer), report_(std::move(report)) {}

    ~LocalThreadSource() override {
        pool_.terminate(std::chrono::seconds(5));
        for (auto& h : helpers_)
            h.thread.join();
    }

    void start() override {
        in_background("start", [this] {
            pool_.start();
            if (!pool_.did_start_ok() && pool_.state() == poolcore::PoolState::Run)
                report_("start", "not every worker came up within the alive timeout");
        });
    }
    void stop() override {
        in_background("stop", [this] { pool_.stop(std::chrono::hours(24 * 365)); });
    }
    void terminate() override {
        in_background("terminate", [this] {
            if (!pool_.terminate(std::chrono::seconds(30)))
                report_("terminate", "the workers did not all exit within 30 s");
        });
    }

    // Never waits: BlockingPool::submit hands the job to the pool's thread, where a refusal
    // that comes too late to throw here ends the job through on_error.
    void submit(poolcore::TaskCall call, poolcore::JobCallbacks callbacks) override {
        pool_.submit(std::move(call), std::move(callbacks));
    }

    bool runs_on_gui_thread() const override { return false; }

    void shut_down(std::chrono::milliseconds timeout) override { pool_.terminate(timeout); }

private:
    template <typename Fn> void in_background(const char* action, Fn fn) {
        // Join the helpers that are done, so that a long session does not pile up threads.
        for (auto it = helpers_.begin(); it != helpers_.end();) {
            if (it->done->load()) {
                it->thread.join();
                it = helpers_.erase(it);
            } else {
                ++it;
            }
        }
        auto done = std::make_shared<std::atomic<bool>>(false);
        std::thread thread([this, action, done, fn = std::move(fn)] {
            try {
                fn();
            } catch (const std::exception& e) {
                report_(action, e.what());
            }
            done->store(true);
        });
        helpers_.push_back({std::move(thread), std::move(done)});
    }

    ErrorReporter report_;
    struct Helper {
        std::thread thread;
        std::shared_ptr<std::atomic<bool>> done;
    };
    std::vector<Helper> helpers_; // only the GUI thread touches it
};

} // namespace

std::unique_ptr<PoolSource> make_pool_source(const poolcore::PoolOptions& options,
                                             QtEventLoop& loop, poolcore::PoolObserver* observer,
                                             PoolSource::ErrorReporter report) {
    if (options.threads)
        return std::make_unique<LocalThreadSource>(options, observer, std::move(report));
    return std::make_unique<LocalEventLoopSource>(options, loop, observer);
}

} // namespace poolscope
