// SPDX-License-Identifier: MIT
#pragma once

// The Unix-domain stream sockets of the monitor (src/monitor/): a private directory, a listening
// socket only its user may reach, the peer's credentials, and a non-blocking connect. Each throws
// PoolError with the path and the system's reason when it cannot be done.

#include "poolcore/unique_fd.h"

#include <string>
#include <sys/types.h>

namespace poolcore::posix {

// Creates `dir` (and missing parents) mode 0700; refuses one another user owns or that group or
// others may enter.
void ensure_private_directory(const std::string& dir);
// A non-blocking, close-on-exec socket listening at `path`, mode 0600. A stale socket left there
// by a dead server is replaced; a live one (it accepts a connection) is refused.
UniqueFd listen_unix(const std::string& path);
// One pending connection, non-blocking and close-on-exec; an invalid fd when none is left
// (EAGAIN) or it vanished before being taken.
UniqueFd accept_unix(int listener);
// The peer's user and process (SO_PEERCRED; getpeereid where there is none, pid 0 then).
struct PeerCredentials {
    bool known = false;
    uid_t uid = 0;
    pid_t pid = 0;
};
PeerCredentials peer_credentials(int fd);
// A non-blocking connection to `path`; `in_progress` is set when it completes later (writable).
UniqueFd connect_unix(const std::string& path, bool& in_progress);
// The error a non-blocking connect() ended with (0: connected).
int pending_socket_error(int fd);

} // namespace poolcore::posix
