// SPDX-License-Identifier: MIT
#pragma once

/// @file
/// The forkserver start method. A small single-threaded server process, started while the
/// program still runs one thread (or spawned afresh when it no longer does), forks every worker
/// on request and hands the worker's channel back over a Unix socket (SCM_RIGHTS). Workers are
/// the server's children: it reaps them and relays each exit status on a per-worker pipe, which
/// is also the pool's exit watch, so the pool still learns of every exit at once and still sees
/// the real pids.
///
/// The server dies with the program (parent-death signal, and EOF on its control socket), and
/// its workers die with the server. If the server dies on its own, its workers die too: the pool
/// sees them exit, and the next launch says what happened and starts a new server.

#include <memory>
#include <sys/types.h>

namespace poolcore {

namespace posix {
class ForkServerClient;
}

/// A running forkserver. Hand it to PoolOptions::forkserver; the pools that use it share it.
class ForkServer {
public:
    /// Starts a server: by fork() while this process runs one thread, otherwise by spawning this
    /// program (which needs run_worker_if_requested() in main()). Throws std::runtime_error or
    /// std::system_error when neither can be done.
    static std::shared_ptr<ForkServer> start();
    ~ForkServer(); ///< the server exits; the caller's pools must be gone by then
    ForkServer(const ForkServer&) = delete;
    ForkServer& operator=(const ForkServer&) = delete;

    /// The server's pid now (a server that died is replaced by the next launch).
    pid_t pid() const;

    /// The pool's side of the conversation with the server, for poolcore's launcher (defined in
    /// src/platform/posix/forkserver_client.h; an embedder has no use for it).
    posix::ForkServerClient& client() const;

private:
    explicit ForkServer(std::unique_ptr<posix::ForkServerClient> client);
    std::unique_ptr<posix::ForkServerClient> client_;
};

} // namespace poolcore
