// SPDX-License-Identifier: GPL-3.0-or-later
// POSIX process mechanisms: fork launching, exit watching (pidfd or a death pipe), signals,
// reaping and resident memory.
#include "poolcore/platform/process_launcher.h"
#include "poolcore/worker_main.h"

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

namespace {

[[noreturn]] void throw_errno(const char* what) {
    throw std::system_error(errno, std::generic_category(), what);
}

void set_nonblocking(int fd) {
    const int flags = ::fcntl(fd, F_GETFL);
    if (flags < 0 || ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0)
        throw_errno("fcntl(O_NONBLOCK)");
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

// Closes every descriptor from `first` up, in the child, between fork and the worker loop.
void close_from(int first) {
#if defined(__linux__) && defined(SYS_close_range)
    if (::syscall(SYS_close_range, first, ~0U, 0) == 0)
        return;
#endif
    const long max = ::sysconf(_SC_OPEN_MAX);
    for (long fd = first; fd < (max > 0 ? max : 65536); ++fd)
        ::close(static_cast<int>(fd));
}

class ForkLauncher final : public ProcessLauncher {
public:
    std::string_view name() const override { return "fork"; }

    LaunchedWorker launch(const WorkerSettings& settings) override {
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
        UniqueFd parent_end(sv[0]);
        UniqueFd child_end(sv[1]);
#ifdef SO_NOSIGPIPE
        const int one = 1;
        ::setsockopt(sv[0], SOL_SOCKET, SO_NOSIGPIPE, &one, sizeof one);
#endif
        // Without pidfd, exit is seen as EOF on a pipe whose write end only the child holds.
        UniqueFd death_read, death_write;
        if (!kernel_has_pidfd()) {
            int p[2];
            if (::pipe(p) != 0)
                throw_errno("pipe");
            death_read.reset(p[0]);
            death_write.reset(p[1]);
            ::fcntl(p[0], F_SETFD, FD_CLOEXEC);
            ::fcntl(p[1], F_SETFD, FD_CLOEXEC);
        }

        const pid_t parent = ::getpid();
        std::fflush(nullptr);
        const pid_t pid = ::fork();
        if (pid < 0)
            throw_errno("fork");
        if (pid == 0)
            become_worker(parent, child_end.get(), death_write.get(), settings);

        LaunchedWorker w;
        w.pid = pid;
        child_end.reset();
        death_write.reset();
        set_nonblocking(parent_end.get());
        w.channel = std::move(parent_end);
        w.exit_fd = death_read.valid() ? std::move(death_read) : open_pidfd(pid);
        if (!w.exit_fd.valid()) {
            ::kill(pid, SIGKILL);
            ExitStatus ignored = reap(pid);
            (void)ignored;
            throw std::system_error(errno, std::generic_category(), "pidfd_open");
        }
        return w;
    }

    ExitStatus reap(pid_t pid) override {
        int status = 0;
        for (;;) {
            const pid_t r = ::waitpid(pid, &status, 0);
            if (r == pid)
                break;
            if (r < 0 && errno == EINTR)
                continue;
            return ExitStatus{false, false, 0};
        }
        if (WIFSIGNALED(status))
            return ExitStatus{true, true, WTERMSIG(status)};
        return ExitStatus{true, false, WEXITSTATUS(status)};
    }

    bool send_signal(pid_t pid, int signal, std::uint32_t job_tag) override {
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

    std::uint64_t resident_kib(pid_t pid) override {
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

private:
    [[noreturn]] static void become_worker(pid_t parent, int channel, int death_write,
                                           const WorkerSettings& settings) {
#ifdef __linux__
        ::prctl(PR_SET_PDEATHSIG, SIGKILL);
#endif
        if (::getppid() != parent) // the parent died before PDEATHSIG was armed
            ::_exit(1);
        // Park both descriptors high, then pin them to 3 (channel) and 4 (death pipe) so that
        // closing everything above leaves the worker holding nothing of its siblings' or the
        // parent's event loop.
        const int ch = ::fcntl(channel, F_DUPFD, 64);
        const int dw = death_write >= 0 ? ::fcntl(death_write, F_DUPFD, 64) : -1;
        if (ch < 0 || ::dup2(ch, kWorkerChannelFd) < 0)
            ::_exit(70);
        int keep = kWorkerChannelFd + 1;
        if (dw >= 0) {
            if (::dup2(dw, keep) < 0)
                ::_exit(70);
            ++keep;
        }
        close_from(keep);
        run_worker(kWorkerChannelFd, settings);
    }
};

} // namespace

std::unique_ptr<ProcessLauncher> make_fork_launcher() {
    return std::make_unique<ForkLauncher>();
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
    return make_fork_launcher()->resident_kib(::getpid());
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
