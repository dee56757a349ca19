// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// The forkserver start method. A small single-threaded server process, started while the
// program still runs one thread (or spawned afresh when it no longer does), forks every worker
// on request and hands the worker's channel back over a Unix socket (SCM_RIGHTS). Workers are
// the server's children: it reaps them and relays each exit status on a per-worker pipe, which
// is also the pool's exit watch, so the pool still learns of every exit at once and still sees
// the real pids.
//
// The server dies with the program (parent-death signal, and EOF on its control socket), and
// its workers die with the server. If the server dies on its own, its workers die too: the pool
// sees them exit, and the next launch says what happened and starts a new server.

#include "platform/process_launcher.h"

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

namespace poolcore {

class ForkServer {
public:
    // Starts a server: by fork() while this process runs one thread, otherwise by spawning this
    // program (which needs run_worker_if_requested() in main()). Throws std::runtime_error or
    // std::system_error when neither can be done.
    static std::shared_ptr<ForkServer> start();
    ~ForkServer(); // the server exits; the caller's pools must be gone by then
    ForkServer(const ForkServer&) = delete;
    ForkServer& operator=(const ForkServer&) = delete;

    pid_t pid() const;

    // Has the server fork one worker. A dead server is first replaced, and `notice` hears that.
    // Never waits for an unresponsive server longer than a few seconds; throws instead.
    LaunchedWorker launch(const WorkerSettings& settings,
                          const std::function<void(const std::string&)>& notice);

    // The exit status the server relays on a worker's exit fd, waiting at most `patience` for it;
    // unknown when the server died before it could tell.
    static ExitStatus read_exit_status(int exit_fd, std::chrono::milliseconds patience);

private:
    ForkServer() = default;
    void start_process();
    // Why the server is gone, if it is (and reaps it); empty while it runs.
    std::optional<std::string> collect_death();
    // The server's socket broke, so it is exiting: waits briefly to learn how it ended (and kills
    // it if it somehow lives on), and returns that.
    std::string await_death();
    // One request; empty when the socket broke (the server died), throws on any other failure.
    std::optional<LaunchedWorker> request_worker(const WorkerSettings& settings);
    void stop_process();
    [[noreturn]] void fail(const std::string& why);

    mutable std::mutex mutex_;
    pid_t pid_ = 0;
    UniqueFd control_;
};

// The server's side; never returns. For run_worker_if_requested() and the fork above.
[[noreturn]] void run_forkserver(int control_fd);

} // namespace poolcore
