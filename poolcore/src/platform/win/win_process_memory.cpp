// SPDX-License-Identifier: MIT
// Memory readings from the process's own counters (GetProcessMemoryInfo).
#include "platform/process_memory.h"

// clang-format off: psapi.h needs windows.h before it
#include <windows.h>
#include <psapi.h>
// clang-format on

namespace poolcore {

namespace {
PROCESS_MEMORY_COUNTERS_EX own_counters() {
    PROCESS_MEMORY_COUNTERS_EX counters{};
    ::GetProcessMemoryInfo(::GetCurrentProcess(),
                           reinterpret_cast<PROCESS_MEMORY_COUNTERS*>(&counters), sizeof counters);
    return counters;
}
} // namespace

std::uint64_t current_resident_kib() {
    return own_counters().WorkingSetSize / 1024;
}

std::uint64_t current_private_kib() {
    // Private bytes: the commit only this process holds, what it frees by exiting.
    const auto counters = own_counters();
    return (counters.PrivateUsage ? counters.PrivateUsage : counters.WorkingSetSize) / 1024;
}

std::size_t memory_page_bytes() {
    SYSTEM_INFO info{};
    ::GetSystemInfo(&info);
    return info.dwPageSize;
}

} // namespace poolcore
