// SPDX-License-Identifier: MIT
#pragma once

// The pool's side of the forkserver (poolcore/forkserver.h is the handle an embedder holds):
// starts the server process, asks it for workers, and notices and replaces a server that died.

#include "platform/process_launcher.h"

#include <chrono>
#include <functional>
#include <mutex>
#include <optional>
#include <string>

namespace poolcore::forkserver {
struct Request;
}

namespace poolcore::posix {

// A worker as the server hands it over: exit_fd is its exit-status pipe; death_read, where the
// kernel has no pidfd, the read end of the worker's own death pipe (EOF once it has exited,
// whether or not the server runs).
struct ServedWorker : LaunchedWorker {
    UniqueFd death_read;
};

class ForkServerClient {
public:
    // Starts a server: by fork() while this process runs one thread, otherwise by spawning this
    // program (which needs run_worker_if_requested() in main()). Throws std::runtime_error or
    // std::system_error when neither can be done.
    ForkServerClient();
    ~ForkServerClient(); // the server exits
    ForkServerClient(const ForkServerClient&) = delete;
    ForkServerClient& operator=(const ForkServerClient&) = delete;

    pid_t pid() const;

    // Has the server fork one worker. A dead server is first replaced, and `notice` hears that.
    // Never waits for an unresponsive server longer than a few seconds; throws instead.
    ServedWorker launch(const WorkerSettings& settings,
                        const std::function<void(const std::string&)>& notice);

    // The exit status the server relays on a worker's exit fd, waiting at most `patience` for it;
    // unknown when the server died before it could tell.
    static ExitStatus read_exit_status(int exit_fd, std::chrono::milliseconds patience);

    // The exit status of `worker`, whose pidfd has fired or which the pool has just killed: as
    // the server relays it on `status_pipe` (the worker's exit-status pipe), or, from a server
    // that does not run (stopped) and so reaps nothing, read from the zombie worker itself; then
    // `notice` hears, once, that the server is unresponsive. Waits at most `patience`.
    ExitStatus exit_status_of(pid_t worker, int status_pipe, std::chrono::milliseconds patience,
                              const std::function<void(const std::string&)>& notice);

private:
    void start_process();
    // Why the server is gone, if it is (and reaps it); empty while it runs.
    std::optional<std::string> collect_death();
    // The server's socket broke, so it is exiting: waits briefly to learn how it ended (and kills
    // it if it somehow lives on), and returns that.
    std::string await_death();
    // One request; empty when the socket broke (the server died), throws on any other failure.
    std::optional<ServedWorker> request_worker(const WorkerSettings& settings);
    // False when the socket broke (the server died); throws on any other failure.
    bool send_request(const forkserver::Request& request);
    // "the server, pid 42, is T (stopped)": for a message about a server that did not answer.
    std::string describe_server() const;
    void stop_process();
    [[noreturn]] void fail(const std::string& why);

    mutable std::mutex mutex_;
    pid_t pid_ = 0;
    UniqueFd control_;
    pid_t told_unresponsive_ = 0; // the server last named unresponsive, until it answers again
};

} // namespace poolcore::posix
