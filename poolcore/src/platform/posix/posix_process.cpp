// SPDX-License-Identifier: MIT
// POSIX process mechanisms the launchers share: descriptors, exit watching (pidfd or a death
// pipe), signals, reaping, spawning a program image and thread counting.
#include "platform/posix/posix_process.h"

#include "platform/entry_flags.h"
#include "platform/posix/process_memory.h"

#include <climits>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif
#ifdef __APPLE__
#include <mach-o/dyld.h>
#include <mach/mach.h>
#endif

extern char** environ;

#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <system_error>

namespace poolcore {

namespace posix {

std::string program_image_path() {
#ifdef __APPLE__
    char path[PATH_MAX];
    std::uint32_t size = sizeof path;
    if (::_NSGetExecutablePath(path, &size) == 0)
        return path;
    throw std::runtime_error("cannot tell this program's path");
#else
    return "/proc/self/exe"; // still the right image if the file was replaced since
#endif
}

std::string program_file_name() {
#ifdef __linux__
    char path[PATH_MAX];
    const ssize_t n = ::readlink("/proc/self/exe", path, sizeof path - 1);
    if (n > 0)
        return std::string(path, std::size_t(n));
#endif
    return program_image_path();
}

std::string executable_file_problem(const std::string& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(path.c_str(), X_OK) == 0)
        return {};
    return "'" + path + "' is not an executable file";
}

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
    // Process-wide and written once: the kernel does not change under a running program.
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

UniqueFd watch_exit_or_kill(pid_t pid, UniqueFd death_read) {
    UniqueFd watch = death_read.valid() ? std::move(death_read) : open_pidfd(pid);
    if (!watch.valid()) {
        const int error = errno;
        ::kill(pid, SIGKILL);
        wait_for_child(pid);
        throw std::system_error(error, std::generic_category(), "pidfd_open");
    }
    return watch;
}

LaunchedWorker adopt_child(pid_t pid, UniqueFd channel, UniqueFd death_read) {
    LaunchedWorker w;
    w.pid = pid;
    set_nonblocking(channel.get());
    w.channel = std::move(channel);
    w.exit_fd = watch_exit_or_kill(pid, std::move(death_read));
    return w;
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

bool PosixLauncher::soft_limit(pid_t pid, std::uint32_t job_tag) {
    return send_signal(pid, SIGUSR1, job_tag);
}

bool PosixLauncher::terminate(pid_t pid) {
    return send_signal(pid, SIGTERM);
}

bool PosixLauncher::kill(pid_t pid) {
    return send_signal(pid, SIGKILL);
}

bool PosixLauncher::deliver(pid_t pid, int signal) {
    return send_signal(pid, signal);
}

ExitStatus PosixLauncher::reap(pid_t pid, int) {
    return wait_for_child(pid);
}

std::uint64_t PosixLauncher::resident_kib(pid_t pid) {
    return resident_kib_of(pid);
}

namespace {

class SpawnAttributes {
public:
    SpawnAttributes() {
        ::posix_spawnattr_init(&attr_);
        ::posix_spawn_file_actions_init(&actions_);
        // A fresh start for signals: nothing blocked, nothing ignored (a threaded parent may
        // have blocked some for its own signal thread).
        sigset_t none, all;
        sigemptyset(&none);
        sigfillset(&all);
        ::posix_spawnattr_setsigmask(&attr_, &none);
        ::posix_spawnattr_setsigdefault(&attr_, &all);
        ::posix_spawnattr_setflags(&attr_, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    }
    ~SpawnAttributes() {
        ::posix_spawn_file_actions_destroy(&actions_);
        ::posix_spawnattr_destroy(&attr_);
    }
    SpawnAttributes(const SpawnAttributes&) = delete;
    SpawnAttributes& operator=(const SpawnAttributes&) = delete;

    posix_spawnattr_t attr_;
    posix_spawn_file_actions_t actions_;
};

} // namespace

pid_t spawn_program(const std::string& program, const std::vector<std::string>& arguments,
                    const std::vector<int>& descriptors) {
    if (program.empty() && !worker_entry_installed())
        throw std::runtime_error(
            "spawning a worker needs poolcore::run_worker_if_requested(argc, argv) at the top of "
            "this program's main(); without it the new process would run the program itself");
    // Hand the descriptors over from numbers above any target, so no target overwrites a
    // source; everything else is close-on-exec already, and closed outright where possible.
    std::vector<UniqueFd> sources;
    SpawnAttributes spawn;
    int target = kWorkerChannelFd;
    for (int fd : descriptors) {
        UniqueFd high(::fcntl(fd, F_DUPFD_CLOEXEC, 16));
        if (!high.valid())
            throw_errno("fcntl(F_DUPFD_CLOEXEC)");
        ::posix_spawn_file_actions_adddup2(&spawn.actions_, high.get(), target++);
        sources.push_back(std::move(high));
    }
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 34))
    // Descriptors an embedder opened without close-on-exec must not reach workers either.
    ::posix_spawn_file_actions_addclosefrom_np(&spawn.actions_, target);
#endif
    const std::string path = program.empty() ? program_image_path() : program;
    std::vector<std::string> args;
    args.push_back(program.empty() ? program_file_name() : program);
    args.insert(args.end(), arguments.begin(), arguments.end());
    std::vector<char*> argv;
    for (auto& a : args)
        argv.push_back(a.data());
    argv.push_back(nullptr);

    pid_t pid = 0;
    const int error =
        ::posix_spawn(&pid, path.c_str(), &spawn.actions_, &spawn.attr_, argv.data(), environ);
    if (error != 0)
        throw std::system_error(error, std::generic_category(), "posix_spawn");
    return pid;
}

} // namespace posix

} // namespace poolcore
