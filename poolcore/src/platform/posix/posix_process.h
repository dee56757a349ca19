// SPDX-License-Identifier: MIT
#pragma once

// What the POSIX launchers (fork, forkserver, spawn) share: descriptor plumbing, exit watching,
// spawning, signals and reaping. Private to poolcore/platform.

#include "platform/process_launcher.h"

#include <optional>
#include <string>
#include <string_view>
#include <sys/types.h>
#include <utility>
#include <vector>

namespace poolcore::posix {

[[noreturn]] void throw_errno(const char* what);

// The file the kernel runs this program from: "/proc/self/exe" on Linux (still the right image
// if the file was replaced since), the executable's path on macOS.
std::string program_image_path();
// This program's file name, as argv[0] for a fresh image of it.
std::string program_file_name();
// Why `path` cannot be executed: empty when it is an executable regular file.
std::string executable_file_problem(const std::string& path);

void set_nonblocking(int fd);
// A connected AF_UNIX stream pair, both ends close-on-exec (and SIGPIPE-free where the platform
// has SO_NOSIGPIPE).
std::pair<UniqueFd, UniqueFd> make_socketpair();
// A pipe, both ends close-on-exec: {read, write}.
std::pair<UniqueFd, UniqueFd> make_pipe();

// A pidfd for `pid` (Linux 5.3+), invalid where the kernel has none.
UniqueFd open_pidfd(pid_t pid);
bool kernel_has_pidfd();

// Closes every descriptor from `first` up. For the child between fork and the worker loop.
void close_from(int first);

// Moves `fds[i]` to kWorkerChannelFd + i (3, 4, ...) in a freshly forked child, kept across
// exec, whatever numbers they sit at now (one may sit where another goes). Needs no free
// descriptor, so it works at any RLIMIT_NOFILE that leaves room for the targets; false if the
// OS refused. Async-signal-safe.
bool place_descriptors(const int* fds, int count);
// For a child between fork and the worker loop: says on stderr that it could not take its
// descriptors and why (`what`, and the descriptor limit), and exits 70 (EX_SOFTWARE).
[[noreturn]] void exit_without_descriptors(const char* what);

// The descriptor limit (RLIMIT_NOFILE, the soft one), and how many of the numbers below it this
// process holds now.
int descriptor_limit();
int descriptors_in_use();

// The descriptors this process holds now (from /proc/self/fd, or /dev/fd).
std::vector<int> open_descriptors();

// What /proc/PID/stat says after the command name (field 3 on, from the name's last ')', since
// the name may hold spaces and parentheses); empty when it cannot be read, as when the process
// exits between the open and the read (ESRCH: read with stdio, which reports it, where an
// istreambuf_iterator would throw out of the stats sampler).
std::string proc_stat_fields(pid_t pid);
// The scheduling state of `pid` as /proc/PID/stat tells it ("T (stopped)", "S (sleeping)"),
// empty when it cannot be read.
std::string process_state(pid_t pid);
// The waitpid() status of `pid`, a zombie whose parent has not reaped it yet, read from
// /proc/PID/stat (Linux): the exit of a process that is not this one's child.
std::optional<int> zombie_wait_status(pid_t pid);

// For a worker: arms the parent-death signal (Linux), or where there is none starts a thread
// that kills this process once `expected_parent` is no longer its parent (the portable path,
// posix_features.h); and checks the parent is still `expected_parent`: a child whose parent
// died before the watch was armed exits at once.
void die_with_parent(pid_t expected_parent);
// For the forkserver: the same without the thread (it sees its parent's death as EOF on its
// control socket, the one thing it waits on), so that it stays single-threaded.
void exit_with_parent_or_on_eof(pid_t expected_parent);

// Decodes a waitpid() status.
ExitStatus decode_wait_status(int status);
// Blocks until `pid`, a child of this process, has exited; unknown if someone else reaped it.
ExitStatus wait_for_child(pid_t pid);

// Starts a fresh image of `program` (empty: this program) with `arguments` after argv[0],
// handing `descriptors` over as 3, 4, ... and nothing else beyond stdio. This program needs
// run_worker_if_requested() in main(); another program is trusted to have it.
pid_t spawn_program(const std::string& program, const std::vector<std::string>& arguments,
                    const std::vector<int>& descriptors);

// Threads this process runs now (1 where the platform cannot tell).
int running_thread_count();

// The exit watch of `pid`, a child just started: `death_read` (the read end of a death pipe
// whose write end only the child holds) when valid, else a pidfd. When there is neither, the
// child is killed and reaped, and std::system_error thrown: a worker the pool cannot watch must
// not outlive the launch.
UniqueFd watch_exit_or_kill(pid_t pid, UniqueFd death_read);
// The pool's handle on `pid`, a worker this process just started: `channel` (the parent's end)
// made non-blocking, and its exit watched (watch_exit_or_kill()).
LaunchedWorker adopt_child(pid_t pid, UniqueFd channel, UniqueFd death_read);

// The process mechanisms every POSIX launcher shares: the verbs as signals, and memory readings.
class PosixLauncher : public ProcessLauncher {
public:
    bool soft_limit(pid_t pid, std::uint32_t job_tag) override;
    bool terminate(pid_t pid) override;
    bool kill(pid_t pid) override;
    bool deliver(pid_t pid, int signal) override;
    std::uint64_t resident_kib(pid_t pid) override;
    double cpu_seconds(pid_t pid) override;
    // A worker that is this process's own child (fork, spawn); the forkserver's workers are the
    // server's children, and its launcher reads their status from the server instead.
    ExitStatus reap(pid_t pid, int exit_fd) override;
    // Where a death pipe watches the exit of a worker that is this process's own child, the
    // kernel is asked too (waitid, WNOWAIT): see exit_check_period() in posix_process.cpp.
    std::chrono::milliseconds exit_check_period() const override;
    bool has_exited(pid_t pid) override;
    // The descriptor limit against `processes` workers of descriptors_per_worker() each.
    Capacity capacity_for(int processes) const override;

protected:
    // What one running worker costs in this process, and in what (for the message); and what
    // starting one costs at its peak, before the descriptors only the child needs are closed.
    virtual int descriptors_per_worker() const = 0;
    virtual const char* descriptor_costs() const = 0;
    virtual int descriptors_to_start() const = 0;

private:
    // `job_tag` rides along where the platform can carry it (sigqueue).
    static bool send_signal(pid_t pid, int signal, std::uint32_t job_tag = 0);
};

} // namespace poolcore::posix
