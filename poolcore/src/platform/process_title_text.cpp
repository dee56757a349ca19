// SPDX-License-Identifier: MIT
// The words of a worker's title, the same on every OS.
#include "platform/process_title.h"

#include <algorithm>

namespace poolcore {

std::string worker_process_title(int slot) {
    return slot < 0 ? "poolscope-worker" : "poolscope-worker: slot " + std::to_string(slot);
}

std::string worker_process_name(int slot) {
    std::string name = slot < 0 ? "pool-worker" : "pool-worker-" + std::to_string(slot);
    name.resize(std::min<std::size_t>(name.size(), 15)); // what the kernel keeps of it
    return name;
}

} // namespace poolcore
