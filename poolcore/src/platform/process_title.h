// SPDX-License-Identifier: MIT
#pragma once

// What a worker calls itself in ps and top: "poolscope-worker: slot 3" instead of a copy of the
// parent's command line, so that a user can tell the workers from the program and one slot from
// another. One implementation per OS (platform/posix/process_title.cpp, platform/win/).

#include <string>

namespace poolcore {

// The full title of slot `slot`'s worker ("poolscope-worker: slot 3"; "poolscope-worker" for a
// worker that was not told its slot).
std::string worker_process_title(int slot);
// The short name the kernel keeps beside it (Linux's comm: at most 15 bytes), "pool-worker-3".
std::string worker_process_name(int slot);

// Gives the calling process, a worker, its title and name where the OS has them; does nothing
// where it has not. Called once in the worker before it announces itself.
void set_worker_process_title(int slot);
// The same for the forkserver: "poolscope-forkserver", short name "pool-forkserver".
void set_forkserver_process_title();
// Whether the two above give titles in this build (Linux); elsewhere they leave them as they are.
bool sets_process_titles();

} // namespace poolcore
