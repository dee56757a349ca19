// SPDX-License-Identifier: GPL-3.0-or-later
#include "app/platform_console.h"

#ifdef _WIN32
#include <cstdio>
#include <windows.h>
#else
#include <cerrno>
#include <fcntl.h>
#include <unistd.h>
#endif

namespace poolscope {

#ifdef _WIN32

bool standard_output_closed() {
    const HANDLE out = ::GetStdHandle(STD_OUTPUT_HANDLE);
    return out == nullptr || out == INVALID_HANDLE_VALUE;
}

void attach_parent_console() {
    // A redirected stream (`> file`, a pipe) is already there and must stay where it points.
    const bool redirected = !standard_output_closed();
    if (redirected || !::AttachConsole(ATTACH_PARENT_PROCESS))
        return;
    FILE* ignored = nullptr;
    ::freopen_s(&ignored, "CONOUT$", "w", stdout);
    ::freopen_s(&ignored, "CONOUT$", "w", stderr);
}

#else

bool standard_output_closed() {
    return ::fcntl(STDOUT_FILENO, F_GETFD) == -1 && errno == EBADF;
}

void attach_parent_console() {}

#endif

} // namespace poolscope
