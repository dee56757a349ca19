// SPDX-License-Identifier: MIT
#pragma once

// A channel's reads and writes, the same call on every OS: a POSIX descriptor or a Winsock
// SOCKET (carried as an int: Windows keeps handles, sockets included, significant in their low 32
// bits for 32/64-bit interop). Errors come back as what the caller decides by, not as errno or
// WSAGetLastError(), so the engine's channel and the worker loop stay free of either.

#include <cstddef>
#include <cstdint>
#include <string>

#ifdef _WIN32
#include <winsock2.h>
#else
#include "platform/posix/socket_flags.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/socket.h>
#endif

namespace poolcore::platform {

enum class IoError { Interrupted, WouldBlock, Reset, Other };

struct IoFailure {
    IoError kind = IoError::Other;
    int code = 0; // errno, or the WSA error
    // The system's words, for the message the caller makes; only on the way to an error, since
    // EAGAIN on a full channel is the hot path.
    std::string text() const;
};

#ifdef _WIN32

inline SOCKET as_socket(int fd) {
    return static_cast<SOCKET>(static_cast<std::intptr_t>(fd));
}

// Bytes sent (> 0), or -1 with last_io_failure() saying why.
inline long send_some(int fd, const char* data, std::size_t size) {
    const int chunk = size > 0x40000000u ? 0x40000000 : static_cast<int>(size);
    const int n = ::send(as_socket(fd), data, chunk, 0);
    return n == SOCKET_ERROR ? -1 : n;
}
// Bytes received (> 0), 0 at end of stream, or -1 with last_io_failure() saying why.
inline long recv_some(int fd, char* data, std::size_t size) {
    const int chunk = size > 0x40000000u ? 0x40000000 : static_cast<int>(size);
    const int n = ::recv(as_socket(fd), data, chunk, 0);
    return n == SOCKET_ERROR ? -1 : n;
}
inline IoFailure last_io_failure() {
    const int error = ::WSAGetLastError();
    switch (error) {
    case WSAEINTR:
        return {IoError::Interrupted, error};
    case WSAEWOULDBLOCK:
        return {IoError::WouldBlock, error};
    case WSAECONNRESET:
    case WSAECONNABORTED:
    case WSAESHUTDOWN:
        return {IoError::Reset, error};
    default:
        return {IoError::Other, error};
    }
}
inline std::string IoFailure::text() const {
    return "Winsock error " + std::to_string(code);
}
// A worker reads and writes its channel blocking.
inline bool set_blocking(int fd) {
    u_long off = 0;
    return ::ioctlsocket(as_socket(fd), FIONBIO, &off) == 0;
}

#else

inline long send_some(int fd, const char* data, std::size_t size) {
    return static_cast<long>(::send(fd, data, size, posix::kSendWithoutSigpipe));
}
inline long recv_some(int fd, char* data, std::size_t size) {
    return static_cast<long>(::recv(fd, data, size, 0));
}
inline IoFailure last_io_failure() {
    const int error = errno;
    if (error == EINTR)
        return {IoError::Interrupted, error};
    if (error == EAGAIN || error == EWOULDBLOCK)
        return {IoError::WouldBlock, error};
    if (error == ECONNRESET)
        return {IoError::Reset, error};
    return {IoError::Other, error};
}
inline std::string IoFailure::text() const {
    return std::strerror(code);
}
inline bool set_blocking(int fd) {
    const int flags = ::fcntl(fd, F_GETFL);
    return flags >= 0 && ::fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) == 0;
}

#endif

} // namespace poolcore::platform
