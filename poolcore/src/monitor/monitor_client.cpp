// SPDX-License-Identifier: MIT
#include "poolcore/monitor_client.h"

#include "platform/posix/socket_flags.h"
#include "platform/posix/unix_socket.h"
#include "poolcore/options.h"
#include "poolcore/unique_fd.h"

#include <cerrno>
#include <cstring>
#include <map>
#include <nlohmann/json.hpp>
#include <sys/socket.h>

namespace poolcore {

using nlohmann::json;

class MonitorClient::Connection {
public:
    Connection(EventLoop& loop, std::string path, Callbacks callbacks,
               std::chrono::milliseconds interval)
        : loop_(loop), path_(std::move(path)), callbacks_(std::move(callbacks)),
          interval_(interval) {}
    ~Connection() {
        if (retry_)
            loop_.cancel_timer(retry_);
        close_socket();
    }

    void connect() {
        if (fd_ || retry_)
            return;
        attempt();
    }

    void request(const std::string& verb, const json& arguments, Reply reply) {
        if (!up_)
            throw PoolError("not connected to the pool");
        const std::uint64_t id = next_request_++;
        json message = arguments.is_object() ? arguments : json::object();
        message["type"] = "control";
        message["verb"] = verb;
        message["id"] = id;
        pending_.emplace(id, std::move(reply));
        append_monitor_frame(out_, message);
        flush();
    }

    bool up() const { return up_; }
    const MonitorHello& hello() const { return hello_; }
    const std::string& path() const { return path_; }

private:
    void attempt() {
        retry_ = 0;
        bool in_progress = false;
        try {
            fd_ = posix::connect_unix(path_, in_progress);
        } catch (const std::exception& e) {
            lose(e.what());
            return;
        }
        decoder_ = MonitorFrameDecoder(kMonitorMaxMessageBytes);
        loop_.add_reader(fd_.get(), [this] { readable(); });
        if (in_progress) {
            connecting_ = true;
            watch_writes();
        }
    }

    void close_socket() {
        if (!fd_)
            return;
        loop_.remove_reader(fd_.get());
        if (writing_)
            loop_.remove_writer(fd_.get());
        writing_ = false;
        connecting_ = false;
        fd_.reset();
        out_.clear();
    }

    // The connection is gone (or never came): say why, fail what waits for an answer, try again.
    void lose(std::string reason) {
        if (!server_error_.empty())
            reason = server_error_ + " (" + reason + ")";
        server_error_.clear();
        close_socket();
        up_ = false;
        auto pending = std::exchange(pending_, {});
        for (auto& [id, reply] : pending)
            if (reply)
                reply(false, "the connection to the pool was lost before it answered", json());
        if (callbacks_.on_disconnected)
            callbacks_.on_disconnected(reason);
        if (!retry_)
            retry_ = loop_.call_later(interval_, [this] { attempt(); });
    }

    void watch_writes() {
        if (!writing_) {
            loop_.add_writer(fd_.get(), [this] { writable(); });
            writing_ = true;
        }
    }

    void writable() {
        if (connecting_) {
            connecting_ = false;
            if (const int error = posix::pending_socket_error(fd_.get()); error != 0) {
                lose("cannot connect to " + path_ + ": " + std::strerror(error));
                return;
            }
        }
        flush();
    }

    void flush() {
        while (!out_.empty() && !connecting_) {
            const ssize_t n = ::send(fd_.get(), out_.data(), out_.size(),
                                     posix::kSendWithoutSigpipe | MSG_DONTWAIT);
            if (n > 0) {
                out_.erase(0, std::size_t(n));
                continue;
            }
            if (n < 0 && errno == EINTR)
                continue;
            if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
                watch_writes();
                return;
            }
            lose(std::string("the connection failed: ") + std::strerror(errno));
            return;
        }
        if (writing_ && !connecting_) {
            loop_.remove_writer(fd_.get());
            writing_ = false;
        }
    }

    void readable() {
        char buffer[64 * 1024];
        for (;;) {
            const ssize_t n = ::recv(fd_.get(), buffer, sizeof buffer, MSG_DONTWAIT);
            if (n > 0) {
                decoder_.feed(std::string_view(buffer, std::size_t(n)));
                if (!dispatch())
                    return;
                continue;
            }
            if (n == 0) {
                lose("the pool's monitor closed the connection");
                return;
            }
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                return;
            lose(std::string("the connection failed: ") + std::strerror(errno));
            return;
        }
    }

    // False once the connection was lost over what it read.
    bool dispatch() {
        json message;
        for (;;) {
            const auto status = decoder_.next(message);
            if (status == MonitorFrameDecoder::Status::NeedMore)
                return true;
            if (status == MonitorFrameDecoder::Status::Error) {
                lose("the pool sent a malformed frame: " + decoder_.error());
                return false;
            }
            try {
                if (!handle(message))
                    return false;
            } catch (const std::exception& e) {
                lose(std::string("the pool sent a message this viewer cannot read: ") + e.what());
                return false;
            }
        }
    }

    bool handle(const json& message) {
        const std::string& type = message.at("type").get_ref<const std::string&>();
        if (type == "error") {
            server_error_ = "the pool's monitor said: " + message.value("message", std::string());
            return true;
        }
        if (type == "bye") {
            server_error_ = "the pool's monitor closed: " + message.value("reason", std::string());
            return true;
        }
        if (!up_) {
            if (type != "hello")
                throw std::invalid_argument("its first message is \"" + type + "\", not a hello");
            if (message.at("protocol").get<std::string>() != kMonitorProtocolName)
                throw std::invalid_argument("it does not speak " +
                                            std::string(kMonitorProtocolName));
            MonitorHello hello;
            hello.version = message.at("version").get<int>();
            if (hello.version != kMonitorProtocolVersion) {
                lose("the pool speaks monitor protocol version " + std::to_string(hello.version) +
                     ", this viewer version " + std::to_string(kMonitorProtocolVersion));
                return false;
            }
            message.at("capabilities").get_to(hello.capabilities);
            message.at("read_only").get_to(hello.read_only);
            const json& pool = message.at("pool");
            pool.at("kind").get_to(hello.pool_kind);
            pool.at("pid").get_to(hello.pid);
            pool.at("program").get_to(hello.program);
            hello_ = std::move(hello);
            up_ = true;
            if (callbacks_.on_connected)
                callbacks_.on_connected(hello_);
            return fd_.valid();
        }
        if (type == "snapshot") {
            const StatsSnapshot stats = message.at("stats").get<StatsSnapshot>();
            const Info info = message.at("info").get<Info>();
            if (callbacks_.on_snapshot)
                callbacks_.on_snapshot(stats, info);
        } else if (type == "events") {
            auto events = message.at("events").get<std::vector<MonitorEvent>>();
            if (callbacks_.on_events)
                callbacks_.on_events(events);
        } else if (type == "jobs") {
            auto records = message.at("records").get<std::vector<JobRecord>>();
            const auto dropped = message.at("dropped").get<std::uint64_t>();
            if (callbacks_.on_jobs)
                callbacks_.on_jobs(std::move(records), dropped);
        } else if (type == "reply") {
            const json& id = message.at("id");
            if (!id.is_number_unsigned())
                return true; // not one of ours
            const auto it = pending_.find(id.get<std::uint64_t>());
            if (it == pending_.end())
                return true;
            Reply reply = std::move(it->second);
            pending_.erase(it);
            const bool ok = message.at("ok").get<bool>();
            if (reply)
                reply(ok, ok ? std::string() : message.value("error", std::string("refused")),
                      message);
        }
        // Other types are a newer server's: skipped, as the protocol promises.
        return fd_.valid();
    }

    EventLoop& loop_;
    const std::string path_;
    Callbacks callbacks_;
    const std::chrono::milliseconds interval_;
    UniqueFd fd_;
    MonitorFrameDecoder decoder_{kMonitorMaxMessageBytes};
    std::string out_;
    bool writing_ = false;
    bool connecting_ = false;
    bool up_ = false;
    EventLoop::TimerId retry_ = 0;
    std::string server_error_;
    MonitorHello hello_;
    std::uint64_t next_request_ = 1;
    std::map<std::uint64_t, Reply> pending_;
};

MonitorClient::MonitorClient(EventLoop& loop, std::string socket_path, Callbacks callbacks,
                             std::chrono::milliseconds reconnect_interval)
    : connection_(std::make_unique<Connection>(loop, std::move(socket_path), std::move(callbacks),
                                               reconnect_interval)) {}

MonitorClient::~MonitorClient() = default;

void MonitorClient::connect() {
    connection_->connect();
}

void MonitorClient::request(const std::string& verb, const nlohmann::json& arguments, Reply reply) {
    connection_->request(verb, arguments, std::move(reply));
}

bool MonitorClient::connected() const {
    return connection_->up();
}
const MonitorHello& MonitorClient::hello() const {
    return connection_->hello();
}
const std::string& MonitorClient::path() const {
    return connection_->path();
}

} // namespace poolcore
