// SPDX-License-Identifier: MIT
#include "worker/worker_main.h"

#include "platform/process_memory.h"
#include "platform/process_title.h"
#include "platform/socket_io.h"
#include "poolcore/task_registry.h"
#include "protocol/wire_protocol.h"

#include <atomic>
#include <cerrno>
#include <cstring>
#include <time.h>
#include <unistd.h>
#ifdef _WIN32
#include <thread>
#include <windows.h>
#else
#include <fcntl.h>
#include <signal.h>
#endif

namespace poolcore {

namespace {

// Shared with the SIGUSR1 handler (POSIX) or the control reader (Windows), so it has to be
// static storage; it exists only in workers.
std::atomic<bool> g_soft_limit_hit{false};
std::atomic<std::uint32_t> g_current_job_tag{0};

static_assert(std::atomic<bool>::is_always_lock_free);
static_assert(std::atomic<std::uint32_t>::is_always_lock_free);

// A soft limit for job `tag` (0: whatever runs now); one for a job already finished is stale.
void soft_limit_arrived(std::uint32_t tag) {
    if (tag == 0 || tag == g_current_job_tag.load(std::memory_order_relaxed))
        g_soft_limit_hit.store(true, std::memory_order_relaxed);
}

#ifdef _WIN32

// Windows has no SIGUSR1: the parent writes soft-limit frames to the control channel, and this
// thread turns each into the same flag the POSIX handler sets. It ends with the channel (the
// parent is gone, and the job channel's end of stream retires the worker).
void read_control_frames(int control_fd) {
    wire::FrameDecoder decoder(wire::Peer::Worker, 64);
    wire::Message message;
    for (;;) {
        const long n = platform::recv_some(control_fd, decoder.prepare(64), 64);
        if (n <= 0) {
            if (n < 0 && platform::last_io_failure().kind == platform::IoError::Interrupted)
                continue;
            return;
        }
        decoder.commit(std::size_t(n));
        for (;;) {
            const auto status = decoder.next(message);
            if (status == wire::FrameDecoder::Status::NeedMore)
                break;
            if (status == wire::FrameDecoder::Status::Error)
                ::_exit(76); // EX_PROTOCOL: the parent sent garbage
            if (auto* soft = std::get_if<wire::SoftLimitMessage>(&message))
                soft_limit_arrived(soft->job_tag);
        }
    }
}

// A crash ends the worker with its exception code as the exit status (0xC0000005 for an access
// violation), at once: no error dialog, no debugger, nothing waiting for a user who is not there.
LONG WINAPI exit_with_exception_code(EXCEPTION_POINTERS* info) {
    ::TerminateProcess(::GetCurrentProcess(), info->ExceptionRecord->ExceptionCode);
    return EXCEPTION_EXECUTE_HANDLER;
}

void prepare_worker_process(const WorkerSettings& settings) {
    ::SetErrorMode(SEM_FAILCRITICALERRORS | SEM_NOGPFAULTERRORBOX | SEM_NOOPENFILEERRORBOX);
    ::SetUnhandledExceptionFilter(exit_with_exception_code);
    if (settings.control_fd >= 0)
        std::thread(read_control_frames, settings.control_fd).detach();
}

#else

void on_soft_limit_signal(int, siginfo_t* info, void*) {
    // A tagged signal (sigqueue) for a job this worker has already finished is stale: drop it.
    soft_limit_arrived(info && info->si_code == SI_QUEUE
                           ? static_cast<std::uint32_t>(info->si_value.sival_int)
                           : 0u);
}

void install_worker_signals() {
    sigset_t all;
    sigemptyset(&all);
    sigprocmask(SIG_SETMASK, &all, nullptr); // a threaded parent may have blocked some

    struct sigaction sa {};
    sa.sa_handler = SIG_DFL;
    sigemptyset(&sa.sa_mask);
    for (int sig : {SIGTERM, SIGHUP, SIGQUIT, SIGCHLD, SIGUSR2, SIGALRM})
        sigaction(sig, &sa, nullptr);
    // Ctrl-C reaches the whole process group; the parent decides how the pool stops.
    sa.sa_handler = SIG_IGN;
    sigaction(SIGINT, &sa, nullptr);
    sigaction(SIGPIPE, &sa, nullptr);

    struct sigaction soft {};
    soft.sa_sigaction = on_soft_limit_signal;
    soft.sa_flags = SA_SIGINFO | SA_RESTART;
    sigemptyset(&soft.sa_mask);
    sigaction(SIGUSR1, &soft, nullptr);
}

void prepare_worker_process(const WorkerSettings&) {
    install_worker_signals();
}

#endif

void write_all(int fd, const std::string& bytes) {
    std::size_t done = 0;
    while (done < bytes.size()) {
        const long n = platform::send_some(fd, bytes.data() + done, bytes.size() - done);
        if (n > 0) {
            done += std::size_t(n);
        } else if (n < 0 && platform::last_io_failure().kind == platform::IoError::Interrupted) {
            continue;
        } else {
            ::_exit(0); // the parent is gone; nobody is left to tell
        }
    }
}

std::int64_t monotonic_ns() {
    timespec ts{};
    ::clock_gettime(CLOCK_MONOTONIC, &ts);
    return std::int64_t(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

// Resident memory, read at most every 20 ms: reading /proc costs three system calls, as many as
// the rest of a no-op job (it doubled fcfs throughput to drop them), and the figure is only
// shown (recycling by memory reads private memory after every job, see WorkerSettings).
class ResidentMemoryGauge {
public:
    std::uint64_t kib() {
        const std::int64_t now = monotonic_ns();
        if (kib_ == 0 || now - measured_at_ >= kInterval) {
            kib_ = current_resident_kib();
            measured_at_ = now;
        }
        return kib_;
    }

private:
    static constexpr std::int64_t kInterval = 20'000'000;
    std::int64_t measured_at_ = 0;
    std::uint64_t kib_ = 0;
};

void run_job(int fd, const wire::JobMessage& job, const WorkerSettings& settings,
             ResidentMemoryGauge& resident, std::string& out) {
    g_current_job_tag.store(static_cast<std::uint32_t>(job.job_id), std::memory_order_relaxed);
    g_soft_limit_hit.store(false, std::memory_order_relaxed);

    out.clear();
    wire::append_ack(out, {job.job_id, monotonic_ns()});
    write_all(fd, out);

    Outcome outcome = Outcome::Success;
    std::string result;
    try {
        TaskContext ctx(job.job_id, job.argument, job.payload, &g_soft_limit_hit);
        result = TaskRegistry::global().run(job.task, ctx);
    } catch (const SoftTimeLimitExceeded& e) {
        outcome = Outcome::SoftTimeLimit;
        result = e.what();
    } catch (const std::exception& e) {
        outcome = Outcome::TaskError;
        result = e.what();
    } catch (...) {
        outcome = Outcome::TaskError;
        result = "task threw a non-standard exception";
    }
    g_current_job_tag.store(0, std::memory_order_relaxed);

    out.clear();
    wire::append_ready(out, job.job_id, outcome, resident.kib(),
                       settings.measure_private_memory ? current_private_kib() : 0, result);
    write_all(fd, out);
}

} // namespace

void run_worker(int fd, const WorkerSettings& settings) {
    prepare_worker_process(settings);
    set_worker_process_title(settings.slot);
    platform::set_blocking(fd);

    std::string out;
    wire::append_worker_up(out, {static_cast<std::int32_t>(::getpid()), current_resident_kib()});
    write_all(fd, out);

    wire::FrameDecoder decoder(wire::Peer::Worker,
                               settings.max_frame ? settings.max_frame : wire::kDefaultMaxFrame);
    wire::Message message;
    ResidentMemoryGauge resident;
    for (;;) {
        constexpr std::size_t chunk = 64 * 1024;
        const long n = platform::recv_some(fd, decoder.prepare(chunk), chunk);
        if (n == 0)
            ::_exit(0); // the parent closed the channel: retire
        if (n < 0) {
            if (platform::last_io_failure().kind == platform::IoError::Interrupted)
                continue;
            ::_exit(0);
        }
        decoder.commit(std::size_t(n));
        for (;;) {
            const auto status = decoder.next(message);
            if (status == wire::FrameDecoder::Status::NeedMore)
                break;
            if (status == wire::FrameDecoder::Status::Error)
                ::_exit(76); // EX_PROTOCOL: the parent sent garbage
            if (auto* soft = std::get_if<wire::SoftLimitMessage>(&message))
                soft_limit_arrived(soft->job_tag);
            else
                run_job(fd, std::get<wire::JobMessage>(message), settings, resident, out);
        }
    }
}

} // namespace poolcore
