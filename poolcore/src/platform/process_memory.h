// SPDX-License-Identifier: MIT
#pragma once

// Memory readings of the calling process, for both sides: a worker reports its own after each
// job, and the built-in tasks size their pages by it. One implementation per OS
// (platform/posix/process_memory.cpp, platform/win/win_process_memory.cpp).

#include <cstddef>
#include <cstdint>

namespace poolcore {

// Resident memory of the calling process, in KiB (Windows: its working set).
std::uint64_t current_resident_kib();
// Memory only the calling process holds (private clean + dirty pages: what it would free by
// exiting), in KiB; pages still shared copy-on-write with the parent after fork do not count.
// Windows: its private bytes (commit charge). Falls back to resident memory where the platform
// cannot tell.
std::uint64_t current_private_kib();
// The size of a memory page, in bytes.
std::size_t memory_page_bytes();

} // namespace poolcore
