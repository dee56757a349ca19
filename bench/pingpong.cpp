// SPDX-License-Identifier: GPL-3.0-or-later
// The limit: what the kernel allows for one parent talking to N forked children over
// socketpairs, with nothing of a pool around it. Each message has the size of a poolcore no-op
// job frame, each reply the size of its ack plus result. "one" keeps one message in flight per
// child (poolcore's fair strategy); "pipelined" keeps a window of them (fcfs with prefetch).
//
//   pingpong --processes N --count N --mode one|pipelined [--window W]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <poll.h>
#include <signal.h>
#include <string>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

namespace {

constexpr std::size_t kRequestBytes = 27; // a noop Job frame: header, id, task name, lengths
constexpr std::size_t kReplyBytes = 51;   // its Ack frame plus its Ready frame

[[noreturn]] void child(int fd) {
    // Answers every whole request with one reply, as a worker answers a job with ack + ready.
    std::vector<char> in(1 << 16), reply(kReplyBytes, 'r');
    std::size_t have = 0;
    for (;;) {
        const ssize_t n = ::read(fd, in.data() + have, in.size() - have);
        if (n <= 0)
            ::_exit(0);
        have += std::size_t(n);
        while (have >= kRequestBytes) {
            if (::write(fd, reply.data(), reply.size()) != ssize_t(reply.size()))
                ::_exit(1);
            have -= kRequestBytes;
        }
    }
}

long long option(int argc, char** argv, const char* name, long long fallback) {
    for (int i = 1; i + 1 < argc; ++i)
        if (std::strcmp(argv[i], name) == 0)
            return std::atoll(argv[i + 1]);
    return fallback;
}

std::string text_option(int argc, char** argv, const char* name, const char* fallback) {
    for (int i = 1; i + 1 < argc; ++i)
        if (std::strcmp(argv[i], name) == 0)
            return argv[i + 1];
    return fallback;
}

} // namespace

int main(int argc, char** argv) {
    const int processes = int(option(argc, argv, "--processes", 2));
    const long long count = option(argc, argv, "--count", 200000);
    const std::string mode = text_option(argc, argv, "--mode", "one");
    const long long window = mode == "one" ? 1 : option(argc, argv, "--window", 4);
    ::signal(SIGPIPE, SIG_IGN);

    std::vector<int> fds;
    std::vector<pid_t> pids;
    for (int i = 0; i < processes; ++i) {
        int sv[2];
        if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
            return 1;
        const pid_t pid = ::fork();
        if (pid == 0) {
            for (int fd : fds)
                ::close(fd);
            ::close(sv[0]);
            child(sv[1]);
        }
        ::close(sv[1]);
        fds.push_back(sv[0]);
        pids.push_back(pid);
    }

    const std::string request(kRequestBytes, 'q');
    std::vector<long long> in_flight(std::size_t(processes), 0);
    std::vector<std::size_t> partial(std::size_t(processes), 0);
    std::vector<pollfd> polls(fds.size());
    std::vector<char> buffer(1 << 16);
    long long sent = 0, answered = 0;

    const auto t0 = std::chrono::steady_clock::now();
    std::string batch;
    auto top_up = [&](std::size_t i) {
        // Everything the window allows in one write, as poolcore's channel sends every frame
        // queued for a worker at once.
        batch.clear();
        while (in_flight[i] < window && sent < count) {
            batch += request;
            ++in_flight[i];
            ++sent;
        }
        if (!batch.empty() && ::write(fds[i], batch.data(), batch.size()) != ssize_t(batch.size()))
            std::exit(1);
    };
    for (std::size_t i = 0; i < fds.size(); ++i)
        top_up(i);
    while (answered < count) {
        for (std::size_t i = 0; i < fds.size(); ++i)
            polls[i] = {fds[i], POLLIN, 0};
        if (::poll(polls.data(), polls.size(), -1) < 0)
            continue;
        for (std::size_t i = 0; i < fds.size(); ++i) {
            if (!(polls[i].revents & POLLIN))
                continue;
            const ssize_t n = ::read(fds[i], buffer.data(), buffer.size());
            if (n <= 0)
                return 1;
            partial[i] += std::size_t(n);
            const long long replies = (long long)(partial[i] / kReplyBytes);
            partial[i] %= kReplyBytes;
            in_flight[i] -= replies;
            answered += replies;
            top_up(i);
        }
    }
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    for (int fd : fds)
        ::close(fd);
    for (pid_t pid : pids)
        ::waitpid(pid, nullptr, 0);
    std::printf("{\"bench\":\"pingpong\",\"mode\":\"%s\",\"processes\":\"%d\",\"count\":\"%lld\","
                "\"window\":%lld,\"seconds\":%.6f,\"jobs_per_s\":%.1f}\n",
                mode.c_str(), processes, count, window, seconds, double(count) / seconds);
    return 0;
}
