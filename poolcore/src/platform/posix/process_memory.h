// SPDX-License-Identifier: MIT
#pragma once

// Memory readings, for both sides: the pool reads its workers', a worker reads its own.

#include "platform/process_memory.h"

#include <cstdint>
#include <sys/types.h>

namespace poolcore {

namespace posix {
// Resident memory of any process now, in KiB; 0 if unknown.
std::uint64_t resident_kib_of(pid_t pid);
} // namespace posix

} // namespace poolcore
