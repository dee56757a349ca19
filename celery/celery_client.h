// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "celery/cluster_state.h"
#include "celery/messages.h"
#include "celery/redis_connection.h"
#include "celery/transport.h"
#include "poolcore/event_loop.h"

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace poolscope::celery {

struct ClientSettings {
    TransportOptions transport;
    std::chrono::milliseconds connect_timeout{3000};
    std::chrono::milliseconds reconnect_min{250}; // the first retry; doubles up to the max
    std::chrono::milliseconds reconnect_max{8000};
    std::chrono::milliseconds poll_interval{2000}; // inspect stats/active, queue depth
    std::chrono::milliseconds reply_timeout{3000}; // a control request's collection window
    std::chrono::milliseconds liveness_interval{250};
    bool poll = true; // the periodic inspect; off for one-shot commands
};

// What a remote-control request got back: each node's reply, in the order they came.
struct ControlResult {
    std::string method;
    std::map<std::string, nlohmann::json> replies;
    int expected = 0;  // workers that heard it (PUBLISH's count), or the destinations
    bool sent = false; // false: not connected, nothing was published
    std::string error; // why it was not sent
};

enum class ConnectionStatus { Disconnected, Connecting, Connected, Reconnecting };
std::string to_string(ConnectionStatus status);

// A Celery cluster on its Redis broker, as kombu's Redis transport lays it out: events from the
// celeryev fanout on a subscribed connection; remote control on the celery.pidbox fanout with
// replies collected from our own reply queue on a second one. Runs on any poolcore EventLoop (the
// Qt one in the window, PollLoop headless). Everything it learns goes into state(); bad messages
// are counted and noted there and skipped.
//
// Replies are collected with RPOP on the command connection while a request is outstanding, not
// with kombu's BRPOP: a blocked connection could not also read queue depths, and a third
// connection buys nothing.
class CeleryClient {
public:
    using ResultHandler = std::function<void(const ControlResult&)>;
    using StatusHandler = std::function<void(ConnectionStatus, const std::string& detail)>;

    CeleryClient(poolcore::EventLoop& loop, ClientSettings settings);
    ~CeleryClient();
    CeleryClient(const CeleryClient&) = delete;
    CeleryClient& operator=(const CeleryClient&) = delete;

    void set_status_handler(StatusHandler handler) { on_status_ = std::move(handler); }
    // Connects, and reconnects with backoff whenever the broker goes away, resynchronising
    // with stats/active each time (pub/sub loses what was said meanwhile).
    void start();
    // Removes our reply binding and queue, then closes; `done()` once that is over (or failed).
    void stop(std::function<void()> done = {});

    // Sends `method` to `destination` (empty: every worker) and collects the replies for
    // settings.reply_timeout, or until every worker that heard it answered.
    void control(const std::string& method, nlohmann::json arguments,
                 std::vector<std::string> destination, ResultHandler handler);
    // Fire and forget: no ticket, no reply (what `celery events` sends as `heartbeat`).
    void broadcast(const std::string& method, nlohmann::json arguments,
                   std::vector<std::string> destination = {});
    // Asks every worker for stats, active and conf now.
    void resync();

    ConnectionStatus status() const { return status_; }
    const std::string& status_detail() const { return status_detail_; }
    bool synced() const { return synced_; } // a stats round has completed since connecting
    ClusterState& state() { return state_; }
    const ClusterState& state() const { return state_; }
    const ClientSettings& settings() const { return settings_; }
    const std::string& oid() const { return oid_; }
    std::uint64_t stale_replies() const { return stale_replies_; }
    std::uint64_t reconnects() const { return reconnects_; }

    // For the fuzzer and tests: what arrives on an event channel or in the reply queue.
    void handle_event_message(const std::string& channel, std::string_view payload);
    void handle_reply_message(std::string_view payload);

private:
    struct Request {
        ControlResult result;
        ResultHandler handler;
        poolcore::EventLoop::TimerId deadline = 0;
    };
    void connect();
    void on_connection_up();
    void on_connection_lost(const std::string& why);
    void schedule_reconnect(const std::string& why);
    void set_status(ConnectionStatus s, const std::string& detail);
    void subscribe_events();
    void bind_reply_queue();
    void poll();
    void poll_replies();
    void finish_request(const std::string& ticket);
    void publish(const ControlRequest& request, std::function<void(int listeners)> published);
    void read_queue_depth();

    poolcore::EventLoop& loop_;
    ClientSettings settings_;
    std::string oid_;
    RedisConnection events_conn_;
    RedisConnection command_conn_;
    ClusterState state_;
    ConnectionStatus status_ = ConnectionStatus::Disconnected;
    std::string status_detail_;
    StatusHandler on_status_;
    bool running_ = false;
    bool synced_ = false;
    int up_ = 0; // connections up
    std::chrono::milliseconds backoff_{0};
    poolcore::EventLoop::TimerId reconnect_timer_ = 0, poll_timer_ = 0, liveness_timer_ = 0,
                                 reply_timer_ = 0;
    bool reply_pop_in_flight_ = false;
    std::map<std::string, Request> requests_; // by ticket
    std::int64_t clock_ = 0;
    std::uint64_t stale_replies_ = 0, reconnects_ = 0;
    std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

} // namespace poolscope::celery
