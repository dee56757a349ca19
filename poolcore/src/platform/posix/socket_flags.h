// SPDX-License-Identifier: MIT
#pragma once

#include <sys/socket.h>

namespace poolcore::posix {

// send() flags for a channel whose peer may be gone: the write fails with EPIPE instead of
// raising SIGPIPE. macOS has no such flag; make_socketpair() sets SO_NOSIGPIPE there instead.
#ifdef MSG_NOSIGNAL
inline constexpr int kSendWithoutSigpipe = MSG_NOSIGNAL;
#else
inline constexpr int kSendWithoutSigpipe = 0;
#endif

} // namespace poolcore::posix
