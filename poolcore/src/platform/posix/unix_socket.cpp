// SPDX-License-Identifier: MIT
#include "platform/posix/unix_socket.h"

#include "poolcore/options.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

namespace poolcore::posix {

namespace {

[[noreturn]] void fail(const std::string& what, const std::string& path, int error) {
    throw PoolError(what + " " + path + ": " + std::strerror(error));
}

sockaddr_un address_of(const std::string& path) {
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    if (path.empty() || path.size() >= sizeof(address.sun_path))
        throw PoolError("monitor socket path must be 1 to " +
                        std::to_string(sizeof(address.sun_path) - 1) + " bytes long: " + path);
    std::memcpy(address.sun_path, path.data(), path.size());
    return address;
}

UniqueFd stream_socket() {
    UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (!fd)
        throw PoolError(std::string("cannot create a Unix socket: ") + std::strerror(errno));
#ifdef SO_NOSIGPIPE
    const int on = 1;
    ::setsockopt(fd.get(), SOL_SOCKET, SO_NOSIGPIPE, &on, sizeof on);
#endif
    return fd;
}

// Whether a server answers at `path`: a blocking connect that succeeds at once or is refused.
bool someone_listens(const std::string& path) {
    UniqueFd probe(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!probe)
        return false;
    const sockaddr_un address = address_of(path);
    return ::connect(probe.get(), reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0;
}

} // namespace

void ensure_private_directory(const std::string& dir) {
    if (dir.empty())
        throw PoolError("the monitor socket's directory is empty");
    const auto slash = dir.find_last_of('/');
    if (slash != std::string::npos && slash > 0) {
        struct stat parent {};
        const std::string up = dir.substr(0, slash);
        if (::stat(up.c_str(), &parent) != 0) {
            if (errno != ENOENT)
                fail("cannot examine", up, errno);
            ensure_private_directory(up);
        }
    }
    if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST)
        fail("cannot create the monitor directory", dir, errno);
    struct stat st {};
    if (::lstat(dir.c_str(), &st) != 0)
        fail("cannot examine the monitor directory", dir, errno);
    if (!S_ISDIR(st.st_mode))
        throw PoolError("the monitor directory " + dir + " is not a directory");
    // Only the innermost directory has to be ours alone: the runtime directory above may be
    // shared (/tmp), but nobody else may enter this one, nor create a socket in it.
    if (st.st_uid != ::geteuid())
        throw PoolError("the monitor directory " + dir + " belongs to uid " +
                        std::to_string(st.st_uid) + ", not to this user");
    if ((st.st_mode & 077) != 0) {
        char mode[8];
        std::snprintf(mode, sizeof mode, "%03o", unsigned(st.st_mode & 0777));
        throw PoolError("the monitor directory " + dir + " may be entered by other users (mode " +
                        mode + "); make it 0700");
    }
}

UniqueFd listen_unix(const std::string& path) {
    const sockaddr_un address = address_of(path);
    struct stat st {};
    if (::lstat(path.c_str(), &st) == 0) {
        if (!S_ISSOCK(st.st_mode))
            throw PoolError("the monitor socket path " + path + " exists and is not a socket");
        if (someone_listens(path))
            throw PoolError("another monitor already listens at " + path);
        ::unlink(path.c_str()); // left by a server that died
    }
    UniqueFd fd = stream_socket();
    // The socket is born 0600: the umask covers the moment between bind() and chmod().
    const mode_t old_mask = ::umask(0177);
    const int bound = ::bind(fd.get(), reinterpret_cast<const sockaddr*>(&address), sizeof address);
    const int bind_error = errno;
    ::umask(old_mask);
    if (bound != 0)
        fail("cannot bind the monitor socket", path, bind_error);
    if (::chmod(path.c_str(), 0600) != 0 || ::listen(fd.get(), 128) != 0) {
        const int error = errno;
        ::unlink(path.c_str());
        fail("cannot listen on the monitor socket", path, error);
    }
    return fd;
}

UniqueFd accept_unix(int listener) {
    for (;;) {
        const int fd = ::accept4(listener, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd >= 0) {
#ifdef SO_NOSIGPIPE
            const int on = 1;
            ::setsockopt(fd, SOL_SOCKET, SO_NOSIGPIPE, &on, sizeof on);
#endif
            return UniqueFd(fd);
        }
        if (errno == EINTR || errno == ECONNABORTED)
            continue;
        return UniqueFd(); // EAGAIN, or out of descriptors: the caller tries on the next wake
    }
}

PeerCredentials peer_credentials(int fd) {
    PeerCredentials peer;
#ifdef SO_PEERCRED
    ucred cred{};
    socklen_t length = sizeof cred;
    if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &length) == 0) {
        peer.known = true;
        peer.uid = cred.uid;
        peer.pid = cred.pid;
    }
#else
    gid_t gid = 0;
    if (::getpeereid(fd, &peer.uid, &gid) == 0)
        peer.known = true;
#endif
    return peer;
}

UniqueFd connect_unix(const std::string& path, bool& in_progress) {
    const sockaddr_un address = address_of(path);
    UniqueFd fd = stream_socket();
    in_progress = false;
    if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0)
        return fd;
    if (errno == EINPROGRESS) {
        in_progress = true;
        return fd;
    }
    fail("cannot connect to", path, errno);
}

int pending_socket_error(int fd) {
    int error = 0;
    socklen_t length = sizeof error;
    if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length) != 0)
        return errno;
    return error;
}

} // namespace poolcore::posix
