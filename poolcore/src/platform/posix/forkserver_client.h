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

namespace poolcore::posix {

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
    LaunchedWorker launch(const WorkerSettings& settings,
                          const std::function<void(const std::string&)>& notice);

    // The exit status the server relays on a worker's exit fd, waiting at most `patience` for it;
    // unknown when the server died before it could tell.
    static ExitStatus read_exit_status(int exit_fd, std::chrono::milliseconds patience);

private:
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

} // namespace poolcore::posix
