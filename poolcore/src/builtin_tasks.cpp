// SPDX-License-Identifier: MIT
// The built-in tasks: small, predictable behaviours for exercising the pool under load and faults.
#include "platform/process_memory.h"
#include "poolcore/observer.h"
#include "poolcore/options.h"
#include "poolcore/signal_numbers.h"
#include "poolcore/task_registry.h"

#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstring>
#include <memory>
#include <thread>
#include <unistd.h>
#include <vector>
#ifdef _WIN32
#include "platform/win/win_handles.h"

#include <cstdlib>
#include <windows.h>
#else
#include <signal.h>
#endif

namespace poolcore {

namespace {

using Clock = std::chrono::steady_clock;

// The argument as a whole number from 0 to `max`; anything else is the task's error, naming the
// range (a larger one would overflow the clock or the size it becomes).
// long long: Windows' long is 32 bits.
long long parse_number(const TaskContext& ctx, const char* task, const char* unit, long long max) {
    const auto arg = ctx.argument();
    long long value = 0;
    const auto [end, ec] = std::from_chars(arg.data(), arg.data() + arg.size(), value);
    if (arg.empty() || ec != std::errc() || end != arg.data() + arg.size() || value < 0 ||
        value > max)
        throw std::invalid_argument(std::string(task) + ": argument must be " + unit +
                                    " from 0 to " + std::to_string(max) + ", got '" +
                                    std::string(arg) + "'");
    return value;
}

// Milliseconds up to kMaxSeconds, the longest time the pool takes anywhere.
constexpr long long kMaxMilliseconds = static_cast<long long>(kMaxSeconds) * 1000;
// 1 TiB: more than any machine this runs on lends one worker, and far below where the byte count
// (MiB << 20) would wrap.
constexpr long long kMaxAllocMib = 1LL << 20;

std::chrono::milliseconds parse_ms(const TaskContext& ctx, const char* task) {
    return std::chrono::milliseconds(
        parse_number(ctx, task, "a whole number of milliseconds", kMaxMilliseconds));
}

// Burns CPU until `deadline`; `honour_soft` decides whether the soft limit ends it early.
void spin_until(const TaskContext& ctx, Clock::time_point deadline, bool honour_soft) {
    volatile std::uint64_t sink = 0;
    while (Clock::now() < deadline) {
        for (int i = 0; i < 10'000; ++i)
            sink = sink + static_cast<std::uint64_t>(i);
        if (honour_soft)
            ctx.check_soft_time_limit();
    }
}

// Memory allocated by `alloc` stays for the worker's lifetime, so that memory-based recycling
// and the memory chart have something to see. Only ever touched inside a worker process.
std::vector<std::unique_ptr<char[]>>& kept_allocations() {
    static std::vector<std::unique_ptr<char[]>> kept;
    return kept;
}

} // namespace

void register_builtin_tasks(TaskRegistry& r) {
    r.add({"noop", "", "Does nothing; measures the pool's own cost."},
          [](const TaskContext&) { return std::string(); });

    r.add({"echo", "", "Returns its payload."},
          [](const TaskContext& ctx) { return std::string(ctx.payload()); });

    r.add({"sleep", "MS", "Sleeps MS milliseconds; stops early at the soft time limit."},
          [](const TaskContext& ctx) {
              const auto deadline = Clock::now() + parse_ms(ctx, "sleep");
              while (Clock::now() < deadline) {
                  ctx.check_soft_time_limit();
                  const auto step = std::min<Clock::duration>(deadline - Clock::now(),
                                                              std::chrono::milliseconds(5));
                  std::this_thread::sleep_for(step);
              }
              return std::string();
          });

    r.add({"spin", "MS", "Keeps a CPU busy for MS milliseconds; honours the soft time limit."},
          [](const TaskContext& ctx) {
              spin_until(ctx, Clock::now() + parse_ms(ctx, "spin"), true);
              return std::string();
          });

    r.add({"hang", "MS", "Keeps a CPU busy for MS milliseconds and ignores the soft time limit."},
          [](const TaskContext& ctx) {
              spin_until(ctx, Clock::now() + parse_ms(ctx, "hang"), false);
              return std::string();
          });

    r.add({"alloc", "MIB", "Allocates MIB mebibytes, touches every page and keeps them."},
          [](const TaskContext& ctx) {
              const long long mib =
                  parse_number(ctx, "alloc", "a whole number of MiB", kMaxAllocMib);
              const std::size_t bytes = std::size_t(mib) << 20;
              auto block = std::make_unique<char[]>(bytes);
              const std::size_t page = memory_page_bytes();
              for (std::size_t i = 0; i < bytes; i += page)
                  block[i] = 1;
              kept_allocations().push_back(std::move(block));
              return std::to_string(current_resident_kib());
          });

    r.add({"crash", "SIGNAL", "Kills its own worker with SIGNAL (a number or a name)."},
          [](const TaskContext& ctx) -> std::string {
              const int sig = parse_signal(ctx.argument().empty() ? "SIGKILL" : ctx.argument());
              if (sig == 0)
                  throw std::invalid_argument("crash: unknown signal '" +
                                              std::string(ctx.argument()) + "'");
#ifdef _WIN32
              // No signals: each ends the worker the way Windows ends a process for it.
              if (sig == SIGSEGV || sig == SIGBUS)
                  ::RaiseException(EXCEPTION_ACCESS_VIOLATION, EXCEPTION_NONCONTINUABLE, 0,
                                   nullptr);
              if (sig == SIGILL)
                  ::RaiseException(EXCEPTION_ILLEGAL_INSTRUCTION, EXCEPTION_NONCONTINUABLE, 0,
                                   nullptr);
              if (sig == SIGABRT)
                  std::abort();
              ::TerminateProcess(::GetCurrentProcess(), win::exit_code_for_signal(sig));
              return {};
#else
              ::signal(sig, SIG_DFL);
              ::kill(::getpid(), sig);
              ::raise(SIGKILL); // signals whose default is to ignore them still end the worker
              return {};
#endif
          });

    r.add({"exit", "CODE", "Exits its worker with CODE."},
          [](const TaskContext& ctx) -> std::string {
              ::_exit(static_cast<int>(parse_number(ctx, "exit", "an exit code", 255)));
          });

    r.add({"fail", "MESSAGE", "Fails with MESSAGE as the error."},
          [](const TaskContext& ctx) -> std::string {
              throw std::runtime_error(ctx.argument().empty() ? std::string("task failed")
                                                              : std::string(ctx.argument()));
          });
}

} // namespace poolcore
