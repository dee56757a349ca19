// SPDX-License-Identifier: MIT
#include "monitor/monitor_hub.h"

#include "platform/posix/socket_flags.h"
#include "platform/posix/unix_socket.h"
#include "poolcore/options.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <sys/socket.h>
#include <unistd.h>
#include <vector>

namespace poolcore {

using nlohmann::json;

struct MonitorServer::Hub::Viewer {
    std::uint64_t id = 0;
    UniqueFd fd;
    pid_t pid = 0;
    MonitorFrameDecoder decoder{kMonitorMaxRequestBytes};
    std::string out;           // queued frames
    std::size_t out_begin = 0; // what of `out` is already sent
    bool writer_registered = false;
    bool snapshot_due = false; // a snapshot was coalesced away while output was pending
    Clock::time_point last_progress = Clock::now();

    std::size_t pending() const { return out.size() - out_begin; }
};

MonitorServer::Hub::Hub(EventLoop& loop, MonitoredPool& pool, MonitorFeed& feed,
                        MonitorOptions options)
    : loop_(loop), pool_(pool), feed_(feed), options_(std::move(options)) {
    if (options_.snapshot_interval.count() <= 0)
        throw PoolError("the monitor's snapshot interval must be positive");
    if (options_.viewer_buffer_bytes < 64 * 1024)
        throw PoolError("the monitor's viewer buffer must be at least 64 KiB");
    if (options_.max_viewers < 1)
        throw PoolError("the monitor must allow at least one viewer");
    path_ = options_.socket_path.empty() ? default_monitor_socket_path() : options_.socket_path;
    const auto slash = path_.find_last_of('/');
    posix::ensure_private_directory(slash == std::string::npos || slash == 0
                                        ? (slash == 0 ? std::string("/") : std::string("."))
                                        : path_.substr(0, slash));
    listener_ = posix::listen_unix(path_);
    loop_.add_reader(listener_.get(), [this] { accept_all(); });
    ticker_ = loop_.call_repeatedly(options_.snapshot_interval, [this] { tick(); });
    log(Severity::Info, "listening at " + path_ + (options_.read_only ? " (read-only)" : ""));
}

MonitorServer::Hub::~Hub() {
    loop_.cancel_timer(ticker_);
    // The last events and records (the pool's end, often), and a goodbye, to whoever can take
    // them now: nothing waits for a viewer, not even at the end.
    tick();
    std::string bye;
    append_monitor_frame(bye, {{"type", "bye"}, {"reason", "the program closed its monitor"}});
    std::vector<std::uint64_t> ids;
    for (const auto& entry : viewers_)
        ids.push_back(entry.first);
    for (const auto id : ids)
        if (const auto it = viewers_.find(id); it != viewers_.end())
            enqueue(*it->second, bye);
    for (auto& [id, viewer] : viewers_) {
        loop_.remove_reader(viewer->fd.get());
        if (viewer->writer_registered)
            loop_.remove_writer(viewer->fd.get());
    }
    viewers_.clear();
    feed_.set_active(false);
    loop_.remove_reader(listener_.get());
    listener_.reset();
    ::unlink(path_.c_str());
}

MonitorCounters MonitorServer::Hub::counters() const {
    std::lock_guard lock(counters_mutex_);
    return counters_;
}

void MonitorServer::Hub::count(std::uint64_t MonitorCounters::*counter) {
    std::lock_guard lock(counters_mutex_);
    ++(counters_.*counter);
}

void MonitorServer::Hub::log(Severity severity, const std::string& text) {
    if (options_.log) {
        options_.log(severity, text);
        return;
    }
    static constexpr const char* kLevel[] = {"info", "warning", "error"};
    std::fprintf(stderr, "poolcore monitor [%s]: %s\n", kLevel[int(severity)], text.c_str());
}

std::string MonitorServer::Hub::describe(const Viewer& viewer) const {
    return "viewer " + std::to_string(viewer.id) +
           (viewer.pid ? " (pid " + std::to_string(viewer.pid) + ")" : std::string());
}

json MonitorServer::Hub::hello() const {
    json capabilities = {"stats", "events", "jobs", "info"};
    if (!options_.read_only)
        capabilities.push_back("control");
    char program[256] = {};
    if (const ssize_t n = ::readlink("/proc/self/exe", program, sizeof program - 1); n > 0) {
        const std::string_view full(program, std::size_t(n));
        const auto slash = full.find_last_of('/');
        std::memmove(program, full.data() + slash + 1, full.size() - slash - 1);
        program[full.size() - slash - 1] = '\0';
    }
    return {{"type", "hello"},
            {"protocol", kMonitorProtocolName},
            {"version", kMonitorProtocolVersion},
            {"capabilities", capabilities},
            {"read_only", options_.read_only},
            {"verbs", options_.read_only ? json::array() : json(monitor_control_verbs())},
            {"pool", {{"kind", pool_.kind()}, {"pid", ::getpid()}, {"program", program}}},
            {"snapshot_interval_ms", options_.snapshot_interval.count()}};
}

void MonitorServer::Hub::refuse(UniqueFd fd, const std::string& why) {
    // Best effort and never waiting: the refused peer may read the reason or not.
    std::string frame;
    append_monitor_frame(frame, {{"type", "error"}, {"message", why}});
    [[maybe_unused]] const auto sent =
        ::send(fd.get(), frame.data(), frame.size(), posix::kSendWithoutSigpipe | MSG_DONTWAIT);
}

void MonitorServer::Hub::accept_all() {
    for (;;) {
        UniqueFd fd = posix::accept_unix(listener_.get());
        if (!fd)
            return;
        const auto peer = posix::peer_credentials(fd.get());
        if (!peer.known || peer.uid != ::geteuid()) {
            const std::string who = peer.known ? "uid " + std::to_string(peer.uid) + " (pid " +
                                                     std::to_string(peer.pid) + ")"
                                               : "a peer whose credentials are unknown";
            log(Severity::Warning, "refused a viewer of " + who + ": only uid " +
                                       std::to_string(::geteuid()) + " may attach");
            count(&MonitorCounters::refused_uid);
            refuse(std::move(fd), "refused: this monitor serves only its own user");
            continue;
        }
        if (int(viewers_.size()) >= options_.max_viewers) {
            log(Severity::Warning, "refused a viewer (pid " + std::to_string(peer.pid) +
                                       "): already " + std::to_string(viewers_.size()) +
                                       " viewers, the most this monitor takes");
            count(&MonitorCounters::refused_full);
            refuse(std::move(fd), "refused: too many viewers");
            continue;
        }
        auto viewer = std::make_unique<Viewer>();
        viewer->id = next_viewer_++;
        viewer->fd = std::move(fd);
        viewer->pid = peer.pid;
        const std::uint64_t id = viewer->id;
        const int raw_fd = viewer->fd.get();
        Viewer& v = *viewer;
        viewers_.emplace(id, std::move(viewer));
        if (viewers_.size() == 1) {
            feed_.set_active(true);
            // What ended while nobody watched is not sent: the feed collects only while
            // someone watches, and the pool's ring is the same from now on.
            if (pool_.keeps_job_records()) {
                std::vector<JobRecord> unwatched;
                pool_.take_job_records(unwatched);
            }
        }
        loop_.add_reader(raw_fd, [this, id] { read_from(id); });
        {
            std::lock_guard lock(counters_mutex_);
            ++counters_.accepted;
            counters_.viewers = int(viewers_.size());
        }
        log(Severity::Info, describe(v) + " attached");
        std::string frame;
        append_monitor_frame(frame, hello());
        if (!enqueue(v, frame))
            continue;
        // A first picture at once, rather than a snapshot interval later.
        StatsSnapshot stats;
        Info info;
        pool_.sample(stats, info);
        std::string snapshot;
        append_monitor_frame(snapshot, {{"type", "snapshot"}, {"stats", stats}, {"info", info}});
        enqueue(v, snapshot);
    }
}

void MonitorServer::Hub::read_from(std::uint64_t id) {
    const auto it = viewers_.find(id);
    if (it == viewers_.end())
        return;
    Viewer& viewer = *it->second;
    char buffer[16 * 1024];
    for (;;) {
        const ssize_t n = ::recv(viewer.fd.get(), buffer, sizeof buffer, MSG_DONTWAIT);
        if (n > 0) {
            viewer.decoder.feed(std::string_view(buffer, std::size_t(n)));
            json message;
            for (;;) {
                const auto status = viewer.decoder.next(message);
                if (status == MonitorFrameDecoder::Status::NeedMore)
                    break;
                if (status == MonitorFrameDecoder::Status::Error) {
                    count(&MonitorCounters::dropped_garbage);
                    std::string frame;
                    append_monitor_frame(
                        frame, {{"type", "error"},
                                {"message", "malformed frame: " + viewer.decoder.error()}});
                    // Only where it cannot land in the middle of a frame still queued.
                    if (viewer.pending() == 0) {
                        [[maybe_unused]] const auto sent =
                            ::send(viewer.fd.get(), frame.data(), frame.size(),
                                   posix::kSendWithoutSigpipe | MSG_DONTWAIT);
                    }
                    drop(id, Severity::Warning,
                         "sent a malformed frame: " + viewer.decoder.error());
                    return;
                }
                handle(viewer, message);
                if (viewers_.find(id) == viewers_.end())
                    return; // handling it dropped the viewer
            }
            continue;
        }
        if (n == 0) {
            drop(id, Severity::Info, "closed the connection");
            return;
        }
        if (errno == EINTR)
            continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK)
            return;
        drop(id, Severity::Info, std::string("connection lost: ") + std::strerror(errno));
        return;
    }
}

void MonitorServer::Hub::handle(Viewer& viewer, const json& message) {
    const std::string& type = message["type"].get_ref<const std::string&>();
    const auto id_it = message.find("id");
    const json request_id = id_it != message.end() ? *id_it : json();
    json answer = {{"type", "reply"}, {"id", request_id}, {"ok", true}};
    const std::uint64_t viewer_id = viewer.id;
    if (type == "hello") {
        // A viewer may say who it is and which version it speaks; the server's hello already
        // told it ours, and it is the viewer that refuses a mismatch.
        return;
    }
    if (type == "ping") {
        reply(viewer_id, std::move(answer));
        return;
    }
    if (type == "info" || type == "stats") {
        StatsSnapshot stats;
        Info info;
        pool_.sample(stats, info);
        answer[type] = type == "info" ? json(info) : json(stats);
        reply(viewer_id, std::move(answer));
        return;
    }
    if (type == "control") {
        const auto verb_it = message.find("verb");
        if (verb_it == message.end() || !verb_it->is_string()) {
            answer["ok"] = false;
            answer["error"] = "a control request names its verb as a string \"verb\"";
            reply(viewer_id, std::move(answer));
            return;
        }
        const std::string verb = verb_it->get<std::string>();
        const auto& verbs = monitor_control_verbs();
        if (std::find(verbs.begin(), verbs.end(), verb) == verbs.end()) {
            answer["ok"] = false;
            answer["error"] = "unknown control verb \"" + verb + "\"";
            reply(viewer_id, std::move(answer));
            return;
        }
        if (options_.read_only) {
            answer["ok"] = false;
            answer["error"] = "this pool's monitor is read-only: its owner disabled control";
            reply(viewer_id, std::move(answer));
            return;
        }
        log(Severity::Info, describe(viewer) + " asked: " + verb);
        pool_.control(verb, message, [this, viewer_id, answer](json fields) mutable {
            for (auto& [key, value] : fields.items())
                answer[key] = value;
            if (answer.value("ok", false))
                count(&MonitorCounters::controls);
            reply(viewer_id, std::move(answer));
        });
        return;
    }
    answer["ok"] = false;
    answer["error"] = "unknown message type \"" + type + "\"";
    reply(viewer_id, std::move(answer));
}

void MonitorServer::Hub::reply(std::uint64_t id, json answer) {
    const auto it = viewers_.find(id);
    if (it == viewers_.end())
        return; // it left before the answer came
    std::string frame;
    append_monitor_frame(frame, answer);
    enqueue(*it->second, frame);
}

bool MonitorServer::Hub::enqueue(Viewer& viewer, const std::string& frame) {
    const std::uint64_t id = viewer.id;
    // A frame larger than the whole buffer still goes to a viewer that has taken everything
    // else: it is what is left queued that shows a viewer cannot keep up.
    if (viewer.pending() > 0 && viewer.pending() + frame.size() > options_.viewer_buffer_bytes) {
        count(&MonitorCounters::dropped_slow);
        drop(viewer.id, Severity::Warning,
             "too slow: " + std::to_string(viewer.pending()) +
                 " bytes were still queued for it, the limit is " +
                 std::to_string(options_.viewer_buffer_bytes));
        return false;
    }
    if (viewer.out_begin > 0 && viewer.out_begin * 2 >= viewer.out.size()) {
        viewer.out.erase(0, viewer.out_begin);
        viewer.out_begin = 0;
    }
    if (viewer.pending() == 0)
        viewer.last_progress = Clock::now(); // the stall clock runs only while output waits
    viewer.out += frame;
    flush(viewer);
    return viewers_.count(id) > 0;
}

void MonitorServer::Hub::flush(Viewer& viewer) {
    const std::uint64_t id = viewer.id;
    while (viewer.pending() > 0) {
        const ssize_t n = ::send(viewer.fd.get(), viewer.out.data() + viewer.out_begin,
                                 viewer.pending(), posix::kSendWithoutSigpipe | MSG_DONTWAIT);
        if (n > 0) {
            viewer.out_begin += std::size_t(n);
            viewer.last_progress = Clock::now();
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            if (!viewer.writer_registered) {
                loop_.add_writer(viewer.fd.get(), [this, id] { write_to(id); });
                viewer.writer_registered = true;
            }
            return;
        }
        drop(id, Severity::Info,
             std::string("connection lost: ") + (n < 0 ? std::strerror(errno) : "closed"));
        return;
    }
    viewer.out.clear();
    viewer.out_begin = 0;
    if (viewer.writer_registered) {
        loop_.remove_writer(viewer.fd.get());
        viewer.writer_registered = false;
    }
}

void MonitorServer::Hub::write_to(std::uint64_t id) {
    const auto it = viewers_.find(id);
    if (it == viewers_.end())
        return;
    Viewer& viewer = *it->second;
    flush(viewer);
    if (viewers_.count(id) && viewer.pending() == 0 && viewer.snapshot_due &&
        !snapshot_frame_.empty()) {
        viewer.snapshot_due = false;
        enqueue(viewer, snapshot_frame_);
    }
}

void MonitorServer::Hub::drop(std::uint64_t id, Severity severity, const std::string& reason) {
    const auto it = viewers_.find(id);
    if (it == viewers_.end())
        return;
    Viewer& viewer = *it->second;
    loop_.remove_reader(viewer.fd.get());
    if (viewer.writer_registered)
        loop_.remove_writer(viewer.fd.get());
    log(severity, describe(viewer) + " dropped: " + reason);
    viewers_.erase(it);
    if (viewers_.empty())
        feed_.set_active(false);
    std::lock_guard lock(counters_mutex_);
    counters_.viewers = int(viewers_.size());
}

void MonitorServer::Hub::tick() {
    if (viewers_.empty())
        return; // nobody watches: the pool is not even sampled
    std::vector<std::uint64_t> ids;
    ids.reserve(viewers_.size());
    for (const auto& entry : viewers_)
        ids.push_back(entry.first);
    const auto now = Clock::now();
    for (const auto id : ids) {
        const auto it = viewers_.find(id);
        if (it != viewers_.end() && it->second->pending() > 0 &&
            now - it->second->last_progress > options_.viewer_stall_timeout) {
            count(&MonitorCounters::dropped_slow);
            drop(id, Severity::Warning,
                 "stuck: it took none of its " + std::to_string(it->second->pending()) +
                     " queued bytes for " + std::to_string(options_.viewer_stall_timeout.count()) +
                     " ms");
        }
    }

    std::vector<std::string> frames;
    const auto events = feed_.take_events(events_dropped_);
    if (!events.empty() || events_dropped_ > 0) {
        std::string frame;
        append_monitor_frame(
            frame, {{"type", "events"}, {"events", events}, {"dropped", events_dropped_}});
        frames.push_back(std::move(frame));
        events_dropped_ = 0;
    }
    std::vector<JobRecord> records;
    if (pool_.keeps_job_records())
        records_dropped_ += pool_.take_job_records(records);
    else
        records = feed_.take_job_records(records_dropped_);
    if (!records.empty() || records_dropped_ > 0) {
        std::string frame;
        append_monitor_frame(
            frame, {{"type", "jobs"}, {"records", records}, {"dropped", records_dropped_}});
        frames.push_back(std::move(frame));
        records_dropped_ = 0;
    }
    StatsSnapshot stats;
    Info info;
    pool_.sample(stats, info);
    snapshot_frame_.clear();
    append_monitor_frame(snapshot_frame_, {{"type", "snapshot"}, {"stats", stats}, {"info", info}});

    for (const auto id : ids) {
        auto it = viewers_.find(id);
        if (it == viewers_.end())
            continue;
        Viewer& viewer = *it->second;
        bool alive = true;
        for (const auto& frame : frames)
            if (!(alive = enqueue(viewer, frame)))
                break;
        if (!alive)
            continue;
        // The picture is the one thing a viewer can miss without losing anything: one that has
        // not taken the last one yet gets the newest once it has.
        if (viewer.pending() > 0)
            viewer.snapshot_due = true;
        else
            enqueue(viewer, snapshot_frame_);
    }
}

} // namespace poolcore
