// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "poolcore/signal_numbers.h"

#include <array>
#ifndef _WIN32
#include <signal.h>
#endif

namespace poolscope {

// Catches SIGINT, SIGTERM and SIGHUP while it lives, so that a run can stop on them in its own
// time: the handler only writes the signal's number into a pipe. The owner watches `fd()` (an
// event loop's reader, or a poll of its own) and calls collect() to learn what arrived. One at a
// time; the previous handlers come back when it goes. A signal that was ignored
// when it came is left ignored, as a shell's nohup or background job asks.
//
// On Windows the same requests are the console's control events, and they arrive as the same
// numbers: Ctrl+C as SIGINT, Ctrl+Break as SIGTERM, the console closing (or logoff, shutdown) as
// SIGHUP. The handler runs on a thread of its own there and writes into a loopback socket pair,
// since an event loop on Windows can wait on sockets only; `fd()` is that socket.
class StopSignals {
public:
    StopSignals();
    ~StopSignals();
    StopSignals(const StopSignals&) = delete;
    StopSignals& operator=(const StopSignals&) = delete;

    // Readable while a signal waits to be collected; -1 when no pipe could be made (then the
    // signals keep their default action, as before there was any handling).
    int fd() const { return read_end_; }
    // Reads what has arrived since the last call, without waiting.
    void collect();
    // How many stop signals arrived, and the first of them (0 while none did).
    int count() const { return count_; }
    int first() const { return first_; }

    static constexpr std::array kSignals{SIGINT, SIGTERM, SIGHUP};

private:
    int read_end_ = -1;
    int write_end_ = -1;
    int count_ = 0;
    int first_ = 0;
#ifndef _WIN32
    std::array<struct sigaction, kSignals.size()> previous_{};
#endif
};

} // namespace poolscope
