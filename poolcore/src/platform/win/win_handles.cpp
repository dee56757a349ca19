// SPDX-License-Identifier: MIT
#include "platform/win/win_handles.h"

#include <bcrypt.h>
#include <cstring>
#include <mutex>
#include <stdexcept>
#include <system_error>
#include <ws2tcpip.h>

namespace poolcore {

void detail::close_native(int handle) noexcept {
    if (::closesocket(static_cast<SOCKET>(static_cast<std::intptr_t>(handle))) == 0)
        return;
    // Not a socket (or Winsock is not started, and then it is no socket of ours either).
    ::CloseHandle(win::as_handle(handle));
}

namespace win {

ExitStatus decode_exit_code(DWORD code) {
    if ((code & 0xFFFFFF00u) == kSignalExitBase && (code & 0xFF) != 0)
        return ExitStatus{true, true, int(code & 0xFF)};
    return ExitStatus{true, false, int(code)};
}

std::string error_text(DWORD error) {
    wchar_t* text = nullptr;
    const DWORD n = ::FormatMessageW(
        FORMAT_MESSAGE_ALLOCATE_BUFFER | FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS,
        nullptr, error, 0, reinterpret_cast<wchar_t*>(&text), 0, nullptr);
    std::string words = n && text ? narrow(std::wstring(text, n)) : std::string();
    if (text)
        ::LocalFree(text);
    while (!words.empty() && (words.back() == '\n' || words.back() == '\r' || words.back() == ' '))
        words.pop_back();
    if (words.empty())
        words = "Windows error";
    return words + " (error " + std::to_string(error) + ")";
}

void throw_last_error(const char* what) {
    const DWORD error = ::GetLastError();
    throw std::system_error(int(error), std::system_category(),
                            std::string(what) + ": " + error_text(error));
}

void throw_winsock_error(const char* what) {
    const int error = ::WSAGetLastError();
    throw std::system_error(error, std::system_category(),
                            std::string(what) + ": " + error_text(DWORD(error)));
}

void ensure_winsock() {
    static std::once_flag once;
    static int result = 0;
    std::call_once(once, [] {
        WSADATA data{};
        result = ::WSAStartup(MAKEWORD(2, 2), &data);
    });
    if (result != 0)
        throw std::system_error(result, std::system_category(),
                                "WSAStartup: " + error_text(DWORD(result)));
}

namespace {

UniqueFd tcp_socket() {
    const SOCKET s =
        ::WSASocketW(AF_INET, SOCK_STREAM, IPPROTO_TCP, nullptr, 0, WSA_FLAG_NO_HANDLE_INHERIT);
    if (s == INVALID_SOCKET)
        throw_winsock_error("WSASocket");
    return UniqueFd(from_socket(s));
}

SOCKET raw(const UniqueFd& fd) {
    return static_cast<SOCKET>(static_cast<std::intptr_t>(fd.get()));
}

void set_no_delay(const UniqueFd& fd) {
    const BOOL on = TRUE;
    ::setsockopt(raw(fd), IPPROTO_TCP, TCP_NODELAY, reinterpret_cast<const char*>(&on), sizeof on);
}

bool same_address(const sockaddr_in& a, const sockaddr_in& b) {
    return a.sin_family == b.sin_family && a.sin_port == b.sin_port &&
           a.sin_addr.s_addr == b.sin_addr.s_addr;
}

constexpr int kTokenBytes = 16;

} // namespace

std::pair<UniqueFd, UniqueFd> make_socket_pair() {
    ensure_winsock();
    UniqueFd listener = tcp_socket();
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = 0;
    // Nobody else may bind the port while it listens.
    const BOOL on = TRUE;
    ::setsockopt(raw(listener), SOL_SOCKET, SO_EXCLUSIVEADDRUSE, reinterpret_cast<const char*>(&on),
                 sizeof on);
    if (::bind(raw(listener), reinterpret_cast<sockaddr*>(&address), sizeof address) != 0)
        throw_winsock_error("bind(127.0.0.1)");
    int length = sizeof address;
    if (::getsockname(raw(listener), reinterpret_cast<sockaddr*>(&address), &length) != 0)
        throw_winsock_error("getsockname");
    if (::listen(raw(listener), 4) != 0)
        throw_winsock_error("listen");

    unsigned char token[kTokenBytes];
    if (!BCRYPT_SUCCESS(
            ::BCryptGenRandom(nullptr, token, sizeof token, BCRYPT_USE_SYSTEM_PREFERRED_RNG)))
        throw std::runtime_error("BCryptGenRandom failed: no token for a worker's channel");

    UniqueFd client = tcp_socket();
    if (::connect(raw(client), reinterpret_cast<sockaddr*>(&address), sizeof address) != 0)
        throw_winsock_error("connect(127.0.0.1)");
    if (::send(raw(client), reinterpret_cast<const char*>(token), sizeof token, 0) != kTokenBytes)
        throw_winsock_error("send(channel token)");
    sockaddr_in client_address{};
    length = sizeof client_address;
    if (::getsockname(raw(client), reinterpret_cast<sockaddr*>(&client_address), &length) != 0)
        throw_winsock_error("getsockname");

    // Another local process may have connected first: a connection counts only if it comes from
    // our own socket and carries the token. A few strangers are dropped; more is an attack.
    for (int attempt = 0; attempt < 8; ++attempt) {
        const SOCKET s = ::accept(raw(listener), nullptr, nullptr);
        if (s == INVALID_SOCKET)
            throw_winsock_error("accept");
        UniqueFd accepted(from_socket(s));
        sockaddr_in peer{};
        length = sizeof peer;
        if (::getpeername(s, reinterpret_cast<sockaddr*>(&peer), &length) != 0 ||
            !same_address(peer, client_address))
            continue;
        const DWORD timeout_ms = 5000;
        ::setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, reinterpret_cast<const char*>(&timeout_ms),
                     sizeof timeout_ms);
        unsigned char received[kTokenBytes];
        int got = 0;
        while (got < kTokenBytes) {
            const int n = ::recv(s, reinterpret_cast<char*>(received) + got, kTokenBytes - got, 0);
            if (n <= 0)
                break;
            got += n;
        }
        if (got != kTokenBytes || std::memcmp(received, token, sizeof token) != 0)
            continue;
        const DWORD forever = 0;
        ::setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, reinterpret_cast<const char*>(&forever),
                     sizeof forever);
        set_no_delay(accepted);
        set_no_delay(client);
        return {std::move(accepted), std::move(client)};
    }
    throw std::runtime_error("a worker's channel was not made: other local connections kept "
                             "reaching its loopback port first");
}

std::wstring widen(const std::string& utf8) {
    if (utf8.empty())
        return {};
    const int n = ::MultiByteToWideChar(CP_UTF8, 0, utf8.data(), int(utf8.size()), nullptr, 0);
    std::wstring wide(std::size_t(n), L'\0');
    ::MultiByteToWideChar(CP_UTF8, 0, utf8.data(), int(utf8.size()), wide.data(), n);
    return wide;
}

std::string narrow(const std::wstring& wide) {
    if (wide.empty())
        return {};
    const int n = ::WideCharToMultiByte(CP_UTF8, 0, wide.data(), int(wide.size()), nullptr, 0,
                                        nullptr, nullptr);
    std::string utf8(std::size_t(n), '\0');
    ::WideCharToMultiByte(CP_UTF8, 0, wide.data(), int(wide.size()), utf8.data(), n, nullptr,
                          nullptr);
    return utf8;
}

} // namespace win

} // namespace poolcore
