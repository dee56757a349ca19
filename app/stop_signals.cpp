// SPDX-License-Identifier: GPL-3.0-or-later
#include "app/stop_signals.h"

#include <cerrno>
#ifdef _WIN32
#include <atomic>
#include <cstdint>
#include <winsock2.h> // includes windows.h, which must not come first
#else
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>
#endif

namespace poolscope {

#ifdef _WIN32

namespace {

// Sockets travel as ints, as poolcore's own do on Windows (both halves of a SOCKET that matter).
SOCKET as_socket(int fd) {
    return static_cast<SOCKET>(static_cast<std::intptr_t>(fd));
}
int from_socket(SOCKET s) {
    return static_cast<int>(static_cast<std::intptr_t>(s));
}

// The handler's one piece of state; the console calls it on a thread of its own.
std::atomic<SOCKET> g_stop_signal_socket{INVALID_SOCKET};

BOOL WINAPI on_console_event(DWORD event) {
    unsigned char number;
    switch (event) {
    case CTRL_C_EVENT:
        number = SIGINT;
        break;
    case CTRL_BREAK_EVENT:
        number = SIGTERM;
        break;
    case CTRL_CLOSE_EVENT:
    case CTRL_LOGOFF_EVENT:
    case CTRL_SHUTDOWN_EVENT:
        number = SIGHUP;
        break;
    default:
        return FALSE;
    }
    const SOCKET s = g_stop_signal_socket.load();
    if (s == INVALID_SOCKET)
        return FALSE;
    ::send(s, reinterpret_cast<const char*>(&number), 1, 0);
    return TRUE;
}

// A connected pair on 127.0.0.1 (Windows has no socketpair()). The listener takes one
// connection and keeps it only if it comes from our own connecting socket.
bool make_socket_pair(SOCKET& read_end, SOCKET& write_end) {
    WSADATA data;
    if (::WSAStartup(MAKEWORD(2, 2), &data) != 0)
        return false;
    SOCKET listener = ::socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int length = sizeof address;
    SOCKET writer = INVALID_SOCKET;
    SOCKET reader = INVALID_SOCKET;
    bool ok = listener != INVALID_SOCKET &&
              ::bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0 &&
              ::listen(listener, 1) == 0 &&
              ::getsockname(listener, reinterpret_cast<sockaddr*>(&address), &length) == 0 &&
              (writer = ::socket(AF_INET, SOCK_STREAM, IPPROTO_TCP)) != INVALID_SOCKET &&
              ::connect(writer, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0 &&
              (reader = ::accept(listener, nullptr, nullptr)) != INVALID_SOCKET;
    if (ok) {
        sockaddr_in mine{}, peer{};
        int mine_length = sizeof mine, peer_length = sizeof peer;
        ok = ::getsockname(writer, reinterpret_cast<sockaddr*>(&mine), &mine_length) == 0 &&
             ::getpeername(reader, reinterpret_cast<sockaddr*>(&peer), &peer_length) == 0 &&
             mine.sin_port == peer.sin_port && mine.sin_addr.s_addr == peer.sin_addr.s_addr;
    }
    u_long non_blocking = 1;
    ok = ok && ::ioctlsocket(reader, FIONBIO, &non_blocking) == 0;
    if (listener != INVALID_SOCKET)
        ::closesocket(listener);
    if (!ok) {
        if (writer != INVALID_SOCKET)
            ::closesocket(writer);
        if (reader != INVALID_SOCKET)
            ::closesocket(reader);
        ::WSACleanup();
        return false;
    }
    read_end = reader;
    write_end = writer;
    return true;
}

} // namespace

StopSignals::StopSignals() {
    SOCKET reader, writer;
    if (!make_socket_pair(reader, writer))
        return; // without it, these events end the process as by default
    read_end_ = from_socket(reader);
    write_end_ = from_socket(writer);
    g_stop_signal_socket = writer;
    ::SetConsoleCtrlHandler(on_console_event, TRUE);
}

StopSignals::~StopSignals() {
    if (read_end_ < 0)
        return;
    ::SetConsoleCtrlHandler(on_console_event, FALSE);
    g_stop_signal_socket = INVALID_SOCKET;
    ::closesocket(as_socket(read_end_));
    ::closesocket(as_socket(write_end_));
    ::WSACleanup();
}

void StopSignals::collect() {
    if (read_end_ < 0)
        return;
    char bytes[64];
    for (int n; (n = ::recv(as_socket(read_end_), bytes, sizeof bytes, 0)) > 0;) {
        if (first_ == 0)
            first_ = static_cast<unsigned char>(bytes[0]);
        count_ += n;
    }
}

#else
namespace {

// The signal handler's one piece of state: where it writes. Set and cleared only while the
// handlers are not installed.
int g_stop_signal_pipe = -1;

void on_stop_signal(int signal) {
    const int saved = errno;
    const auto byte = static_cast<unsigned char>(signal);
    [[maybe_unused]] const auto n = ::write(g_stop_signal_pipe, &byte, 1);
    errno = saved;
}

} // namespace

StopSignals::StopSignals() {
    int ends[2];
#ifdef __linux__
    if (::pipe2(ends, O_CLOEXEC | O_NONBLOCK) != 0)
        return;
#else
    // macOS has no pipe2(): a pipe, then the flags one by one.
    if (::pipe(ends) != 0)
        return;
    for (int fd : ends) {
        ::fcntl(fd, F_SETFD, FD_CLOEXEC);
        ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
    }
#endif
    read_end_ = ends[0];
    write_end_ = ends[1];
    g_stop_signal_pipe = write_end_;
    struct sigaction sa {};
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    for (std::size_t i = 0; i < kSignals.size(); ++i) {
        ::sigaction(kSignals[i], nullptr, &previous_[i]);
        // A signal ignored from the start (nohup, a background job's SIGINT) stays ignored.
        if (previous_[i].sa_handler != SIG_IGN)
            ::sigaction(kSignals[i], &sa, nullptr);
    }
}

StopSignals::~StopSignals() {
    if (read_end_ < 0)
        return;
    for (std::size_t i = 0; i < kSignals.size(); ++i)
        ::sigaction(kSignals[i], &previous_[i], nullptr);
    g_stop_signal_pipe = -1;
    ::close(read_end_);
    ::close(write_end_);
}

void StopSignals::collect() {
    if (read_end_ < 0)
        return;
    unsigned char bytes[64];
    for (;;) {
        const auto n = ::read(read_end_, bytes, sizeof bytes);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return;
        if (first_ == 0)
            first_ = bytes[0];
        count_ += int(n);
    }
}

#endif

} // namespace poolscope
