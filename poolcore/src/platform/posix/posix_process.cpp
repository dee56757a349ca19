// SPDX-License-Identifier: MIT
// POSIX process mechanisms the launchers share: descriptors, exit watching (pidfd or a death
// pipe), signals, reaping, spawning a program image and thread counting.
#include "platform/posix/posix_process.h"

#include "platform/entry_flags.h"
#include "platform/posix/posix_features.h"
#include "platform/posix/process_memory.h"

#include <climits>
#include <dirent.h>
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
#include <sys/resource.h>
#ifdef __APPLE__
#include <mach-o/dyld.h>
#include <mach/mach.h>
#endif

extern char** environ;

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <pthread.h>
#include <system_error>
#include <time.h>

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
#if POOLCORE_LINUX_APIS
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
#if POOLCORE_LINUX_APIS && defined(SYS_pidfd_open)
    const int fd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)); // always close-on-exec
    if (fd >= 0)
        return UniqueFd(fd);
#else
    (void)pid;
    errno = ENOSYS;
#endif
    return {};
}

bool kernel_has_pidfd() {
    // Process-wide and written once: the kernel does not change under a running program.
    // Out of descriptors is no answer: only ENOSYS says the kernel has none.
    static const bool has = open_pidfd(::getpid()).valid() || errno != ENOSYS;
    return has;
}

void close_from(int first) {
#if POOLCORE_LINUX_APIS && defined(SYS_close_range)
    if (::syscall(SYS_close_range, first, ~0U, 0) == 0)
        return;
#endif
    const long max = ::sysconf(_SC_OPEN_MAX);
    for (long fd = first; fd < (max > 0 ? max : 65536); ++fd)
        ::close(static_cast<int>(fd));
}

bool place_descriptors(const int* fds, int count) {
    constexpr int kMost = 8;
    if (count < 0 || count > kMost)
        return false;
    int at[kMost];
    for (int i = 0; i < count; ++i)
        at[i] = fds[i];
    const auto holds = [&](int fd) {
        for (int k = 0; k < count; ++k)
            if (at[k] == fd)
                return true;
        return false;
    };
    const int first_free_target = kWorkerChannelFd + count;
    for (int i = 0; i < count; ++i) {
        const int target = kWorkerChannelFd + i;
        if (at[i] == target) {
            if (::fcntl(target, F_SETFD, 0) != 0) // keep it across exec
                return false;
            continue;
        }
        // A descriptor still to be placed may sit on this target: move it first, to a number
        // past every target that none of the others holds. dup2() needs no free slot there,
        // only a number under the limit, and whatever it replaces the child closes anyway.
        for (int j = i + 1; j < count; ++j) {
            if (at[j] != target)
                continue;
            int spare = first_free_target;
            while (holds(spare))
                ++spare;
            if (::dup2(at[j], spare) != spare)
                return false;
            at[j] = spare;
        }
        if (::dup2(at[i], target) != target) // the copy is not close-on-exec
            return false;
    }
    return true;
}

namespace {

// A decimal for a message written where nothing may allocate.
const char* decimal(long value, char (&buffer)[24]) {
    char* end = buffer + sizeof buffer - 1;
    *end = '\0';
    char* p = end;
    const bool negative = value < 0;
    unsigned long magnitude = negative ? 0UL - static_cast<unsigned long>(value) : value;
    do {
        *--p = char('0' + magnitude % 10);
        magnitude /= 10;
    } while (magnitude != 0);
    if (negative)
        *--p = '-';
    return p;
}

void write_text(int fd, const char* text) {
    [[maybe_unused]] auto n = ::write(fd, text, std::strlen(text));
}

} // namespace

void exit_without_descriptors(const char* what) {
    char number[24];
    write_text(2, "poolcore: a new process could not take its descriptors (");
    write_text(2, what);
    write_text(2, ": ");
    // strerror() may allocate for its locale; a forked child must not.
    const int error = errno;
    write_text(2, error == EMFILE  ? "no free descriptor"
                  : error == EBADF ? "a descriptor past the limit"
                                   : "errno ");
    if (error != EMFILE && error != EBADF)
        write_text(2, decimal(error, number));
    write_text(2, ") under RLIMIT_NOFILE ");
    write_text(2, decimal(descriptor_limit(), number));
    write_text(2, "\n");
    ::_exit(70); // EX_SOFTWARE
}

int descriptor_limit() {
    rlimit limit{};
    if (::getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY ||
        limit.rlim_cur > rlim_t(INT_MAX))
        return INT_MAX;
    return int(limit.rlim_cur);
}

int descriptors_in_use() {
    // The kernel's list is O(open), where trying every number would be O(limit). A descriptor
    // at or past the limit (inherited from a parent with a higher one) takes no number a new
    // one could have, so it does not count.
#ifdef __linux__
    const char* folder = "/proc/self/fd";
#else
    const char* folder = "/dev/fd";
#endif
    const int limit = descriptor_limit();
    DIR* dir = ::opendir(folder);
    if (!dir)
        return errno == EMFILE ? limit : 0;
    const int own = ::dirfd(dir);
    int count = 0;
    while (const dirent* entry = ::readdir(dir)) {
        if (entry->d_name[0] < '0' || entry->d_name[0] > '9')
            continue;
        const long fd = std::strtol(entry->d_name, nullptr, 10);
        count += fd != own && fd < limit;
    }
    ::closedir(dir);
    return count;
}

std::vector<int> open_descriptors() {
#ifdef __linux__
    const char* folder = "/proc/self/fd";
#else
    const char* folder = "/dev/fd";
#endif
    std::vector<int> fds;
    DIR* dir = ::opendir(folder);
    if (!dir)
        return fds;
    const int own = ::dirfd(dir);
    while (const dirent* entry = ::readdir(dir)) {
        if (entry->d_name[0] < '0' || entry->d_name[0] > '9')
            continue;
        const int fd = int(std::strtol(entry->d_name, nullptr, 10));
        if (fd != own)
            fds.push_back(fd);
    }
    ::closedir(dir);
    return fds;
}

std::string proc_stat_fields(pid_t pid) {
#ifdef __linux__
    std::FILE* f = std::fopen(("/proc/" + std::to_string(pid) + "/stat").c_str(), "r");
    if (!f)
        return {};
    char line[2048];
    const bool read = std::fgets(line, sizeof line, f) != nullptr;
    std::fclose(f);
    const char* close = read ? std::strrchr(line, ')') : nullptr;
    if (!close || close[1] != ' ' || close[2] == '\0')
        return {};
    return close + 2;
#else
    (void)pid;
    return {};
#endif
}

std::string process_state(pid_t pid) {
#ifdef __linux__
    const std::string fields = proc_stat_fields(pid);
    if (fields.empty())
        return {};
    const char letter = fields[0];
    const char* word = "";
    switch (letter) {
    case 'R':
        word = "running";
        break;
    case 'S':
        word = "sleeping";
        break;
    case 'D':
        word = "disk sleep";
        break;
    case 'T':
        word = "stopped";
        break;
    case 't':
        word = "tracing stop";
        break;
    case 'Z':
        word = "zombie";
        break;
    case 'X':
        word = "dead";
        break;
    default:
        return std::string(1, letter);
    }
    return std::string(1, letter) + " (" + word + ")";
#else
    (void)pid;
    return {};
#endif
}

std::optional<int> zombie_wait_status(pid_t pid) {
#ifdef __linux__
    const std::string fields = proc_stat_fields(pid);
    if (fields.empty() || fields[0] != 'Z')
        return std::nullopt;
    // Field 3 is the state; exit_code is field 52 (proc(5)), the last one.
    const char* p = fields.c_str();
    for (int field = 3; field < 52 && p; ++field) {
        p = std::strchr(p, ' ');
        if (p)
            ++p;
    }
    if (!p)
        return std::nullopt;
    return std::atoi(p);
#else
    (void)pid;
    return std::nullopt;
#endif
}

#if !POOLCORE_LINUX_APIS
namespace {

// Where there is no parent-death signal, a thread of the worker's own does its job: a busy
// worker reads its channel (and sees its EOF) only between tasks, so without it a worker whose
// parent died would run its task to the end as an orphan. When the parent is gone the kernel
// has given this process to another one, so getppid() no longer names it: that is looked at
// ten times a second (what a parent's death costs at most), and the worker then ends as
// PR_SET_PDEATHSIG would end it, by SIGKILL. The thread blocks every signal, so that signals
// meant for the worker (the soft limit, SIGTERM) keep reaching its task thread.
constexpr timespec kParentWatchPeriod{0, 100 * 1000 * 1000}; // 100 ms

pid_t g_watched_parent = 0; // written once, before the watch thread starts

void* watch_parent(void*) {
    while (::getppid() == g_watched_parent)
        ::nanosleep(&kParentWatchPeriod, nullptr);
    ::kill(::getpid(), SIGKILL);
    return nullptr;
}

void start_parent_watch(pid_t expected_parent) {
    g_watched_parent = expected_parent;
    sigset_t all, before;
    sigfillset(&all);
    ::pthread_sigmask(SIG_SETMASK, &all, &before); // the new thread inherits this mask
    pthread_attr_t attr;
    ::pthread_attr_init(&attr);
    ::pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_t thread;
    // pthread_create, not std::thread: nothing may throw here, in a child between fork and the
    // worker loop (an exception would unwind into the parent's code). A process limit
    // (RLIMIT_NPROC counts threads) can refuse the thread: the worker then runs without the
    // watch, and still leaves on EOF on its channel, at its next read.
    const int error = ::pthread_create(&thread, &attr, watch_parent, nullptr);
    ::pthread_attr_destroy(&attr);
    ::pthread_sigmask(SIG_SETMASK, &before, nullptr);
    if (error != 0)
        write_text(2, "poolcore: a worker could not start its parent watch thread; it leaves "
                      "when its channel closes\n");
}

} // namespace
#endif

void die_with_parent(pid_t expected_parent) {
#if POOLCORE_LINUX_APIS
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
#endif
    if (::getppid() != expected_parent) // the parent died before the watch was armed
        ::_exit(1);
#if !POOLCORE_LINUX_APIS
    start_parent_watch(expected_parent);
#endif
}

void exit_with_parent_or_on_eof(pid_t expected_parent) {
#if POOLCORE_LINUX_APIS
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
#endif
    // No watch thread here: the forkserver's loop never blocks anywhere but in poll() on its
    // control socket, so it sees the parent's death as EOF at once, and it stays one thread.
    if (::getppid() != expected_parent)
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

std::chrono::milliseconds PosixLauncher::exit_check_period() const {
    // A death pipe says a worker exited once no process holds its write end, and a worker's own
    // children inherit it (a task that starts a daemon, a worker program that forks): the pool
    // would never see that worker exit while they live. A pidfd has no such hole. SIGCHLD would
    // tell at once, but a handler is the embedding program's to install, not a library's, and
    // waitpid(-1) would reap its children too; so the kernel is asked about each worker by pid,
    // five times a second, without reaping it (reap() still does). The death pipe still tells
    // at once in the usual case.
    using namespace std::chrono_literals;
    return kernel_has_pidfd() ? 0ms : 200ms;
}

bool PosixLauncher::has_exited(pid_t pid) {
    siginfo_t info{};
    return ::waitid(P_PID, id_t(pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0 &&
           info.si_pid == pid;
}

ExitStatus PosixLauncher::reap(pid_t pid, int) {
    return wait_for_child(pid);
}

Capacity PosixLauncher::capacity_for(int processes) const {
    const int limit = descriptor_limit();
    if (limit == INT_MAX)
        return Capacity{processes, {}};
    const int in_use = descriptors_in_use();
    const int per_worker = descriptors_per_worker();
    // The last start needs its peak on top of what the workers before it hold.
    const int peak = descriptors_to_start();
    const int fits = std::max(0, (limit - in_use - (peak - per_worker)) / per_worker);
    if (fits >= processes)
        return Capacity{processes, {}};
    std::string text = "RLIMIT_NOFILE allows this process " + std::to_string(limit) +
                       " descriptors and it holds " + std::to_string(in_use) + "; each " +
                       std::string(name()) + " worker costs " + std::to_string(per_worker) + " (" +
                       descriptor_costs() + ") and starting one needs " + std::to_string(peak) +
                       " for a moment, so ";
    text += fits == 0 ? "no worker can start"
                      : "only about " + std::to_string(fits) + " of the " +
                            std::to_string(processes) + " processes asked for can run";
    text += "; raise the limit (ulimit -n) or ask for fewer processes";
    return Capacity{fits, text};
}

std::uint64_t PosixLauncher::resident_kib(pid_t pid) {
    return resident_kib_of(pid);
}

double PosixLauncher::cpu_seconds(pid_t pid) {
    return cpu_seconds_of(pid);
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
        // Past every target, and no higher: a low descriptor limit must still leave room.
        UniqueFd high(::fcntl(fd, F_DUPFD_CLOEXEC, kWorkerChannelFd + int(descriptors.size())));
        if (!high.valid())
            throw_errno("fcntl(F_DUPFD_CLOEXEC)");
        ::posix_spawn_file_actions_adddup2(&spawn.actions_, high.get(), target++);
        sources.push_back(std::move(high));
    }
    // Descriptors an embedder opened without close-on-exec must not reach workers either.
#if POOLCORE_LINUX_APIS && defined(__GLIBC__) &&                                                   \
    (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 34))
    ::posix_spawn_file_actions_addclosefrom_np(&spawn.actions_, target);
#elif defined(POSIX_SPAWN_CLOEXEC_DEFAULT)
    // macOS: the new image inherits only what the file actions name.
    short flags = 0;
    ::posix_spawnattr_getflags(&spawn.attr_, &flags);
    ::posix_spawnattr_setflags(&spawn.attr_, short(flags | POSIX_SPAWN_CLOEXEC_DEFAULT));
#else
    // Elsewhere each one open now without close-on-exec is closed by name (one opened by another
    // thread from here on is one this call cannot know of, as with fork and exec by hand).
    for (int fd : open_descriptors())
        if (fd >= target && (::fcntl(fd, F_GETFD) & FD_CLOEXEC) == 0)
            ::posix_spawn_file_actions_addclose(&spawn.actions_, fd);
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
