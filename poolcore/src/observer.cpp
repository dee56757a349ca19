// SPDX-License-Identifier: MIT
// The words observers read: pool states, exit reasons, exit statuses and signal names.
#include "poolcore/observer.h"

#include "poolcore/enum_text.h"
#include "poolcore/signal_numbers.h"

#include <cctype>
#include <cstdio>
#include <cstdlib>

namespace poolcore {

namespace {

constexpr EnumTable<PoolState, 5> kPoolStateNames{{{PoolState::Init, "INIT"},
                                                   {PoolState::Run, "RUN"},
                                                   {PoolState::Close, "CLOSE"},
                                                   {PoolState::Terminate, "TERMINATE"},
                                                   {PoolState::Stopped, "STOPPED"}}};

constexpr EnumTable<ExitReason, 5> kExitReasonNames{{{ExitReason::Died, "died"},
                                                     {ExitReason::Recycled, "recycled"},
                                                     {ExitReason::Retired, "retired"},
                                                     {ExitReason::TimeLimit, "time-limit"},
                                                     {ExitReason::Killed, "killed"}}};

// The signals a worker commonly dies of or is sent; numbers differ between systems, so the table
// is built from the system's own constants.
constexpr EnumTable<int, 22> kSignalNames{
    {{SIGHUP, "SIGHUP"},   {SIGINT, "SIGINT"},   {SIGQUIT, "SIGQUIT"}, {SIGILL, "SIGILL"},
     {SIGTRAP, "SIGTRAP"}, {SIGABRT, "SIGABRT"}, {SIGBUS, "SIGBUS"},   {SIGFPE, "SIGFPE"},
     {SIGKILL, "SIGKILL"}, {SIGUSR1, "SIGUSR1"}, {SIGSEGV, "SIGSEGV"}, {SIGUSR2, "SIGUSR2"},
     {SIGPIPE, "SIGPIPE"}, {SIGALRM, "SIGALRM"}, {SIGTERM, "SIGTERM"}, {SIGCHLD, "SIGCHLD"},
     {SIGCONT, "SIGCONT"}, {SIGSTOP, "SIGSTOP"}, {SIGTSTP, "SIGTSTP"}, {SIGXCPU, "SIGXCPU"},
     {SIGXFSZ, "SIGXFSZ"}, {SIGSYS, "SIGSYS"}}};

} // namespace

std::string_view to_string(PoolState s) {
    return enum_text(kPoolStateNames, s, "UNKNOWN");
}

std::string_view to_string(ExitReason r) {
    return enum_text(kExitReasonNames, r);
}

#ifdef _WIN32
namespace {

// What a Windows exit code that is an NTSTATUS says: the exceptions a crashed worker ends with.
const char* ntstatus_words(std::uint32_t code) {
    switch (code) {
    case 0xC0000005u:
        return "access violation";
    case 0xC00000FDu:
        return "stack overflow";
    case 0xC0000094u:
        return "integer division by zero";
    case 0xC000001Du:
        return "illegal instruction";
    case 0xC0000409u:
        return "stack buffer overrun or fail-fast";
    case 0xC0000017u:
        return "out of memory";
    case 0xC000013Au:
        return "Ctrl-C";
    case 0x80000003u:
        return "breakpoint";
    default:
        return nullptr;
    }
}

std::string hex_code(std::uint32_t code) {
    char text[16];
    std::snprintf(text, sizeof text, "0x%08X", static_cast<unsigned>(code));
    return text;
}

} // namespace
#endif

std::string ExitStatus::describe() const {
    if (!known)
        return "unknown exit status";
#ifdef _WIN32
    // Windows has no signals: the launcher ends a worker with TerminateProcess and an exit code
    // of its own per verb, and reap() reports those as the signal they stand for.
    if (signaled)
        return "exitcode " + hex_code(0xE0000000u | std::uint32_t(code)) + " (" +
               (code == SIGKILL ? "killed" : "terminated") +
               " by the pool with TerminateProcess, as " + std::string(signal_name(code)) + ")";
    if (const char* words = ntstatus_words(std::uint32_t(code)))
        return "exitcode " + hex_code(std::uint32_t(code)) + " (" + words + ")";
#endif
    if (!signaled)
        return "exitcode " + std::to_string(code);
    return "signal " + std::to_string(code) + " (" + std::string(signal_name(code)) + ")";
}

std::string_view signal_name(int signal) {
    return enum_text(kSignalNames, signal, "SIG?");
}

int parse_signal(std::string_view text) {
    if (text.empty())
        return 0;
    if (text.find_first_not_of("0123456789") == std::string_view::npos) {
        const int n = std::atoi(std::string(text).c_str());
        return n > 0 && n < kSignalLimit ? n : 0;
    }
    std::string name(text);
    for (auto& c : name)
        c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    if (name.rfind("SIG", 0) != 0)
        name = "SIG" + name;
    for (const auto& [number, known] : kSignalNames)
        if (known == name)
            return number;
    return 0;
}

} // namespace poolcore
