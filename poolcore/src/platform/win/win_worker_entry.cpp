// SPDX-License-Identifier: MIT
// The hidden entry point on Windows: a process win_launcher.cpp started, with its channel and
// control sockets inherited and named on its command line.
//
//     program --poolcore-worker PARENT_PID MAX_FRAME MEASURE_PRIVATE HANDOVER
//
// HANDOVER is the one handle it inherits: a pipe carrying its channel's and its control
// channel's WSAPROTOCOL_INFOW (win_launcher.cpp), which WSASocketW turns into its sockets.
#include "platform/entry_flags.h"
#include "platform/win/win_handles.h"
#include "poolcore/worker_entry.h"
#include "worker/worker_main.h"

#include <cstdlib>
#include <cstring>

namespace poolcore {

namespace {
long long number(const char* text) {
    char* end = nullptr;
    const long long n = std::strtoll(text, &end, 10);
    return end && end != text && *end == '\0' ? n : -1;
}
} // namespace

void run_worker_if_requested(int argc, char** argv) {
    mark_worker_entry_installed();
    if (argc < 2)
        return;
    if (std::strcmp(argv[1], entry::kForkServerFlag) == 0)
        std::_Exit(64); // EX_USAGE: no forkserver on Windows, nobody starts one
    if (std::strcmp(argv[1], entry::kWorkerFlag) != 0)
        return;
    // The parent's pid is not watched here: the job object ends this process with its parent,
    // and the channel's end of stream retires it before that.
    const long long parent = argc == 6 ? number(argv[2]) : -1;
    const long long max_frame = argc == 6 ? number(argv[3]) : -1;
    const long long handover = argc == 6 ? number(argv[5]) : -1;
    if (parent <= 0 || max_frame <= 0 || handover <= 0)
        std::_Exit(64); // EX_USAGE: not started by a poolcore launcher
    // Ctrl+C reaches every process on the console, as SIGINT reaches the process group on
    // POSIX (where the worker ignores it too): the parent decides how the pool stops.
    ::SetConsoleCtrlHandler(nullptr, TRUE);
    try {
        win::ensure_winsock();
    } catch (const std::exception&) {
        std::_Exit(71); // EX_OSERR
    }
    WSAPROTOCOL_INFOW shared[2]{};
    DWORD got = 0, total = 0;
    while (total < sizeof shared &&
           ::ReadFile(win::as_handle(int(handover)), reinterpret_cast<char*>(shared) + total,
                      DWORD(sizeof shared - total), &got, nullptr) &&
           got > 0)
        total += got;
    ::CloseHandle(win::as_handle(int(handover)));
    if (total != sizeof shared)
        std::_Exit(71); // the parent died while handing over
    SOCKET sockets[2];
    for (int i = 0; i < 2; ++i) {
        sockets[i] = ::WSASocketW(FROM_PROTOCOL_INFO, FROM_PROTOCOL_INFO, FROM_PROTOCOL_INFO,
                                  &shared[i], 0, WSA_FLAG_NO_HANDLE_INHERIT);
        if (sockets[i] == INVALID_SOCKET)
            std::_Exit(71);
    }
    run_worker(win::from_socket(sockets[0]),
               WorkerSettings{std::size_t(max_frame), std::strcmp(argv[4], "1") == 0,
                              win::from_socket(sockets[1])});
}

std::string this_program_file() {
    std::wstring path(MAX_PATH, L'\0');
    for (;;) {
        const DWORD n = ::GetModuleFileNameW(nullptr, path.data(), DWORD(path.size()));
        if (n == 0)
            return {};
        if (n < path.size()) {
            path.resize(n);
            return win::narrow(path);
        }
        path.resize(path.size() * 2);
    }
}

std::string worker_program_problem(const std::string& program) {
    const DWORD attributes = ::GetFileAttributesW(win::widen(program).c_str());
    if (attributes != INVALID_FILE_ATTRIBUTES && !(attributes & FILE_ATTRIBUTE_DIRECTORY))
        return {};
    return "'" + program + "' is not an executable file";
}

} // namespace poolcore
