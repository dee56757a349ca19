// SPDX-License-Identifier: MIT
// The words observers read: pool states, exit reasons, exit statuses and signal names.
#include "poolcore/observer.h"

#include "poolcore/enum_text.h"

#include <cctype>
#include <cstdlib>
#include <signal.h>

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

std::string ExitStatus::describe() const {
    if (!known)
        return "unknown exit status";
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
        return n > 0 && n < NSIG ? n : 0;
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
