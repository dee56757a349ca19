// SPDX-License-Identifier: MIT
#pragma once

#ifndef _WIN32
#include <unistd.h>
#endif
#include <utility>

namespace poolcore {

#ifdef _WIN32
namespace detail {
/// Closes a Winsock socket or a kernel HANDLE carried as an int (Windows keeps both significant in
/// their low 32 bits), whichever it is.
void close_native(int handle) noexcept;
} // namespace detail
#endif

/// Owns one POSIX file descriptor (on Windows: a socket or a kernel HANDLE, as an int) and closes
/// it exactly once.
class UniqueFd {
public:
    UniqueFd() = default;
    /// Takes ownership of `fd` (-1: none).
    explicit UniqueFd(int fd) noexcept : fd_(fd) {}
    /// Takes `other`'s fd; `other` is left empty.
    UniqueFd(UniqueFd&& other) noexcept : fd_(other.release()) {}
    /// Closes the fd held, then takes `other`'s.
    UniqueFd& operator=(UniqueFd&& other) noexcept {
        if (this != &other)
            reset(other.release());
        return *this;
    }
    UniqueFd(const UniqueFd&) = delete;
    UniqueFd& operator=(const UniqueFd&) = delete;
    ~UniqueFd() { reset(); }

    /// The fd, still owned; -1 when none.
    int get() const noexcept { return fd_; }
    /// Holds an fd.
    bool valid() const noexcept { return fd_ >= 0; }
    /// valid().
    explicit operator bool() const noexcept { return valid(); }

    /// Gives the fd up without closing it; the caller owns it now.
    int release() noexcept { return std::exchange(fd_, -1); }
    /// Closes the fd held, if any, and takes `fd` instead.
    void reset(int fd = -1) noexcept {
        if (fd_ >= 0) {
#ifdef _WIN32
            detail::close_native(fd_);
#else
            ::close(fd_);
#endif
        }
        fd_ = fd;
    }

private:
    int fd_ = -1;
};

} // namespace poolcore
