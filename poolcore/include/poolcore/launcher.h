// SPDX-License-Identifier: MIT
#pragma once

/// @file
/// How a Pool starts, stops and watches its workers: the OS seam. Its interface is poolcore's own
/// (src/platform/process_launcher.h); an embedder passes none and gets the launcher its
/// PoolOptions ask for. This header lets a std::unique_ptr<ProcessLauncher> be held, moved and
/// destroyed where the interface is not visible (the deleter is defined beside the interface).

#include <memory>
#include <type_traits>

namespace poolcore {
class ProcessLauncher;
}

/// @cond INTERNAL
// The deleter is plumbing, not API: the reference leaves it out.
template <> struct std::default_delete<poolcore::ProcessLauncher> {
    constexpr default_delete() noexcept = default;
    /// From a unique_ptr to a concrete launcher, as std::default_delete converts.
    template <typename Launcher>
    requires std::is_convertible_v<Launcher*, poolcore::ProcessLauncher*>
    default_delete(const std::default_delete<Launcher>&)
    noexcept {}
    void operator()(poolcore::ProcessLauncher* launcher) const;
};
/// @endcond
