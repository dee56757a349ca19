// SPDX-License-Identifier: GPL-3.0-or-later
#include "celery/celery_client.h"

#include <algorithm>
#include <hiredis/hiredis.h>

namespace poolscope::celery {

using nlohmann::json;
using poolcore::Severity;

namespace {

double wall_seconds() {
    return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

std::string reply_text(const redisReply* r) {
    if (!r)
        return {};
    if (r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_STATUS ||
        r->type == REDIS_REPLY_ERROR)
        return std::string(r->str, r->len);
    return {};
}

} // namespace

std::string to_string(ConnectionStatus status) {
    switch (status) {
    case ConnectionStatus::Disconnected:
        return "disconnected";
    case ConnectionStatus::Connecting:
        return "connecting";
    case ConnectionStatus::Connected:
        return "connected";
    case ConnectionStatus::Reconnecting:
        return "reconnecting";
    }
    return "?";
}

CeleryClient::CeleryClient(poolcore::EventLoop& loop, ClientSettings settings)
    : loop_(loop), settings_(std::move(settings)), oid_(make_uuid()), events_conn_(loop, "events"),
      command_conn_(loop, "commands") {}

CeleryClient::~CeleryClient() {
    *alive_ = false;
    for (auto id : {reconnect_timer_, poll_timer_, liveness_timer_, reply_timer_})
        if (id)
            loop_.cancel_timer(id);
    for (auto& [ticket, request] : requests_)
        if (request.deadline)
            loop_.cancel_timer(request.deadline);
}

void CeleryClient::set_status(ConnectionStatus s, const std::string& detail) {
    const bool changed = s != status_ || detail != status_detail_;
    status_ = s;
    status_detail_ = detail;
    if (changed && on_status_)
        on_status_(s, detail);
}

void CeleryClient::start() {
    if (running_)
        return;
    running_ = true;
    backoff_ = settings_.reconnect_min;
    liveness_timer_ =
        loop_.call_repeatedly(settings_.liveness_interval, [this] { state_.expire(Clock::now()); });
    connect();
}

void CeleryClient::connect() {
    reconnect_timer_ = 0;
    up_ = 0;
    synced_ = false;
    set_status(status_ == ConnectionStatus::Reconnecting ? ConnectionStatus::Reconnecting
                                                         : ConnectionStatus::Connecting,
               "to " + settings_.transport.url());
    const auto opened = [this, alive = alive_](RedisConnection& conn) {
        return [this, alive, &conn](bool ok, const std::string& error) {
            if (!*alive)
                return;
            if (!ok)
                return schedule_reconnect("cannot reach " + settings_.transport.url() + " (" +
                                          conn.name() + " connection): " + error);
            if (++up_ == 2)
                on_connection_up();
        };
    };
    const auto lost = [this, alive = alive_](RedisConnection& conn) {
        return [this, alive, &conn](const std::string& why) {
            if (*alive)
                on_connection_lost("lost the " + conn.name() + " connection: " + why);
        };
    };
    const auto& t = settings_.transport;
    events_conn_.open(t.host, t.port, settings_.connect_timeout, opened(events_conn_),
                      lost(events_conn_));
    if (!running_ || reconnect_timer_)
        return; // the first failed synchronously and a retry is scheduled
    command_conn_.open(t.host, t.port, settings_.connect_timeout, opened(command_conn_),
                       lost(command_conn_));
}

void CeleryClient::on_connection_lost(const std::string& why) {
    schedule_reconnect(why);
}

void CeleryClient::schedule_reconnect(const std::string& why) {
    if (!running_ || reconnect_timer_)
        return;
    events_conn_.close();
    command_conn_.close();
    up_ = 0;
    for (auto id : {poll_timer_, reply_timer_})
        if (id)
            loop_.cancel_timer(id);
    poll_timer_ = reply_timer_ = 0;
    reply_pop_in_flight_ = false;
    // Requests in flight end now, with what they have.
    auto pending = std::move(requests_);
    requests_.clear();
    for (auto& [ticket, request] : pending) {
        if (request.deadline)
            loop_.cancel_timer(request.deadline);
        if (request.handler)
            request.handler(request.result);
    }
    state_.note({Severity::Error,
                 ClusterNote::Kind::Connection,
                 {},
                 0,
                 why + "; retrying in " + std::to_string(backoff_.count()) + " ms"});
    set_status(ConnectionStatus::Reconnecting, why);
    reconnect_timer_ = loop_.call_later(backoff_, [this, alive = alive_] {
        if (*alive)
            connect();
    });
    backoff_ = std::min(backoff_ * 2, settings_.reconnect_max);
}

void CeleryClient::on_connection_up() {
    backoff_ = settings_.reconnect_min;
    const auto& t = settings_.transport;
    if (t.db != 0)
        command_conn_.command({"SELECT", std::to_string(t.db)}, [this](redisReply* r) {
            if (r && r->type == REDIS_REPLY_ERROR)
                schedule_reconnect("SELECT " + std::to_string(settings_.transport.db) +
                                   " refused: " + reply_text(r));
        });
    bind_reply_queue();
    subscribe_events();
    if (reconnects_++ > 0 || status_ == ConnectionStatus::Reconnecting)
        state_.note({Severity::Info,
                     ClusterNote::Kind::Connection,
                     {},
                     0,
                     "reconnected to " + t.url() + "; resynchronising with stats and active"});
    set_status(ConnectionStatus::Connected, t.url());
    // Every worker sends a heartbeat at once: discovery without waiting a heartbeat period.
    broadcast("heartbeat", json::object());
    resync();
    if (settings_.poll)
        poll_timer_ = loop_.call_repeatedly(settings_.poll_interval, [this] { poll(); });
    read_queue_depth();
}

void CeleryClient::bind_reply_queue() {
    const auto& t = settings_.transport;
    // A reply queue of ours left by a crash would still collect replies: start empty. Without
    // the binding the workers route no reply to us at all.
    std::vector<std::string> del{"DEL"};
    for (const auto& name : t.priority_lists(oid_ + ".reply.celery.pidbox"))
        del.push_back(name);
    command_conn_.command(del, nullptr);
    command_conn_.command({"SADD", t.reply_binding_key(), t.reply_binding_member(oid_)},
                          [this](redisReply* r) {
                              if (r && r->type == REDIS_REPLY_ERROR)
                                  state_.note({Severity::Error,
                                               ClusterNote::Kind::Connection,
                                               {},
                                               0,
                                               "cannot bind the reply queue: " + reply_text(r)});
                          });
}

void CeleryClient::subscribe_events() {
    events_conn_.subscribe(
        {"PSUBSCRIBE", settings_.transport.event_pattern()}, [this](redisReply* r) {
            if (!r || r->type != REDIS_REPLY_ARRAY || r->elements < 3)
                return;
            const std::string kind = reply_text(r->element[0]);
            if (kind == "pmessage" && r->elements == 4)
                handle_event_message(reply_text(r->element[2]),
                                     std::string_view(r->element[3]->str ? r->element[3]->str : "",
                                                      r->element[3]->len));
        });
}

void CeleryClient::handle_event_message(const std::string& channel, std::string_view payload) {
    const auto routing_key = settings_.transport.event_routing_key(channel);
    if (!routing_key)
        return state_.bad_message(channel, "not a celeryev channel");
    Envelope envelope;
    try {
        envelope = parse_envelope(payload);
    } catch (const MessageError& e) {
        return state_.bad_message(channel, e.what());
    }
    const EventBatch batch = decode_events(envelope);
    const auto now = Clock::now();
    const double wall = wall_seconds();
    for (const Event& e : batch.events)
        state_.apply(e, now, wall);
    for (const auto& error : batch.errors)
        state_.bad_message(channel, error);
}

void CeleryClient::publish(const ControlRequest& request,
                           std::function<void(int listeners)> published) {
    command_conn_.command(
        {"PUBLISH", settings_.transport.pidbox_channel(), build_control_envelope(request)},
        [published = std::move(published)](redisReply* r) {
            if (published)
                published(r && r->type == REDIS_REPLY_INTEGER ? int(r->integer) : -1);
        });
}

void CeleryClient::broadcast(const std::string& method, json arguments,
                             std::vector<std::string> destination) {
    if (status_ != ConnectionStatus::Connected)
        return;
    ControlRequest request;
    request.method = method;
    request.arguments = std::move(arguments);
    request.destination = std::move(destination);
    request.clock = ++clock_;
    request.expires = wall_seconds() + 10;
    publish(request, nullptr);
}

void CeleryClient::control(const std::string& method, json arguments,
                           std::vector<std::string> destination, ResultHandler handler) {
    ControlResult result;
    result.method = method;
    if (status_ != ConnectionStatus::Connected) {
        result.error = "not connected to the broker (" + to_string(status_) + ")";
        if (handler)
            handler(result);
        return;
    }
    ControlRequest request;
    request.method = method;
    request.arguments = std::move(arguments);
    request.destination = std::move(destination);
    request.ticket = make_uuid();
    request.reply_oid = oid_;
    request.clock = ++clock_;
    request.expires =
        wall_seconds() + std::chrono::duration<double>(settings_.reply_timeout).count();
    const std::string ticket = request.ticket;
    result.sent = true;
    result.expected = int(request.destination.size());
    Request& r = requests_[ticket];
    r.result = std::move(result);
    r.handler = std::move(handler);
    r.deadline = loop_.call_later(settings_.reply_timeout, [this, ticket, alive = alive_] {
        if (!*alive)
            return;
        if (auto it = requests_.find(ticket); it != requests_.end())
            it->second.deadline = 0;
        finish_request(ticket);
    });
    const bool to_all = request.destination.empty();
    publish(request, [this, ticket, to_all, alive = alive_](int listeners) {
        if (!*alive)
            return;
        auto it = requests_.find(ticket);
        if (it == requests_.end())
            return;
        if (to_all && listeners >= 0)
            it->second.result.expected = listeners;
        if (to_all && listeners == 0)
            finish_request(ticket); // nobody heard it
    });
    if (!reply_timer_)
        reply_timer_ =
            loop_.call_repeatedly(std::chrono::milliseconds(20), [this] { poll_replies(); });
}

void CeleryClient::poll_replies() {
    if (reply_pop_in_flight_ || status_ != ConnectionStatus::Connected)
        return;
    if (requests_.empty()) {
        loop_.cancel_timer(reply_timer_);
        reply_timer_ = 0;
        return;
    }
    reply_pop_in_flight_ = true;
    const std::string queue = settings_.transport.reply_queue(oid_);
    command_conn_.command({"RPOP", queue}, [this, alive = alive_](redisReply* r) {
        if (!*alive)
            return;
        reply_pop_in_flight_ = false;
        if (!r || r->type != REDIS_REPLY_STRING)
            return;
        handle_reply_message(std::string_view(r->str, r->len));
        poll_replies(); // drain what is queued before the next tick
    });
}

void CeleryClient::handle_reply_message(std::string_view payload) {
    ControlReply reply;
    try {
        reply = parse_control_reply(parse_envelope(payload));
    } catch (const MessageError& e) {
        return state_.bad_message("the reply queue", e.what());
    } catch (const std::exception& e) {
        return state_.bad_message("the reply queue", e.what());
    }
    const auto it = requests_.find(reply.ticket);
    if (it == requests_.end()) {
        ++stale_replies_; // a request that timed out, or someone else's ticket
        return;
    }
    Request& request = it->second;
    for (auto& [node, value] : reply.by_node) {
        state_.apply_inspect(request.result.method, node, value, Clock::now());
        request.result.replies[node] = std::move(value);
    }
    if (request.result.expected > 0 &&
        int(request.result.replies.size()) >= request.result.expected)
        finish_request(reply.ticket);
}

void CeleryClient::finish_request(const std::string& ticket) {
    const auto it = requests_.find(ticket);
    if (it == requests_.end())
        return;
    Request request = std::move(it->second);
    requests_.erase(it);
    if (request.deadline)
        loop_.cancel_timer(request.deadline);
    if (request.handler)
        request.handler(request.result);
}

void CeleryClient::resync() {
    for (const char* method : {"stats", "active", "conf"})
        control(method, json::object(), {},
                [this, stats = std::string(method) == "stats"](const ControlResult& r) {
                    if (stats && r.sent)
                        synced_ = true;
                });
}

void CeleryClient::poll() {
    control("stats", json::object(), {}, nullptr);
    control("active", json::object(), {}, nullptr);
    read_queue_depth();
}

void CeleryClient::read_queue_depth() {
    const auto lists = settings_.transport.priority_lists(settings_.transport.queue);
    auto total = std::make_shared<std::uint64_t>(0);
    auto left = std::make_shared<std::size_t>(lists.size());
    for (const auto& list : lists)
        command_conn_.command({"LLEN", list}, [this, total, left, alive = alive_](redisReply* r) {
            if (!*alive)
                return;
            if (r && r->type == REDIS_REPLY_INTEGER && r->integer > 0)
                *total += std::uint64_t(r->integer);
            if (--*left == 0)
                state_.set_queue_depth(*total);
        });
}

void CeleryClient::stop(std::function<void()> done) {
    running_ = false;
    for (auto id : {reconnect_timer_, poll_timer_, liveness_timer_, reply_timer_})
        if (id)
            loop_.cancel_timer(id);
    reconnect_timer_ = poll_timer_ = liveness_timer_ = reply_timer_ = 0;
    events_conn_.close();
    const auto finish = [this, done = std::move(done)] {
        command_conn_.close();
        set_status(ConnectionStatus::Disconnected, "stopped");
        if (done)
            done();
    };
    if (!command_conn_.is_connected())
        return finish();
    const auto& t = settings_.transport;
    command_conn_.command({"SREM", t.reply_binding_key(), t.reply_binding_member(oid_)}, nullptr);
    std::vector<std::string> del{"DEL"};
    for (const auto& name : t.priority_lists(oid_ + ".reply.celery.pidbox"))
        del.push_back(name);
    auto shared_finish = std::make_shared<std::function<void()>>(finish);
    const bool sent =
        command_conn_.command(del, [this, shared_finish, alive = alive_](redisReply*) {
            if (!*alive)
                return;
            // Called from inside the reply: close on the loop's next turn.
            loop_.call_later(std::chrono::milliseconds(0), [shared_finish, alive] {
                if (*alive && *shared_finish)
                    std::exchange(*shared_finish, nullptr)();
            });
        });
    if (!sent)
        finish();
}

} // namespace poolscope::celery
