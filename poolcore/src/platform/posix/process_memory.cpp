// SPDX-License-Identifier: MIT
// Memory readings from the system's own accounting (/proc on Linux, libproc on macOS).
#include "platform/posix/process_memory.h"

#include "platform/posix/posix_process.h"

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <unistd.h>
#ifdef __APPLE__
#include <libproc.h>
#endif

namespace poolcore {

namespace posix {

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

double cpu_seconds_of(pid_t pid) {
#ifdef __linux__
    // utime and stime are fields 14 and 15 of /proc/<pid>/stat, in ticks.
    const std::string text = proc_stat_fields(pid);
    if (text.empty())
        return -1;
    std::istringstream fields(text);
    std::string skip;
    for (int field = 3; field < 14; ++field)
        fields >> skip;
    unsigned long long utime = 0, stime = 0;
    if (!(fields >> utime >> stime))
        return -1;
    return double(utime + stime) / double(::sysconf(_SC_CLK_TCK));
#elif defined(__APPLE__)
    proc_taskinfo info{};
    if (::proc_pidinfo(pid, PROC_PIDTASKINFO, 0, &info, sizeof info) != sizeof info)
        return -1;
    return double(info.pti_total_user + info.pti_total_system) / 1e9;
#else
    (void)pid;
    return -1;
#endif
}

} // namespace posix

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

std::size_t memory_page_bytes() {
    return static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
}

} // namespace poolcore
