// SPDX-License-Identifier: MIT
#pragma once

#include <unistd.h>
#include <utility>

namespace poolcore {

/// Owns one POSIX file descriptor and closes it exactly once.
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
        if (fd_ >= 0)
            ::close(fd_);
        fd_ = fd;
    }

private:
    int fd_ = -1;
};

} // namespace poolcore
