// SPDX-License-Identifier: GPL-3.0-or-later
#include "celery/redis_connection.h"

#include <hiredis/async.h>
#include <hiredis/hiredis.h>

namespace poolscope::celery {

// What hiredis's ev hooks act on: the loop and the fd, and which directions are registered.
struct RedisConnection::Adapter {
    poolcore::EventLoop* loop;
    redisAsyncContext* ctx;
    int fd;
    bool reading = false;
    bool writing = false;

    static void add_read(void* p) {
        auto* a = static_cast<Adapter*>(p);
        if (a->reading)
            return;
        a->reading = true;
        redisAsyncContext* ctx = a->ctx;
        a->loop->add_reader(a->fd, [ctx] { redisAsyncHandleRead(ctx); });
    }
    static void del_read(void* p) {
        auto* a = static_cast<Adapter*>(p);
        if (!a->reading)
            return;
        a->reading = false;
        a->loop->remove_reader(a->fd);
    }
    static void add_write(void* p) {
        auto* a = static_cast<Adapter*>(p);
        if (a->writing)
            return;
        a->writing = true;
        redisAsyncContext* ctx = a->ctx;
        a->loop->add_writer(a->fd, [ctx] { redisAsyncHandleWrite(ctx); });
    }
    static void del_write(void* p) {
        auto* a = static_cast<Adapter*>(p);
        if (!a->writing)
            return;
        a->writing = false;
        a->loop->remove_writer(a->fd);
    }
    // hiredis frees the context after this: nothing may refer to it once we return.
    static void cleanup(void* p) {
        auto* a = static_cast<Adapter*>(p);
        del_read(p);
        del_write(p);
        delete a;
    }
};

RedisConnection::RedisConnection(poolcore::EventLoop& loop, std::string name)
    : loop_(loop), name_(std::move(name)) {}

RedisConnection::~RedisConnection() {
    *alive_ = false;
    close();
}

void RedisConnection::open(const std::string& host, int port, std::chrono::milliseconds timeout,
                           ConnectHandler on_connected, LostHandler on_lost) {
    close();
    on_connected_ = std::move(on_connected);
    on_lost_ = std::move(on_lost);
    redisAsyncContext* ctx = redisAsyncConnect(host.c_str(), port);
    if (!ctx) {
        auto handler = std::move(on_connected_);
        handler(false, "out of memory");
        return;
    }
    if (ctx->err) {
        const std::string error = ctx->errstr;
        redisAsyncFree(ctx);
        auto handler = std::move(on_connected_);
        handler(false, error);
        return;
    }
    ctx_ = ctx;
    ctx->data = this;
    // On Windows hiredis's redisFD is a SOCKET; poolcore's loops carry sockets as ints there.
    auto* adapter = new Adapter{&loop_, ctx, static_cast<int>(ctx->c.fd)};
    ctx->ev.data = adapter;
    ctx->ev.addRead = Adapter::add_read;
    ctx->ev.delRead = Adapter::del_read;
    ctx->ev.addWrite = Adapter::add_write;
    ctx->ev.delWrite = Adapter::del_write;
    ctx->ev.cleanup = Adapter::cleanup;
    redisAsyncSetConnectCallback(ctx, &RedisConnection::on_connect);
    redisAsyncSetDisconnectCallback(ctx, &RedisConnection::on_disconnect);
    // The connect completes when the socket turns writable; hiredis asked for that already
    // (redisAsyncConnect adds the writer through the hook only once set, so ask now).
    Adapter::add_write(adapter);
    connect_timer_ = loop_.call_later(timeout, [this, alive = alive_, timeout] {
        if (!*alive)
            return;
        connect_timer_ = 0;
        if (connected_ || !ctx_)
            return;
        auto handler = std::move(on_connected_);
        close();
        if (handler)
            handler(false, "no answer within " + std::to_string(timeout.count()) + " ms");
    });
}

void RedisConnection::forget_context() {
    if (connect_timer_) {
        loop_.cancel_timer(connect_timer_);
        connect_timer_ = 0;
    }
    ctx_ = nullptr;
    connected_ = false;
}

void RedisConnection::close() {
    on_connected_ = nullptr;
    on_lost_ = nullptr;
    if (redisAsyncContext* ctx = ctx_) {
        forget_context();
        ctx->data = nullptr; // its callbacks must not find us any more
        redisAsyncFree(ctx); // calls the pending handlers with a null reply
    }
    release_subscriptions();
}

void RedisConnection::release_subscriptions() {
    if (persistent_.empty())
        return;
    // Called from inside a reply, redisAsyncFree is deferred until that reply returns and then
    // still hands these to on_reply: they are freed on the loop's next turn instead.
    auto doomed = std::make_shared<std::list<std::unique_ptr<Pending>>>(std::move(persistent_));
    persistent_.clear();
    loop_.call_later(std::chrono::milliseconds(0), [doomed] { doomed->clear(); });
}

void RedisConnection::on_connect(const redisAsyncContext* ctx, int status) {
    auto* self = static_cast<RedisConnection*>(ctx->data);
    if (!self)
        return;
    if (self->connect_timer_) {
        self->loop_.cancel_timer(self->connect_timer_);
        self->connect_timer_ = 0;
    }
    auto handler = std::move(self->on_connected_);
    if (status != REDIS_OK) {
        const std::string error = ctx->errstr;
        // hiredis frees the context itself after a failed connect.
        self->ctx_ = nullptr;
        self->connected_ = false;
        self->on_lost_ = nullptr;
        if (handler)
            handler(false, error);
        return;
    }
    self->connected_ = true;
    if (handler)
        handler(true, {});
}

void RedisConnection::on_disconnect(const redisAsyncContext* ctx, int status) {
    auto* self = static_cast<RedisConnection*>(ctx->data);
    if (!self)
        return;
    const std::string why = status == REDIS_OK ? "closed" : ctx->errstr;
    const bool was_up = self->connected_;
    self->forget_context();
    auto lost = std::move(self->on_lost_);
    self->on_connected_ = nullptr;
    // The subscriptions' handlers are still referenced by the context hiredis is freeing; they
    // are released at the next open() or close(), never while hiredis may call them.
    if (was_up && lost)
        lost(why.empty() ? "the connection was closed" : why);
}

void RedisConnection::on_reply(redisAsyncContext*, void* reply, void* privdata) {
    auto* pending = static_cast<Pending*>(privdata);
    if (!pending)
        return;
    if (pending->persistent) {
        if (reply && pending->handler)
            pending->handler(static_cast<redisReply*>(reply));
        return;
    }
    std::unique_ptr<Pending> owned(pending);
    if (owned->handler)
        owned->handler(static_cast<redisReply*>(reply));
}

bool RedisConnection::send(const std::vector<std::string>& argv, ReplyHandler handler,
                           bool persistent) {
    if (!ctx_ || !connected_)
        return false;
    std::vector<const char*> args;
    std::vector<size_t> lengths;
    for (const auto& a : argv) {
        args.push_back(a.data());
        lengths.push_back(a.size());
    }
    auto pending = std::make_unique<Pending>(Pending{std::move(handler), persistent, this});
    Pending* raw = pending.get();
    if (redisAsyncCommandArgv(ctx_, &RedisConnection::on_reply, raw, int(args.size()), args.data(),
                              lengths.data()) != REDIS_OK)
        return false;
    if (persistent)
        persistent_.push_back(std::move(pending));
    else
        pending.release(); // on_reply owns it now
    return true;
}

bool RedisConnection::command(const std::vector<std::string>& argv, ReplyHandler handler) {
    return send(argv, std::move(handler), false);
}

bool RedisConnection::subscribe(const std::vector<std::string>& argv, ReplyHandler handler) {
    return send(argv, std::move(handler), true);
}

} // namespace poolscope::celery
