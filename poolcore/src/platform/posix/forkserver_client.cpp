// SPDX-License-Identifier: MIT
// The pool's side of the forkserver: starting the server, requests, and a dead server's
// replacement.
#include "platform/posix/forkserver_client.h"

#include "platform/entry_flags.h"
#include "platform/posix/forkserver_protocol.h"
#include "platform/posix/forkserver_server.h"
#include "platform/posix/posix_process.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdexcept>
#include <sys/socket.h>
#include <sys/wait.h>
#include <system_error>
#include <thread>
#include <unistd.h>

namespace poolcore {

namespace posix {

using namespace std::chrono_literals;
using forkserver::interpret_reply;
using forkserver::read_exact;
using forkserver::Reply;
using forkserver::ReplyMeaning;
using forkserver::Request;

namespace {
constexpr auto kReplyPatience = 5s;
} // namespace

ForkServerClient::ForkServerClient() {
    start_process();
}

ForkServerClient::~ForkServerClient() {
    stop_process();
}

pid_t ForkServerClient::pid() const {
    std::lock_guard lock(mutex_);
    return pid_;
}

void ForkServerClient::start_process() {
    auto [ours, theirs] = make_socketpair();
    const int threads = running_thread_count();
    pid_t pid = 0;
    if (threads <= 1) {
        const pid_t parent = ::getpid();
        std::fflush(nullptr);
        pid = ::fork();
        if (pid < 0)
            throw_errno("fork");
        if (pid == 0) {
            exit_with_parent_or_on_eof(parent);
            const int control = theirs.get();
            if (!place_descriptors(&control, 1))
                exit_without_descriptors("the forkserver's control socket");
            close_from(kWorkerChannelFd + 1);
            run_forkserver(kWorkerChannelFd);
        }
    } else if (worker_entry_installed()) {
        pid =
            spawn_program({}, {entry::kForkServerFlag, std::to_string(::getpid())}, {theirs.get()});
    } else {
        throw std::runtime_error(
            "this process already runs " + std::to_string(threads) +
            " threads, so a forkserver can only be spawned, and that needs "
            "poolcore::run_worker_if_requested(argc, argv) at the top of main(); or start the "
            "forkserver (poolcore::ForkServer::start()) before any thread exists");
    }
    pid_ = pid;
    control_ = std::move(ours);
}

std::optional<std::string> ForkServerClient::collect_death() {
    if (pid_ <= 0)
        return "the forkserver is not running";
    int status = 0;
    const pid_t r = ::waitpid(pid_, &status, WNOHANG);
    if (r == 0)
        return std::nullopt;
    const std::string who = "the forkserver (pid " + std::to_string(pid_) + ")";
    pid_ = 0;
    control_.reset();
    if (r < 0)
        return who + " is gone";
    return who + " exited with " + decode_wait_status(status).describe();
}

void ForkServerClient::stop_process() {
    if (pid_ <= 0)
        return;
    control_.reset(); // EOF: the server exits
    for (int i = 0; i < 200; ++i) {
        if (::waitpid(pid_, nullptr, WNOHANG) != 0)
            return;
        std::this_thread::sleep_for(5ms);
    }
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
    pid_ = 0;
}

void ForkServerClient::fail(const std::string& why) {
    // An unresponsive or confused server is not waited for: it is killed, and the next launch
    // starts a new one.
    if (pid_ > 0) {
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, nullptr, 0);
    }
    pid_ = 0;
    control_.reset();
    throw std::runtime_error("forkserver: " + why);
}

std::string ForkServerClient::await_death() {
    // The kernel closes a dying process's descriptors before it can be reaped, so the broken
    // socket can be seen a moment before waitpid() can tell how the server ended.
    const auto deadline = std::chrono::steady_clock::now() + 1s;
    while (std::chrono::steady_clock::now() < deadline) {
        if (auto death = collect_death())
            return *death;
        std::this_thread::sleep_for(1ms);
    }
    const std::string who = "the forkserver (pid " + std::to_string(pid_) + ")";
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
    pid_ = 0;
    control_.reset();
    return who + " closed its socket but did not exit, and was killed";
}

ServedWorker ForkServerClient::launch(const WorkerSettings& settings,
                                      const std::function<void(const std::string&)>& notice) {
    std::lock_guard lock(mutex_);
    auto replace = [&](const std::string& death) {
        start_process();
        if (notice)
            notice(death + "; started a new forkserver (pid " + std::to_string(pid_) + ")");
    };
    if (auto death = collect_death())
        replace(*death);
    // A server that dies between requests is usually seen here first, as a broken socket: the
    // caller gets its worker from a new server all the same. A new server that breaks at once
    // is not retried forever.
    if (auto worker = request_worker(settings))
        return std::move(*worker);
    replace(await_death());
    if (auto worker = request_worker(settings))
        return std::move(*worker);
    fail("a newly started server closed its socket at once");
}

bool ForkServerClient::send_request(const Request& request) {
    const auto* bytes = reinterpret_cast<const char*>(&request);
    std::size_t sent = 0;
    while (sent < sizeof request) {
        const ssize_t n = ::send(control_.get(), bytes + sent, sizeof request - sent,
#ifdef MSG_NOSIGNAL
                                 MSG_NOSIGNAL
#else
                                 0
#endif
        );
        if (n > 0)
            sent += std::size_t(n);
        else if (n < 0 && errno == EINTR)
            continue;
        else if (n < 0 && (errno == EPIPE || errno == ECONNRESET))
            return false;
        else
            fail("the server stopped listening (" + std::string(std::strerror(errno)) + ")");
    }
    return true;
}

std::string ForkServerClient::describe_server() const {
    const std::string state = process_state(pid_);
    return "the server, pid " + std::to_string(pid_) + (state.empty() ? "" : ", is " + state);
}

std::optional<ServedWorker> ForkServerClient::request_worker(const WorkerSettings& settings) {
    Request request;
    request.max_frame = settings.max_frame;
    request.measure_private_memory = settings.measure_private_memory ? 1 : 0;
    request.slot = settings.slot;
    if (!send_request(request))
        return std::nullopt;

    pollfd p{control_.get(), POLLIN, 0};
    int ready;
    while ((ready = ::poll(&p, 1, int(std::chrono::milliseconds(kReplyPatience).count()))) < 0 &&
           errno == EINTR) {
    }
    if (ready == 0)
        fail("no answer within 5 s (" + describe_server() + "); it was killed");

    Reply reply;
    iovec iov{&reply, sizeof reply};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    alignas(cmsghdr) char space[CMSG_SPACE(forkserver::kMostReplyDescriptors * sizeof(int))];
    msg.msg_control = space;
    msg.msg_controllen = sizeof space;
    int flags = 0;
#ifdef MSG_CMSG_CLOEXEC
    flags |= MSG_CMSG_CLOEXEC;
#endif
    ssize_t n;
    while ((n = ::recvmsg(control_.get(), &msg, flags)) < 0 && errno == EINTR) {
    }
    UniqueFd received[forkserver::kMostReplyDescriptors];
    int count = 0;
    for (cmsghdr* c = n > 0 ? CMSG_FIRSTHDR(&msg) : nullptr; c; c = CMSG_NXTHDR(&msg, c)) {
        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
            continue;
        const std::size_t fds = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        for (std::size_t i = 0; i < fds; ++i) {
            int fd;
            std::memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof fd);
            ::fcntl(fd, F_SETFD, FD_CLOEXEC);
            if (count < forkserver::kMostReplyDescriptors)
                received[count++].reset(fd);
            else
                ::close(fd);
        }
    }
    // The server runs on this kernel: it sends the death pipe exactly when there is no pidfd.
    const int expected = posix::kernel_has_pidfd() ? 2 : 3;
    switch (
        interpret_reply(n, n < 0 ? errno : 0, reply, count, expected, msg.msg_flags & MSG_CTRUNC)) {
    case ReplyMeaning::ServerGone:
        return std::nullopt;
    case ReplyMeaning::Garbled:
        fail("a garbled reply");
    case ReplyMeaning::NoDescriptorHere: {
        // The kernel had no free descriptor here for what came with the reply (EMFILE): a
        // shortage in this process, not a fault of the server's. The server kills the worker
        // it forked for nothing, and keeps serving the workers that run.
        for (auto& fd : received)
            fd.reset();
        Request discard;
        discard.kind = forkserver::RequestKind::Discard;
        discard.pid = reply.pid;
        send_request(discard);
        throw std::system_error(EMFILE, std::generic_category(),
                                "forkserver: no free descriptor in this process for a new "
                                "worker's channel (RLIMIT_NOFILE " +
                                    std::to_string(descriptor_limit()) + ")");
    }
    case ReplyMeaning::ForkFailed:
        throw std::system_error(reply.error, std::generic_category(),
                                "forkserver: starting a worker");
    case ReplyMeaning::MissingDescriptors:
        fail("a reply without the worker's descriptors");
    case ReplyMeaning::Worker:
        break;
    }

    told_unresponsive_ = 0; // it answers: a later stall is news again
    ServedWorker w;
    w.pid = reply.pid;
    set_nonblocking(received[0].get());
    w.channel = std::move(received[0]);
    w.exit_fd = std::move(received[1]);
    w.death_read = std::move(received[2]);
    return w;
}

ExitStatus ForkServerClient::read_exit_status(int exit_fd, std::chrono::milliseconds patience) {
    pollfd p{exit_fd, POLLIN, 0};
    int ready;
    while ((ready = ::poll(&p, 1, int(patience.count()))) < 0 && errno == EINTR) {
    }
    int status = 0;
    if (ready > 0 && read_exact(exit_fd, &status, sizeof status))
        return decode_wait_status(status);
    return ExitStatus{false, false, 0};
}

ExitStatus ForkServerClient::exit_status_of(pid_t worker, int status_pipe,
                                            std::chrono::milliseconds patience,
                                            const std::function<void(const std::string&)>& notice) {
    const auto deadline = std::chrono::steady_clock::now() + patience;
    for (;;) {
        pollfd p{status_pipe, POLLIN, 0};
        if (::poll(&p, 1, 10) > 0) {
            int status = 0;
            if (read_exact(status_pipe, &status, sizeof status))
                return decode_wait_status(status);
            // EOF first: the server died before it could tell; the zombie may still say.
            if (auto status = zombie_wait_status(worker))
                return decode_wait_status(*status);
            return ExitStatus{false, false, 0};
        }
        // No word yet. A server that does not run (stopped, traced, dying) reaps nothing, so
        // the worker's exit is read from the worker itself, which stays a zombie meanwhile.
        std::unique_lock lock(mutex_);
        const pid_t server = pid_;
        const std::string state = server > 0 ? process_state(server) : std::string();
        const bool stalled = !state.empty() && (state[0] == 'T' || state[0] == 't' ||
                                                state[0] == 'Z' || state[0] == 'X');
        const bool late = std::chrono::steady_clock::now() >= deadline;
        if (stalled || late) {
            if (auto status = zombie_wait_status(worker)) {
                const bool tell = told_unresponsive_ != server;
                told_unresponsive_ = server;
                lock.unlock();
                if (tell && notice)
                    notice("the forkserver (pid " + std::to_string(server) + ") is " +
                           (state.empty() ? "not answering" : state) +
                           " and does not reap its workers: their exits are read from the kernel "
                           "until it runs again, and a start that needs it replaces it");
                return decode_wait_status(*status);
            }
            if (late)
                return ExitStatus{false, false, 0};
        }
    }
}

} // namespace posix

} // namespace poolcore
