// SPDX-License-Identifier: GPL-3.0-or-later
#include "app/worker_program_path.h"

#include "poolcore/worker_entry.h"

#include <filesystem>

namespace poolscope {

namespace {
#ifdef _WIN32
constexpr const char* kWorkerFileName = "poolscope-worker.exe";
#else
constexpr const char* kWorkerFileName = "poolscope-worker";
#endif
} // namespace

std::string find_worker_program() {
    const std::string self = poolcore::this_program_file();
    if (self.empty())
        return {};
    const std::filesystem::path dir = std::filesystem::path(self).parent_path();
    // Beside the app (the build tree, a macOS bundle's Contents/MacOS, Windows' bin), or where
    // a Linux package puts it.
    for (const auto& candidate :
         {dir / kWorkerFileName, dir.parent_path() / "libexec" / "poolscope" / kWorkerFileName})
        if (poolcore::worker_program_problem(candidate.string()).empty())
            return candidate.lexically_normal().string();
    return {};
}

} // namespace poolscope
