// SPDX-License-Identifier: MIT
#include "poolcore/monitor_server.h"

#include "monitor/monitor_hub.h"
#include "poolcore/blocking_pool.h"
#include "poolcore/options.h"
#include "poolcore/poll_loop.h"
#include "poolcore/pool.h"

#include <cstdlib>
#include <mutex>
#include <thread>
#include <unistd.h>
#include <vector>

namespace poolcore {

using nlohmann::json;

std::string default_monitor_directory() {
    const char* runtime = std::getenv("XDG_RUNTIME_DIR");
    if (runtime && *runtime == '/')
        return std::string(runtime) + "/poolscope";
    return "/tmp/poolscope-" + std::to_string(::geteuid());
}

std::string default_monitor_socket_path(const std::string& name) {
    return default_monitor_directory() + "/" +
           (name.empty() ? "pool-" + std::to_string(::getpid()) : name) + ".sock";
}

namespace {

// The arguments of a verb, checked: a viewer's mistake is its reply, never the pool's problem.
int count_argument(const json& request) {
    const auto it = request.find("n");
    if (it == request.end())
        return 1;
    if (!it->is_number_integer() || it->get<long long>() < 1 ||
        it->get<long long>() > kMaxProcesses)
        throw PoolError("\"n\" must be a whole number from 1 to " + std::to_string(kMaxProcesses));
    return it->get<int>();
}

std::pair<pid_t, int> signal_arguments(const json& request) {
    const auto pid = request.find("pid");
    if (pid == request.end() || !pid->is_number_integer() || pid->get<long long>() <= 0)
        throw PoolError("\"pid\" must be a worker's process id");
    const auto signal = request.find("signal");
    int number = 15;
    if (signal != request.end()) {
        if (signal->is_number_integer())
            number = signal->get<int>();
        else if (signal->is_string())
            number = parse_signal(signal->get<std::string>());
        else
            number = 0;
        if (number <= 0 || number > 64)
            throw PoolError("\"signal\" must name a signal (\"TERM\", 9)");
    }
    return {pid->get<pid_t>(), number};
}

// The verbs that return at once, on whichever pool: both have the same names for them.
template <typename AnyPool>
json quick_verb(AnyPool& pool, const std::string& verb, const json& request) {
    if (verb == "restart") {
        pool.restart();
    } else if (verb == "grow") {
        pool.grow(count_argument(request));
    } else if (verb == "shrink") {
        return {{"ok", true}, {"retired", pool.shrink(count_argument(request))}};
    } else if (verb == "close") {
        pool.close();
    } else if (verb == "terminate_job" || verb == "kill_worker") {
        const auto [pid, signal] = signal_arguments(request);
        const bool job = verb == "terminate_job";
        if (!(job ? pool.terminate_job(pid, signal) : pool.kill_worker(pid, signal)))
            return {{"ok", false},
                    {"error", job ? "worker pid " + std::to_string(pid) + " is not running a job"
                                  : "there is no worker with pid " + std::to_string(pid)}};
    }
    return {{"ok", true}};
}

class EventLoopPool final : public MonitoredPool {
public:
    explicit EventLoopPool(Pool& pool) : pool_(pool) {}
    const char* kind() const override { return "event-loop"; }
    void sample(StatsSnapshot& stats, Info& info) override {
        stats = pool_.stats();
        info = pool_.info();
    }
    bool keeps_job_records() const override { return pool_.options().job_record_capacity > 0; }
    std::uint64_t take_job_records(std::vector<JobRecord>& out) override {
        return pool_.take_job_records(out);
    }
    void control(const std::string& verb, const json& request,
                 std::function<void(json)> done) override {
        json fields;
        try {
            if (verb == "stop")
                pool_.stop();
            else if (verb == "terminate")
                pool_.terminate();
            else
                fields = quick_verb(pool_, verb, request);
            if (fields.is_null())
                fields = {{"ok", true}};
        } catch (const std::exception& e) {
            fields = {{"ok", false}, {"error", e.what()}};
        }
        done(std::move(fields));
    }

private:
    Pool& pool_;
};

// A BlockingPool answers from its own thread; the hub runs on another, so that the pool's
// thread only ever does the pool's work. Its stop and terminate wait until they are done, which
// can take as long as the jobs do: they run on a helper thread, and the viewer is told at once
// that they began.
class ThreadPool final : public MonitoredPool {
public:
    explicit ThreadPool(BlockingPool& pool) : pool_(pool) {}
    ~ThreadPool() override { join_helpers(); }
    const char* kind() const override { return "thread-driven"; }
    void sample(StatsSnapshot& stats, Info& info) override {
        stats = pool_.stats();
        info = pool_.info();
    }
    bool keeps_job_records() const override { return pool_.options().job_record_capacity > 0; }
    std::uint64_t take_job_records(std::vector<JobRecord>& out) override {
        return pool_.take_job_records(out);
    }
    void control(const std::string& verb, const json& request,
                 std::function<void(json)> done) override {
        json fields;
        try {
            if (verb == "stop" || verb == "terminate") {
                const PoolState s = pool_.state();
                if (s != PoolState::Run && s != PoolState::Close)
                    throw PoolError("the pool is not running");
                const bool graceful = verb == "stop";
                std::lock_guard lock(helpers_mutex_);
                helpers_.emplace_back([this, graceful] {
                    try {
                        if (graceful)
                            pool_.stop(std::chrono::hours(24));
                        else
                            pool_.terminate(std::chrono::seconds(30));
                    } catch (const std::exception&) {
                        // What went wrong reaches the viewers as the pool's own events.
                    }
                });
                fields = {{"ok", true}};
            } else {
                fields = quick_verb(pool_, verb, request);
            }
        } catch (const std::exception& e) {
            fields = {{"ok", false}, {"error", e.what()}};
        }
        done(std::move(fields));
    }
    void join_helpers() {
        std::vector<std::thread> helpers;
        {
            std::lock_guard lock(helpers_mutex_);
            helpers.swap(helpers_);
        }
        for (auto& helper : helpers)
            helper.join();
    }

private:
    BlockingPool& pool_;
    std::mutex helpers_mutex_;
    std::vector<std::thread> helpers_;
};

} // namespace

class MonitorServer::Runner {
public:
    virtual ~Runner() = default;
    virtual Hub& hub() = 0;
};

namespace {

class EventLoopRunner final : public MonitorServer::Runner {
public:
    EventLoopRunner(Pool& pool, MonitorOptions options)
        : pool_(pool), feed_(!pool.options().job_record_capacity), adapter_(pool) {
        if (!pool.event_loop())
            throw PoolError("register the pool with an event loop before serving it to monitors");
        hub_ = std::make_unique<MonitorServer::Hub>(*pool.event_loop(), adapter_, feed_,
                                                    std::move(options));
        pool_.add_observer(&feed_);
    }
    ~EventLoopRunner() override {
        pool_.remove_observer(&feed_);
        hub_.reset();
    }
    MonitorServer::Hub& hub() override { return *hub_; }

private:
    Pool& pool_;
    MonitorFeed feed_;
    EventLoopPool adapter_;
    std::unique_ptr<MonitorServer::Hub> hub_;
};

class ThreadRunner final : public MonitorServer::Runner {
public:
    ThreadRunner(BlockingPool& pool, MonitorOptions options)
        : pool_(pool), feed_(!pool.options().job_record_capacity), adapter_(pool) {
        // Built before its thread exists, so nothing touches the loop concurrently yet.
        hub_ = std::make_unique<MonitorServer::Hub>(loop_, adapter_, feed_, std::move(options));
        pool_.add_observer(&feed_);
        thread_ = std::thread([this] { loop_.run(); });
    }
    ~ThreadRunner() override {
        pool_.remove_observer(&feed_);
        loop_.post([this] { loop_.stop(); });
        thread_.join();
        adapter_.join_helpers();
        hub_.reset(); // the loop's thread has ended: this one may touch it now
    }
    MonitorServer::Hub& hub() override { return *hub_; }

private:
    BlockingPool& pool_;
    PollLoop loop_;
    MonitorFeed feed_;
    ThreadPool adapter_;
    std::unique_ptr<MonitorServer::Hub> hub_;
    std::thread thread_;
};

} // namespace

MonitorServer::MonitorServer(Pool& pool, MonitorOptions options)
    : runner_(std::make_unique<EventLoopRunner>(pool, std::move(options))) {}

MonitorServer::MonitorServer(BlockingPool& pool, MonitorOptions options)
    : runner_(std::make_unique<ThreadRunner>(pool, std::move(options))) {}

MonitorServer::~MonitorServer() = default;

const std::string& MonitorServer::path() const {
    return runner_->hub().path();
}

MonitorCounters MonitorServer::counters() const {
    return runner_->hub().counters();
}

} // namespace poolcore
