// SPDX-License-Identifier: MIT
// The forkserver handle on Windows, where there is no fork: start() says so, and nothing else
// can be reached without a server.
#include "poolcore/forkserver.h"

#include <stdexcept>

namespace poolcore {

namespace posix {
class ForkServerClient {};
} // namespace posix

ForkServer::ForkServer(std::unique_ptr<posix::ForkServerClient> client)
    : client_(std::move(client)) {}

std::shared_ptr<ForkServer> ForkServer::start() {
    throw std::runtime_error("the forkserver start method needs fork(), which Windows does not "
                             "have: use the spawn start method");
}

ForkServer::~ForkServer() = default;

pid_t ForkServer::pid() const {
    return 0;
}

posix::ForkServerClient& ForkServer::client() const {
    return *client_;
}

} // namespace poolcore
