// SPDX-License-Identifier: MIT
#pragma once

// The one place that says whether this build uses the Linux-only mechanisms (pidfd_open,
// close_range, PR_SET_PDEATHSIG, SOCK_CLOEXEC, pipe2, posix_spawn's addclosefrom_np). Each has a
// portable POSIX path beside it, the one macOS takes; configuring with
// -DPOOLCORE_PORTABLE_POSIX=ON takes those paths on Linux too, so that what cannot be built
// here for macOS is still run here (the exit watch by death pipe, no parent-death signal,
// close-on-exec by fcntl).
#if defined(__linux__) && !defined(POOLCORE_PORTABLE_POSIX)
#define POOLCORE_LINUX_APIS 1
#else
#define POOLCORE_LINUX_APIS 0
#endif
