// SPDX-License-Identifier: MIT
#pragma once

namespace poolcore {

// The server's side of the forkserver (see poolcore/forkserver.h); never returns. For
// run_worker_if_requested() and the client's fork of a new server.
[[noreturn]] void run_forkserver(int control_fd);

} // namespace poolcore
