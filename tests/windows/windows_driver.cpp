// SPDX-License-Identifier: MIT
// The Windows behaviour driver: poolcore's pool on its Windows backend, run under wine in CI (or
// on Windows). Qt Test has no mingw build on Debian, so this is a plain program: each case runs a
// real pool of real worker processes and checks what it did; it prints one line per case and
// "N passed, N failed", and exits 1 when any failed.
//
//     windows_driver.exe [CASE...]   the cases named, or all of them
//     windows_driver.exe --list      their names
//     windows_driver.exe --orphan-parent
//                                    (for the killed-parent case) starts a pool of two workers,
//                                    prints their pids and waits to be killed
#include "platform/win/win_handles.h"
#include "poolcore/observer.h"
#include "poolcore/options.h"
#include "poolcore/poll_loop.h"
#include "poolcore/pool.h"
#include "poolcore/signal_numbers.h"
#include "poolcore/task_registry.h"
#include "poolcore/worker_entry.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <map>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>
#include <windows.h>

using namespace poolcore;
using namespace std::chrono_literals;

namespace {

struct Failure : std::runtime_error {
    using std::runtime_error::runtime_error;
};

#define CHECK(condition, what)                                                                     \
    do {                                                                                           \
        if (!(condition))                                                                          \
            throw Failure(std::string(what) + " [" #condition "]");                                \
    } while (0)

// Whether this process holds `handle` as a socket bound to `port`: how a worker shows it did not
// inherit a socket the parent had marked inheritable.
bool holds_socket_on_port(long long handle, int port) {
    sockaddr_in address{};
    int length = sizeof address;
    const SOCKET s = static_cast<SOCKET>(handle);
    return ::getsockname(s, reinterpret_cast<sockaddr*>(&address), &length) == 0 &&
           address.sin_family == AF_INET && ntohs(address.sin_port) == port;
}

void register_driver_tasks() {
    TaskRegistry::global().add(
        {"holds_socket", "HANDLE PORT", "yes if this process holds HANDLE as a socket on PORT"},
        [](const TaskContext& ctx) {
            std::istringstream in{std::string(ctx.argument())};
            long long handle = 0;
            int port = 0;
            in >> handle >> port;
            return std::string(holds_socket_on_port(handle, port) ? "yes" : "no");
        });
}

struct Exit {
    pid_t pid;
    std::string status;
    ExitReason reason;
};

class Recorder : public PoolObserver {
public:
    void on_worker_exit(int, pid_t pid, const ExitStatus& status, ExitReason reason,
                        const std::string& fault) override {
        exits.push_back({pid, status.describe(), reason});
        if (std::getenv("WINDOWS_DRIVER_VERBOSE"))
            std::printf("  worker %lld exited: %s (%s) %s\n", static_cast<long long>(pid),
                        status.describe().c_str(), std::string(to_string(reason)).c_str(),
                        fault.c_str());
    }
    void on_worker_up(int, pid_t pid) override { up.insert(pid); }
    void on_message(Severity, const std::string& text) override {
        std::printf("  pool: %s\n", text.c_str());
    }
    std::vector<Exit> exits;
    std::set<pid_t> up;
};

std::string directory_of(const std::string& path) {
    const auto slash = path.find_last_of("\\/");
    return slash == std::string::npos ? std::string(".") : path.substr(0, slash);
}

std::string worker_program() {
    return directory_of(this_program_file()) + "\\poolscope-worker.exe";
}

// A running pool on its own loop, with its exits recorded.
struct Harness {
    explicit Harness(PoolOptions options) : pool(std::move(options)) {
        pool.register_with_event_loop(loop);
        pool.add_observer(&recorder);
        pool.start();
        CHECK(loop.run_until([&] { return pool.did_start_ok() || pool.start_failed(); }, 30s),
              "the pool started within 30 s");
        CHECK(pool.did_start_ok(), "every worker said it is up");
    }
    ~Harness() {
        pool.remove_observer(&recorder);
        if (pool.state() == PoolState::Run) {
            pool.terminate();
            pool.join(10s);
        }
    }

    JobResult run(TaskCall call, std::chrono::seconds timeout = 30s) {
        bool done = false;
        JobResult result;
        JobCallbacks callbacks;
        callbacks.on_success = [&](const JobResult& r) { result = r, done = true; };
        callbacks.on_error = [&](const JobResult& r) { result = r, done = true; };
        pool.apply_async(std::move(call), std::move(callbacks));
        if (!loop.run_until([&] { return done; }, timeout))
            throw Failure("a job ended within its timeout");
        return result;
    }
    bool wait(const std::function<bool()>& condition, std::chrono::seconds timeout = 20s) {
        return loop.run_until(condition, timeout);
    }

    PollLoop loop;
    Pool pool;
    Recorder recorder;
};

PoolOptions spawn_options(int processes, bool own_worker_program = true) {
    PoolOptions options;
    options.processes = processes;
    options.proc_alive_timeout = Seconds(20); // wine starts processes slowly on a loaded machine
    if (own_worker_program)
        options.worker_program = worker_program();
    return options;
}

// ---------------------------------------------------------------------------------------------

void jobs_succeed() {
    Harness h(spawn_options(3));
    int ok = 0;
    std::map<JobId, std::string> expected;
    int finished = 0;
    for (int i = 0; i < 200; ++i) {
        const std::string payload = "payload " + std::to_string(i) + std::string(i * 37, 'x');
        JobCallbacks callbacks;
        callbacks.on_success = [&, payload](const JobResult& r) {
            ok += r.value == payload;
            ++finished;
        };
        callbacks.on_error = [&](const JobResult&) { ++finished; };
        h.pool.apply_async(TaskCall{.task = "echo", .payload = payload}, std::move(callbacks));
    }
    CHECK(h.wait([&] { return finished == 200; }, 60s), "200 echo jobs ended");
    CHECK(ok == 200, "every echo came back as sent (" + std::to_string(ok) + " of 200)");

    // For the record (README): no-op jobs through three workers under wine.
    constexpr int kJobs = 3000;
    int noops = 0;
    const auto started = std::chrono::steady_clock::now();
    for (int i = 0; i < kJobs; ++i) {
        JobCallbacks callbacks;
        callbacks.on_success = [&](const JobResult&) { ++noops; };
        h.pool.apply_async(TaskCall{.task = "noop"}, std::move(callbacks));
    }
    CHECK(h.wait([&] { return noops == kJobs; }, 120s), "3000 no-op jobs succeeded");
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    std::printf("  note: %d no-op jobs in %.2f s: %.0f jobs/s (3 workers)\n", kJobs, seconds,
                kJobs / seconds);
}

void crash_is_lost_with_exit_code_named() {
    Harness h(spawn_options(2));
    const JobResult r = h.run(TaskCall{.task = "crash", .argument = "SIGSEGV"});
    CHECK(r.outcome == Outcome::WorkerLost, "a crashed worker's job is lost: " + r.value);
    CHECK(r.value.find("0xC0000005 (access violation)") != std::string::npos,
          "the exit code is named: " + r.value);
    CHECK(h.wait([&] { return h.pool.alive_processes() == 2 && h.recorder.up.size() == 3; }),
          "the crashed worker was replaced");
    CHECK(h.run(TaskCall{.task = "noop"}).ok(), "the pool runs jobs after the crash");
}

void hard_limit_kills_and_replaces() {
    Harness h(spawn_options(1));
    TaskCall call{.task = "hang", .argument = "20000"};
    call.time_limit = Seconds(0.5);
    const JobResult r = h.run(call);
    CHECK(r.outcome == Outcome::TimeLimit, "the hard limit ends the job: " + r.value);
    CHECK(h.wait([&] { return !h.recorder.exits.empty(); }), "the worker exited");
    CHECK(h.recorder.exits[0].reason == ExitReason::TimeLimit, "its exit reason is time-limit");
    // terminate, then kill after kill_grace: either verb's code, never the worker's own exit.
    CHECK(h.recorder.exits[0].status.find("by the pool with TerminateProcess") != std::string::npos,
          "the pool ended it: " + h.recorder.exits[0].status);
    const JobResult next = h.run(TaskCall{.task = "noop"});
    CHECK(next.ok() && next.pid != r.pid, "a new worker runs the next job");
}

void soft_limit_is_honoured() {
    Harness h(spawn_options(1));
    TaskCall call{.task = "spin", .argument = "20000"};
    call.soft_time_limit = Seconds(0.3);
    call.time_limit = Seconds(15);
    const auto started = std::chrono::steady_clock::now();
    const JobResult r = h.run(call);
    CHECK(r.outcome == Outcome::SoftTimeLimit, "the task gave up at its soft limit: " + r.value);
    CHECK(std::chrono::steady_clock::now() - started < 10s, "well before the hard limit");
    const JobResult next = h.run(TaskCall{.task = "noop"});
    CHECK(next.ok() && next.pid == r.pid, "the same worker goes on (no one was killed)");
    CHECK(h.recorder.exits.empty(), "no worker exited");
}

void recycles_by_count() {
    PoolOptions options = spawn_options(1);
    options.max_tasks_per_child = 2;
    Harness h(options);
    std::set<pid_t> pids;
    for (int i = 0; i < 6; ++i) {
        const JobResult r = h.run(TaskCall{.task = "noop"});
        CHECK(r.ok(), "job " + std::to_string(i) + " succeeded");
        pids.insert(r.pid);
    }
    CHECK(pids.size() == 3,
          "six jobs at two per child ran in three workers (" + std::to_string(pids.size()) + ")");
    CHECK(h.wait([&] { return h.recorder.exits.size() >= 2; }), "the full workers exited");
    for (const Exit& e : h.recorder.exits)
        CHECK(e.reason == ExitReason::Recycled, "each was recycled: " + e.status);
}

void recycles_by_memory() {
    PoolOptions options = spawn_options(1);
    options.max_memory_per_child_kib = 64 * 1024;
    Harness h(options);
    const JobResult small = h.run(TaskCall{.task = "alloc", .argument = "1"});
    CHECK(small.ok(), "a small allocation succeeded: " + small.value);
    const JobResult next = h.run(TaskCall{.task = "noop"});
    CHECK(next.pid == small.pid, "a worker under the limit stays");
    const JobResult big = h.run(TaskCall{.task = "alloc", .argument = "128"});
    CHECK(big.ok(), "a 128 MiB allocation succeeded: " + big.value);
    CHECK(h.wait([&] { return !h.recorder.exits.empty(); }), "the worker over the limit exited");
    CHECK(h.recorder.exits[0].reason == ExitReason::Recycled,
          "it was recycled for its memory: " + h.recorder.exits[0].status);
    const JobResult after = h.run(TaskCall{.task = "noop"});
    CHECK(after.ok() && after.pid != big.pid, "a new worker took its place");
}

void restart_replaces_every_worker() {
    Harness h(spawn_options(3));
    const std::vector<pid_t> before = h.pool.pids();
    CHECK(before.size() == 3, "three workers before the restart");
    h.pool.restart();
    CHECK(h.wait([&] {
        const auto now = h.pool.pids();
        return now.size() == 3 &&
               std::none_of(now.begin(), now.end(),
                            [&](pid_t p) {
                                return p == 0 ||
                                       std::find(before.begin(), before.end(), p) != before.end();
                            }) &&
               h.recorder.exits.size() >= 3;
    }),
          "every worker was replaced");
    for (const Exit& e : h.recorder.exits)
        CHECK(e.reason == ExitReason::Retired, "the old ones retired: " + e.status);
    CHECK(h.run(TaskCall{.task = "noop"}).ok(), "the new generation runs jobs");
}

void grows_and_shrinks() {
    Harness h(spawn_options(2));
    h.pool.grow(2);
    CHECK(h.wait([&] { return h.pool.alive_processes() == 4 && h.recorder.up.size() == 4; }),
          "grew to four workers");
    CHECK(h.pool.shrink(3) == 3, "three idle workers retired");
    CHECK(h.wait([&] { return h.pool.alive_processes() == 1; }), "shrank to one");
    CHECK(h.run(TaskCall{.task = "noop"}).ok(), "the last one runs jobs");
}

void unknown_task_is_an_error() {
    Harness h(spawn_options(1));
    const JobResult r = h.run(TaskCall{.task = "no-such-task"});
    CHECK(r.outcome == Outcome::TaskError, "an unknown task fails the job: " + r.value);
    CHECK(r.value.find("no-such-task") != std::string::npos, "the error names it: " + r.value);
    CHECK(h.run(TaskCall{.task = "noop"}).pid == r.pid, "and the worker goes on");
}

void verbs_have_distinct_exit_codes() {
    Harness h(spawn_options(2));
    // terminate_job on a busy worker: the job ends as Terminated.
    bool done = false;
    JobResult r;
    pid_t busy = 0;
    JobCallbacks callbacks;
    callbacks.on_accepted = [&](JobId, pid_t pid) { busy = pid; };
    callbacks.on_error = [&](const JobResult& result) { r = result, done = true; };
    h.pool.apply_async(TaskCall{.task = "hang", .argument = "20000"}, std::move(callbacks));
    CHECK(h.wait([&] { return busy != 0; }), "the job was accepted");
    CHECK(h.pool.terminate_job(busy, SIGTERM), "terminate_job(SIGTERM) reached the worker");
    CHECK(h.wait([&] { return done; }), "the job ended");
    CHECK(r.outcome == Outcome::Terminated, "as terminated: " + r.value);
    CHECK(h.wait([&] { return !h.recorder.exits.empty(); }), "its worker exited");
    CHECK(h.recorder.exits[0].status.find("0xE000000F") != std::string::npos &&
              h.recorder.exits[0].status.find("SIGTERM") != std::string::npos,
          "with the terminate verb's code: " + h.recorder.exits[0].status);
    CHECK(!h.pool.kill_worker(h.pool.pids()[0], SIGUSR1), "a signal Windows cannot carry is "
                                                          "refused");
    const pid_t idle = h.pool.pids()[0];
    CHECK(h.pool.kill_worker(idle, SIGKILL), "kill_worker(SIGKILL) reached a worker");
    CHECK(h.wait([&] { return h.recorder.exits.size() == 2; }), "it exited");
    CHECK(h.recorder.exits[1].status.find("0xE0000009") != std::string::npos &&
              h.recorder.exits[1].status.find("SIGKILL") != std::string::npos,
          "with the kill verb's code: " + h.recorder.exits[1].status);
}

void fork_is_refused() {
    const auto offered = available_start_methods();
    CHECK(offered == std::vector<StartMethod>{StartMethod::Spawn},
          "only spawn is offered, of " + std::to_string(offered.size()) + " methods");
    for (StartMethod method : {StartMethod::Fork, StartMethod::Forkserver}) {
        PoolOptions options = spawn_options(1);
        options.start_method = method;
        std::string error;
        try {
            Pool pool(options);
        } catch (const PoolError& e) {
            error = e.what();
        }
        CHECK(error.find("Windows") != std::string::npos &&
                  error.find("spawn") != std::string::npos,
              "the " + std::string(to_string(method)) + " method is refused: '" + error + "'");
    }
}

void worker_holds_only_its_channel() {
    // An inheritable socket of the embedder's, on a port of its own: no worker may get it.
    win::ensure_winsock();
    const SOCKET stranger = ::socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    CHECK(stranger != INVALID_SOCKET, "a socket for the probe");
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    CHECK(::bind(stranger, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0, "bound");
    int length = sizeof address;
    ::getsockname(stranger, reinterpret_cast<sockaddr*>(&address), &length);
    const int port = ntohs(address.sin_port);
    CHECK(::SetHandleInformation(reinterpret_cast<HANDLE>(stranger), HANDLE_FLAG_INHERIT,
                                 HANDLE_FLAG_INHERIT),
          "marked inheritable");
    const long long handle = static_cast<long long>(stranger);
    CHECK(holds_socket_on_port(handle, port), "the probe sees the socket where it is held");
    const std::string argument = std::to_string(handle) + " " + std::to_string(port);

    Harness h(spawn_options(2, false)); // this program as the worker: it has the probe task
    for (int i = 0; i < 4; ++i) {
        const JobResult r = h.run(TaskCall{.task = "holds_socket", .argument = argument});
        CHECK(r.ok(), "the probe ran: " + r.value);
        CHECK(r.value == "no", "worker " + std::to_string(r.pid) + " did not inherit it");
    }
    ::closesocket(stranger);
}

void killed_parent_leaves_no_worker() {
    SECURITY_ATTRIBUTES inherit{sizeof(SECURITY_ATTRIBUTES), nullptr, TRUE};
    HANDLE read_end = nullptr, write_end = nullptr;
    CHECK(::CreatePipe(&read_end, &write_end, &inherit, 0), "a pipe for the parent's report");
    ::SetHandleInformation(read_end, HANDLE_FLAG_INHERIT, 0);
    STARTUPINFOW startup{};
    startup.cb = sizeof startup;
    startup.dwFlags = STARTF_USESTDHANDLES;
    startup.hStdOutput = write_end;
    startup.hStdError = ::GetStdHandle(STD_ERROR_HANDLE);
    startup.hStdInput = nullptr;
    std::wstring command = L"\"" + win::widen(this_program_file()) + L"\" --orphan-parent";
    PROCESS_INFORMATION parent{};
    CHECK(::CreateProcessW(nullptr, command.data(), nullptr, nullptr, TRUE, 0, nullptr, nullptr,
                           &startup, &parent),
          "the parent started");
    ::CloseHandle(write_end);
    std::string report;
    char buffer[256];
    DWORD got = 0;
    while (report.find('\n') == std::string::npos &&
           ::ReadFile(read_end, buffer, sizeof buffer, &got, nullptr) && got > 0)
        report.append(buffer, got);
    ::CloseHandle(read_end);
    std::istringstream in(report);
    std::vector<DWORD> workers;
    for (DWORD pid; in >> pid;)
        workers.push_back(pid);
    CHECK(workers.size() == 2, "the parent reported two workers: '" + report + "'");
    std::vector<HANDLE> handles;
    for (DWORD pid : workers) {
        HANDLE h = ::OpenProcess(SYNCHRONIZE, FALSE, pid);
        CHECK(h, "worker " + std::to_string(pid) + " runs");
        CHECK(::WaitForSingleObject(h, 0) == WAIT_TIMEOUT,
              "worker " + std::to_string(pid) + " runs");
        handles.push_back(h);
    }
    ::TerminateProcess(parent.hProcess, 1);
    ::WaitForSingleObject(parent.hProcess, 10000);
    ::CloseHandle(parent.hProcess);
    ::CloseHandle(parent.hThread);
    for (std::size_t i = 0; i < handles.size(); ++i) {
        CHECK(::WaitForSingleObject(handles[i], 15000) == WAIT_OBJECT_0,
              "worker " + std::to_string(workers[i]) + " ended with its parent");
        ::CloseHandle(handles[i]);
    }
}

int orphan_parent() {
    Harness h(spawn_options(2));
    for (pid_t pid : h.pool.pids())
        std::printf("%lld ", static_cast<long long>(pid));
    std::printf("\n");
    std::fflush(stdout);
    h.loop.run_until([] { return false; }, 600s); // until killed
    return 0;
}

const std::vector<std::pair<const char*, void (*)()>> kCases{
    {"jobs_succeed", jobs_succeed},
    {"crash_is_lost_with_exit_code_named", crash_is_lost_with_exit_code_named},
    {"hard_limit_kills_and_replaces", hard_limit_kills_and_replaces},
    {"soft_limit_is_honoured", soft_limit_is_honoured},
    {"recycles_by_count", recycles_by_count},
    {"recycles_by_memory", recycles_by_memory},
    {"restart_replaces_every_worker", restart_replaces_every_worker},
    {"grows_and_shrinks", grows_and_shrinks},
    {"unknown_task_is_an_error", unknown_task_is_an_error},
    {"verbs_have_distinct_exit_codes", verbs_have_distinct_exit_codes},
    {"fork_is_refused", fork_is_refused},
    {"worker_holds_only_its_channel", worker_holds_only_its_channel},
    {"killed_parent_leaves_no_worker", killed_parent_leaves_no_worker},
};

} // namespace

int main(int argc, char** argv) {
    register_driver_tasks();
    run_worker_if_requested(argc, argv); // never returns in a worker
    std::setvbuf(stdout, nullptr, _IONBF, 0);
    if (argc == 2 && std::strcmp(argv[1], "--orphan-parent") == 0)
        return orphan_parent();
    if (argc == 2 && std::strcmp(argv[1], "--list") == 0) {
        for (const auto& [name, run] : kCases)
            std::printf("%s\n", name);
        return 0;
    }
    std::set<std::string> wanted(argv + 1, argv + argc);
    for (const std::string& name : wanted)
        if (std::none_of(kCases.begin(), kCases.end(),
                         [&](const auto& c) { return name == c.first; })) {
            std::fprintf(stderr, "windows_driver: no case named '%s' (see --list)\n", name.c_str());
            return 2;
        }
    int passed = 0, failed = 0;
    for (const auto& [name, run] : kCases) {
        if (!wanted.empty() && !wanted.count(name))
            continue;
        const auto started = std::chrono::steady_clock::now();
        try {
            run();
            ++passed;
            std::printf("PASS %s", name);
        } catch (const std::exception& e) {
            ++failed;
            std::printf("FAIL %s: %s", name, e.what());
        }
        std::printf(
            " (%.1f s)\n",
            std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
    }
    std::printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
