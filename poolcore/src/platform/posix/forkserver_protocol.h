// SPDX-License-Identifier: MIT
#pragma once

// What the forkserver and its client say to each other over the control socket. The control
// protocol: fixed-size records on a stream socket, one request answered by one reply carrying
// the worker's channel and exit-status pipe (SCM_RIGHTS). On a worker's exit-status pipe the
// server writes the raw waitpid() status once, then closes it.

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <unistd.h>

namespace poolcore::forkserver {

inline constexpr std::uint32_t kRequestMagic = 0x504f4f4c; // "POOL"

struct Request {
    std::uint32_t magic = kRequestMagic;
    std::uint32_t measure_private_memory = 0;
    std::uint64_t max_frame = 0;
};

struct Reply {
    std::int32_t pid = 0;
    std::int32_t error = 0; // errno of a failed fork; no descriptors come with it
};

// Reads exactly `size` bytes; false on EOF or an error first.
inline bool read_exact(int fd, void* data, std::size_t size) {
    auto* p = static_cast<char*>(data);
    while (size > 0) {
        const ssize_t n = ::read(fd, p, size);
        if (n > 0) {
            p += n;
            size -= std::size_t(n);
        } else if (n < 0 && errno == EINTR) {
            continue;
        } else {
            return false;
        }
    }
    return true;
}

} // namespace poolcore::forkserver
