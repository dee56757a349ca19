// SPDX-License-Identifier: MIT
#pragma once

// Memory and CPU readings, for both sides: the pool reads its workers', a worker reads its own.

#include <cstdint>
#include <sys/types.h>

namespace poolcore {

// Resident memory of the calling process, in KiB.
std::uint64_t current_resident_kib();
// Memory only the calling process holds (private clean + dirty pages: what it would free by
// exiting), in KiB; pages still shared copy-on-write with the parent after fork do not count.
// Falls back to resident memory where the platform cannot tell.
std::uint64_t current_private_kib();

namespace posix {
// Resident memory of any process now, in KiB; 0 if unknown.
std::uint64_t resident_kib_of(pid_t pid);
// CPU time (user + system) the process has used, seconds; -1 if unknown.
double cpu_seconds_of(pid_t pid);
} // namespace posix

} // namespace poolcore
