// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "celery/celery_client.h"
#include "ui/sources/pool_source.h"

#include <functional>
#include <memory>

namespace poolscope {

// A Celery cluster on its Redis broker as a PoolSource: every pool process of every online
// worker is one row (and one timeline lane), from `inspect stats`' pool.processes; job records
// come from task events, placed on the child pid where `inspect active` named it and on the
// worker's main pid otherwise (events never name the child). The controls map to Celery's remote
// control and their replies, per worker, go to the event log.
class CelerySource final : public PoolSource {
public:
    CelerySource(celery::ClientSettings settings, poolcore::EventLoop& loop,
                 poolcore::PoolObserver* observer, ErrorReporter report);
    ~CelerySource() override;

    Availability availability(PoolAction action) const override;
    Availability supports(SourceFeature feature) const override;

    void start() override;
    void restart() override;    // pool_restart to every worker
    void grow(int n) override;  // pool_grow n to every worker
    int shrink(int n) override; // pool_shrink n to every worker
    void close() override;
    void stop() override;
    void terminate() override;
    void submit(poolcore::TaskCall call, poolcore::JobCallbacks callbacks) override;
    bool terminate_job(pid_t pid, int signal) override; // revoke(terminate) the task on `pid`
    bool kill_worker(pid_t pid, int signal) override;

    poolcore::PoolState state() const override;
    poolcore::StatsSnapshot stats() const override;
    poolcore::Info info() const override;
    bool runs_on_gui_thread() const override { return true; }
    // The cluster is its workers': leaving the window (or detaching) leaves every one running.
    bool owns_pool() const override { return false; }
    std::string lane_label(int slot, pid_t pid) const override;
    JobRecordBatch take_job_records() override;
    void shut_down(std::chrono::milliseconds timeout) override;
    std::string start_description() const override {
        return "watching the Celery cluster on " + client_.settings().transport.url();
    }

    using ResultHandler = std::function<void(const celery::ControlResult&)>;
    // Sends `method` to the one worker `node`; `done` hears what came back (or why nothing did),
    // and the reply goes to the event log as for the cluster-wide controls.
    void controlWorker(const std::string& node, const std::string& method, nlohmann::json arguments,
                       ResultHandler done);
    // Asks `node` for a warm shutdown (it finishes its running tasks first). Celery sends no
    // reply; false when not connected.
    bool shutdownWorker(const std::string& node);
    // Where Celery's own figures lag behind what `method` did, in words; empty when they do not.
    static std::string lag_note(const std::string& method);

    celery::CeleryClient& client() { return client_; }
    const celery::CeleryClient& client() const { return client_; }

private:
    void control(const std::string& method, nlohmann::json arguments,
                 std::vector<std::string> destination = {}, ResultHandler done = {});
    void forward_notes();

    poolcore::EventLoop& loop_;
    celery::CeleryClient client_;
    poolcore::PoolObserver* observer_;
    ErrorReporter report_;
    bool started_ = false;
    bool stopped_ = false;
    poolcore::EventLoop::TimerId notes_timer_ = 0;
    std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

// A factory for PoolController that builds a CelerySource on `settings` (the pool options it is
// handed do not apply to a Celery cluster). `on_built` hears of each source it builds, so that a
// view of the workers can follow it.
PoolSourceFactory make_celery_source_factory(celery::ClientSettings settings,
                                             std::function<void(CelerySource*)> on_built = {});

} // namespace poolscope
