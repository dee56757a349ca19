// SPDX-License-Identifier: MIT
// The forkserver process: a single-threaded loop that forks a worker per request, hands its
// channel and exit-status pipe back, and relays each worker's exit status once it has reaped it.
#include "platform/posix/forkserver_server.h"

#include "platform/entry_flags.h"
#include "platform/posix/forkserver_protocol.h"
#include "platform/posix/posix_process.h"
#include "platform/process_title.h"
#include "worker/worker_main.h"

#include <cerrno>
#include <cstring>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <system_error>
#include <unistd.h>
#include <unordered_map>

namespace poolcore {

namespace {

using namespace forkserver;

void send_reply(int control, const Reply& reply, const int* fds, int nfds) {
    iovec iov{const_cast<Reply*>(&reply), sizeof reply};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    alignas(cmsghdr) char space[CMSG_SPACE(kMostReplyDescriptors * sizeof(int))];
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
                RequestRecord record;
                if (!read_exact(control_, record, sizeof record))
                    ::_exit(0); // the pool's process closed us: its workers go with us
                const DecodedRequest decoded = decode_request(record);
                if (decoded.verdict == RequestVerdict::Discard)
                    discard_worker(decoded.request.pid);
                else if (decoded.verdict == RequestVerdict::Launch)
                    fork_worker(decoded.request);
                else
                    ::_exit(76); // EX_PROTOCOL
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

    // Only a worker not yet reaped is killed: its pid cannot have been reused.
    void discard_worker(pid_t pid) {
        if (exit_pipes_.count(pid))
            ::kill(pid, SIGKILL);
    }

    void fork_worker(const Request& request) {
        Reply reply;
        try {
            auto [parent_end, child_end] = posix::make_socketpair();
            auto [exit_read, exit_write] = posix::make_pipe();
            // The exit-status pipe tells only what this server relays, and a stopped server
            // relays nothing. Where the pool cannot open a pidfd on the worker, the worker's own
            // death pipe (the write end is the worker's alone) tells the pool of its exit instead.
            UniqueFd death_read, death_write;
            if (!posix::kernel_has_pidfd())
                std::tie(death_read, death_write) = posix::make_pipe();
            const pid_t server = ::getpid();
            const pid_t pid = ::fork();
            if (pid < 0)
                posix::throw_errno("fork");
            if (pid == 0)
                become_worker(server, child_end.get(), death_write.get(), request);
            reply.pid = pid;
            exit_pipes_.emplace(pid, std::move(exit_write));
            const int fds[kMostReplyDescriptors] = {parent_end.get(), exit_read.get(),
                                                    death_read.get()};
            send_reply(control_, reply, fds, death_read.valid() ? 3 : 2);
        } catch (const std::system_error& e) {
            reply.error = e.code().value() ? e.code().value() : EAGAIN;
            send_reply(control_, reply, nullptr, 0);
        }
    }

    [[noreturn]] static void become_worker(pid_t server, int channel, int death_write,
                                           const Request& request) {
        signal(SIGCHLD, SIG_DFL);
        posix::die_with_parent(server);
        // Everything but the channel (and its own death pipe, at 4) goes: the control socket,
        // the self-pipe and the siblings' exit and death pipes, whose write ends a worker must
        // never hold.
        const int keep[2] = {channel, death_write};
        const int kept = death_write >= 0 ? 2 : 1;
        if (!posix::place_descriptors(keep, kept))
            posix::exit_without_descriptors("a forkserver worker's channel");
        posix::close_from(kWorkerChannelFd + kept);
        WorkerSettings settings{std::size_t(request.max_frame),
                                request.measure_private_memory != 0};
        settings.slot = request.slot;
        run_worker(kWorkerChannelFd, settings);
    }

    int control_;
    std::unordered_map<pid_t, UniqueFd> exit_pipes_;
};

} // namespace

void run_forkserver(int control_fd) {
    set_forkserver_process_title();
    Server(control_fd).run();
}

} // namespace poolcore
