// SPDX-License-Identifier: GPL-3.0-or-later
// POSIX process mechanisms the launchers share: descriptors, exit watching (pidfd or a death
// pipe), signals, reaping, thread counting and memory readings.
#include "poolcore/forkserver.h"
#include "platform/posix/posix_process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif
#ifdef __APPLE__
#include <libproc.h>
#include <mach/mach.h>
#endif

#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <system_error>

namespace poolcore {

std::string ExitStatus::describe() const {
    if (!known)
        return "unknown exit status";
    if (!signaled)
        return "exitcode " + std::to_string(code);
    return "signal " + std::to_string(code) + " (" + std::string(signal_name(code)) + ")";
}

std::string_view signal_name(int signal) {
    switch (signal) {
    case SIGHUP:
        return "SIGHUP";
    case SIGINT:
        return "SIGINT";
    case SIGQUIT:
        return "SIGQUIT";
    case SIGILL:
        return "SIGILL";
    case SIGTRAP:
        return "SIGTRAP";
    case SIGABRT:
        return "SIGABRT";
    case SIGBUS:
        return "SIGBUS";
    case SIGFPE:
        return "SIGFPE";
    case SIGKILL:
        return "SIGKILL";
    case SIGUSR1:
        return "SIGUSR1";
    case SIGSEGV:
        return "SIGSEGV";
    case SIGUSR2:
        return "SIGUSR2";
    case SIGPIPE:
        return "SIGPIPE";
    case SIGALRM:
        return "SIGALRM";
    case SIGTERM:
        return "SIGTERM";
    case SIGCHLD:
        return "SIGCHLD";
    case SIGCONT:
        return "SIGCONT";
    case SIGSTOP:
        return "SIGSTOP";
    case SIGTSTP:
        return "SIGTSTP";
    case SIGXCPU:
        return "SIGXCPU";
    case SIGXFSZ:
        return "SIGXFSZ";
    case SIGSYS:
        return "SIGSYS";
    default:
        return "SIG?";
    }
}

int parse_signal(std::string_view text) {
    if (text.empty())
        return 0;
    if (text.find_first_not_of("0123456789") == std::string_view::npos) {
        const int n = std::atoi(std::string(text).c_str());
        return n > 0 && n < NSIG ? n : 0;
    }
    std::string name(text);
    for (auto& c : name)
        c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    if (name.rfind("SIG", 0) != 0)
        name = "SIG" + name;
    for (int s = 1; s < NSIG; ++s)
        if (signal_name(s) == name)
            return s;
    return 0;
}

namespace posix {

void throw_errno(const char* what) {
    throw std::system_error(errno, std::generic_category(), what);
}

void set_nonblocking(int fd) {
    const int flags = ::fcntl(fd, F_GETFL);
    if (flags < 0 || ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0)
        throw_errno("fcntl(O_NONBLOCK)");
}

std::pair<UniqueFd, UniqueFd> make_socketpair() {
    int sv[2];
#ifdef SOCK_CLOEXEC
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
        throw_errno("socketpair");
#else
    if (::socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0)
        throw_errno("socketpair");
    ::fcntl(sv[0], F_SETFD, FD_CLOEXEC);
    ::fcntl(sv[1], F_SETFD, FD_CLOEXEC);
#endif
#ifdef SO_NOSIGPIPE
    const int one = 1;
    ::setsockopt(sv[0], SOL_SOCKET, SO_NOSIGPIPE, &one, sizeof one);
    ::setsockopt(sv[1], SOL_SOCKET, SO_NOSIGPIPE, &one, sizeof one);
#endif
    return {UniqueFd(sv[0]), UniqueFd(sv[1])};
}

std::pair<UniqueFd, UniqueFd> make_pipe() {
    int p[2];
    if (::pipe(p) != 0)
        throw_errno("pipe");
    ::fcntl(p[0], F_SETFD, FD_CLOEXEC);
    ::fcntl(p[1], F_SETFD, FD_CLOEXEC);
    return {UniqueFd(p[0]), UniqueFd(p[1])};
}

UniqueFd open_pidfd(pid_t pid) {
#if defined(__linux__) && defined(SYS_pidfd_open)
    const int fd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)); // always close-on-exec
    if (fd >= 0)
        return UniqueFd(fd);
#else
    (void)pid;
#endif
    return {};
}

bool kernel_has_pidfd() {
    static const bool has = open_pidfd(::getpid()).valid();
    return has;
}

void close_from(int first) {
#if defined(__linux__) && defined(SYS_close_range)
    if (::syscall(SYS_close_range, first, ~0U, 0) == 0)
        return;
#endif
    const long max = ::sysconf(_SC_OPEN_MAX);
    for (long fd = first; fd < (max > 0 ? max : 65536); ++fd)
        ::close(static_cast<int>(fd));
}

bool pin_descriptor(int fd, int target) {
    if (fd == target)
        return ::fcntl(fd, F_SETFD, 0) == 0; // keep it across exec
    const int high = ::fcntl(fd, F_DUPFD, 64);
    return high >= 0 && ::dup2(high, target) == target;
}

void die_with_parent(pid_t expected_parent) {
#ifdef __linux__
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
#endif
    if (::getppid() != expected_parent) // the parent died before the signal was armed
        ::_exit(1);
}

ExitStatus decode_wait_status(int status) {
    if (WIFSIGNALED(status))
        return ExitStatus{true, true, WTERMSIG(status)};
    return ExitStatus{true, false, WEXITSTATUS(status)};
}

ExitStatus wait_for_child(pid_t pid) {
    int status = 0;
    for (;;) {
        const pid_t r = ::waitpid(pid, &status, 0);
        if (r == pid)
            return decode_wait_status(status);
        if (r < 0 && errno == EINTR)
            continue;
        return ExitStatus{false, false, 0};
    }
}

int running_thread_count() {
#ifdef __linux__
    std::FILE* f = std::fopen("/proc/self/status", "r");
    if (!f)
        return 1;
    char line[256];
    int threads = 1;
    while (std::fgets(line, sizeof line, f))
        if (std::sscanf(line, "Threads: %d", &threads) == 1)
            break;
    std::fclose(f);
    return threads;
#elif defined(__APPLE__)
    thread_act_array_t threads = nullptr;
    mach_msg_type_number_t count = 0;
    if (::task_threads(::mach_task_self(), &threads, &count) != KERN_SUCCESS)
        return 1;
    for (mach_msg_type_number_t i = 0; i < count; ++i)
        ::mach_port_deallocate(::mach_task_self(), threads[i]);
    ::vm_deallocate(::mach_task_self(), reinterpret_cast<vm_address_t>(threads),
                    sizeof(*threads) * count);
    return int(count);
#else
    return 1;
#endif
}

bool PosixLauncher::send_signal(pid_t pid, int signal, std::uint32_t job_tag) {
    if (pid <= 0)
        return false;
#ifdef __linux__
    if (job_tag != 0) {
        sigval value{};
        value.sival_int = static_cast<int>(job_tag);
        return ::sigqueue(pid, signal, value) == 0;
    }
#else
    (void)job_tag;
#endif
    return ::kill(pid, signal) == 0;
}

std::uint64_t resident_kib_of(pid_t pid) {
#ifdef __linux__
    std::ifstream statm("/proc/" + std::to_string(pid) + "/statm");
    std::uint64_t size = 0, resident = 0;
    if (statm >> size >> resident)
        return resident * static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE)) / 1024;
    return 0;
#elif defined(__APPLE__)
    proc_taskinfo info{};
    if (::proc_pidinfo(pid, PROC_PIDTASKINFO, 0, &info, sizeof info) == sizeof info)
        return info.pti_resident_size / 1024;
    return 0;
#else
    (void)pid;
    return 0;
#endif
}

std::uint64_t PosixLauncher::resident_kib(pid_t pid) {
    return resident_kib_of(pid);
}

} // namespace posix

std::unique_ptr<ProcessLauncher> make_launcher(const PoolOptions& options) {
    switch (options.effective_start_method()) {
    case StartMethod::Fork:
        return make_fork_launcher(options.allow_fork_with_threads);
    case StartMethod::Spawn:
        return make_spawn_launcher(options.worker_program);
    case StartMethod::Forkserver:
        if (options.forkserver)
            return make_forkserver_launcher(options.forkserver);
        try {
            return make_forkserver_launcher(ForkServer::start());
        } catch (const std::exception& e) {
            throw PoolError(std::string("could not start the forkserver: ") + e.what());
        }
    }
    throw PoolError("unknown start method");
}

std::uint64_t current_resident_kib() {
#ifdef __linux__
    std::FILE* f = std::fopen("/proc/self/statm", "r");
    if (!f)
        return 0;
    unsigned long long size = 0, resident = 0;
    const int n = std::fscanf(f, "%llu %llu", &size, &resident);
    std::fclose(f);
    return n == 2 ? resident * static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE)) / 1024 : 0;
#else
    return posix::resident_kib_of(::getpid());
#endif
}

std::uint64_t current_private_kib() {
#ifdef __linux__
    std::FILE* f = std::fopen("/proc/self/smaps_rollup", "r");
    if (!f)
        return current_resident_kib();
    char line[256];
    std::uint64_t total = 0;
    while (std::fgets(line, sizeof line, f)) {
        unsigned long long kib = 0;
        if (std::sscanf(line, "Private_Clean: %llu kB", &kib) == 1 ||
            std::sscanf(line, "Private_Dirty: %llu kB", &kib) == 1)
            total += kib;
    }
    std::fclose(f);
    return total;
#else
    return current_resident_kib();
#endif
}

} // namespace poolcore
