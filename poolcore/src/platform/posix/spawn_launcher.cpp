// SPDX-License-Identifier: GPL-3.0-or-later
// The spawn start method: every worker is a fresh image of this program or of a dedicated worker
// program (posix_spawn), entered through run_worker_if_requested(). Nothing of the parent's
// memory or threads carries over, so it is safe from any process; it is also the shape a
// Windows backend takes.
#include "platform/posix/posix_process.h"
#include "poolcore/worker_entry.h"

#include <climits>
#include <cstdlib>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdexcept>
#include <sys/stat.h>
#include <system_error>
#include <unistd.h>
#include <vector>
#ifdef __APPLE__
#include <mach-o/dyld.h>
#endif

extern char** environ;

namespace poolcore {

namespace posix {

namespace {

std::string program_path() {
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

std::string program_name() {
#ifdef __linux__
    char path[PATH_MAX];
    const ssize_t n = ::readlink("/proc/self/exe", path, sizeof path - 1);
    if (n > 0)
        return std::string(path, std::size_t(n));
#endif
    return program_path();
}

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
    const std::string path = program.empty() ? program_path() : program;
    std::vector<std::string> args;
    args.push_back(program.empty() ? program_name() : program);
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

namespace {

class SpawnLauncher final : public posix::PosixLauncher {
public:
    explicit SpawnLauncher(std::string program) : program_(std::move(program)) {}

    std::string_view name() const override { return "spawn"; }

    std::string refusal() const override {
        if (!program_.empty()) {
            const std::string problem = worker_program_problem(program_);
            return problem.empty() ? problem : "the worker program " + problem;
        }
        return worker_entry_installed()
                   ? std::string()
                   : "the spawn start method needs poolcore::run_worker_if_requested(argc, argv) "
                     "at the top of main(), or a worker program that has it";
    }

    LaunchedWorker launch(const WorkerSettings& settings) override {
        auto [parent_end, child_end] = posix::make_socketpair();
        UniqueFd death_read, death_write;
        if (!posix::kernel_has_pidfd())
            std::tie(death_read, death_write) = posix::make_pipe();
        std::vector<int> handed_over{child_end.get()};
        if (death_write.valid())
            handed_over.push_back(death_write.get());

        const pid_t pid = posix::spawn_program(program_,
                                               {entry::kWorkerFlag, std::to_string(::getpid()),
                                                std::to_string(settings.max_frame),
                                                settings.measure_private_memory ? "1" : "0"},
                                               handed_over);
        LaunchedWorker w;
        w.pid = pid;
        posix::set_nonblocking(parent_end.get());
        w.channel = std::move(parent_end);
        w.exit_fd = death_read.valid() ? std::move(death_read) : posix::open_pidfd(pid);
        if (!w.exit_fd.valid()) {
            const int error = errno;
            ::kill(pid, SIGKILL);
            posix::wait_for_child(pid);
            throw std::system_error(error, std::generic_category(), "pidfd_open");
        }
        return w;
    }

    ExitStatus reap(pid_t pid, int) override { return posix::wait_for_child(pid); }

private:
    std::string program_;
};

} // namespace

std::string worker_program_problem(const std::string& program) {
    struct stat st {};
    if (::stat(program.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
        ::access(program.c_str(), X_OK) == 0)
        return {};
    return "'" + program + "' is not an executable file";
}

std::string this_program_file() {
    try {
        const std::string path = posix::program_name();
        char resolved[PATH_MAX];
        return ::realpath(path.c_str(), resolved) ? std::string(resolved) : path;
    } catch (const std::exception&) {
        return {};
    }
}

std::unique_ptr<ProcessLauncher> make_spawn_launcher(std::string program) {
    return std::make_unique<SpawnLauncher>(std::move(program));
}

} // namespace poolcore
