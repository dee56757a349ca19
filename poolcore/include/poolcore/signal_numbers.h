// SPDX-License-Identifier: MIT
#pragma once

/// @file
/// Signal numbers as names for the API's Celery-parity calls (terminate_job(pid, SIGTERM),
/// kill_worker(pid, SIGKILL), "crash SIGSEGV") and for ExitStatus, so that a program using them
/// builds on every platform. POSIX has them all; Windows' C library has six, so the rest get
/// their Linux numbers there: names the caller writes, never signals anyone sends (the Windows
/// launcher turns SIGTERM and SIGKILL into TerminateProcess with an exit code of their own).

#include <csignal>

#ifdef _WIN32
#ifndef SIGHUP
#define SIGHUP 1
#endif
#ifndef SIGQUIT
#define SIGQUIT 3
#endif
#ifndef SIGTRAP
#define SIGTRAP 5
#endif
#ifndef SIGBUS
#define SIGBUS 7
#endif
#ifndef SIGKILL
#define SIGKILL 9
#endif
#ifndef SIGUSR1
#define SIGUSR1 10
#endif
#ifndef SIGUSR2
#define SIGUSR2 12
#endif
#ifndef SIGPIPE
#define SIGPIPE 13
#endif
#ifndef SIGALRM
#define SIGALRM 14
#endif
#ifndef SIGCHLD
#define SIGCHLD 17
#endif
#ifndef SIGCONT
#define SIGCONT 18
#endif
#ifndef SIGSTOP
#define SIGSTOP 19
#endif
#ifndef SIGTSTP
#define SIGTSTP 20
#endif
#ifndef SIGXCPU
#define SIGXCPU 24
#endif
#ifndef SIGXFSZ
#define SIGXFSZ 25
#endif
#ifndef SIGSYS
#define SIGSYS 31
#endif
#endif

namespace poolcore {
/// One past the highest signal number parse_signal() accepts.
#ifdef _WIN32
inline constexpr int kSignalLimit = 32;
#else
inline constexpr int kSignalLimit = NSIG;
#endif
} // namespace poolcore
