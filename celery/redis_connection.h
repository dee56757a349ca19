// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "poolcore/event_loop.h"

#include <chrono>
#include <functional>
#include <list>
#include <memory>
#include <string>
#include <vector>

struct redisAsyncContext;
struct redisReply;

namespace poolscope::celery {

// One hiredis async connection driven by poolcore's EventLoop: hiredis's ev hooks
// (addRead/delRead/addWrite/delWrite/cleanup) become the loop's reader and writer, which are
// level-triggered as hiredis expects (it reads once per readiness and is called again while
// bytes remain). hiredis 0.14 (Debian 12) has no timer hook, so the connect timeout is a loop
// timer here.
class RedisConnection {
public:
    // `reply` is null when the command failed because the connection went away.
    using ReplyHandler = std::function<void(redisReply* reply)>;
    using ConnectHandler = std::function<void(bool ok, const std::string& error)>;
    using LostHandler = std::function<void(const std::string& why)>;

    RedisConnection(poolcore::EventLoop& loop, std::string name);
    ~RedisConnection();
    RedisConnection(const RedisConnection&) = delete;
    RedisConnection& operator=(const RedisConnection&) = delete;

    // Begins connecting; `on_connected` says how it went (within `timeout`), `on_lost` hears of
    // a connection that was up and then dropped.
    void open(const std::string& host, int port, std::chrono::milliseconds timeout,
              ConnectHandler on_connected, LostHandler on_lost);
    // Drops the connection; pending commands get a null reply; no handler of open() is called.
    void close();
    bool is_connected() const { return connected_; }
    const std::string& name() const { return name_; }

    // Sends a command; `handler` runs once with its reply. Returns false when not connected.
    bool command(const std::vector<std::string>& argv, ReplyHandler handler);
    // A (P)SUBSCRIBE: `handler` runs for the confirmation and for every message after it.
    bool subscribe(const std::vector<std::string>& argv, ReplyHandler handler);

private:
    struct Adapter;
    struct Pending {
        ReplyHandler handler;
        bool persistent = false;
        RedisConnection* owner = nullptr;
    };
    static void on_reply(redisAsyncContext* ctx, void* reply, void* privdata);
    static void on_connect(const redisAsyncContext* ctx, int status);
    static void on_disconnect(const redisAsyncContext* ctx, int status);
    bool send(const std::vector<std::string>& argv, ReplyHandler handler, bool persistent);
    void forget_context();
    void release_subscriptions();

    poolcore::EventLoop& loop_;
    std::string name_;
    redisAsyncContext* ctx_ = nullptr;
    bool connected_ = false;
    poolcore::EventLoop::TimerId connect_timer_ = 0;
    ConnectHandler on_connected_;
    LostHandler on_lost_;
    std::list<std::unique_ptr<Pending>> persistent_; // subscriptions, alive with the context
    std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

} // namespace poolscope::celery
