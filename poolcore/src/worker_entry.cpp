// SPDX-License-Identifier: MIT
#include "poolcore/worker_entry.h"

#include "platform/entry_flags.h"
#include "platform/posix/forkserver_server.h"
#include "platform/posix/posix_process.h"
#include "worker/worker_main.h"

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <stdexcept>
#include <unistd.h>

namespace poolcore {

namespace {
long long number(const char* text) {
    char* end = nullptr;
    const long long n = std::strtoll(text, &end, 10);
    return end && *end == '\0' ? n : -1;
}

// A program started with stdin, stdout or stderr closed would otherwise get the pool's own
// sockets on those numbers, and its report or a stray message would go into a channel. Taking
// them before anything else opens a descriptor keeps 0-2 what every write to them expects.
void open_missing_standard_descriptors() {
    for (int fd = 0; fd <= 2; ++fd) {
        if (::fcntl(fd, F_GETFD) != -1 || errno != EBADF)
            continue;
        // open() takes the lowest free number, which is `fd`: those below it are open by now.
        [[maybe_unused]] const int null = ::open("/dev/null", O_RDWR);
    }
}
} // namespace

void run_worker_if_requested(int argc, char** argv) {
    open_missing_standard_descriptors();
    mark_worker_entry_installed();
    if (argc < 3)
        return;
    if (std::strcmp(argv[1], entry::kWorkerFlag) == 0 && argc == 6) {
        // argv: program --poolcore-worker PARENT_PID MAX_FRAME MEASURE_PRIVATE SLOT
        const long long parent = number(argv[2]);
        const long long max_frame = number(argv[3]);
        const long long slot = number(argv[5]);
        if (parent <= 0 || max_frame <= 0 || slot < -1 || slot > INT_MAX)
            ::_exit(64); // EX_USAGE: not started by a poolcore launcher
        posix::die_with_parent(pid_t(parent));
        WorkerSettings settings{std::size_t(max_frame), std::strcmp(argv[4], "1") == 0};
        settings.slot = int(slot);
        run_worker(kWorkerChannelFd, settings);
    }
    if (std::strcmp(argv[1], entry::kForkServerFlag) == 0 && argc == 3) {
        // argv: program --poolcore-forkserver PARENT_PID
        const long long parent = number(argv[2]);
        if (parent <= 0)
            ::_exit(64);
        posix::exit_with_parent_or_on_eof(pid_t(parent));
        run_forkserver(kWorkerChannelFd);
    }
}

std::string this_program_file() {
    try {
        const std::string path = posix::program_file_name();
        char resolved[PATH_MAX];
        return ::realpath(path.c_str(), resolved) ? std::string(resolved) : path;
    } catch (const std::exception&) {
        return {};
    }
}

std::string worker_program_problem(const std::string& program) {
    return posix::executable_file_problem(program);
}

} // namespace poolcore
