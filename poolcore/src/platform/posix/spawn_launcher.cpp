// SPDX-License-Identifier: MIT
// The spawn start method: every worker is a fresh image of this program or of a dedicated worker
// program (posix_spawn), entered through run_worker_if_requested(). Nothing of the parent's
// memory or threads carries over, so it is safe from any process; it is also the shape a
// Windows backend takes.
#include "platform/entry_flags.h"
#include "platform/posix/launchers.h"
#include "platform/posix/posix_process.h"

#include <fcntl.h>
#include <stdexcept>
#include <unistd.h>
#include <vector>

namespace poolcore {

namespace {

class SpawnLauncher final : public posix::PosixLauncher {
public:
    explicit SpawnLauncher(std::string program) : program_(std::move(program)) {}

    std::string_view name() const override { return "spawn"; }

    std::string refusal() const override {
        if (!program_.empty()) {
            const std::string problem = posix::executable_file_problem(program_);
            return problem.empty() ? problem : "the worker program " + problem;
        }
        return worker_entry_installed()
                   ? std::string()
                   : "the spawn start method needs poolcore::run_worker_if_requested(argc, argv) "
                     "at the top of main(), or a worker program that has it";
    }

    LaunchedWorker launch(const WorkerSettings& settings) override {
        auto [parent_end, child_end] = posix::make_socketpair();
        UniqueFd death_read, death_write;
        if (!posix::kernel_has_pidfd())
            std::tie(death_read, death_write) = posix::make_pipe();
        std::vector<int> handed_over{child_end.get()};
        if (death_write.valid())
            handed_over.push_back(death_write.get());

        const pid_t pid = posix::spawn_program(
            program_,
            {entry::kWorkerFlag, std::to_string(::getpid()), std::to_string(settings.max_frame),
             settings.measure_private_memory ? "1" : "0", std::to_string(settings.slot)},
            handed_over);
        return posix::adopt_child(pid, std::move(parent_end), std::move(death_read));
    }

private:
    int descriptors_per_worker() const override { return 2; }
    // Both socket ends and a copy of the child's to hand over, and a pidfd; or both death pipe
    // ends and a copy of its write end.
    int descriptors_to_start() const override { return posix::kernel_has_pidfd() ? 4 : 6; }
    const char* descriptor_costs() const override {
        return posix::kernel_has_pidfd() ? "its channel and a pidfd"
                                         : "its channel and a death pipe";
    }

    std::string program_;
};

} // namespace

std::unique_ptr<ProcessLauncher> make_spawn_launcher(std::string program) {
    return std::make_unique<SpawnLauncher>(std::move(program));
}

} // namespace poolcore
