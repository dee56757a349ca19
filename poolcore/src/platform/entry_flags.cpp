// SPDX-License-Identifier: MIT
#include "platform/entry_flags.h"

#include <atomic>

namespace poolcore {

namespace {
// Process-wide by nature: whether main() has the entry is a fact about the program, written
// once by main() before any pool exists and read by launchers.
std::atomic<bool> g_entry_installed{false};
} // namespace

bool worker_entry_installed() {
    return g_entry_installed.load(std::memory_order_relaxed);
}

void mark_worker_entry_installed() {
    g_entry_installed.store(true, std::memory_order_relaxed);
}

} // namespace poolcore
