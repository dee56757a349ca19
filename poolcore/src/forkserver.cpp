// SPDX-License-Identifier: MIT
// The forkserver handle: what an embedder holds of the server that
// platform/posix/forkserver_client.cpp talks to.
#include "poolcore/forkserver.h"

#include "platform/posix/forkserver_client.h"

namespace poolcore {

ForkServer::ForkServer(std::unique_ptr<posix::ForkServerClient> client)
    : client_(std::move(client)) {}

std::shared_ptr<ForkServer> ForkServer::start() {
    return std::shared_ptr<ForkServer>(new ForkServer(std::make_unique<posix::ForkServerClient>()));
}

ForkServer::~ForkServer() = default;

pid_t ForkServer::pid() const {
    return client_->pid();
}

posix::ForkServerClient& ForkServer::client() const {
    return *client_;
}

} // namespace poolcore
