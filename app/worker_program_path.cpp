// SPDX-License-Identifier: GPL-3.0-or-later
#include "app/worker_program_path.h"

#include "poolcore/worker_entry.h"

#include <filesystem>

namespace poolscope {

std::string find_worker_program() {
    const std::string self = poolcore::this_program_file();
    if (self.empty())
        return {};
    const std::filesystem::path dir = std::filesystem::path(self).parent_path();
    for (const auto& candidate : {dir / "poolscope-worker",
                                  dir.parent_path() / "libexec" / "poolscope" / "poolscope-worker"})
        if (poolcore::worker_program_problem(candidate.string()).empty())
            return candidate.lexically_normal().string();
    return {};
}

} // namespace poolscope
