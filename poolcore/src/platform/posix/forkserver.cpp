// SPDX-License-Identifier: GPL-3.0-or-later
#include "poolcore/forkserver.h"

#include "platform/entry_flags.h"
#include "platform/posix/launchers.h"
#include "platform/posix/posix_process.h"
#include "worker/worker_main.h"

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
#include <unordered_map>

namespace poolcore {

namespace {

using namespace std::chrono_literals;

// The control protocol: fixed-size records on a stream socket, one request answered by one
// reply carrying the worker's channel and exit-status pipe.
constexpr std::uint32_t kRequestMagic = 0x504f4f4c; // "POOL"

struct Request {
    std::uint32_t magic = kRequestMagic;
    std::uint32_t measure_private_memory = 0;
    std::uint64_t max_frame = 0;
};

struct Reply {
    std::int32_t pid = 0;
    std::int32_t error = 0; // errno of a failed fork; no descriptors come with it
};

constexpr auto kReplyPatience = 5s;

bool read_exact(int fd, void* data, std::size_t size) {
    auto* p = static_cast<char*>(data);
    while (size > 0) {
        const ssize_t n = ::read(fd, p, size);
        if (n > 0) {
            p += n;
            size -= std::size_t(n);
        } else if (n < 0 && errno == EINTR) {
            continue;
        } else {
            return false;
        }
    }
    return true;
}

void send_reply(int control, const Reply& reply, const int* fds, int nfds) {
    iovec iov{const_cast<Reply*>(&reply), sizeof reply};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    alignas(cmsghdr) char space[CMSG_SPACE(2 * sizeof(int))];
    if (nfds > 0) {
        msg.msg_control = space;
        msg.msg_controllen = CMSG_SPACE(std::size_t(nfds) * sizeof(int));
        cmsghdr* c = CMSG_FIRSTHDR(&msg);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(std::size_t(nfds) * sizeof(int));
        std::memcpy(CMSG_DATA(c), fds, std::size_t(nfds) * sizeof(int));
    }
    while (::sendmsg(control, &msg, 0) < 0) {
        if (errno != EINTR)
            ::_exit(0); // the pool's process is gone
    }
}

// --- the server -------------------------------------------------------------------------------

int g_child_exited_pipe = -1; // the server's self-pipe; static storage for its signal handler

void on_child_exited(int) {
    const int saved = errno;
    const char byte = 0;
    [[maybe_unused]] auto n = ::write(g_child_exited_pipe, &byte, 1);
    errno = saved;
}

void install_server_signals() {
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    struct sigaction sa {};
    sigemptyset(&sa.sa_mask);
    sa.sa_handler = SIG_IGN; // Ctrl-C reaches the process group; the pool decides what stops
    sigaction(SIGINT, &sa, nullptr);
    sigaction(SIGPIPE, &sa, nullptr);
    sa.sa_handler = SIG_DFL;
    for (int sig : {SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGALRM})
        sigaction(sig, &sa, nullptr);
    sa.sa_handler = on_child_exited;
    sa.sa_flags = SA_RESTART | SA_NOCLDSTOP;
    sigaction(SIGCHLD, &sa, nullptr);
}

class Server {
public:
    explicit Server(int control) : control_(control) {}

    [[noreturn]] void run() {
        auto [wake_read, wake_write] = posix::make_pipe();
        posix::set_nonblocking(wake_read.get());
        posix::set_nonblocking(wake_write.get());
        g_child_exited_pipe = wake_write.get();
        install_server_signals();
        for (;;) {
            pollfd fds[2] = {{control_, POLLIN, 0}, {wake_read.get(), POLLIN, 0}};
            if (::poll(fds, 2, -1) < 0) {
                if (errno == EINTR)
                    continue;
                ::_exit(71);
            }
            if (fds[1].revents) {
                char drain[64];
                while (::read(wake_read.get(), drain, sizeof drain) > 0) {
                }
                relay_exits();
            }
            if (fds[0].revents) {
                Request request;
                if (!read_exact(control_, &request, sizeof request))
                    ::_exit(0); // the pool's process closed us: its workers go with us
                if (request.magic != kRequestMagic)
                    ::_exit(76); // EX_PROTOCOL
                fork_worker(request);
            }
        }
    }

private:
    void relay_exits() {
        int status = 0;
        pid_t pid;
        while ((pid = ::waitpid(-1, &status, WNOHANG)) > 0) {
            auto it = exit_pipes_.find(pid);
            if (it == exit_pipes_.end())
                continue;
            [[maybe_unused]] auto n = ::write(it->second.get(), &status, sizeof status);
            exit_pipes_.erase(it); // closing it is the EOF after the status
        }
    }

    void fork_worker(const Request& request) {
        Reply reply;
        try {
            auto [parent_end, child_end] = posix::make_socketpair();
            auto [exit_read, exit_write] = posix::make_pipe();
            const pid_t server = ::getpid();
            const pid_t pid = ::fork();
            if (pid < 0)
                posix::throw_errno("fork");
            if (pid == 0)
                become_worker(server, child_end.get(), request);
            reply.pid = pid;
            exit_pipes_.emplace(pid, std::move(exit_write));
            const int fds[2] = {parent_end.get(), exit_read.get()};
            send_reply(control_, reply, fds, 2);
        } catch (const std::system_error& e) {
            reply.error = e.code().value() ? e.code().value() : EAGAIN;
            send_reply(control_, reply, nullptr, 0);
        }
    }

    [[noreturn]] static void become_worker(pid_t server, int channel, const Request& request) {
        signal(SIGCHLD, SIG_DFL);
        posix::die_with_parent(server);
        // Everything but the channel goes: the control socket, the self-pipe and the siblings'
        // exit pipes, whose write ends a worker must never hold.
        if (!posix::pin_descriptor(channel, kWorkerChannelFd))
            ::_exit(70);
        posix::close_from(kWorkerChannelFd + 1);
        run_worker(kWorkerChannelFd, WorkerSettings{std::size_t(request.max_frame),
                                                    request.measure_private_memory != 0});
    }

    int control_;
    std::unordered_map<pid_t, UniqueFd> exit_pipes_;
};

} // namespace

void run_forkserver(int control_fd) {
    Server(control_fd).run();
}

// --- the pool's side --------------------------------------------------------------------------

std::shared_ptr<ForkServer> ForkServer::start() {
    std::shared_ptr<ForkServer> server(new ForkServer());
    server->start_process();
    return server;
}

ForkServer::~ForkServer() {
    stop_process();
}

pid_t ForkServer::pid() const {
    std::lock_guard lock(mutex_);
    return pid_;
}

void ForkServer::start_process() {
    auto [ours, theirs] = posix::make_socketpair();
    const int threads = posix::running_thread_count();
    pid_t pid = 0;
    if (threads <= 1) {
        const pid_t parent = ::getpid();
        std::fflush(nullptr);
        pid = ::fork();
        if (pid < 0)
            posix::throw_errno("fork");
        if (pid == 0) {
            posix::die_with_parent(parent);
            if (!posix::pin_descriptor(theirs.get(), kWorkerChannelFd))
                ::_exit(70);
            posix::close_from(kWorkerChannelFd + 1);
            run_forkserver(kWorkerChannelFd);
        }
    } else if (worker_entry_installed()) {
        pid = posix::spawn_program({}, {entry::kForkServerFlag, std::to_string(::getpid())},
                                   {theirs.get()});
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

std::optional<std::string> ForkServer::collect_death() {
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
    return who + " exited with " + posix::decode_wait_status(status).describe();
}

void ForkServer::stop_process() {
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

void ForkServer::fail(const std::string& why) {
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

std::string ForkServer::await_death() {
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

LaunchedWorker ForkServer::launch(const WorkerSettings& settings,
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

std::optional<LaunchedWorker> ForkServer::request_worker(const WorkerSettings& settings) {
    Request request;
    request.max_frame = settings.max_frame;
    request.measure_private_memory = settings.measure_private_memory ? 1 : 0;
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
            return std::nullopt;
        else
            fail("the server stopped listening (" + std::string(std::strerror(errno)) + ")");
    }

    pollfd p{control_.get(), POLLIN, 0};
    int ready;
    while ((ready = ::poll(&p, 1, int(std::chrono::milliseconds(kReplyPatience).count()))) < 0 &&
           errno == EINTR) {
    }
    if (ready == 0)
        fail("no answer within 5 s");

    Reply reply;
    iovec iov{&reply, sizeof reply};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    alignas(cmsghdr) char space[CMSG_SPACE(2 * sizeof(int))];
    msg.msg_control = space;
    msg.msg_controllen = sizeof space;
    int flags = 0;
#ifdef MSG_CMSG_CLOEXEC
    flags |= MSG_CMSG_CLOEXEC;
#endif
    ssize_t n;
    while ((n = ::recvmsg(control_.get(), &msg, flags)) < 0 && errno == EINTR) {
    }
    UniqueFd received[2];
    int count = 0;
    for (cmsghdr* c = n > 0 ? CMSG_FIRSTHDR(&msg) : nullptr; c; c = CMSG_NXTHDR(&msg, c)) {
        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
            continue;
        const std::size_t fds = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        for (std::size_t i = 0; i < fds; ++i) {
            int fd;
            std::memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof fd);
            ::fcntl(fd, F_SETFD, FD_CLOEXEC);
            if (count < 2)
                received[count++].reset(fd);
            else
                ::close(fd);
        }
    }
    if (n == 0 || (n < 0 && errno == ECONNRESET))
        return std::nullopt;
    if (n != sizeof reply || (msg.msg_flags & MSG_CTRUNC))
        fail("a garbled reply");
    if (reply.error != 0)
        throw std::system_error(reply.error, std::generic_category(), "forkserver: fork");
    if (count != 2 || reply.pid <= 0)
        fail("a reply without the worker's descriptors");

    LaunchedWorker w;
    w.pid = reply.pid;
    posix::set_nonblocking(received[0].get());
    w.channel = std::move(received[0]);
    w.exit_fd = std::move(received[1]);
    return w;
}

ExitStatus ForkServer::read_exit_status(int exit_fd, std::chrono::milliseconds patience) {
    pollfd p{exit_fd, POLLIN, 0};
    int ready;
    while ((ready = ::poll(&p, 1, int(patience.count()))) < 0 && errno == EINTR) {
    }
    int status = 0;
    if (ready > 0 && read_exact(exit_fd, &status, sizeof status))
        return posix::decode_wait_status(status);
    return ExitStatus{false, false, 0};
}

namespace {

class ForkServerLauncher final : public posix::PosixLauncher {
public:
    explicit ForkServerLauncher(std::shared_ptr<ForkServer> server) : server_(std::move(server)) {}

    std::string_view name() const override { return "forkserver"; }

    LaunchedWorker launch(const WorkerSettings& settings) override {
        return server_->launch(settings, [this](const std::string& text) { notice(text); });
    }

    ExitStatus reap(pid_t, int exit_fd) override {
        return ForkServer::read_exit_status(exit_fd, 2s);
    }

private:
    std::shared_ptr<ForkServer> server_;
};

} // namespace

std::unique_ptr<ProcessLauncher> make_forkserver_launcher(std::shared_ptr<ForkServer> server) {
    return std::make_unique<ForkServerLauncher>(std::move(server));
}

} // namespace poolcore
