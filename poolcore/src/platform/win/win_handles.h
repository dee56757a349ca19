// SPDX-License-Identifier: MIT
#pragma once

// What the Windows backend's parts share: handles carried as ints, error text, Winsock start-up,
// the exit codes that stand for the POSIX verbs, and the connected socket pairs channels are.
// Private to poolcore/platform.

#include "poolcore/observer.h"
#include "poolcore/unique_fd.h"

#include <cstdint>
#include <string>
#include <utility>
// clang-format off: winsock2.h before windows.h, as Winsock asks
#include <winsock2.h>
#include <windows.h>
// clang-format on

namespace poolcore::win {

// Handles and sockets travel through the engine as ints: Windows keeps both significant in their
// low 32 bits (sign-extended), for interop between 32- and 64-bit processes.
inline HANDLE as_handle(int value) {
    return reinterpret_cast<HANDLE>(static_cast<std::intptr_t>(value));
}
inline int from_handle(HANDLE handle) {
    return static_cast<int>(reinterpret_cast<std::intptr_t>(handle));
}
inline int from_socket(SOCKET socket) {
    return static_cast<int>(static_cast<std::intptr_t>(socket));
}

// The exit codes TerminateProcess ends a worker with for each verb: 0xE0000000 (an NTSTATUS of
// the customer range, which no Windows exception uses) with the POSIX signal number the verb
// stands for, so terminate (SIGTERM) and kill (SIGKILL) stay distinct from each other and from
// anything a task exits with.
inline constexpr std::uint32_t kSignalExitBase = 0xE0000000u;
inline std::uint32_t exit_code_for_signal(int signal) {
    return kSignalExitBase | std::uint32_t(signal & 0xFF);
}
// A process's exit code as ExitStatus: the verbs' codes as the signals they stand for (so the
// engine reads "the pool killed it" the same everywhere), anything else as its code.
ExitStatus decode_exit_code(DWORD code);

// "The system cannot find the file specified. (error 2)".
std::string error_text(DWORD error);
[[noreturn]] void throw_last_error(const char* what);
[[noreturn]] void throw_winsock_error(const char* what);

// Winsock 2.2, started once per process; throws when it cannot be.
void ensure_winsock();

// A connected stream pair on loopback TCP (Windows has no socketpair()): a listener on
// 127.0.0.1, port 0, for one connection, whose peer must be our own socket and send a random
// token before it counts, so no other local process can slip in. Neither end is inheritable;
// both have TCP_NODELAY, since frames are small and latency is the point.
std::pair<UniqueFd, UniqueFd> make_socket_pair();

std::wstring widen(const std::string& utf8);
std::string narrow(const std::wstring& wide);

} // namespace poolcore::win
