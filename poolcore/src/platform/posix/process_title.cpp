// SPDX-License-Identifier: MIT
// A worker's title on POSIX. Linux: the short name by prctl(PR_SET_NAME) (comm, what top and
// `ps -e` show), and the command line (/proc/PID/cmdline, what `ps aux` shows) by writing over
// the argument strings in place, as setproctitle() does; the kernel reads the command line
// from that memory. A worker has no argv of its own to hand (a forked one runs inside the
// parent's main()), so the strings are found from glibc's program_invocation_name, which is
// argv[0], and their extent from /proc/self/cmdline. The title never grows past the original
// strings: a short command line gives a cut title rather than a moved environment.
// Elsewhere (macOS, the portable build) the title is left as it is.
#include "platform/process_title.h"

#include "platform/posix/posix_features.h"

#if POOLCORE_LINUX_APIS
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <sys/prctl.h>
#endif

namespace poolcore {

#if POOLCORE_LINUX_APIS

namespace {

// How many bytes the argument strings take, their terminators included (0 if unknown).
std::size_t command_line_bytes() {
    std::FILE* file = std::fopen("/proc/self/cmdline", "re");
    if (!file)
        return 0;
    std::size_t total = 0;
    char buffer[4096];
    for (std::size_t n; (n = std::fread(buffer, 1, sizeof buffer, file)) > 0;)
        total += n;
    std::fclose(file);
    return total;
}

void rewrite_command_line(const std::string& title) {
    char* arguments = program_invocation_name;
    const std::size_t bytes = command_line_bytes();
    // program_invocation_name is argv[0] unless someone replaced it: then the strings are not
    // where it points, and writing there would be writing anywhere.
    if (!arguments || bytes == 0 || std::strlen(arguments) >= bytes)
        return;
    // Zeros after the title: the kernel shows the whole region, and ps turns them into spaces.
    std::memset(arguments, 0, bytes);
    std::memcpy(arguments, title.data(), std::min(title.size(), bytes - 1));
}

} // namespace

void set_worker_process_title(int slot) {
    ::prctl(PR_SET_NAME, worker_process_name(slot).c_str(), 0, 0, 0);
    rewrite_command_line(worker_process_title(slot));
}

void set_forkserver_process_title() {
    ::prctl(PR_SET_NAME, "pool-forkserver", 0, 0, 0);
    rewrite_command_line("poolscope-forkserver");
}

bool sets_process_titles() {
    return true;
}

#else

void set_worker_process_title(int) {}
void set_forkserver_process_title() {}
bool sets_process_titles() {
    return false;
}

#endif

} // namespace poolcore
