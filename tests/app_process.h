// SPDX-License-Identifier: GPL-3.0-or-later
// The app's own binary run as a user's shell or supervisor runs it: with a standard stream
// closed, signalled in the middle of its work, and watched through /proc.
#pragma once

#include "process_util.h"

#include <QProcess>
#include <QTest>
#include <chrono>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <unistd.h>
#include <vector>

namespace apptest {

struct Finished {
    bool exited = false; // false: it died by a signal, or did not end in time
    int code = -1;
    std::string out;
    std::string err;
    // The report, when stdout held one JSON object; null otherwise.
    nlohmann::json report() const {
        auto report = nlohmann::json::parse(out, nullptr, false);
        return report.is_discarded() ? nlohmann::json() : report;
    }
};

// Starts POOLSCOPE_APP with `args`; `closed_fd` (0, 1 or 2) is closed in the child first, as
// `>&-` would.
inline std::unique_ptr<QProcess> start(const QStringList& args, int closed_fd = -1,
                                       const QProcessEnvironment& env = {}) {
    auto app = std::make_unique<QProcess>();
    if (closed_fd >= 0)
        app->setChildProcessModifier([closed_fd] { ::close(closed_fd); });
    if (!env.isEmpty())
        app->setProcessEnvironment(env);
    app->start(QStringLiteral(POOLSCOPE_APP), args);
    return app;
}

// Waits (within a generous bound: the machine may be loaded) for the app to end.
inline Finished finish(QProcess& app, int timeout_ms = 120000) {
    Finished f;
    const bool ended = app.waitForFinished(timeout_ms);
    if (!ended) {
        app.kill();
        app.waitForFinished(10000);
    }
    f.exited = ended && app.exitStatus() == QProcess::NormalExit;
    f.code = f.exited ? app.exitCode() : -1;
    f.out = app.readAllStandardOutput().toStdString();
    f.err = app.readAllStandardError().toStdString();
    return f;
}

// The app's processes below it once there are at least `count`; what there is after 30 s
// otherwise.
inline std::vector<pid_t> wait_for_descendants(pid_t app, std::size_t count) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    std::vector<pid_t> found = testutil::descendants_of(app);
    while (found.size() < count && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        found = testutil::descendants_of(app);
    }
    return found;
}

// Those of `pids` still running 10 s after the app ended (they die with it, or not at all).
inline std::vector<pid_t> left_behind(const std::vector<pid_t>& pids) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    std::vector<pid_t> running = pids;
    while (!running.empty() && std::chrono::steady_clock::now() < deadline) {
        std::erase_if(running, testutil::process_gone);
        if (!running.empty())
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return running;
}

// Which of descriptors 0-2 of `pids` are sockets, as "pid 12 fd 2 -> socket:[345]": a closed
// standard stream whose number the pool's own sockets took.
inline std::string standard_sockets(const std::vector<pid_t>& pids) {
    std::string found;
    for (pid_t pid : pids)
        for (int fd = 0; fd <= 2; ++fd) {
            std::error_code error;
            const auto target = std::filesystem::read_symlink(
                "/proc/" + std::to_string(pid) + "/fd/" + std::to_string(fd), error);
            if (!error && target.string().starts_with("socket:"))
                found += "pid " + std::to_string(pid) + " fd " + std::to_string(fd) + " -> " +
                         target.string() + "\n";
        }
    return found;
}

// Every outcome the report counts: each submitted job must have exactly one.
inline long long outcomes(const nlohmann::json& report) {
    long long n = 0;
    for (const char* key :
         {"succeeded", "failed", "lost", "timed_out", "soft_timed_out", "terminated"})
        n += report[key].get<long long>();
    return n;
}

} // namespace apptest
