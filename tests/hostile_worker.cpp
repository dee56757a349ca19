// SPDX-License-Identifier: GPL-3.0-or-later
// A worker program (PoolOptions::worker_program) that misbehaves on purpose, for
// test_pool_hostile. The first process started with a given token file takes the token (creating
// the file, and writing its pid into it) and acts out POOLSCOPE_HOSTILE_MODE, speaking the wire
// protocol by hand; every later one is the real worker, so that the pool has something to
// replace the hostile one with and every job can end.
#include "platform/entry_flags.h"
#include "poolcore/worker_entry.h"
#include "protocol/wire_protocol.h"

#include <cerrno>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <string>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

using namespace poolcore;

namespace {

constexpr int kChannel = kWorkerChannelFd;

void write_all(const std::string& bytes) {
    std::size_t done = 0;
    while (done < bytes.size()) {
        const ssize_t n = ::write(kChannel, bytes.data() + done, bytes.size() - done);
        if (n > 0)
            done += std::size_t(n);
        else if (n < 0 && errno == EINTR)
            continue;
        else
            ::_exit(0); // the parent dropped the channel: the act is over
    }
}

void sleep_ms(long ms) {
    timespec ts{ms / 1000, (ms % 1000) * 1'000'000};
    while (::nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

[[noreturn]] void wait_forever() {
    for (;;)
        ::pause();
}

std::string header(std::uint32_t length, std::uint8_t type) {
    std::string s(4, '\0');
    std::memcpy(s.data(), &length, 4);
    s.push_back(char(type));
    return s;
}

void say_up(std::int32_t pid) {
    std::string out;
    wire::append_worker_up(out, {pid, 1024});
    write_all(out);
}

std::string ack_frame(JobId id) {
    std::string out;
    wire::append_ack(out, {id, 1});
    return out;
}

std::string ready_frame(JobId id, std::uint8_t outcome, std::string_view payload) {
    std::string out;
    wire::append_ready(out, id, static_cast<Outcome>(outcome), 1024, 0, payload);
    return out;
}

// The next job the parent writes (blocking).
wire::JobMessage read_job(std::size_t max_frame) {
    static wire::FrameDecoder decoder(wire::Peer::Worker, max_frame);
    wire::Message message;
    for (;;) {
        const auto status = decoder.next(message);
        if (status == wire::FrameDecoder::Status::Message)
            return std::get<wire::JobMessage>(message);
        if (status == wire::FrameDecoder::Status::Error)
            ::_exit(76);
        const ssize_t n = ::read(kChannel, decoder.prepare(64 * 1024), 64 * 1024);
        if (n == 0 || (n < 0 && errno != EINTR))
            ::_exit(0);
        if (n > 0)
            decoder.commit(std::size_t(n));
    }
}

// After its act, a worker that behaves: every job is an echo of its payload.
[[noreturn]] void serve(std::size_t max_frame) {
    for (;;) {
        const wire::JobMessage job = read_job(max_frame);
        write_all(ack_frame(job.job_id) + ready_frame(job.job_id, 0, job.payload));
    }
}

// Acts out `mode`; false if there is no such mode.
bool misbehave(const std::string& mode, std::size_t max_frame, const char* token) {
    const auto pid = std::int32_t(::getpid());
    const auto up_and_take_job = [&] {
        say_up(pid);
        return read_job(max_frame);
    };
    const auto up_and_ack = [&] {
        const wire::JobMessage job = up_and_take_job();
        write_all(ack_frame(job.job_id));
        return job;
    };
    if (mode == "garbage_before_up") {
        write_all("this is not a frame\n");
        say_up(pid);
    } else if (mode == "garbage_after_up") {
        say_up(pid);
        write_all("this is not a frame\n");
    } else if (mode == "huge_length") {
        up_and_ack();
        write_all(header(0xFFFFFFFFu, std::uint8_t(wire::FrameType::Ready)));
    } else if (mode == "unknown_frame_type") {
        up_and_ack();
        write_all(header(1, 0x7f));
    } else if (mode == "job_frame_from_worker") {
        const wire::JobMessage job = up_and_take_job();
        std::string out;
        wire::append_job(out, job.job_id, job.task, job.argument, job.payload);
        write_all(out);
    } else if (mode == "worker_up_twice") {
        say_up(pid);
        say_up(pid);
    } else if (mode == "worker_up_wrong_pid") {
        say_up(pid + 1);
    } else if (mode == "ready_for_unsent_job") {
        const wire::JobMessage job = up_and_ack();
        write_all(ready_frame(job.job_id + 1000, 0, "never sent"));
    } else if (mode == "ready_before_ack") {
        const wire::JobMessage job = up_and_take_job();
        write_all(ready_frame(job.job_id, 0, job.payload));
    } else if (mode == "second_result") {
        const wire::JobMessage job = up_and_ack();
        write_all(ready_frame(job.job_id, 0, job.payload) + ready_frame(job.job_id, 0, "again"));
    } else if (mode == "invalid_outcome") {
        const wire::JobMessage job = up_and_ack();
        write_all(ready_frame(job.job_id, 200, job.payload));
    } else if (mode == "answer_then_exit") {
        // The result comes late and the worker exits at once, input unread: the parent, which
        // writes the next job before it reads this socket again, finds the channel gone.
        const wire::JobMessage job = up_and_ack();
        sleep_ms(300);
        write_all(ready_frame(job.job_id, 0, job.payload));
        ::_exit(0);
    } else if (mode == "close_after_ack") {
        up_and_ack();
        ::close(kChannel);
    } else if (mode == "half_close_after_ack") {
        up_and_ack();
        ::shutdown(kChannel, SHUT_WR);
    } else if (mode == "flood_without_reading") {
        // One frame of the largest length allowed, written as fast as the socket takes it, and
        // then more: never a byte read, while the parent tries to write a large job.
        say_up(pid);
        write_all(header(std::uint32_t(max_frame), std::uint8_t(wire::FrameType::Ready)));
        const std::string block(64 * 1024, 'A');
        for (;;)
            write_all(block);
    } else if (mode == "never_up") {
        // nothing at all
    } else if (mode == "exit_before_up") {
        ::_exit(3);
    } else if (mode == "grandchild_holds_channel") {
        up_and_ack();
        const pid_t child = ::fork();
        if (child == 0) {
            // Holds the channel (inherited) well past its parent's end; the test kills it.
            const int fd = ::open(token, O_WRONLY | O_APPEND);
            const std::string line = " " + std::to_string(::getpid());
            [[maybe_unused]] auto n = ::write(fd, line.data(), line.size());
            ::close(fd);
            sleep_ms(30'000);
            ::_exit(0);
        }
        sleep_ms(100); // the grandchild has written its pid
        ::_exit(5);
    } else if (mode == "ignore_sigterm") {
        std::signal(SIGTERM, SIG_IGN);
        up_and_ack();
    } else if (mode == "stop_before_up") {
        ::raise(SIGSTOP);
        say_up(pid);
    } else if (mode == "stop_after_up") {
        say_up(pid);
        ::raise(SIGSTOP);
    } else if (mode == "silent_after_job") {
        up_and_take_job(); // read, and never acknowledged
    } else if (mode == "stop_after_ack") {
        up_and_ack();
        ::raise(SIGSTOP);
    } else if (mode == "slow_loris_result") {
        // A whole, valid result, one byte every 5 ms: the parent must assemble it, not judge it.
        const wire::JobMessage job = up_and_take_job();
        const std::string bytes = ack_frame(job.job_id) + ready_frame(job.job_id, 0, job.payload);
        for (char c : bytes) {
            write_all(std::string(1, c));
            sleep_ms(5);
        }
        serve(max_frame);
    } else if (mode == "slow_loris_stall") {
        // Ack, then a result frame of the largest length, one byte every 100 ms: it never ends.
        up_and_ack();
        const std::string start = header(std::uint32_t(max_frame), 0x12);
        for (std::size_t i = 0;; ++i) {
            write_all(std::string(1, i < start.size() ? start[i] : 'A'));
            sleep_ms(100);
        }
    } else {
        return false;
    }
    return true;
}

} // namespace

int main(int argc, char** argv) {
    // argv: program --poolcore-worker PARENT_PID MAX_FRAME MEASURE_PRIVATE SLOT (worker_entry.cpp)
    const char* mode = std::getenv("POOLSCOPE_HOSTILE_MODE");
    const char* token = std::getenv("POOLSCOPE_HOSTILE_TOKEN");
    if (argc == 6 && std::strcmp(argv[1], entry::kWorkerFlag) == 0 && mode && token) {
        const int fd = ::open(token, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (fd >= 0) {
            ::prctl(PR_SET_PDEATHSIG, SIGKILL); // never outlives a test that died
            const std::string pid = std::to_string(::getpid());
            [[maybe_unused]] auto n = ::write(fd, pid.data(), pid.size());
            ::close(fd);
            const std::size_t max_frame = std::strtoull(argv[3], nullptr, 10);
            if (!misbehave(mode, max_frame, token)) {
                std::fprintf(stderr, "hostile_worker: unknown mode '%s'\n", mode);
                return 64;
            }
            wait_forever(); // until the pool kills it
        }
    }
    poolcore::run_worker_if_requested(argc, argv);
    std::fprintf(stderr, "hostile_worker: start me as a poolcore worker program\n");
    return 64;
}
